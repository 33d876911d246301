import { asArray, iamStatements, type IamStatement } from "./util";

export type IamStatementLike = IamStatement & { actions: string[] };

/** The Deny statements of a bucket policy document, each with its actions as a list. */
export function denyStatements(document: unknown): IamStatementLike[] | undefined {
  const statements = iamStatements(document);
  if (!statements) return undefined;
  return statements.filter((s) => s.Effect === "Deny").map((s) => ({ ...s, actions: asArray(s.Action).map(String) }));
}

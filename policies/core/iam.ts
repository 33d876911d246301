import type { StrataResource } from "./types";
import { T, asArray, globMatch, iamStatements, tagsOf, type IamStatement } from "./util";

export const IAM_POLICY_TYPES = [T.iamPolicy, T.iamRole, T.iamRolePolicy, T.iamUserPolicy, T.iamGroupPolicy] as const;

export interface IamDocument {
  /** e.g. `policy` or `inlinePolicies[0] (name)` */
  where: string;
  statements: IamStatement[] | undefined;
}

/** The permission documents a resource carries: a managed or inline policy's `policy`, a role's `inlinePolicies`. */
export function iamDocuments(r: StrataResource): IamDocument[] {
  if (r.type === T.iamRole) {
    return asArray<any>(r.props.inlinePolicies).flatMap((p, i) =>
      p?.policy === undefined ? [] : [{ where: `inlinePolicies[${i}]${p?.name ? ` (${p.name})` : ""}`, statements: iamStatements(p.policy) }],
    );
  }
  if (r.props.policy === undefined) return [];
  return [{ where: "policy", statements: iamStatements(r.props.policy) }];
}

export function allowStatements(statements: IamStatement[] | undefined): IamStatement[] {
  return (statements ?? []).filter((s) => s.Effect === "Allow");
}

export function actionsOf(s: IamStatement): string[] {
  return asArray(s.Action).map(String);
}

/**
 * A backup writer is the identity backup jobs upload with. It is identified by one of `backupWriterTags` (`key=value`
 * AWS tags on the policy or role; by default `strata:access=append`, the access level Strata's workload identities
 * give backup jobs, or `strata:role=backup-writer`), or by a name (the resource's logical name, or the
 * `role`/`user`/`name` it attaches to) matching one of `backupWriterNamePatterns` (by default `backup-*`,
 * `*-backup-*`, `*backup-writer*`: a role policy has no tags of its own).
 */
export function isBackupWriter(r: StrataResource, config: Record<string, any>): boolean {
  const tags = tagsOf(r);
  for (const spec of asArray<string>(config.backupWriterTags)) {
    const eq = spec.indexOf("=");
    if (eq > 0 && tags[spec.slice(0, eq)] === spec.slice(eq + 1)) return true;
  }
  const names = [r.name, r.props.name, r.props.role, r.props.user, r.props.group].filter((n): n is string => typeof n === "string");
  return asArray<string>(config.backupWriterNamePatterns).some((p) => names.some((n) => globMatch(p, n)));
}

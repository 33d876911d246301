import type { Plan } from "../../infra/plan/harness";
import type { RecordedResource } from "../../infra/plan/recordingMonitor";

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface FoundPolicy {
  resource: RecordedResource;
  /** Which input holds it. */
  property: string;
  kind: "identity" | "trust" | "resource" | "key";
  statements: Statement[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// Where policy documents live in the resources Strata declares.
const POLICY_PROPERTIES: Record<string, { property: string; kind: FoundPolicy["kind"] }[]> = {
  "aws:iam/rolePolicy:RolePolicy": [{ property: "policy", kind: "identity" }],
  "aws:iam/userPolicy:UserPolicy": [{ property: "policy", kind: "identity" }],
  "aws:iam/policy:Policy": [{ property: "policy", kind: "identity" }],
  "aws:iam/role:Role": [{ property: "assumeRolePolicy", kind: "trust" }],
  "aws:s3/bucketPolicy:BucketPolicy": [{ property: "policy", kind: "resource" }],
  "aws:kms/key:Key": [{ property: "policy", kind: "key" }],
};

/** Every IAM, trust, bucket and key policy document in a plan, parsed. */
export function policiesIn(plan: Plan): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  for (const resource of plan.resources) {
    for (const { property, kind } of POLICY_PROPERTIES[resource.type] ?? []) {
      const text = resource.inputs[property];
      if (typeof text !== "string") throw new Error(`${resource.urn}: ${property} is not a JSON string: ${JSON.stringify(text)}`);
      const doc = JSON.parse(text) as { Statement: Statement | Statement[] };
      found.push({ resource, property, kind, statements: list(doc.Statement) });
    }
  }
  return found;
}

export const actionsOf = (s: Statement) => list(s.Action);
export const resourcesOf = (s: Statement) => list(s.Resource);

/** The least-privilege rules every identity policy in Strata must satisfy; returns what breaks them. */
export function leastPrivilegeViolations(policy: FoundPolicy): string[] {
  const problems: string[] = [];
  for (const s of policy.statements.filter((st) => st.Effect === "Allow")) {
    const where = `${policy.resource.name}/${s.Sid ?? "?"}`;
    if (s.NotAction || s.NotResource) problems.push(`${where}: NotAction/NotResource`);
    for (const action of actionsOf(s)) {
      if (action === "*" || action.endsWith(":*")) problems.push(`${where}: wildcard action ${action}`);
    }
    const touchesData = actionsOf(s).some((a) => a.startsWith("s3:") || a.startsWith("kms:"));
    if (touchesData && resourcesOf(s).some((r) => r === "*")) problems.push(`${where}: Resource "*" for S3/KMS`);
  }
  return problems;
}

import type { ResourcePolicy, Violation } from "../core/types";
import { IAM_POLICY_TYPES, actionsOf, allowStatements, iamDocuments } from "../core/iam";
import { EXCEPTIONS_SCHEMA, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-iam-forbid-wildcard-actions",
  description: "IAM permissions (managed policies, role inline policies, role/user/group policies) never Allow `*`, a whole service (`s3:*`, `kms:*`, ...) or NotAction.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: IAM_POLICY_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const out: Violation[] = [];
    for (const doc of iamDocuments(r)) {
      if (!doc.statements) {
        out.push({ message: `${r.name} ${doc.where} is not a readable policy document.` });
        continue;
      }
      for (const s of allowStatements(doc.statements)) {
        const wild = actionsOf(s).filter((a) => a === "*" || /^[A-Za-z0-9-]+:\*$/.test(a));
        if (wild.length) out.push({ message: `${r.name} ${doc.where} allows ${wild.join(", ")}; list the actions it needs.` });
        if (s.NotAction !== undefined) out.push({ message: `${r.name} ${doc.where} allows NotAction (everything but a list).` });
      }
    }
    return out;
  },
};
export default policy;

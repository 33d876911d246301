import type { ResourcePolicy, Violation } from "../core/types";
import { IAM_POLICY_TYPES, actionsOf, allowStatements, iamDocuments } from "../core/iam";
import { EXCEPTIONS_SCHEMA, asArray, isExcepted } from "../core/util";

const WILDCARD_RESOURCES = new Set(["*", "arn:aws:s3:::*", "arn:aws:s3:::*/*", "arn:aws:kms:*"]);

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-iam-forbid-wildcard-resources",
  description: "IAM statements that allow S3 or KMS actions name their buckets and keys: no Resource \"*\" (or every bucket / every key) and no NotResource.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      services: { type: "array", items: { type: "string" }, default: ["s3", "kms"], description: "Services whose actions must be scoped to named resources." },
    },
  },
  types: IAM_POLICY_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const services: string[] = (ctx.config.services ?? []).map((s: string) => s.toLowerCase());
    const out: Violation[] = [];
    for (const doc of iamDocuments(r)) {
      for (const s of allowStatements(doc.statements)) {
        const scoped = actionsOf(s).filter((a) => a === "*" || services.includes(a.split(":")[0]!.toLowerCase()));
        if (!scoped.length) continue;
        const wide = asArray(s.Resource).map(String).filter((res) => WILDCARD_RESOURCES.has(res));
        if (wide.length || s.NotResource !== undefined || s.Resource === undefined) {
          out.push({ message: `${r.name} ${doc.where} allows ${scoped.join(", ")} on ${s.NotResource !== undefined ? "NotResource" : wide.join(", ") || "no Resource"}; name the buckets/keys.` });
        }
      }
    }
    return out;
  },
};
export default policy;

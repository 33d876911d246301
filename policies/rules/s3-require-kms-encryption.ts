import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, asArray, isExcepted } from "../core/util";

/** Hetzner Object Storage has no SSE-KMS: buckets there are listed in `exceptions`. */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-s3-require-kms-encryption",
  description: "Bucket default encryption is SSE-KMS with a customer-managed key (kmsMasterKeyId) and the S3 bucket key enabled.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.bucketSse],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const rules = asArray<any>(r.props.rules);
    if (rules.length === 0) return [{ message: `${r.name} has no encryption rule.` }];
    const out: Violation[] = [];
    rules.forEach((rule, i) => {
      const byDefault = rule?.applyServerSideEncryptionByDefault ?? {};
      if (byDefault.sseAlgorithm !== "aws:kms" && byDefault.sseAlgorithm !== "aws:kms:dsse") out.push({ message: `${r.name} rule ${i} uses sseAlgorithm ${byDefault.sseAlgorithm ?? "unset"}, not aws:kms.` });
      if (typeof byDefault.kmsMasterKeyId !== "string" || byDefault.kmsMasterKeyId === "" || byDefault.kmsMasterKeyId === "alias/aws/s3") out.push({ message: `${r.name} rule ${i} has no customer-managed kmsMasterKeyId.` });
      if (rule?.bucketKeyEnabled !== true) out.push({ message: `${r.name} rule ${i} does not set bucketKeyEnabled: true (KMS cost and throttling).` });
    });
    return out;
  },
};
export default policy;

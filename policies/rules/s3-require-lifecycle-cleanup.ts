import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, asArray, isExcepted } from "../core/util";

/**
 * Versioned buckets keep every overwritten and deleted object: some enabled rule must expire noncurrent versions
 * and some enabled rule must abort incomplete multipart uploads.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-s3-require-lifecycle-cleanup",
  description: "Bucket lifecycle configurations expire noncurrent versions and abort incomplete multipart uploads (enabled rules).",
  enforcementLevel: "advisory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.bucketLifecycle],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const rules = asArray<any>(r.props.rules).filter((rule) => rule?.status === "Enabled");
    const out: Violation[] = [];
    if (!rules.some((rule) => Number(rule.noncurrentVersionExpiration?.noncurrentDays) > 0)) out.push({ message: `${r.name} has no enabled noncurrentVersionExpiration rule.` });
    if (!rules.some((rule) => Number(rule.abortIncompleteMultipartUpload?.daysAfterInitiation) > 0)) out.push({ message: `${r.name} has no enabled abortIncompleteMultipartUpload rule.` });
    return out;
  },
};
export default policy;

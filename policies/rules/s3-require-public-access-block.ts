import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

export const BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-s3-require-public-access-block",
  description: "Bucket public access blocks set all four of blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.bucketPab],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const missing = BLOCKS.filter((b) => r.props[b] !== true);
    return missing.length ? [{ message: `BucketPublicAccessBlock ${r.name} does not set ${missing.join(", ")} to true.` }] : [];
  },
};
export default policy;

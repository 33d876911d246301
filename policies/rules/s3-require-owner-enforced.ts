import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-s3-require-owner-enforced",
  description: "Bucket ownership controls are BucketOwnerEnforced: ACLs are disabled and the bucket owner owns every object.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.bucketOwnership],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const ownership = r.props.rule?.objectOwnership;
    return ownership === "BucketOwnerEnforced" ? [] : [{ message: `BucketOwnershipControls ${r.name} has objectOwnership ${ownership ?? "unset"}, not BucketOwnerEnforced.` }];
  },
};
export default policy;

import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-s3-forbid-force-destroy",
  description: "Buckets never set forceDestroy: deleting a bucket must not delete its objects.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.bucket],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    return r.props.forceDestroy === true || r.props.forceDestroy === "true" ? [{ message: `Bucket ${r.name} sets forceDestroy: true.` }] : [];
  },
};
export default policy;

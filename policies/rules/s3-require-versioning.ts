import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-s3-require-versioning",
  description: "Bucket versioning is Enabled, so an overwrite or a delete can be undone.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.bucketVersioning],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const status = r.props.versioningConfiguration?.status;
    return status === "Enabled" ? [] : [{ message: `BucketVersioning ${r.name} has status ${status ?? "unset"}; set it to Enabled.` }];
  },
};
export default policy;

import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-storageclass-require-retain",
  description: "StorageClasses keep the volume when its claim is deleted (reclaimPolicy: Retain); Delete loses the data with the PVC.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.storageClass],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const policy = r.props.reclaimPolicy;
    return policy === "Retain" ? [] : [{ message: `StorageClass ${r.name} has reclaimPolicy ${policy ?? "unset (defaults to Delete)"}; set it to Retain.` }];
  },
};
export default policy;

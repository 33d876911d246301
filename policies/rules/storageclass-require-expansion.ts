import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-storageclass-require-expansion",
  description: "StorageClasses allow volume expansion, so a full volume is grown in place instead of migrated.",
  enforcementLevel: "advisory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.storageClass],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    return r.props.allowVolumeExpansion === true ? [] : [{ message: `StorageClass ${r.name} does not set allowVolumeExpansion: true.` }];
  },
};
export default policy;

import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-hcloudvolume-require-delete-protection",
  description: "Hetzner volumes have no snapshots: they are created with deleteProtection: true.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.hcloudVolume],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    return r.props.deleteProtection === true || r.props.deleteProtection === "true" ? [] : [{ message: `Hetzner volume ${r.name} does not set deleteProtection: true.` }];
  },
};
export default policy;

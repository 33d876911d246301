import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-kms-require-rotation",
  description: "Symmetric KMS keys rotate their key material (enableKeyRotation: true).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.kmsKey],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const spec = r.props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") return [];
    return r.props.enableKeyRotation === true ? [] : [{ message: `KMS key ${r.name} does not set enableKeyRotation: true.` }];
  },
};
export default policy;

import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-pvc-require-approved-class",
  description: "PersistentVolumeClaims name one of Strata's approved (Retain, encrypted) StorageClasses explicitly, never the cluster default.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      approvedClasses: { type: "array", items: { type: "string" }, default: ["ebs-gp3", "hcloud-volumes"], description: "StorageClass names a PVC may use." },
    },
  },
  types: [T.pvc],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const cls = r.props.spec?.storageClassName;
    const approved: string[] = ctx.config.approvedClasses ?? [];
    if (typeof cls !== "string" || cls === "") return [{ message: `PVC ${r.name} has no storageClassName (it would get the cluster default); use one of ${approved.join(", ")}.` }];
    return approved.includes(cls)
      ? []
      : [{ message: `PVC ${r.name} uses StorageClass ${cls}, not one of ${approved.join(", ")}: a class a claim names (strata:storage.claims.<service>.storageClass) must be Retain and encrypted; once it is, add it to this policy's approvedClasses in the pack config (policies/config.json).` }];
  },
};
export default policy;

import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted, quantityBytes } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-pvc-limit-hcloud-minimum-size",
  description: "PVCs on a Hetzner StorageClass request at least the CSI driver's minimum (10Gi); smaller requests are silently rounded up and the sizing is wrong.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      hcloudClasses: { type: "array", items: { type: "string" }, default: ["hcloud-volumes"], description: "StorageClass names backed by Hetzner volumes." },
      minimumSize: { type: "string", default: "10Gi", description: "Smallest storage request on a Hetzner class." },
    },
  },
  types: [T.pvc],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const cls = r.props.spec?.storageClassName;
    if (!(ctx.config.hcloudClasses ?? []).includes(cls)) return [];
    const requested = r.props.spec?.resources?.requests?.storage;
    const bytes = quantityBytes(requested);
    const minimum = quantityBytes(ctx.config.minimumSize)!;
    if (bytes === undefined) return [{ message: `PVC ${r.name} on ${cls} has no readable storage request (${JSON.stringify(requested)}).` }];
    return bytes >= minimum ? [] : [{ message: `PVC ${r.name} on ${cls} requests ${requested}, below Hetzner's minimum ${ctx.config.minimumSize}.` }];
  },
};
export default policy;

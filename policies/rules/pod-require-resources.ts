import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, WORKLOAD_TYPES, containersOf, isExcepted, podSpecOf } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-pod-require-resources",
  description: "Every container (init containers included) of every workload Strata declares (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) sets resource requests and limits.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      requests: { type: "array", items: { type: "string" }, default: ["cpu", "memory"], description: "Resources every container requests." },
      limits: { type: "array", items: { type: "string" }, default: ["cpu", "memory"], description: "Resources every container limits." },
    },
  },
  types: WORKLOAD_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const out: Violation[] = [];
    for (const { kind, container } of containersOf(podSpecOf(r))) {
      for (const section of ["requests", "limits"] as const) {
        const missing = (ctx.config[section] as string[]).filter((k) => container.resources?.[section]?.[k] === undefined);
        if (missing.length) out.push({ message: `${r.name} ${kind} ${container.name ?? "?"} has no resources.${section} for ${missing.join(", ")}.` });
      }
    }
    return out;
  },
};
export default policy;

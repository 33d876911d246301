import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, WORKLOAD_TYPES, containersOf, imageProblem, isExcepted, podSpecOf } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-workload-require-pinned-images",
  description: "Pods, Deployments, StatefulSets, DaemonSets, Jobs and CronJobs run images with an explicit tag other than latest (or a digest), init containers included.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: WORKLOAD_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    return containersOf(podSpecOf(r)).flatMap(({ kind, container }) => {
      const problem = imageProblem(container.image);
      return problem ? [{ message: `${r.name} ${kind} ${container.name ?? "?"} ${problem}.` }] : [];
    });
  },
};
export default policy;

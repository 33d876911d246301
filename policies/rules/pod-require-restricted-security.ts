import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, WORKLOAD_TYPES, asArray, containersOf, isExcepted, podSpecOf } from "../core/util";

/**
 * The Kubernetes "restricted" Pod Security profile, plus a read-only root filesystem, for every pod template Strata
 * declares itself: a long-running pod (the WAL receiver's StatefulSet) holds the same credentials as a backup job.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-pod-require-restricted-security",
  description: "Containers of every workload Strata declares (Deployment, StatefulSet, DaemonSet, Job, CronJob) run restricted: runAsNonRoot, allowPrivilegeEscalation false, capabilities drop ALL, seccomp RuntimeDefault, readOnlyRootFilesystem.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: WORKLOAD_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const pod = podSpecOf(r);
    if (!pod) return [{ message: `${r.name} has no pod template.` }];
    const podSc = pod.securityContext ?? {};
    const out: Violation[] = [];
    for (const { kind, container } of containersOf(pod)) {
      const sc = container.securityContext ?? {};
      const problems: string[] = [];
      if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) problems.push("runAsNonRoot: true");
      if (sc.allowPrivilegeEscalation !== false) problems.push("allowPrivilegeEscalation: false");
      if (!asArray<string>(sc.capabilities?.drop).includes("ALL")) problems.push("capabilities.drop: [ALL]");
      const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push("seccompProfile.type: RuntimeDefault");
      if (sc.readOnlyRootFilesystem !== true) problems.push("readOnlyRootFilesystem: true");
      if (sc.privileged === true) problems.push("privileged: false");
      if (problems.length) out.push({ message: `${r.name} ${kind} ${container.name ?? "?"} needs securityContext ${problems.join(", ")}.` });
    }
    return out;
  },
};
export default policy;

import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, WORKLOAD_TYPES, asArray, containersOf, isExcepted, podSpecOf } from "../core/util";

/**
 * The Kubernetes "restricted" Pod Security profile, plus a read-only root filesystem, for every pod template Strata
 * declares itself: a long-running pod (the WAL receiver's StatefulSet) holds the same credentials as a backup job.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-pod-require-restricted-security",
  description: "Containers of every workload Strata declares (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) run restricted: runAsNonRoot and never uid 0, not privileged, allowPrivilegeEscalation false, capabilities drop ALL, seccomp RuntimeDefault, readOnlyRootFilesystem; the pod shares no host namespace.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: WORKLOAD_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const pod = podSpecOf(r);
    if (!pod) return [{ message: `${r.name} has no pod template.` }];
    const podSc = pod.securityContext ?? {};
    const out: Violation[] = [];
    const hostShared = (["hostNetwork", "hostPID", "hostIPC"] as const).filter((k) => pod[k] === true);
    if (hostShared.length) out.push({ message: `${r.name} shares the host's namespaces (${hostShared.map((k) => `${k}: true`).join(", ")}).` });
    for (const { kind, container } of containersOf(pod)) {
      const sc = container.securityContext ?? {};
      const problems: string[] = [];
      if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) problems.push("runAsNonRoot: true");
      // runAsNonRoot with runAsUser 0 is refused by the kubelet at start; the plan says so before it is deployed.
      if ((sc.runAsUser ?? podSc.runAsUser) === 0) problems.push("runAsUser other than 0");
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

import type { ResourcePolicy, Violation } from "../core/types";
import { BATCH_TYPES, EXCEPTIONS_SCHEMA, asArray, containersOf, isExcepted, podSpecOf } from "../core/util";

/** The Kubernetes "restricted" Pod Security profile, plus a read-only root filesystem. */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-batch-require-restricted-security",
  description: "CronJob and Job containers run restricted: runAsNonRoot, allowPrivilegeEscalation false, capabilities drop ALL, seccomp RuntimeDefault, readOnlyRootFilesystem.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: BATCH_TYPES,
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

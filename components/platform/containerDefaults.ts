/** Requests and limits for a container; memory limit equals the request so the scheduler's promise holds. */
export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export function resources(cpu: string, memory: string, cpuLimit: string): ContainerResources {
  return { requests: { cpu, memory }, limits: { cpu: cpuLimit, memory } };
}

/** The container security context every Strata-configured container runs with. */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;

/** Values of the Grafana Alloy chart for the log collector. Pure, checked against the chart's values in tests. */
import type { Resources } from "./lokiValues";
import { RESTRICTED_CONTAINER } from "../platform/containerDefaults";

export const ALLOY_CHART = { name: "alloy", version: "1.11.1", repo: "https://grafana.github.io/helm-charts" } as const;
/** The chart's appVersion, pinned explicitly. */
export const ALLOY_IMAGE_TAG = "v1.18.1";
export const ALLOY_RELEASE = "log-collector";
/** Alloy keeps read positions here; an emptyDir survives container restarts, so a crash does not re-ship logs. */
export const ALLOY_STORAGE_PATH = "/var/lib/alloy";
/** The alloy image's own user (Dockerfile: uid/gid 473). */
const ALLOY_UID = 473;

export interface AlloyCollectorSettings {
  config: string;
  resources: Resources;
}

const containerSecurityContext = (uid: number) => ({ ...RESTRICTED_CONTAINER, runAsUser: uid, runAsGroup: uid });

export function alloyValues(s: AlloyCollectorSettings): Record<string, unknown> {
  return {
    global: { podSecurityContext: { runAsNonRoot: true, runAsUser: ALLOY_UID, runAsGroup: ALLOY_UID, fsGroup: ALLOY_UID, seccompProfile: { type: "RuntimeDefault" } } },
    // The PodLogs CRD is for `loki.source.podlogs`, which Strata does not use; CRDs are cluster-wide state.
    crds: { create: false },
    alloy: {
      configMap: { create: true, content: s.config },
      storagePath: ALLOY_STORAGE_PATH,
      enableReporting: false,
      securityContext: containerSecurityContext(ALLOY_UID),
      resources: s.resources,
      // No hostPath: logs come through the Kubernetes API (see alloyConfig.ts).
      mounts: { varlog: false, dockercontainers: false, extra: [{ name: "alloy-storage", mountPath: ALLOY_STORAGE_PATH }] },
    },
    image: { tag: ALLOY_IMAGE_TAG },
    configReloader: {
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
      securityContext: containerSecurityContext(65534),
    },
    controller: {
      type: "daemonset",
      // Every node's pods are collected, tainted nodes included.
      tolerations: [{ operator: "Exists" }],
      volumes: { extra: [{ name: "alloy-storage", emptyDir: { sizeLimit: "1Gi" } }] },
    },
    // The chart's default ClusterRole also reads every Secret and ConfigMap in the cluster (for remote.kubernetes.*);
    // the collector needs only to find pods and read their logs.
    rbac: {
      create: true,
      rules: [{ apiGroups: [""], resources: ["pods", "pods/log", "namespaces"], verbs: ["get", "list", "watch"] }],
      clusterRules: [],
    },
    serviceAccount: { create: true, automountServiceAccountToken: true },
    // Scraped by Strata's Prometheus (it selects every ServiceMonitor); alerts in collectorRules.ts.
    serviceMonitor: { enabled: true },
  };
}

import { KPS_FULLNAME, prometheusDataClaimName } from "../../../metrics/names";
import { IMAGES } from "../../../versions";
import { besidePods, env, resources, runtimeJob } from "../../containers";
import type { KindDriver } from "../driver";
import { PROMETHEUS_SNAPSHOT_ARTIFACT } from "./artifact";

/** Prometheus's replica 0: its pod, its data volume (named by the operator) and its API. */
export const PROMETHEUS_SNAPSHOT_SOURCE = {
  pod: "prometheus-strata-prometheus-0",
  claim: prometheusDataClaimName(KPS_FULLNAME),
  url: (namespace: string) => `http://prometheus-strata-prometheus-0.prometheus-operated.${namespace}.svc.cluster.local:9090`,
  // The operator mounts the claim at /prometheus with subPath prometheus-db; files belong to 1000:2000.
  dataDir: "/prometheus/prometheus-db",
  uid: 1000,
  gid: 2000,
};

/** The drill's user: nobody, as in the Prometheus image. */
const DRILL_UID = 65534;

/** Prometheus: a TSDB snapshot through the admin API, read from Prometheus's own volume and uploaded as a tar. */
export const prometheusSnapshot: KindDriver<"prometheus-snapshot"> = {
  kind: "prometheus-snapshot",
  artifact: PROMETHEUS_SNAPSHOT_ARTIFACT,
  backup: (_t, monitoringNamespace) => {
    const src = PROMETHEUS_SNAPSHOT_SOURCE;
    // The snapshot lands on Prometheus's own ReadWriteOnce volume, which pods on the same node can mount: the job is
    // pinned beside replica 0 and runs the runtime (components/backup/kinds/prometheus-snapshot/runtime.ts) in the node
    // image (its tar archives the snapshot; the admin API is one fetch) as Prometheus's own user, so it can remove the
    // snapshot after upload. TSDB chunks are already compressed, so the archive is not compressed again.
    return runtimeJob(
      src.uid,
      "backup",
      {
        image: IMAGES.node,
        env: [env("PROMETHEUS_URL", src.url(monitoringNamespace)), env("PROM_DATA_DIR", src.dataDir)],
        resources: resources("100m", "320Mi", "1"),
        volumeMounts: [{ name: "prometheus-data", mountPath: "/prometheus" }],
      },
      {
        compression: "none",
        fsGroup: src.gid,
        volumes: [{ name: "prometheus-data", persistentVolumeClaim: { claimName: src.claim } }],
        affinity: besidePods({ "statefulset.kubernetes.io/pod-name": src.pod }),
      },
    );
  },
  // promtool and prometheus are static binaries: an init container copies them from the Prometheus image into the
  // runtime's tools, and the runtime runs the drill in the node image (tar extracts as the object downloads), the
  // throwaway Prometheus that opens the snapshot included (memory for its index reads).
  drill: () =>
    runtimeJob(
      DRILL_UID,
      "drill",
      { image: IMAGES.node, resources: resources("500m", "2Gi", "2") },
      {
        compression: "none",
        fsGroup: DRILL_UID,
        initContainers: [{ name: "promtool", image: IMAGES.promtool, copies: ["/bin/promtool", "/bin/prometheus"], resources: resources("50m", "64Mi", "200m"), runAsUser: DRILL_UID }],
      },
    ),
  // Read from Prometheus's own volume, in the monitoring namespace.
  jobNamespace: () => ({ role: "monitoring" }),
  drillProves: { restores: "promtool checks every block, then a throwaway Prometheus loads them all and answers a query", realRestore: true },
  integrationSuite: { file: "test/integration/backup-prometheus.test.ts" },
  // The backup relative to the data it protects: a Prometheus TSDB snapshot is its blocks as they are (already compressed).
  capacity: { dumpRatio: 1 },
};

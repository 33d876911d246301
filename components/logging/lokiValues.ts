import { RESTRICTED_CONTAINER } from "../platform/containerDefaults";
import { s3ClientEndpoint } from "../archive/providers";
/**
 * Values of the grafana-community `loki` chart, built from typed settings. Pure: no Pulumi, so the values can be
 * checked against the chart's values.yaml and values.schema.json in unit tests.
 */

export const LOKI_CHART = { name: "loki", version: "18.11.0", repo: "https://grafana-community.github.io/helm-charts" } as const;
/** The chart's appVersion, pinned explicitly so a chart bump never changes Loki silently. */
export const LOKI_IMAGE_TAG = "3.7.6";
/**
 * The server-side encryption Loki's S3 clients can ask for: SSE-KMS and SSE-S3, nothing else (grafana/loki v3.7.6,
 * pkg/storage/bucket/s3/config.go `supportedSSETypes`; the legacy `storage_config.aws` client parses the same
 * SSEConfig, pkg/storage/chunk/client/aws/sse_config.go, and the thanos-objstore path's BuildThanosConfig maps only
 * these two). On a store without KMS (Hetzner) Loki therefore cannot write SSE-C: its bucket is not encrypted by
 * Strata there, and the plan says so (infra/areas/archive.ts atRestWithoutKms).
 */
export const LOKI_SSE_TYPES = ["SSE-KMS", "SSE-S3"] as const;
/** Release name; the chart's fullname is then `loki`, and services are `loki`, `loki-distributor`, ... */
export const LOKI_RELEASE = "loki";
export const LOKI_HTTP_PORT = 3100;
/**
 * The day the TSDB/v13 schema applies from. It must never move once data exists: Loki reads each period with the
 * schema that was in force when it was written.
 */
export const LOKI_SCHEMA_FROM = "2024-04-01";

export type LokiMode = "monolithic" | "distributed";

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface LokiSettings {
  mode: LokiMode;
  replicas: number;
  replicationFactor: number;
  bucket: { name: string; region: string };
  /** SSE-KMS key every object is written with on AWS (the archive key; the bucket policy refuses any other). */
  kmsKeyArn?: string;
  /** A store other than AWS S3 (components/archive/providers.ts): its endpoint URL and addressing. */
  store?: { endpoint: string; pathStyle: boolean };
  /** `limits_config.retention_period`, e.g. "720h". */
  retentionPeriod: string;
  deleteDelayHours: number;
  streamRetention: { selector: string; period: string; priority: number }[];
  serviceAccountName: string;
  /** Static keys (hcloud): Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, injected as environment. */
  credentialsSecret?: string;
  storageClassName: string;
  volumeSize: string;
  caches: { enabled: boolean; chunksMemoryMiB: number; resultsMemoryMiB: number };
  resources: Resources;
}

/** In-cluster service that accepts pushes, and the one that answers queries, per mode. */
export function lokiServices(mode: LokiMode): { push: string; query: string } {
  return mode === "monolithic" ? { push: LOKI_RELEASE, query: LOKI_RELEASE } : { push: `${LOKI_RELEASE}-distributor`, query: `${LOKI_RELEASE}-query-frontend` };
}

export function lokiUrls(mode: LokiMode, namespace: string): { pushUrl: string; queryUrl: string } {
  const svc = lokiServices(mode);
  const base = (s: string) => `http://${s}.${namespace}.svc.cluster.local:${LOKI_HTTP_PORT}`;
  return { pushUrl: `${base(svc.push)}/loki/api/v1/push`, queryUrl: base(svc.query) };
}

/** The Grafana datasource for this Loki, in the shape of kube-prometheus-stack's `grafana.additionalDataSources`. */
export function lokiDatasource(mode: LokiMode, namespace: string) {
  return { name: "Loki", type: "loki", uid: "strata-loki", access: "proxy", url: lokiUrls(mode, namespace).queryUrl, isDefault: false, jsonData: { maxLines: 1000 } };
}

// Memcached reserves its item memory up front; the container needs headroom above it for connections and slabs.
const memcachedResources = (allocatedMiB: number): Resources => {
  const memory = `${Math.ceil(allocatedMiB * 1.2)}Mi`;
  return { requests: { cpu: "100m", memory }, limits: { cpu: "1", memory } };
};
const EXPORTER_RESOURCES: Resources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };

const podSecurityContext = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } };
const containerSecurityContext = RESTRICTED_CONTAINER;

const hours = (h: number) => `${h}h`;
const periodHours = (period: string) => Number(period.replace(/h$/, ""));

export function lokiValues(s: LokiSettings): Record<string, unknown> {
  const distributed = s.mode === "distributed";
  const retentionHours = periodHours(s.retentionPeriod);
  const persistentVolume = { storageClass: s.storageClassName, size: s.volumeSize };
  const off = { replicas: 0 };
  const component = (replicas: number) => ({ replicas, resources: s.resources });
  const claim = { name: "data", accessModes: ["ReadWriteOnce"], ...persistentVolume };

  return {
    // `Monolithic` is the chart's name for the single binary (the value `SingleBinary` is deprecated);
    // `SimpleScalable` is deprecated and removed in Loki 4, so production runs the microservices.
    deploymentMode: distributed ? "Distributed" : "Monolithic",
    global: {
      // hcloud has no workload identity: the static keys of strata-loki's IAM user come from its Secret, never
      // from values (which Helm stores in plain text in the release).
      extraEnv: s.credentialsSecret
        ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: s.credentialsSecret, key } } }))
        : [],
    },
    loki: {
      image: { tag: LOKI_IMAGE_TAG },
      // One Loki per environment, written to only by Strata's collector inside the cluster. With auth enabled the
      // X-Scope-OrgID header would be an unauthenticated label anyone can set, not a security boundary, and every
      // client would need it; single-tenant mode (tenant "fake") keeps clients simple and says what is true.
      auth_enabled: false,
      podSecurityContext,
      containerSecurityContext,
      commonConfig: { replication_factor: s.replicationFactor },
      storage: {
        type: "s3",
        // Chunks, index and ruler storage share the logs bucket: rules live under `rules/`, chunks under the
        // tenant, the index under `index/`. The `admin` bucket is for the enterprise edition only.
        bucketNames: { chunks: s.bucket.name, ruler: s.bucket.name },
        s3: {
          region: s.bucket.region,
          ...(s.kmsKeyArn ? { sse: { type: "SSE-KMS" satisfies (typeof LOKI_SSE_TYPES)[number], kms_key_id: s.kmsKeyArn } } : {}),
          ...(s.store ? { endpoint: s3ClientEndpoint(s.store.endpoint).host, insecure: s3ClientEndpoint(s.store.endpoint).insecure, s3ForcePathStyle: s.store.pathStyle } : {}),
        },
      },
      schemaConfig: {
        configs: [{ from: LOKI_SCHEMA_FROM, store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "index_", period: "24h" } }],
      },
      limits_config: {
        retention_period: s.retentionPeriod,
        retention_stream: s.streamRetention.map((r) => ({ selector: r.selector, priority: r.priority, period: r.period })),
        // Nothing older than the retention is accepted (it would be deleted at the next compaction), and queries
        // never reach past it, so results do not depend on whether the compactor has run yet.
        reject_old_samples: true,
        reject_old_samples_max_age: hours(Math.min(168, retentionHours)),
        max_query_lookback: s.retentionPeriod,
      },
      compactor: {
        working_directory: "/var/loki/compactor",
        compaction_interval: "10m",
        retention_enabled: true,
        retention_delete_delay: hours(s.deleteDelayHours),
        retention_delete_worker_count: 150,
        // Deletion requests live in the bucket, beside the data they delete.
        delete_request_store: "s3",
      },
      ingester: { wal: { flush_on_shutdown: true } },
    },
    // Strata's WorkloadIdentity owns the ServiceAccount (IRSA / Pod Identity annotations, or the static keys).
    serviceAccount: { create: false, name: s.serviceAccountName, automountServiceAccountToken: false },
    // The rules sidecar watches ConfigMaps through the API; strata-loki has no API token and Strata loads no rules
    // from ConfigMaps. Rules, when they come, go to the bucket through the ruler API.
    sidecar: { rules: { enabled: false } },
    singleBinary: distributed
      ? off
      : {
          ...component(s.replicas),
          sidecar: false,
          persistence: { enabled: true, ...persistentVolume, whenDeleted: "Retain", whenScaled: "Retain" },
        },
    // SimpleScalable targets: never used.
    write: off,
    read: off,
    backend: off,
    ...(distributed
      ? {
          ingester: {
            ...component(s.replicas),
            // Zone-aware replication needs the rollout-operator and a node pool per zone; three ingesters with
            // replication factor 3 and one unavailable at a time already survive the loss of one.
            zoneAwareReplication: { enabled: false },
            maxUnavailable: 1,
            persistence: { enabled: true, claims: [claim], whenDeleted: "Retain", whenScaled: "Retain" },
          },
          distributor: { ...component(s.replicas), maxUnavailable: 1 },
          querier: { ...component(s.replicas), maxUnavailable: 1 },
          queryFrontend: component(Math.min(s.replicas, 2)),
          queryScheduler: component(Math.min(s.replicas, 2)),
          indexGateway: { ...component(Math.min(s.replicas, 2)), maxUnavailable: 1, persistence: { enabled: true, ...persistentVolume, whenDeleted: "Retain", whenScaled: "Retain" } },
          // The compactor applies retention and deletes; two would race on the same index.
          compactor: { ...component(1), persistence: { enabled: true, claims: [claim], whenDeleted: "Retain", whenScaled: "Retain" } },
          ruler: { ...component(Math.min(s.replicas, 2)), sidecar: false, persistence: { enabled: true, ...persistentVolume } },
        }
      : {}),
    // Clients talk to the distributor / query-frontend (or the single binary) directly: with auth disabled the
    // nginx gateway would add a hop and no protection.
    gateway: { enabled: false },
    // The canary's value is its metrics, scraped by a Prometheus that is not built yet; until then it only writes
    // synthetic lines into the bucket. The Helm test depends on the canary.
    lokiCanary: { enabled: false },
    test: { enabled: false },
    minio: { enabled: false },
    // Scraped by Strata's Prometheus, which selects every ServiceMonitor; Strata's own alerts (lokiRules.ts) replace
    // the chart's `monitoring.alerts`, whose runbooks are not this stack's. No interval: Prometheus's scrape interval.
    monitoring: { serviceMonitor: { enabled: true, interval: "" } },
    chunksCache: s.caches.enabled
      ? { enabled: true, replicas: 1, allocatedMemory: s.caches.chunksMemoryMiB, resources: memcachedResources(s.caches.chunksMemoryMiB) }
      : { enabled: false },
    resultsCache: s.caches.enabled
      ? { enabled: true, replicas: 1, allocatedMemory: s.caches.resultsMemoryMiB, resources: memcachedResources(s.caches.resultsMemoryMiB) }
      : { enabled: false },
    memcached: {
      podSecurityContext: { runAsNonRoot: true, runAsUser: 11211, runAsGroup: 11211, fsGroup: 11211, seccompProfile: { type: "RuntimeDefault" } },
      containerSecurityContext,
    },
    memcachedExporter: { resources: EXPORTER_RESOURCES, containerSecurityContext },
  };
}

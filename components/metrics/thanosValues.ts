import * as yaml from "js-yaml";
import type * as pulumi from "@pulumi/pulumi";
import { IMAGES } from "../versions";
import { PROMETHEUS_REPLICA_LABEL, RULER_REPLICA_LABEL, THANOS_FULLNAME } from "./names";
import { resources, type ContainerResources } from "../platform/containerDefaults";
import { sseCustomerKeyVolume } from "./objstore";

export interface ThanosComponentIdentity {
  serviceAccountName: string;
  /** hcloud: static credentials injected as env. */
  credentialsSecretName?: pulumi.Input<string>;
}

export interface ThanosValuesInput {
  objstoreSecret: { name: string; key: string };
  /** The Secret holding the SSE-C key (a store without KMS): mounted where the objstore config says, in every component that reads the bucket. */
  sseCustomerKeySecret?: string;
  storageClassName: string;
  sidecarEndpoint: string;
  alertmanagerUrl: string;
  query: { replicas: number; resources: ContainerResources };
  queryFrontend: { replicas: number; resources: ContainerResources };
  /** `resources` when the stack sets them; otherwise sized for both in-heap caches. */
  storeGateway: { replicas: number; indexCacheGiB: number; bucketCacheGiB: number; volumeSizeGiB: number; resources?: ContainerResources } & ThanosComponentIdentity;
  compactor: { volumeSizeGiB: number; raw: string; fiveMinutes: string; oneHour: string; resources: ContainerResources } & ThanosComponentIdentity;
  ruler: { replicas: number; rules: Record<string, string>; resources: ContainerResources } & ThanosComponentIdentity;
}

/** Query deduplicates series that differ only in these labels: the Prometheus replicas and the ruler replicas. */
export const DEDUP_LABELS = [PROMETHEUS_REPLICA_LABEL, RULER_REPLICA_LABEL];

const identity = (c: ThanosComponentIdentity) => ({
  serviceAccount: { create: false, name: c.serviceAccountName },
  ...(c.credentialsSecretName ? { extraEnvFrom: [{ secretRef: { name: c.credentialsSecretName } }] } : {}),
});

// One line of flow-style YAML, so it can ride in a command-line flag as well as in a values string.
const inMemoryCache = (gib: number) => yaml.dump({ type: "IN-MEMORY", config: { max_size: `${gib}GB` } }, { flowLevel: 0 }).trim();

/**
 * Values of the thanos-community chart. Query and Query Frontend run as the chart-wide ServiceAccount with no
 * cloud identity: they never read the bucket. Every key exists in the chart's defaults or values.schema.json
 * (checked by test/metrics.test.ts).
 */
export function thanosValues(input: ThanosValuesInput): Record<string, unknown> {
  const sg = input.storeGateway;
  // Query and Query Frontend never touch the bucket, so they never get the key.
  const sse = input.sseCustomerKeySecret ? sseCustomerKeyVolume(input.sseCustomerKeySecret) : undefined;
  const keyMount = sse ? { extraVolumes: [sse.volume], extraVolumeMounts: [sse.mount] } : {};
  const storeMemoryGiB = sg.indexCacheGiB + sg.bucketCacheGiB + 1;
  return {
    fullnameOverride: THANOS_FULLNAME,
    global: {
      image: { registry: IMAGES.thanos.registry, repository: IMAGES.thanos.repository, tag: IMAGES.thanos.tag },
      storageClass: input.storageClassName,
      objstore: { createSecret: false, secretName: input.objstoreSecret.name, secretKey: input.objstoreSecret.key },
      serviceAccount: { create: true, perComponent: false, automountServiceAccountToken: false },
      serviceMonitor: { enabled: true },
      // The chart renders the Thanos mixin's alerts (runbooks upstream); its compactor-halted alert is Strata's own
      // StrataThanosCompactorHalted (components/alerting/platformRules.ts), whose runbook is this stack's.
      thanosRules: { disabledAlerts: ["ThanosCompactHalted"] },
    },
    query: {
      replicaCount: input.query.replicas,
      // The in-chart store gateways and rulers are generated; the Prometheus sidecars live in another release.
      endpoints: { autogen: { enabled: true }, static: [input.sidecarEndpoint] },
      replicaLabels: DEDUP_LABELS,
      resources: input.query.resources,
    },
    queryFrontend: { enabled: true, replicaCount: input.queryFrontend.replicas, resources: input.queryFrontend.resources },
    storegateway: {
      replicaCount: sg.replicas,
      persistence: { enabled: true, size: `${sg.volumeSizeGiB}Gi` },
      cachingBucketConfig: inMemoryCache(sg.bucketCacheGiB),
      extraArgs: [`--index-cache.config=${inMemoryCache(sg.indexCacheGiB)}`],
      // Both caches live in the heap: the memory request covers them plus the process itself.
      resources: sg.resources ?? resources("500m", `${storeMemoryGiB}Gi`, "2"),
      ...keyMount,
      ...identity(sg),
    },
    compactor: {
      replicaCount: 1,
      persistence: { enabled: true, size: `${input.compactor.volumeSizeGiB}Gi` },
      retention: { resolutionRaw: input.compactor.raw, resolution5m: input.compactor.fiveMinutes, resolution1h: input.compactor.oneHour },
      // Marked blocks wait two days before deletion so that readers holding them never hit a missing object.
      extraArgs: ["--log.level=info", "--log.format=logfmt", "--consistency-delay=30m", "--delete-delay=48h"],
      resources: input.compactor.resources,
      ...keyMount,
      ...identity(input.compactor),
    },
    ruler: {
      enabled: true,
      replicaCount: input.ruler.replicas,
      query: { urls: [`http://${THANOS_FULLNAME}-query:9090`] },
      alertmanagers: { config: yaml.dump({ alertmanagers: [{ static_configs: [input.alertmanagerUrl.replace(/^https?:\/\//, "")], scheme: "http", api_version: "v2" }] }) },
      // Helm merges maps, so the chart's example file (an always-firing alert) would ship beside ours; its schema
      // requires the key, so it is overridden with an empty rule file rather than removed.
      rules: { "example-alerts.yaml": "groups: []\n", ...input.ruler.rules },
      // Its kubectl sidecar image is `latest`, and Prometheus already evaluates the operator's rules.
      autoImportPrometheusRules: { enabled: false },
      resources: input.ruler.resources,
      ...keyMount,
      ...identity(input.ruler),
    },
    receive: { enabled: false },
  };
}

import type { SECRET_KEYS, StrataConfig } from "../infra/config/schema";

/** What a profile provides: every key but the ones only a stack can know (its cluster and its secrets). */
export type ProfileDefaults = Omit<StrataConfig, "cluster" | (typeof SECRET_KEYS)[number]>;

/**
 * A profile is posture only: replicas, retention, protection, replication and sizes. Workloads (claims, backup
 * targets, the telemetry backend) are each stack's own, in its stack file, so no stack inherits volumes or backup
 * jobs for services it does not run. Values that depend on the stack's own choices (second regions, backup tiers,
 * minimum volume sizes of the cloud) are derived from them in infra/config/defaults.ts.
 *
 * dev: Hetzner, single replicas, short retention (seed 000: 7-30 days local is enough for a dev cluster).
 * prod: AWS, HA, the seeds' tiers (DESIGN §3): 15d local, 30d raw, 120d 5m, 730d 1h, 30d logs, 30d daily dumps,
 * a year of archive, 7 daily snapshots (copied to a second region in prod).
 * Alerting: no receiver is on by default in either profile, because each needs an organisation's own secret; the
 * root `null` receiver keeps Alertmanager valid until a stack enables one. prod runs two Alertmanagers (HA).
 */
/** Requests and limits of one container, as the config writes them. */
const res = (cpu: string, memory: string, cpuLimit: string, memoryLimit = memory) => ({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

export const PROFILE_DEFAULTS: Record<StrataConfig["profile"], ProfileDefaults> = {
  dev: {
    profile: "dev",
    environment: "dev",
    cloud: "hcloud",
    region: "eu-central-1",
    hcloud: { location: "fsn1" },
    tags: {},
    namespaces: { monitoring: "monitoring", logging: "logging", backups: "strata-backups" },
    retention: {
      localTsdbDays: 7,
      localTsdbSizeGiB: 8,
      metricsRawDays: 7,
      metricsDownsampled5mDays: 30,
      metricsDownsampled1hDays: 90,
      logsDays: 7,
      backupDailyDays: 7,
      backupArchiveDays: 30,
      snapshotRetainCount: 3,
      snapshotCopyRetainDays: 3,
    },
    storage: {
      fsType: "ext4",
      defaultClass: true,
      ebs: { iops: 3000, throughputMiBps: 125 },
      hcloud: { encryption: true },
      snapshots: { enabled: true, time: "03:00", crossRegionCopy: { enabled: false, region: "eu-west-1" } },
      // Claims are a stack's workloads, never a profile's: each stack file names the services it runs.
      claims: {},
    },
    archive: {
      provider: "aws",
      identity: "irsa",
      credentialGeneration: 1,
      metrics: { transitions: [], noncurrentVersionDays: 3 },
      logs: { transitions: [], noncurrentVersionDays: 3 },
      backups: { transitions: [], noncurrentVersionDays: 7, objectLock: { enabled: false, mode: "GOVERNANCE", days: 7 } },
      abortIncompleteUploadsDays: 2,
      replication: { enabled: false, region: "eu-west-1" },
      accessLogs: { enabled: false, retentionDays: 14 },
    },
    metrics: {
      prometheus: { replicas: 1, scrapeInterval: "30s" },
      // Prometheus' and the store gateway's memory follow the capacity estimate and the caches unless a stack sets them.
      thanos: {
        enabled: false,
        sidecar: { resources: res("100m", "256Mi", "500m") },
        query: { replicas: 1, resources: res("250m", "1Gi", "1") },
        queryFrontend: { replicas: 1, resources: res("100m", "512Mi", "500m") },
        storeGateway: { replicas: 1, indexCacheGiB: 1, bucketCacheGiB: 1 },
        compactor: { replicas: 1, resources: res("500m", "2Gi", "2") },
        ruler: { replicas: 1, resources: res("250m", "1Gi", "1") },
      },
      // Hetzner volumes start at 10 GiB.
      pushgateway: { enabled: true, replicas: 1, volumeSizeGiB: 10, resources: res("50m", "128Mi", "250m") },
    },
    capacity: {
      // A dev cluster: a few nodes' worth of exporters, a small database.
      metrics: { activeSeries: 100_000, scrapeIntervalSeconds: 30 },
      logs: { gbPerDay: 2 },
      databases: {},
      overrides: {},
    },
    // Backup targets are the stack's workloads (its databases, brokers, snapshots), never a profile's.
    backups: { targets: [] },
    alerting: {
      alertmanagerReplicas: 1,
      alertmanagerResources: res("50m", "128Mi", "250m"),
      runbookBaseUrl: "docs/runbooks/alerts.md",
      pagerduty: { enabled: false },
      slack: { enabled: false },
      email: { enabled: false, to: [], repeatInterval: "24h" },
    },
    logging: {
      enabled: true,
      // One single binary on one volume: a dev cluster's log volume is far below what needs microservices, and
      // with a single ingester there is nobody to replicate to (its write-ahead log covers restarts).
      loki: {
        mode: "monolithic",
        replicas: 1,
        replicationFactor: 1,
        volumeSizeGiB: 10,
        retentionDeleteDelayHours: 2,
        streamRetention: [],
        // memcached would cost more memory than dev's Loki itself; dev queries read S3 directly.
        caches: { enabled: false, chunksMemoryMiB: 256, resultsMemoryMiB: 128 },
        resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
      },
      collector: { resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } },
    },
    // Telemetry is a workload (seed 002's OpenFinOps): nothing is declared until a stack sets telemetry.backend. These
    // are the tunings dev gives it once one does.
    telemetry: {
      namespace: "openfinops",
      retentionDays: 7,
      batchSize: 100,
      batchIntervalSeconds: 10,
      enableCompression: false,
      maxMemoryEntries: 10000,
      writers: 1,
    },
  },
  prod: {
    profile: "prod",
    environment: "prod",
    cloud: "aws",
    region: "eu-central-1",
    hcloud: { location: "fsn1" },
    tags: {},
    namespaces: { monitoring: "monitoring", logging: "logging", backups: "strata-backups" },
    retention: {
      localTsdbDays: 15,
      localTsdbSizeGiB: 45,
      metricsRawDays: 30,
      metricsDownsampled5mDays: 120,
      metricsDownsampled1hDays: 730,
      logsDays: 30,
      backupDailyDays: 30,
      backupArchiveDays: 365,
      snapshotRetainCount: 7,
      snapshotCopyRetainDays: 7,
    },
    storage: {
      fsType: "ext4",
      defaultClass: true,
      ebs: { iops: 3000, throughputMiBps: 125 },
      hcloud: { encryption: true },
      snapshots: { enabled: true, time: "03:00", crossRegionCopy: { enabled: true, region: "eu-west-1" } },
      claims: {},
    },
    archive: {
      provider: "aws",
      identity: "irsa",
      credentialGeneration: 1,
      // Intelligent-Tiering moves rarely read blocks and chunks to cheaper tiers with no retrieval fee and no
      // minimum storage duration, so compactor deletions cost nothing extra; readers still GET every object.
      metrics: { transitions: [{ afterDays: 1, storageClass: "INTELLIGENT_TIERING" }], noncurrentVersionDays: 14 },
      logs: { transitions: [{ afterDays: 1, storageClass: "INTELLIGENT_TIERING" }], noncurrentVersionDays: 7 },
      // Hot STANDARD for the 30 daily days, Glacier Instant Retrieval for its 90-day minimum, then Deep Archive
      // (180-day minimum) until the 365-day archive expiry.
      backups: {
        transitions: [
          { afterDays: 30, storageClass: "GLACIER_IR" },
          { afterDays: 120, storageClass: "DEEP_ARCHIVE" },
        ],
        noncurrentVersionDays: 30,
        objectLock: { enabled: true, mode: "GOVERNANCE", days: 30 },
      },
      abortIncompleteUploadsDays: 7,
      replication: { enabled: true, region: "eu-west-1" },
      accessLogs: { enabled: true, retentionDays: 90 },
    },
    // Seed 003's reference architecture.
    metrics: {
      // Requests and limits from seed 003's "Vertical Scaling" table; the sidecar, Query Frontend and ruler (not in it)
      // keep Strata's sizes.
      prometheus: { replicas: 2, scrapeInterval: "30s", resources: res("500m", "2Gi", "2", "8Gi") },
      thanos: {
        enabled: true,
        sidecar: { resources: res("100m", "256Mi", "500m") },
        query: { replicas: 2, resources: res("250m", "512Mi", "1", "2Gi") },
        queryFrontend: { replicas: 2, resources: res("100m", "512Mi", "500m") },
        storeGateway: { replicas: 2, indexCacheGiB: 1, bucketCacheGiB: 2, resources: res("250m", "1Gi", "1", "4Gi") },
        compactor: { replicas: 1, resources: res("250m", "1Gi", "1", "4Gi") },
        ruler: { replicas: 2, resources: res("250m", "1Gi", "1") },
      },
      pushgateway: { enabled: true, replicas: 2, volumeSizeGiB: 2, resources: res("100m", "128Mi", "500m", "512Mi") },
    },
    capacity: {
      // HA pairs; 500k series at 30s keeps 15 days of blocks (~34 GiB) under the 45 GiB retentionSize above.
      metrics: { activeSeries: 500_000, scrapeIntervalSeconds: 30 },
      logs: { gbPerDay: 50 },
      databases: {},
      // Seed 003's reference sizes for the store gateway and the compactor; Prometheus follows the estimate.
      overrides: { storeGatewayVolumeGiB: 50, compactorVolumeGiB: 100 },
    },
    backups: { targets: [] },
    alerting: {
      alertmanagerReplicas: 2,
      alertmanagerResources: res("100m", "256Mi", "500m", "512Mi"),
      runbookBaseUrl: "docs/runbooks/alerts.md",
      pagerduty: { enabled: false },
      slack: { enabled: false },
      // Seed 003: the email summary is weekly.
      email: { enabled: false, to: [], repeatInterval: "1w" },
    },
    logging: {
      enabled: true,
      // Distributed: SimpleScalable is deprecated in chart 18 (removed in Loki 4). Three ingesters with replication
      // factor 3 accept writes with one ingester down (quorum 2) and lose nothing acknowledged.
      loki: {
        mode: "distributed",
        replicas: 3,
        replicationFactor: 3,
        volumeSizeGiB: 20,
        retentionDeleteDelayHours: 2,
        streamRetention: [],
        // Chunks cache sized for a day of hot chunks of a medium cluster, not the chart's 8 GiB default.
        caches: { enabled: true, chunksMemoryMiB: 1024, resultsMemoryMiB: 512 },
        resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
      },
      collector: { resources: { requests: { cpu: "100m", memory: "192Mi" }, limits: { cpu: "1", memory: "512Mi" } } },
    },
    // Where OpenFinOps keeps telemetry is the stack's choice (a workload): nothing is declared until a stack sets
    // telemetry.backend. The profile only says how prod tunes it once it does.
    telemetry: {
      namespace: "openfinops",
      retentionDays: 90,
      batchSize: 500,
      batchIntervalSeconds: 5,
      enableCompression: false,
      maxMemoryEntries: 100000,
      writers: 1,
    },
  },
};

import type { SECRET_KEYS, StrataConfig } from "../infra/config/schema";

/** What a profile provides: every key but the ones only a stack can know (its cluster and its secrets). */
export type ProfileDefaults = Omit<StrataConfig, "cluster" | (typeof SECRET_KEYS)[number]>;

/**
 * dev: Hetzner, single replicas, short retention (seed 000: 7-30 days local is enough for a dev cluster).
 * prod: AWS, HA, the seeds' tiers (DESIGN §3): 15d local, 30d raw, 120d 5m, 730d 1h, 30d logs, 30d daily dumps,
 * a year of archive, 7 daily snapshots.
 * Alerting: no receiver is on by default in either profile, because each needs an organisation's own secret; the
 * root `null` receiver keeps Alertmanager valid until a stack enables one. prod runs two Alertmanagers (HA).
 */
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
    },
    archive: {
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
      prometheus: { replicas: 1, volumeSizeGiB: 10, scrapeInterval: "30s" },
      thanos: {
        enabled: false,
        query: { replicas: 1 },
        queryFrontend: { replicas: 1 },
        storeGateway: { replicas: 1, indexCacheGiB: 1, bucketCacheGiB: 1, volumeSizeGiB: 10 },
        compactor: { replicas: 1, volumeSizeGiB: 20 },
        ruler: { replicas: 1 },
      },
      // Hetzner volumes start at 10 GiB.
      pushgateway: { replicas: 1, volumeSizeGiB: 10 },
    },
    backups: {
      targets: [
        { name: "postgresql", kind: "postgresql" },
        { name: "prometheus", kind: "prometheus-snapshot" },
      ],
    },
    alerting: {
      alertmanagerReplicas: 1,
      runbookBaseUrl: "docs/runbooks/alerts.md",
      pagerduty: { enabled: false },
      slack: { enabled: false },
      email: { enabled: false, to: [] },
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
    },
    archive: {
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
      prometheus: { replicas: 2, volumeSizeGiB: 55, scrapeInterval: "30s" },
      thanos: {
        enabled: true,
        query: { replicas: 2 },
        queryFrontend: { replicas: 2 },
        storeGateway: { replicas: 2, indexCacheGiB: 1, bucketCacheGiB: 2, volumeSizeGiB: 50 },
        compactor: { replicas: 1, volumeSizeGiB: 100 },
        ruler: { replicas: 2 },
      },
      pushgateway: { replicas: 2, volumeSizeGiB: 2 },
    },
    backups: {
      targets: [
        { name: "postgresql", kind: "postgresql" },
        { name: "rabbitmq", kind: "rabbitmq-definitions" },
      ],
    },
    alerting: {
      alertmanagerReplicas: 2,
      runbookBaseUrl: "docs/runbooks/alerts.md",
      pagerduty: { enabled: false },
      slack: { enabled: false },
      email: { enabled: false, to: [] },
    },
  },
};

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
    alerting: {
      alertmanagerReplicas: 2,
      runbookBaseUrl: "docs/runbooks/alerts.md",
      pagerduty: { enabled: false },
      slack: { enabled: false },
      email: { enabled: false, to: [] },
    },
  },
};

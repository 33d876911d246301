import type { RetentionConfig } from "./config/sections/retention";
import type { LoggingConfig } from "./config/sections/logging";
import type { TelemetryConfig } from "./config/sections/telemetry";

import { SAFETY_NET_MARGIN_DAYS } from "./config/sections/retention";
export { SAFETY_NET_MARGIN_DAYS };

/** Every retention setting in Strata, derived from the one model. Components take these, never raw days. */
export interface DerivedRetention {
  /** `retentionSizeBytes` is `retentionSize` in bytes, for alerts that compare the TSDB's size against the cap. */
  prometheus: { retention: string; retentionSize: string; retentionSizeBytes: number };
  thanosCompactor: { raw: string; fiveMinutes: string; oneHour: string };
  loki: { retentionPeriod: string };
  s3: {
    metricsSafetyNetExpirationDays: number;
    logsSafetyNetExpirationDays: number;
    backupsDailyDays: number;
    backupsArchiveDays: number;
    /** Backups from before Strata in an adopted bucket, each prefix with its own expiry (`retention.legacyBackupPrefixes`). */
    legacyBackupPrefixes: { prefix: string; days: number }[];
  };
  /** DLM counts local snapshots but can only keep cross-region copies for an interval. */
  dlm: { retainCount: number; copyRetainDays: number };
}

export function deriveRetention(r: RetentionConfig): DerivedRetention {
  return {
    // Prometheus parses sizes as base-2 ("GB" is GiB) and the operator's ByteSize pattern accepts this form.
    prometheus: { retention: `${r.localTsdbDays}d`, retentionSize: `${r.localTsdbSizeGiB}GB`, retentionSizeBytes: r.localTsdbSizeGiB * 2 ** 30 },
    thanosCompactor: { raw: `${r.metricsRawDays}d`, fiveMinutes: `${r.metricsDownsampled5mDays}d`, oneHour: `${r.metricsDownsampled1hDays}d` },
    // Loki's retention must be a multiple of the 24h index period; whole days guarantee it.
    loki: { retentionPeriod: `${r.logsDays * 24}h` },
    s3: {
      metricsSafetyNetExpirationDays: r.metricsDownsampled1hDays + SAFETY_NET_MARGIN_DAYS,
      logsSafetyNetExpirationDays: r.logsDays + SAFETY_NET_MARGIN_DAYS,
      backupsDailyDays: r.backupDailyDays,
      backupsArchiveDays: r.backupArchiveDays,
      legacyBackupPrefixes: (r.legacyBackupPrefixes ?? []).map((p) => ({ prefix: p.prefix, days: p.days })),
    },
    dlm: { retainCount: r.snapshotRetainCount, copyRetainDays: r.snapshotCopyRetainDays },
  };
}

export interface RetentionRow {
  tier: string;
  setting: string;
  value: string;
  from: string;
}

/**
 * The derived table the plan prints and the stack exports: what keeps what, for how long, and why. With the logging
 * and telemetry config it also shows what Loki's compactor and the application do with those days, beside the
 * bucket expiry they must stay inside.
 */
export function retentionTable(r: RetentionConfig, more: { capabilities?: Partial<Record<"thanos" | "logging" | "backups" | "snapshots" | "telemetry", boolean>>; snapshotCopies?: boolean; logging?: LoggingConfig; telemetry?: TelemetryConfig } = {}): RetentionRow[] {
  // Rows only for what the stack deploys; without `capabilities` (a caller that only asks for the model) every row.
  const on = (c: keyof NonNullable<typeof more.capabilities>) => more.capabilities?.[c] ?? true;
  const d = deriveRetention(r);
  const loki = more.logging?.loki;
  const lokiRows: RetentionRow[] = loki
    ? [
        { tier: "logs", setting: "Loki compactor retention_enabled, delete_request_store", value: "true, s3", from: "always: the compactor deletes, the bucket expiry is a safety net" },
        { tier: "logs", setting: "Loki compactor retention_delete_delay", value: `${loki.retentionDeleteDelayHours}h`, from: "logging.loki.retentionDeleteDelayHours" },
        ...loki.streamRetention.map((s, i) => ({ tier: `logs: ${s.selector}`, setting: "Loki retention_stream", value: `${s.days * 24}h`, from: `logging.loki.streamRetention[${i}].days` })),
      ]
    : [];
  const telemetryRows: RetentionRow[] = more.telemetry?.backend !== undefined && on("telemetry")
    ? [{ tier: `telemetry (${more.telemetry.backend})`, setting: "OPENFINOPS_RETENTION_DAYS (application prunes)", value: `${more.telemetry.retentionDays}d`, from: "telemetry.retentionDays" }]
    : [];
  return [
    { tier: "metrics: local TSDB", setting: "Prometheus retention", value: d.prometheus.retention, from: "retention.localTsdbDays" },
    { tier: "metrics: local TSDB", setting: "Prometheus retentionSize", value: d.prometheus.retentionSize, from: "retention.localTsdbSizeGiB" },
    ...(on("thanos") ? thanosRows(d) : []),
    ...(on("logging") ? [{ tier: "logs", setting: "Loki limits_config.retention_period", value: d.loki.retentionPeriod, from: "retention.logsDays" }, ...lokiRows, { tier: "logs bucket", setting: "S3 expiration (safety net)", value: `${d.s3.logsSafetyNetExpirationDays}d`, from: `retention.logsDays + ${SAFETY_NET_MARGIN_DAYS}` }] : []),
    ...(on("backups")
      ? [
          { tier: "backups: daily", setting: "restorable hot copies", value: `${d.s3.backupsDailyDays}d`, from: "retention.backupDailyDays" },
          { tier: "backups: archive", setting: "archive expiration", value: `${d.s3.backupsArchiveDays}d`, from: "retention.backupArchiveDays" },
          ...d.s3.legacyBackupPrefixes.map((p, i) => ({ tier: `backups: legacy ${p.prefix}`, setting: "S3 expiration of the old key layout", value: `${p.days}d`, from: `retention.legacyBackupPrefixes[${i}].days` })),
        ]
      : []),
    ...(on("snapshots") ? [{ tier: "EBS snapshots", setting: "DLM retain count (daily)", value: String(d.dlm.retainCount), from: "retention.snapshotRetainCount" }] : []),
    ...telemetryRows,
    ...(on("snapshots") && more.snapshotCopies !== false
      ? [{ tier: "EBS snapshots: cross-region copies", setting: "DLM copy retain interval", value: `${d.dlm.copyRetainDays}d`, from: "retention.snapshotCopyRetainDays" }]
      : []),
  ];
}

function thanosRows(d: DerivedRetention): RetentionRow[] {
  return [
    { tier: "metrics: raw in S3", setting: "Thanos compactor --retention.resolution-raw", value: d.thanosCompactor.raw, from: "retention.metricsRawDays" },
    { tier: "metrics: 5m in S3", setting: "Thanos compactor --retention.resolution-5m", value: d.thanosCompactor.fiveMinutes, from: "retention.metricsDownsampled5mDays" },
    { tier: "metrics: 1h in S3", setting: "Thanos compactor --retention.resolution-1h", value: d.thanosCompactor.oneHour, from: "retention.metricsDownsampled1hDays" },
    { tier: "metrics bucket", setting: "S3 expiration (safety net)", value: `${d.s3.metricsSafetyNetExpirationDays}d`, from: `retention.metricsDownsampled1hDays + ${SAFETY_NET_MARGIN_DAYS}` },
  ];
}

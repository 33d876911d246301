import { z } from "zod";
import type { RefinementCtx } from "zod";
import { legacyBackupPrefixes } from "./adoption";

const days = (what: string, max: number) =>
  z.number().int("must be a whole number of days").min(1).max(max).describe(what);

/**
 * The one retention model (DESIGN §3). Every other retention in Strata (Prometheus, the Thanos compactor, Loki,
 * S3 lifecycle rules, DLM, backup expiry) is derived from these values in infra/retention.ts; nothing else holds
 * a number of days.
 */
export const retentionSection = {
  retention: z
    .strictObject({
      localTsdbDays: days("Days Prometheus keeps samples on its own volume (`retention`).", 90),
      localTsdbSizeGiB: z
        .number()
        .int()
        .min(1)
        .max(16384)
        .describe("Size cap of Prometheus's local TSDB in GiB (`retentionSize`); keep it below the volume size."),
      metricsRawDays: days("Days the Thanos compactor keeps raw-resolution blocks in the metrics bucket.", 3650),
      metricsDownsampled5mDays: days("Days the Thanos compactor keeps 5m-downsampled blocks.", 3650),
      metricsDownsampled1hDays: days("Days the Thanos compactor keeps 1h-downsampled blocks.", 3650),
      logsDays: days("Days Loki keeps logs (`limits_config.retention_period`).", 3650),
      backupDailyDays: days("Days daily backups stay restorable in the hot tier of the backups bucket.", 3650),
      backupArchiveDays: days("Days archived backups are kept before they expire.", 3650),
      snapshotRetainCount: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .describe("Daily EBS snapshots DLM keeps per volume (aws)."),
      legacyBackupPrefixes,
      snapshotCopyRetainDays: days("Days DLM keeps the cross-region copies of daily EBS snapshots (aws, when storage.snapshots.crossRegionCopy is enabled).", 3650),
    })
    .describe("The retention model every tier is derived from (DESIGN §3)."),
};

export type RetentionConfig = z.infer<typeof retentionSection.retention>;

// Thanos downsamples raw blocks to 5m once they span 40h, and 5m blocks to 1h once they span 10 days: a shorter
// retention deletes the input before the next resolution exists, so the longer tiers would silently stay empty.
/**
 * S3 expiration on buckets whose readers delete their own data (Thanos compactor, Loki compactor) is a safety net
 * only: it must fire later than the component would have deleted, even for objects written well after their data
 * was produced (compacted and downsampled blocks), so it lags the component's retention by this margin. Config
 * checks and infra/retention.ts both reason from it.
 */
export const SAFETY_NET_MARGIN_DAYS = 30;

export const THANOS_MIN_RAW_DAYS = 2;
export const THANOS_MIN_5M_DAYS = 10;

export function checkRetentionOrdering(r: RetentionConfig, ctx: RefinementCtx): void {
  const issue = (key: keyof RetentionConfig, message: string) =>
    ctx.addIssue({ code: "custom", path: ["retention", key], message, input: r[key] });

  if (r.localTsdbDays > r.metricsRawDays) {
    issue("localTsdbDays", `must be <= retention.metricsRawDays (${r.metricsRawDays}): the bucket must hold at least what Prometheus holds locally`);
  }
  if (r.metricsRawDays > r.metricsDownsampled5mDays) {
    issue("metricsDownsampled5mDays", `must be >= retention.metricsRawDays (${r.metricsRawDays}): raw <= 5m <= 1h`);
  }
  if (r.metricsDownsampled5mDays > r.metricsDownsampled1hDays) {
    issue("metricsDownsampled1hDays", `must be >= retention.metricsDownsampled5mDays (${r.metricsDownsampled5mDays}): raw <= 5m <= 1h`);
  }
  if (r.metricsRawDays < THANOS_MIN_RAW_DAYS) {
    issue("metricsRawDays", `must be >= ${THANOS_MIN_RAW_DAYS}: Thanos downsamples raw blocks to 5m only after 40h`);
  }
  if (r.metricsDownsampled1hDays > r.metricsDownsampled5mDays && r.metricsDownsampled5mDays < THANOS_MIN_5M_DAYS) {
    issue("metricsDownsampled5mDays", `must be >= ${THANOS_MIN_5M_DAYS} when 1h data is kept longer: Thanos builds 1h blocks from 10 days of 5m blocks`);
  }
  if (r.backupDailyDays > r.backupArchiveDays) {
    issue("backupArchiveDays", `must be >= retention.backupDailyDays (${r.backupDailyDays}): hot <= archive`);
  }
}

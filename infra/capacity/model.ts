import type { ArchiveStorageClass, Transition } from "../../components/archive/storageClasses";
import { HCLOUD_VOLUME } from "../config/sections/storage";
import type { BackupKind } from "../config/sections/backups";
import { perKind } from "../../components/backup/kinds";

export const KiB = 1024;
export const GiB = 1024 ** 3;
export const DAY_SECONDS = 86_400;

/**
 * Every sizing assumption of the planner, with where it comes from. The plan prints them next to the estimate, so
 * a reader can disagree with a number instead of with a result.
 */
export const ASSUMPTIONS = {
  /**
   * Prometheus head memory per active series (~3 KiB: labels, postings, the open chunk), doubled for churn, WAL
   * replay and query headroom, plus 1 GiB for the process itself. 1M series -> 6.72 GiB (~7 GB).
   */
  memoryPerSeriesBytes: 3 * KiB,
  memoryFactor: 2,
  memoryBaseBytes: 1 * GiB,
  /**
   * Compressed bytes per sample in TSDB blocks. Prometheus's storage docs give "1-2 bytes per sample". The seeds
   * imply two different values: "100 metrics at 30s for 30 days ~ 17 MB" is 1.97 B/sample of block data, and
   * "100k samples/s for 7 days ~ 180 GB" of disk with the 2x safety factor is 1.49 B/sample. One constant at 1.7
   * (their geometric mean) keeps both within SEED_TOLERANCE (-13.6% and +14.2%); see test/capacity.test.ts.
   */
  bytesPerSample: 1.7,
  /** Local disk = block data x 2: the WAL, the head's checkpoint and compaction's temporary copy of the blocks it merges. */
  diskSafetyFactor: 2,
  /**
   * Thanos downsampled blocks store 5 aggregates (count, sum, min, max, counter) per window instead of every raw
   * sample, and aggregates compress worse than raw XOR chunks (assumed 2x). Per day of data, a tier's size relative
   * to raw is min(1, 5 x 2 x scrape interval / window). The Thanos compactor docs warn that downsampling "doesn't
   * save you any space" for short scrape intervals (https://thanos.io/tip/components/compact.md, "Downsampling");
   * at 30s this gives 5m = 1.0 x raw and 1h = 0.083 x raw, which matches that warning for 5m.
   */
  downsampleAggregates: 5,
  downsampleCompressionPenalty: 2,
  /**
   * Loki chunks are compressed (snappy by default); application logs compress about 5:1 with it, and the TSDB
   * index adds ~1% (ignored). Assumed, not measured: check `loki_ingester_chunk_compression_ratio` once Loki runs.
   */
  logCompressionRatio: 5,
  /**
   * Size of one backup relative to the data it protects, per kind: each kind's driver says it and why
   * (components/backup/kinds/<kind>/, `capacity`).
   */
  dumpRatio: perKind((d) => d.capacity.dumpRatio),
  /** The store gateway keeps index-headers of every block on disk: assumed 2% of the bucket, never less than 10 GiB. */
  storeGatewayIndexShare: 0.02,
  /** "Generally, about 100GB are recommended" for the compactor's scratch space (Thanos compactor docs). */
  compactorScratchBytes: 100 * GiB,
  /** The smallest Hetzner volume the CSI driver creates; smaller requests fail. */
  hcloudMinVolumeBytes: HCLOUD_VOLUME.minGiB * GiB,
} as const;

/** How close the seeds' worked examples must come out (see bytesPerSample). */
export const SEED_TOLERANCE = 0.15;

export const samplesPerSecond = (activeSeries: number, scrapeIntervalSeconds: number) => activeSeries / scrapeIntervalSeconds;

export const prometheusMemoryBytes = (activeSeries: number) =>
  activeSeries * ASSUMPTIONS.memoryPerSeriesBytes * ASSUMPTIONS.memoryFactor + ASSUMPTIONS.memoryBaseBytes;

/** Compressed block data for a sample rate over a span: what the raw tier of the bucket holds for that span. */
export const tsdbBytes = (samplesPerSec: number, seconds: number) => samplesPerSec * seconds * ASSUMPTIONS.bytesPerSample;

/** Local disk Prometheus needs for its retention: block data with the safety factor. */
export const prometheusDiskBytes = (samplesPerSec: number, retentionSeconds: number) =>
  tsdbBytes(samplesPerSec, retentionSeconds) * ASSUMPTIONS.diskSafetyFactor;

export const DOWNSAMPLE_WINDOWS = { "5m": 300, "1h": 3600 } as const;

/** Size of a day of a downsampled resolution relative to a day of raw data (see ASSUMPTIONS.downsampleAggregates). */
export function downsampleRatio(resolution: keyof typeof DOWNSAMPLE_WINDOWS, scrapeIntervalSeconds: number): number {
  const { downsampleAggregates, downsampleCompressionPenalty } = ASSUMPTIONS;
  return Math.min(1, (downsampleAggregates * downsampleCompressionPenalty * scrapeIntervalSeconds) / DOWNSAMPLE_WINDOWS[resolution]);
}

export interface ThanosTiers {
  raw: number;
  "5m": number;
  "1h": number;
}

/** Bytes of each resolution in the metrics bucket at steady state, each kept for its own retention. */
export function thanosBucketBytes(samplesPerSec: number, scrapeIntervalSeconds: number, days: { raw: number; fiveMinutes: number; oneHour: number }): ThanosTiers {
  const rawPerDay = tsdbBytes(samplesPerSec, DAY_SECONDS);
  return {
    raw: rawPerDay * days.raw,
    "5m": rawPerDay * downsampleRatio("5m", scrapeIntervalSeconds) * days.fiveMinutes,
    "1h": rawPerDay * downsampleRatio("1h", scrapeIntervalSeconds) * days.oneHour,
  };
}

/** Bytes in the Loki bucket at steady state: a day of logs compressed, times the days Loki keeps them. */
export const lokiBucketBytes = (logGBPerDay: number, retentionDays: number) => ((logGBPerDay * 1e9) / ASSUMPTIONS.logCompressionRatio) * retentionDays;

export type StorageClassName = "STANDARD" | ArchiveStorageClass;

/**
 * For objects written at a steady rate and expiring at `expireAfterDays`, how many days of them sit in each storage
 * class: STANDARD until the first transition, then each class until the next transition or the expiration. This is
 * how the bucket's lifecycle (components/archive/lifecycle.ts) spreads a steady stream of objects over classes.
 */
export function daysPerClass(transitions: readonly Transition[], expireAfterDays: number): { storageClass: StorageClassName; fromDay: number; days: number }[] {
  const spans: { storageClass: StorageClassName; from: number }[] = [{ storageClass: "STANDARD", from: 0 }, ...transitions.map((t) => ({ storageClass: t.storageClass, from: t.afterDays }))];
  return spans
    .map((s, i) => ({ storageClass: s.storageClass, fromDay: s.from, days: Math.max(0, Math.min(spans[i + 1]?.from ?? expireAfterDays, expireAfterDays) - s.from) }))
    .filter((s) => s.days > 0);
}

/**
 * Backup objects of one target per storage class: one dump a day (data size x the kind's dump ratio), each kept
 * until the archive expiry, spread over the backups bucket's classes. The first `dailyDays` of them are the hot,
 * restorable daily copies; the rest are the archived ones.
 */
export function backupFootprint(kind: BackupKind, dataBytes: number, transitions: readonly Transition[], archiveDays: number): { storageClass: StorageClassName; fromDay: number; copies: number; bytes: number }[] {
  const dump = dataBytes * ASSUMPTIONS.dumpRatio[kind];
  return daysPerClass(transitions, archiveDays).map(({ storageClass, fromDay, days }) => ({ storageClass, fromDay, copies: days, bytes: dump * days }));
}

/** Whole GiB, rounded up: volume sizes and requests are declared in GiB. */
export const ceilGiB = (bytes: number) => Math.ceil(bytes / GiB);

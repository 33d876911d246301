import { memoryMiB } from "../config/sections/resources";
import type { CLOUDS } from "../config/sections/core";
import type { RetentionConfig } from "../config/sections/retention";
import type { ArchiveConfig } from "../config/sections/archive";
import type { MetricsConfig } from "../config/sections/metrics";
import type { BackupsConfig } from "../config/sections/backups";
import type { CapacityConfig } from "../config/sections/capacity";
import type { TelemetryConfig } from "../config/sections/telemetry";
import { allBackupTargets } from "../backupTargets";
import type { Transition } from "../../components/archive/storageClasses";
import { HETZNER_INCLUDED_GIB, HETZNER_OBJECT_STORAGE, hetznerObjectStorageMonthly, monthlyCost, PRICE_TABLE, type Currency, type Medium } from "./prices";
import {
  ASSUMPTIONS,
  backupFootprint,
  ceilGiB,
  DAY_SECONDS,
  daysPerClass,
  GiB,
  lokiBucketBytes,
  prometheusDiskBytes,
  prometheusMemoryBytes,
  samplesPerSecond,
  thanosBucketBytes,
  tsdbBytes,
} from "./model";

/** The parts of the config volumes and memory are sized from (config validation checks them against overrides). */
export interface SizingInput {
  cloud: (typeof CLOUDS)[number];
  retention: RetentionConfig;
  archive: ArchiveConfig;
  metrics: MetricsConfig;
  backups: BackupsConfig;
  capacity: CapacityConfig;
}
/**
 * The parts of the config the planner reads; anything that has them (a full config, a test fixture) will do.
 * Telemetry, because its backend may imply a backup target (infra/backupTargets.ts).
 */
export type CapacityInput = SizingInput & { telemetry: TelemetryConfig; logging?: { enabled: boolean } };

type SizeKey = "prometheusVolumeGiB" | "prometheusMemoryGiB" | "storeGatewayVolumeGiB" | "compactorVolumeGiB";

export interface EffectiveSize {
  /** What the components declare: the override when set, else the estimate. */
  gib: number;
  estimateGiB: number;
  source: "override" | "estimate";
}

export type EffectiveSizes = Record<SizeKey, EffectiveSize>;

/** Volumes on Hetzner cannot be smaller than the CSI driver's minimum; EBS has no such floor worth modelling. */
const volumeFloor = (cloud: SizingInput["cloud"], bytes: number) => (cloud === "hcloud" ? Math.max(bytes, ASSUMPTIONS.hcloudMinVolumeBytes) : bytes);

function estimates(config: SizingInput) {
  const { metrics } = config.capacity;
  const sps = samplesPerSecond(metrics.activeSeries, metrics.scrapeIntervalSeconds);
  const r = config.retention;
  const thanos = thanosBucketBytes(sps, metrics.scrapeIntervalSeconds, { raw: r.metricsRawDays, fiveMinutes: r.metricsDownsampled5mDays, oneHour: r.metricsDownsampled1hDays });
  const metricsBucket = thanos.raw + thanos["5m"] + thanos["1h"];
  return {
    samplesPerSecond: sps,
    localTsdbBytes: tsdbBytes(sps, r.localTsdbDays * DAY_SECONDS),
    thanos,
    metricsBucket,
    sizes: {
      prometheusVolumeGiB: ceilGiB(volumeFloor(config.cloud, prometheusDiskBytes(sps, r.localTsdbDays * DAY_SECONDS))),
      prometheusMemoryGiB: ceilGiB(prometheusMemoryBytes(metrics.activeSeries)),
      storeGatewayVolumeGiB: ceilGiB(volumeFloor(config.cloud, Math.max(metricsBucket * ASSUMPTIONS.storeGatewayIndexShare, 10 * GiB))),
      compactorVolumeGiB: ceilGiB(volumeFloor(config.cloud, ASSUMPTIONS.compactorScratchBytes)),
    } satisfies Record<SizeKey, number>,
  };
}

/**
 * The size every area declares for Strata's volumes and memory requests: an explicit
 * `strata:capacity.overrides.<key>` wins, otherwise the planner's estimate (whole GiB, rounded up; at least 10 GiB
 * for Hetzner volumes). Call this rather than reading the overrides, so estimates and overrides never diverge.
 */
export function effectiveSizes(config: SizingInput): EffectiveSizes {
  const { sizes } = estimates(config);
  const overrides = config.capacity.overrides;
  const pick = (key: SizeKey): EffectiveSize => {
    const override = overrides[key];
    return override !== undefined ? { gib: override, estimateGiB: sizes[key], source: "override" } : { gib: sizes[key], estimateGiB: sizes[key], source: "estimate" };
  };
  return { prometheusVolumeGiB: pick("prometheusVolumeGiB"), prometheusMemoryGiB: pick("prometheusMemoryGiB"), storeGatewayVolumeGiB: pick("storeGatewayVolumeGiB"), compactorVolumeGiB: pick("compactorVolumeGiB") };
}

/** The estimated size of the local TSDB over `retention.localTsdbDays`, in GiB (what the size cap must hold). */
export function localTsdbEstimateGiB(config: SizingInput): number {
  return estimates(config).localTsdbBytes / GiB;
}

export interface CapacityWarning {
  key: string;
  message: string;
}

const OVERRIDE_WHAT: Record<SizeKey, string> = {
  prometheusVolumeGiB: "Prometheus volume",
  prometheusMemoryGiB: "Prometheus memory request",
  storeGatewayVolumeGiB: "store gateway volume",
  compactorVolumeGiB: "compactor volume",
};

/**
 * Advisory findings: explicit sizes below the estimate, database sizes for targets that do not exist, and a local
 * TSDB size cap that either cuts the configured retention short or cannot be reached before the volume fills. Keys
 * are full config keys (`strata:...`).
 */
export function capacityWarnings(config: CapacityInput): CapacityWarning[] {
  const warnings: CapacityWarning[] = [];
  const sizes = effectiveSizes(config);
  const thanosOnly: SizeKey[] = ["storeGatewayVolumeGiB", "compactorVolumeGiB"];
  for (const key of Object.keys(sizes) as SizeKey[]) {
    if (!config.metrics.thanos.enabled && thanosOnly.includes(key)) continue;
    const s = sizes[key];
    if (s.source === "override" && s.gib < s.estimateGiB) {
      warnings.push({ key: `strata:capacity.overrides.${key}`, message: `${s.gib} GiB is below the estimated ${s.estimateGiB} GiB for the ${OVERRIDE_WHAT[key]} (infra/capacity/model.ts)` });
    }
  }
  // Set resources replace the estimate: say when the memory limit is below what the series need (an OOM-kill loop).
  const promResources = config.metrics.prometheus.resources;
  if (promResources && memoryMiB(promResources.limits.memory) < sizes.prometheusMemoryGiB.gib * 1024) {
    warnings.push({
      key: "strata:metrics.prometheus.resources.limits.memory",
      message: `${promResources.limits.memory} is below the ${sizes.prometheusMemoryGiB.gib} GiB estimated for capacity.metrics.activeSeries (infra/capacity/model.ts): Prometheus would be OOM-killed`,
    });
  }
  // Not a config error: stack objects merge over the profile's key by key, so a stack that replaces the profile's
  // backup targets cannot remove the profile's sizes for them. A typo still gets said.
  // The targets config derives (telemetry's) count: their size can be given here too.
  const targets = new Set(allBackupTargets(config).map((t) => t.name));
  for (const name of Object.keys(config.capacity.databases)) {
    if (!targets.has(name)) warnings.push({ key: `strata:capacity.databases.${name}`, message: `names no backup target (the stack's targets: ${[...targets].join(", ") || "none"}); it sizes nothing` });
  }
  // The profile runs one replica without Thanos (infra/config/defaults.ts), so more is the stack's own choice: said,
  // not silently split.
  if (!config.metrics.thanos.enabled && config.metrics.prometheus.replicas > 1) {
    warnings.push({
      key: "strata:metrics.prometheus.replicas",
      message: `${config.metrics.prometheus.replicas} replicas without Thanos: nothing deduplicates them, so Grafana reads one replica or the other (each with its own gaps) and each volume holds the same series; enable metrics.thanos or run 1`,
    });
  }
  const { localTsdbBytes } = estimates(config);
  const cap = config.retention.localTsdbSizeGiB;
  if (cap * GiB < localTsdbBytes) {
    const keptDays = (cap * GiB) / (localTsdbBytes / config.retention.localTsdbDays);
    warnings.push({ key: "strata:retention.localTsdbSizeGiB", message: `${cap} GiB holds about ${keptDays.toFixed(1)} of the ${config.retention.localTsdbDays} days of retention.localTsdbDays (estimated ${(localTsdbBytes / GiB).toFixed(1)} GiB): Prometheus will delete by size first` });
  }
  if (cap >= sizes.prometheusVolumeGiB.gib) {
    warnings.push({ key: "strata:retention.localTsdbSizeGiB", message: `${cap} GiB is not below the ${sizes.prometheusVolumeGiB.gib} GiB Prometheus volume: the disk fills before the size cap applies` });
  }
  return warnings;
}

export interface CapacityRow {
  /** `archive`: what the store charges per account, whatever the buckets (Hetzner's base price). */
  area: "metrics" | "logs" | "backups" | "archive";
  item: string;
  medium: Medium;
  /** Volumes or replicas this line counts; sizes are per unit. */
  count: number;
  sizeGiB: number;
  monthly: number;
  currency: Currency;
  from: string;
}

export interface CapacityReport {
  workload: { activeSeries: number; samplesPerSecond: number; scrapeIntervalSeconds: number; logGBPerDay: number };
  sizes: EffectiveSizes;
  rows: CapacityRow[];
  totals: { currency: Currency; monthly: number }[];
  warnings: CapacityWarning[];
  prices: { source: string; date: string; region: string; hcloudLocation: string };
  notes: string[];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Hetzner Object Storage is priced per account, not per GiB: one base price that includes the first TB, then storage
 * above it per TB-hour (infra/capacity/prices.ts). The base price is a row of its own; the overage is shared among
 * the bucket rows by size, so the rows still add up to the month's figure.
 */
function priceHetznerRows(rows: CapacityRow[], notes: string[]): void {
  const bucketRows = rows.filter((r) => r.medium === "hetzner-object-storage");
  if (bucketRows.length === 0) return;
  const stored = bucketRows.reduce((n, r) => n + r.sizeGiB * r.count, 0);
  const month = hetznerObjectStorageMonthly(stored);
  for (const r of bucketRows) r.monthly = round(stored > 0 ? (month.overage * r.sizeGiB * r.count) / stored : 0);
  const h = HETZNER_OBJECT_STORAGE;
  rows.push({
    area: "archive",
    item: `Hetzner Object Storage base price (${h.includedStorageTB} TB stored, ${h.includedTrafficTB} TB traffic included)`,
    medium: "hetzner-object-storage",
    count: 1,
    sizeGiB: round(HETZNER_INCLUDED_GIB, 3),
    monthly: h.basePerMonth,
    currency: h.currency,
    from: "per account, whatever the buckets",
  });
  notes.push(
    `Hetzner Object Storage: EUR ${h.basePerMonth.toFixed(2)} a month per account with ${h.includedStorageTB} TB stored and ${h.includedTrafficTB} TB traffic included, then EUR ${h.perTBHour} per TB-hour stored above it, shared among the bucket rows by size (${h.source}, ${h.date}); traffic above the included TB is not estimated`,
  );
}

/**
 * The capacity and cost estimate the plan prints and the stack exports as `capacity`: volumes and memory, the
 * metrics bucket per resolution, the logs bucket and every backup target's copies, each priced per month from
 * PRICE_TABLE in its storage class. Bucket rows spread bytes over classes the way the lifecycle rules do.
 */
export function capacityPlan(config: CapacityInput): CapacityReport {
  const est = estimates(config);
  const sizes = effectiveSizes(config);
  const { metrics, logs, databases } = config.capacity;
  const volume: Medium = config.cloud === "aws" ? "ebs-gp3" : "hcloud-volume";
  const rows: CapacityRow[] = [];
  const add = (row: Omit<CapacityRow, "monthly" | "currency">) => {
    const cost = monthlyCost(row.medium, row.sizeGiB * row.count);
    rows.push({ ...row, sizeGiB: round(row.sizeGiB, 3), monthly: round(cost.amount), currency: cost.currency });
  };
  // Off AWS a bucket has one class and the store's own price: Hetzner's is account-wide (priced below), another
  // store's is unknown to Strata.
  const provider = config.archive.provider;
  const bucketMedium = (storageClass: Medium): Medium => (provider === "hetzner" ? "hetzner-object-storage" : provider === "s3-compatible" ? "s3-compatible" : storageClass);
  const bucketRows = (area: CapacityRow["area"], item: string, bytes: number, transitions: readonly Transition[], lifetimeDays: number, from: string) => {
    for (const { storageClass, fromDay, days } of daysPerClass(transitions, lifetimeDays)) {
      add({ area, item: `${item}, days ${fromDay}-${fromDay + days}`, medium: bucketMedium(storageClass), count: 1, sizeGiB: (bytes * days) / lifetimeDays / GiB, from });
    }
  };

  const volumeFrom = (key: SizeKey, estimateFrom: string) => (sizes[key].source === "override" ? `capacity.overrides.${key}` : estimateFrom);
  add({ area: "metrics", item: "Prometheus volume", medium: volume, count: config.metrics.prometheus.replicas, sizeGiB: sizes.prometheusVolumeGiB.gib, from: volumeFrom("prometheusVolumeGiB", "samples/s x retention.localTsdbDays x B/sample x 2") });
  if (config.metrics.thanos.enabled) {
    add({ area: "metrics", item: "Thanos store gateway volume", medium: volume, count: config.metrics.thanos.storeGateway.replicas, sizeGiB: sizes.storeGatewayVolumeGiB.gib, from: volumeFrom("storeGatewayVolumeGiB", "2% of the metrics bucket, >= 10 GiB") });
    add({ area: "metrics", item: "Thanos compactor volume", medium: volume, count: 1, sizeGiB: sizes.compactorVolumeGiB.gib, from: volumeFrom("compactorVolumeGiB", "Thanos docs: ~100 GB scratch") });
    const t = config.archive.metrics.transitions as Transition[];
    const r = config.retention;
    bucketRows("metrics", "bucket raw", est.thanos.raw, t, r.metricsRawDays, "retention.metricsRawDays");
    bucketRows("metrics", "bucket 5m", est.thanos["5m"], t, r.metricsDownsampled5mDays, "retention.metricsDownsampled5mDays");
    bucketRows("metrics", "bucket 1h", est.thanos["1h"], t, r.metricsDownsampled1hDays, "retention.metricsDownsampled1hDays");
  }
  // Rows only for what the stack deploys: no Loki bucket with logging off (a caller without `logging` gets the row).
  if (config.logging?.enabled !== false) bucketRows("logs", "Loki bucket", lokiBucketBytes(logs.gbPerDay, config.retention.logsDays), config.archive.logs.transitions as Transition[], config.retention.logsDays, "capacity.logs.gbPerDay / compression x retention.logsDays");

  const notes: string[] = [];
  const backupTransitions = config.archive.backups.transitions as Transition[];
  for (const target of allBackupTargets(config)) {
    const size = databases[target.name];
    const ratio = ` x ${ASSUMPTIONS.dumpRatio[target.kind]}`;
    // An explicit size wins; a Prometheus snapshot is the local TSDB; the telemetry SQLite file is at most its claim.
    const sized =
      size !== undefined
        ? { bytes: size * GiB, from: `capacity.databases.${target.name}${ratio}` }
        : target.kind === "prometheus-snapshot"
          ? { bytes: est.localTsdbBytes, from: "Prometheus local TSDB estimate" }
          : target.source === "telemetry.backend" && target.kind === "sqlite" && config.telemetry.sqlite
            ? { bytes: config.telemetry.sqlite.sizeGiB * GiB, from: `telemetry.sqlite.sizeGiB (its claim, an upper bound)${ratio}` }
            : undefined;
    if (!sized) {
      notes.push(`backup target ${target.name} is not sized: set strata:capacity.databases.${target.name}`);
      continue;
    }
    for (const part of backupFootprint(target.kind, sized.bytes, backupTransitions, config.retention.backupArchiveDays)) {
      add({ area: "backups", item: `${target.name}: days ${part.fromDay}-${part.fromDay + part.copies} (${part.copies} ${part.fromDay < config.retention.backupDailyDays ? "hot" : "archived"} dumps)`, medium: bucketMedium(part.storageClass), count: 1, sizeGiB: part.bytes / GiB, from: sized.from });
    }
  }
  if (config.archive.replication.enabled && allBackupTargets(config).length > 0) notes.push("backups are replicated: the replica bucket holds the same bytes again (not counted above)");
  if (provider === "hetzner") priceHetznerRows(rows, notes);
  if (provider === "s3-compatible" && rows.some((r) => r.medium === "s3-compatible")) {
    notes.push("the archive's S3-compatible store has a price Strata does not know: its bucket rows give sizes only (priced 0)");
  }

  const totals = new Map<Currency, number>();
  for (const row of rows) totals.set(row.currency, (totals.get(row.currency) ?? 0) + row.monthly);
  return {
    workload: { activeSeries: metrics.activeSeries, samplesPerSecond: round(est.samplesPerSecond), scrapeIntervalSeconds: metrics.scrapeIntervalSeconds, logGBPerDay: logs.gbPerDay },
    sizes,
    rows,
    totals: [...totals.entries()].map(([currency, monthly]) => ({ currency, monthly: round(monthly) })),
    warnings: capacityWarnings(config),
    prices: { source: PRICE_TABLE.source, date: PRICE_TABLE.date, region: PRICE_TABLE.region, hcloudLocation: PRICE_TABLE.hcloudLocation },
    notes,
  };
}

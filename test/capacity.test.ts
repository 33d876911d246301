import { describe, expect, it } from "vitest";
import { resolveConfig } from "../infra/config/load";
import { PROFILE_DEFAULTS } from "../stacks/profiles";
import {
  ASSUMPTIONS,
  backupFootprint,
  DAY_SECONDS,
  daysPerClass,
  downsampleRatio,
  GiB,
  lokiBucketBytes,
  prometheusDiskBytes,
  prometheusMemoryBytes,
  SEED_TOLERANCE,
  thanosBucketBytes,
  tsdbBytes,
} from "../infra/capacity/model";
import { capacityPlan, capacityWarnings, effectiveSizes, type CapacityInput } from "../infra/capacity/plan";
import { monthlyCost, PRICE_TABLE } from "../infra/capacity/prices";
import { capacitySection } from "../infra/plan/report";
import { plan, stackConfig } from "./helpers/plan";
import { rawConfig, strataValuesOf } from "./helpers/configProblems";
import type { Transition } from "../components/archive/storageClasses";

const within = (actual: number, expected: number) => Math.abs(actual - expected) / expected;

/** A profile's defaults with parts of `capacity` (and anything else) replaced. */
/** The repo's dev or prod stack (its profile and its own workloads), validated as the program reads it. */
function input(stack: "dev" | "prod", changes: Partial<CapacityInput> & { overrides?: CapacityInput["capacity"]["overrides"] } = {}): CapacityInput {
  const base = structuredClone(resolveConfig(rawConfig(strataValuesOf(stackConfig(stack)))).config) as CapacityInput;
  const { overrides, ...rest } = changes;
  const merged = { ...base, ...rest };
  if (overrides) merged.capacity = { ...merged.capacity, overrides };
  return merged;
}

describe("the seeds' worked examples, all from the one set of assumptions (tolerance ±15%)", () => {
  it("100 metrics scraped every 30s for 30 days are about 17 MB of blocks", () => {
    const bytes = tsdbBytes(100 / 30, 30 * DAY_SECONDS);
    expect(within(bytes, 17e6)).toBeLessThanOrEqual(SEED_TOLERANCE);
    expect(bytes).toBeCloseTo(100 / 30 * 30 * DAY_SECONDS * 1.7, 0);
  });

  it("1M active series need about 7 GB of memory", () => {
    const bytes = prometheusMemoryBytes(1_000_000);
    expect(bytes).toBe(1_000_000 * 3 * 1024 * 2 + GiB);
    expect(within(bytes, 7e9)).toBeLessThanOrEqual(SEED_TOLERANCE);
  });

  it("100k samples/s kept 7 days need about 180 GB of local disk", () => {
    const bytes = prometheusDiskBytes(100_000, 7 * DAY_SECONDS);
    expect(within(bytes, 180e9)).toBeLessThanOrEqual(SEED_TOLERANCE);
  });

  it("the tolerance is earned: the seeds disagree by more than it if either constant moves to the end of the 1-2 B range", () => {
    // At 1 B/sample the 17 MB example is 49% low; at 2 B/sample the 180 GB example is 34% high.
    expect(within((100 / 30) * 30 * DAY_SECONDS * 1, 17e6)).toBeGreaterThan(SEED_TOLERANCE);
    expect(within(100_000 * 7 * DAY_SECONDS * 2 * ASSUMPTIONS.diskSafetyFactor, 180e9)).toBeGreaterThan(SEED_TOLERANCE);
  });
});

describe("bucket models", () => {
  it("downsampled tiers shrink with longer windows and never exceed raw", () => {
    expect(downsampleRatio("5m", 30)).toBe(1);
    expect(downsampleRatio("5m", 15)).toBe(0.5);
    expect(downsampleRatio("1h", 30)).toBeCloseTo(100 / 1200, 6);
    expect(downsampleRatio("1h", 3600)).toBe(1);
  });

  it("each Thanos resolution is sized for its own retention", () => {
    const tiers = thanosBucketBytes(1000, 15, { raw: 30, fiveMinutes: 120, oneHour: 730 });
    const rawPerDay = 1000 * DAY_SECONDS * ASSUMPTIONS.bytesPerSample;
    expect(tiers.raw).toBeCloseTo(rawPerDay * 30);
    expect(tiers["5m"]).toBeCloseTo(rawPerDay * 0.5 * 120);
    expect(tiers["1h"]).toBeCloseTo(rawPerDay * (150 / 3600) * 730);
  });

  it("Loki stores a day of logs compressed 5:1 for each day of retention", () => {
    expect(lokiBucketBytes(50, 30)).toBe(50e9 / 5 * 30);
  });

  it("objects spread over storage classes the way the lifecycle moves them", () => {
    expect(daysPerClass([], 30)).toEqual([{ storageClass: "STANDARD", fromDay: 0, days: 30 }]);
    expect(daysPerClass(PROFILE_DEFAULTS.prod.archive.backups.transitions as never, 365)).toEqual([
      { storageClass: "STANDARD", fromDay: 0, days: 30 },
      { storageClass: "GLACIER_IR", fromDay: 30, days: 90 },
      { storageClass: "DEEP_ARCHIVE", fromDay: 120, days: 245 },
    ]);
  });

  it("a backup target keeps one dump a day until the archive expiry: hot days in STANDARD, then archived", () => {
    const parts = backupFootprint("postgresql", 200 * GiB, PROFILE_DEFAULTS.prod.archive.backups.transitions as never, 365);
    expect(parts.reduce((n, p) => n + p.copies, 0)).toBe(365);
    expect(parts[0]).toEqual({ storageClass: "STANDARD", fromDay: 0, copies: 30, bytes: 30 * 50 * GiB });
    expect(parts.at(-1)!.bytes).toBe(245 * 50 * GiB);
  });
});

describe("prices", () => {
  it("come from one table with a source and a date, for every medium the plan uses", () => {
    expect(PRICE_TABLE.source).toMatch(/^https:\/\/aws\.amazon\.com\/s3\/pricing\//);
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}$/);
    expect(monthlyCost("DEEP_ARCHIVE", 1000)).toEqual({ amount: 1.8, currency: "USD" });
    expect(monthlyCost("hcloud-volume", 10).currency).toBe("EUR");
    // Colder classes cost less: a table typo that inverted them would make every tiering decision look wrong.
    const p = PRICE_TABLE.perGiBMonth;
    expect(p.STANDARD.price).toBeGreaterThan(p.STANDARD_IA.price);
    expect(p.STANDARD_IA.price).toBeGreaterThan(p.GLACIER_IR.price);
    expect(p.GLACIER_IR.price).toBeGreaterThan(p.GLACIER.price);
    expect(p.GLACIER.price).toBeGreaterThan(p.DEEP_ARCHIVE.price);
  });
});

describe("effectiveSizes", () => {
  it("sizes from the estimate when nothing is set", () => {
    const s = effectiveSizes(input("prod"));
    // 500k series / 30s x 15 days x 1.7 B x 2 = 68.4 GiB, rounded up.
    expect(s.prometheusVolumeGiB).toEqual({ gib: 69, estimateGiB: 69, source: "estimate" });
    expect(s.prometheusMemoryGiB.gib).toBe(4);
    expect(s.compactorVolumeGiB.gib).toBe(100);
  });

  it("an explicit size wins, above or below the estimate", () => {
    const s = effectiveSizes(input("prod", { overrides: { prometheusVolumeGiB: 500, storeGatewayVolumeGiB: 5 } }));
    expect(s.prometheusVolumeGiB).toEqual({ gib: 500, estimateGiB: 69, source: "override" });
    expect(s.storeGatewayVolumeGiB).toEqual({ gib: 5, estimateGiB: 10, source: "override" });
  });

  it("never estimates a Hetzner volume below the CSI driver's 10 GiB minimum", () => {
    expect(effectiveSizes(input("dev")).prometheusVolumeGiB.gib).toBe(10);
    expect(effectiveSizes({ ...input("dev"), cloud: "aws" }).prometheusVolumeGiB.gib).toBe(7);
  });
});

describe("capacityWarnings (the advisory policy's check)", () => {
  it("is silent for both profiles' defaults", () => {
    expect(capacityWarnings(input("dev"))).toEqual([]);
    expect(capacityWarnings(input("prod"))).toEqual([]);
  });

  it("warns when an explicit size is below the estimate, naming the key", () => {
    const warnings = capacityWarnings(input("prod", { overrides: { prometheusVolumeGiB: 50, prometheusMemoryGiB: 8 } }));
    expect(warnings).toEqual([
      { key: "strata:capacity.overrides.prometheusVolumeGiB", message: expect.stringContaining("50 GiB is below the estimated 69 GiB") },
    ]);
  });

  it("ignores Thanos sizes when Thanos is off", () => {
    expect(capacityWarnings(input("dev", { overrides: { compactorVolumeGiB: 10 } }))).toEqual([]);
    expect(capacityWarnings(input("prod", { overrides: { compactorVolumeGiB: 10 } })).map((w) => w.key)).toEqual(["strata:capacity.overrides.compactorVolumeGiB"]);
  });

  it("warns when the TSDB size cap cuts the configured retention short", () => {
    const base = input("prod");
    const warnings = capacityWarnings({ ...base, capacity: { ...base.capacity, metrics: { ...base.capacity.metrics, activeSeries: 1_000_000 } } });
    // 1M series at 30s for 15 days is 68 GiB of blocks; 45 GiB keeps about 9.9 days of them.
    expect(warnings.map((w) => w.key)).toContain("strata:retention.localTsdbSizeGiB");
    expect(warnings.find((w) => w.message.includes("holds about"))!.message).toContain("9.9 of the 15 days");
  });

  it("warns when the size cap is not below the volume", () => {
    const warnings = capacityWarnings(input("prod", { overrides: { prometheusVolumeGiB: 45 } }));
    expect(warnings.map((w) => w.message).join("\n")).toContain("45 GiB is not below the 45 GiB Prometheus volume");
  });
});

describe("capacityPlan", () => {
  it("prices every volume, bucket tier and backup copy of prod, and totals per currency", () => {
    const report = capacityPlan(input("prod"));
    const items = report.rows.map((r) => `${r.area}/${r.item}/${r.medium}`);
    expect(items).toContain("metrics/Prometheus volume/ebs-gp3");
    expect(items).toContain("metrics/bucket 1h, days 1-730/INTELLIGENT_TIERING");
    expect(items).toContain("backups/postgresql: days 120-365 (245 archived dumps)/DEEP_ARCHIVE");
    // The metrics and logs buckets never hold GLACIER or DEEP_ARCHIVE bytes (DESIGN §4).
    expect(report.rows.filter((r) => r.area !== "backups").map((r) => r.medium)).not.toContain("DEEP_ARCHIVE");
    const usd = report.rows.filter((r) => r.currency === "USD").reduce((n, r) => n + r.monthly, 0);
    expect(report.totals).toEqual([{ currency: "USD", monthly: Math.round(usd * 100) / 100 }]);
    const prom = report.rows.find((r) => r.item === "Prometheus volume")!;
    expect(prom.monthly).toBeCloseTo(2 * 69 * PRICE_TABLE.perGiBMonth["ebs-gp3"].price, 2);
  });

  it("on hcloud prices volumes in EUR from the Hetzner line, and sizes a prometheus-snapshot target from the TSDB estimate", () => {
    const report = capacityPlan(input("dev"));
    expect(report.rows.find((r) => r.item === "Prometheus volume")).toMatchObject({ medium: "hcloud-volume", currency: "EUR", sizeGiB: 10 });
    expect(report.rows.find((r) => r.item.startsWith("prometheus:"))!.from).toBe("Prometheus local TSDB estimate");
    expect(report.rows.some((r) => r.item.startsWith("Thanos"))).toBe(false);
  });

  it("says which backup targets it could not size", () => {
    const base = input("prod");
    const report = capacityPlan({ ...base, capacity: { ...base.capacity, databases: {} } });
    expect(report.notes).toContain("backup target postgresql is not sized: set strata:capacity.databases.postgresql");
  });

  it("sizes the backup target a telemetry backend implies: prod's SQLite file at most its claim, unless sized explicitly", () => {
    const sqliteRows = (report: ReturnType<typeof capacityPlan>) => report.rows.filter((r) => r.item.startsWith("telemetry:"));
    const prod = input("prod");
    const byClaim = sqliteRows(capacityPlan(prod));
    expect(byClaim.length).toBeGreaterThan(0);
    expect(byClaim[0]!.from).toBe(`telemetry.sqlite.sizeGiB (its claim, an upper bound) x ${ASSUMPTIONS.dumpRatio.sqlite}`);
    const claimBytes = prod.telemetry.sqlite!.sizeGiB * GiB;
    const expected = backupFootprint("sqlite", claimBytes, prod.archive.backups.transitions as Transition[], prod.retention.backupArchiveDays);
    expect(byClaim.reduce((n, r) => n + r.sizeGiB, 0)).toBeCloseTo(expected.reduce((n, p) => n + p.bytes, 0) / GiB, 2);

    const explicit = capacityPlan({ ...prod, capacity: { ...prod.capacity, databases: { ...prod.capacity.databases, telemetry: 2 } } });
    expect(sqliteRows(explicit)[0]!.from).toBe(`capacity.databases.telemetry x ${ASSUMPTIONS.dumpRatio.sqlite}`);
    expect(capacityWarnings({ ...prod, capacity: { ...prod.capacity, databases: { telemetry: 2 } } })).toEqual([]);

    // A PostgreSQL telemetry database has no size Strata could know.
    const postgres = { ...prod, telemetry: { ...prod.telemetry, backend: "postgresql" as const, database: { host: "db", port: 5432, name: "telemetry", user: "openfinops", sslMode: "verify-full" as const } } };
    expect(capacityPlan(postgres).notes).toContain("backup target telemetry is not sized: set strata:capacity.databases.telemetry");
    // Dev keeps telemetry in memory: nothing to back up, nothing to size.
    expect(capacityPlan(input("dev")).rows.some((r) => r.item.startsWith("telemetry:"))).toBe(false);
  });

  it("renders as a table with totals and warnings", () => {
    const text = capacitySection(capacityPlan(input("prod", { overrides: { prometheusVolumeGiB: 50 } })));
    expect(text).toMatch(/Prometheus volume\s+2\s+50\.0\s+ebs-gp3/);
    expect(text).toContain("Total per month:");
    expect(text).toContain("ADVISORY  strata:capacity.overrides.prometheusVolumeGiB");
  });
});

describe("the capacity config section", () => {
  const cluster = JSON.stringify({ source: "stack", stack: "acme/clusters/prod" });
  it("warns (does not fail) on a database size for a target that does not exist", () => {
    const stack = strataValuesOf(stackConfig("prod"));
    const { config } = resolveConfig(rawConfig({ ...stack, capacity: { databases: { postgres: 10 } } }));
    expect(capacityWarnings(config)).toEqual([{ key: "strata:capacity.databases.postgres", message: "names no backup target (the stack's targets: postgresql, telemetry); it sizes nothing" }]);
  });

  it("accepts overrides merged over the profile's workload", () => {
    const { config } = resolveConfig({ values: { profile: "prod", cluster, capacity: JSON.stringify({ overrides: { prometheusVolumeGiB: 200 } }) }, secretKeys: new Set() });
    expect(config.capacity.metrics.activeSeries).toBe(PROFILE_DEFAULTS.prod.capacity.metrics.activeSeries);
    expect(effectiveSizes(config).prometheusVolumeGiB.gib).toBe(200);
  });
});

describe("the plan exports the estimate", () => {
  it("as the `capacity` stack output of prod", async () => {
    const p = await plan("prod");
    const capacity = p.outputs.capacity as ReturnType<typeof capacityPlan>;
    expect(capacity.sizes.prometheusVolumeGiB.gib).toBe(69);
    expect(capacity.warnings).toEqual([]);
  });
});

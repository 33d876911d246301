import { describe, expect, it } from "vitest";
import { resolveConfig } from "../infra/config/load";
import { archivePurposes, capabilitiesOf } from "../infra/capabilities";
import { capacityWarnings, effectiveSizes } from "../infra/capacity/plan";
import { configProblems, rawConfig } from "./helpers/configProblems";

const prod = { profile: "prod", region: "eu-central-1", cluster: { source: "stack", stack: "acme/clusters/prod" } };
const dev = { profile: "dev", cluster: { source: "stack", stack: "acme/clusters/dev" } };
const pgTarget = { name: "postgresql", kind: "postgresql", host: "pg.app.svc", database: "app", user: "u", passwordSecret: { name: "pg", key: "password" } };

describe("capability switches", () => {
  it("the profiles turn on metrics, Thanos (prod), the Pushgateway, logging and snapshots; backups and telemetry follow the stack", () => {
    const p = resolveConfig(rawConfig(prod));
    expect(capabilitiesOf(p.config)).toEqual({ metrics: true, thanos: true, pushgateway: true, logging: true, snapshots: true, backups: false, telemetry: false });
    expect(archivePurposes(p.config)).toEqual(["metrics", "logs"]);
    const lines = Object.fromEntries(p.capabilities.map((l) => [l.capability, l.by]));
    expect(lines).toMatchObject({ thanos: "the prod profile", logging: "the prod profile", backups: "no backup target", telemetry: "telemetry.backend not set" });
  });

  it("a switch the stack writes is said to be the stack's", () => {
    const p = resolveConfig(rawConfig({ ...prod, logging: { enabled: false }, storage: { snapshots: { enabled: false } }, backups: { targets: [pgTarget] } }));
    expect(capabilitiesOf(p.config)).toMatchObject({ logging: false, snapshots: false, backups: true });
    expect(archivePurposes(p.config)).toEqual(["metrics", "backups"]);
    const lines = Object.fromEntries(p.capabilities.map((l) => [l.capability, l.by]));
    expect(lines).toMatchObject({ logging: "the stack (logging.enabled)", snapshots: "the stack (storage.snapshots.enabled)", backups: "1 backup target(s): postgresql" });
  });

  it("telemetry is on only with a backend, and its backup target turns backups on", () => {
    const p = resolveConfig(rawConfig({ ...prod, telemetry: { backend: "sqlite", sqlite: { sizeGiB: 20, path: "/var/lib/openfinops/telemetry.db" } } }));
    expect(capabilitiesOf(p.config)).toMatchObject({ telemetry: true, backups: true });
  });
});

describe("errors of the switches read what to write", () => {
  it("the Pushgateway cannot be off while backup jobs report to it", () => {
    expect(configProblems({ ...prod, metrics: { pushgateway: { enabled: false } }, backups: { targets: [pgTarget] } })).toEqual([
      {
        key: "strata:metrics.pushgateway.enabled",
        message: "must be true while backup targets exist (postgresql): every backup job and drill reports its result to the Pushgateway, and the backup alerts read it there",
        value: false,
        origin: "set in this stack",
      },
    ]);
  });

  it("a critical claim on hcloud binds Strata's class, so it names no other", () => {
    expect(configProblems({ ...dev, storage: { claims: { db: { namespace: "db", size: "10Gi", critical: true, storageClass: "fast" } } } })).toEqual([
      {
        key: "strata:storage.claims.db.storageClass",
        message: "must be left out when critical is true on cloud hcloud: a critical claim binds a pre-created Hetzner volume of Strata's class (drop storageClass, or set critical: false)",
        value: "fast",
        origin: "set in this stack",
      },
    ]);
  });

  it("telemetry settings that only a backend reads need the backend", () => {
    const problems = configProblems({ ...prod, telemetry: { sqlite: { sizeGiB: 20, path: "/var/lib/openfinops/telemetry.db" } } });
    expect(problems.map((p) => [p.key, p.message])).toEqual([
      ["strata:telemetry.sqlite", "is only used with telemetry.backend `sqlite`: set strata:telemetry.backend (memory, sqlite, postgresql or timescaledb) or drop it"],
    ]);
  });

  it("a claim needs only its namespace and size: critical and createNamespace default to false", () => {
    const { config } = resolveConfig(rawConfig({ ...prod, storage: { claims: { db: { namespace: "db", size: "10Gi" } } } }));
    expect(config.storage.claims.db).toEqual({ namespace: "db", size: "10Gi", critical: false, createNamespace: false });
  });
});

describe("defaults follow the stack", () => {
  it("the capacity estimate samples at the scrape interval the stack sets", () => {
    const { config } = resolveConfig(rawConfig({ ...prod, metrics: { prometheus: { scrapeInterval: "15s" } } }));
    expect(config.capacity.metrics.scrapeIntervalSeconds).toBe(15);
    const own = resolveConfig(rawConfig({ ...prod, metrics: { prometheus: { scrapeInterval: "15s" } }, capacity: { metrics: { scrapeIntervalSeconds: 60 } } }));
    expect(own.config.capacity.metrics.scrapeIntervalSeconds).toBe(60);
  });

  it("prod without Thanos runs one Prometheus with a note; two written without Thanos are kept and warned about", () => {
    const off = resolveConfig(rawConfig({ ...prod, metrics: { thanos: { enabled: false } } }));
    expect(off.config.metrics.prometheus.replicas).toBe(1);
    expect(off.notes.map((n) => n.key)).toContain("strata:metrics.prometheus.replicas");
    const two = resolveConfig(rawConfig({ ...prod, metrics: { thanos: { enabled: false }, prometheus: { replicas: 2 } } }));
    expect(two.config.metrics.prometheus.replicas).toBe(2);
    expect(two.notes.map((n) => n.key)).not.toContain("strata:metrics.prometheus.replicas");
    expect(capacityWarnings(two.config).find((w) => w.key === "strata:metrics.prometheus.replicas")?.message).toMatch(/^2 replicas without Thanos: nothing deduplicates them/);
    expect(capacityWarnings(off.config).map((w) => w.key)).not.toContain("strata:metrics.prometheus.replicas");
  });

  it("the profile's TSDB cap is raised to the volume when it would cut the stack's days short (15 s scrapes)", () => {
    const p = resolveConfig(rawConfig({ ...prod, metrics: { prometheus: { scrapeInterval: "15s" } } }));
    const vol = effectiveSizes(p.config).prometheusVolumeGiB.gib;
    expect(p.config.retention.localTsdbSizeGiB).toBe(Math.floor(vol * 0.85));
    expect(p.notes.find((n) => n.key === "strata:retention.localTsdbSizeGiB")?.message).toMatch(/^the prod profile's 45 GiB holds less than the [\d.]+ GiB estimated for retention.localTsdbDays \(15\); raised to \d+ GiB/);
    expect(capacityWarnings(p.config).map((w) => w.key)).not.toContain("strata:retention.localTsdbSizeGiB");
    // A stack whose profile's cap fits and suffices keeps it, without a note.
    expect(resolveConfig(rawConfig(prod)).config.retention.localTsdbSizeGiB).toBe(45);
  });

  it("a localTsdbSizeGiB the stack writes is checked as written, never lowered", () => {
    const problems = configProblems({ ...dev, cloud: "aws", region: "eu-west-1", retention: { localTsdbSizeGiB: 8 } });
    expect(problems.map((p) => p.key)).toEqual(["strata:retention.localTsdbSizeGiB"]);
    expect(problems[0]!.origin).toBe("set in this stack");
  });
});

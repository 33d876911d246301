import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../infra/config/load";
import { BACKUP_KINDS } from "../infra/config/sections/backups";
import { PROJECT_DIR } from "../infra/projectDir";
import { claimCoverage } from "../infra/restorability/coverage";
import { DRILL_OF_KIND, INTEGRATION_TEST_OF_KIND, runbookOfKind } from "../infra/restorability/kinds";
import { KIND_RUNTIMES } from "../components/backup/kinds/runtimes";
import { RESTORABILITY_COLUMNS, restorabilityMatrix, type RestorabilityRow } from "../infra/restorability/matrix";
import { restorabilitySection } from "../infra/plan/report";
import { rawConfig } from "./helpers/configProblems";
import { plan } from "./helpers/plan";

const read = (path: string) => readFileSync(join(PROJECT_DIR, path), "utf8");

describe("what the matrix says about each kind is traceable", () => {
  it.each(BACKUP_KINDS)("%s: its integration suite exists, runs its backup and its drill (the scripts or the runtime) with that kind, and says STUBBED exactly when the matrix does", (kind) => {
    const { file, stubbed } = INTEGRATION_TEST_OF_KIND[kind];
    const text = read(file);
    expect(text).toContain(`"${kind}"`);
    expect(text).toMatch(/(run|runRuntime)\("backup"|putCraftedBackup/);
    expect(text).toMatch(/(run|runRuntime)\("drill"/);
    const stubbedHere = new RegExp(`${kind}[^\\n]*STUBBED|STUBBED[^\\n]*${kind}`, "i").test(text);
    expect(stubbedHere, `${file} and INTEGRATION_TEST_OF_KIND disagree on whether ${kind} is stubbed`).toBe(stubbed !== undefined);
  });

  it.each(BACKUP_KINDS)("%s: the runtime's part for the kind restores (the drill's step), and the runbook the matrix names exists", (kind) => {
    expect(KIND_RUNTIMES[kind].kind).toBe(kind);
    expect(typeof KIND_RUNTIMES[kind].restore).toBe("function");
    expect(DRILL_OF_KIND[kind].realRestore || DRILL_OF_KIND[kind].gap).toBeTruthy();
    // The program does not look (it runs where docs/ may be absent, test/deployedProgram.test.ts): this test does.
    expect(existsSync(join(PROJECT_DIR, runbookOfKind(kind))), `${runbookOfKind(kind)} is named by the matrix but does not exist`).toBe(true);
    const m = restorabilityMatrix(config({ backups: { targets: [targetOf(kind)] } }));
    expect(row(m.rows, `t-${kind} (${kind})`).runbook).toEqual({ ok: true, text: runbookOfKind(kind) });
  });
});

describe("claimCoverage", () => {
  it("covers a claim only when the target says so: the sqlite claim it mounts, the service's name, or protectsClaims; RabbitMQ definitions only partly", () => {
    const claim = { namespace: "shop" };
    expect(claimCoverage("orders", claim, [{ name: "x", kind: "sqlite", namespace: "shop", claimName: "orders-data", path: "a.db", writerSelector: { matchLabels: { a: "b" } } }])).toEqual([
      { target: "x", kind: "sqlite", how: "mounts the claim" },
    ]);
    expect(claimCoverage("orders", claim, [{ name: "x", kind: "sqlite", namespace: "other", claimName: "orders-data", path: "a.db", writerSelector: { matchLabels: { a: "b" } } }])).toEqual([]);
    expect(claimCoverage("orders", claim, [{ name: "orders", kind: "mongodb", uriSecret: { name: "m", key: "uri" } }])[0]!.how).toBe("named after the service");
    expect(claimCoverage("orders", claim, [{ name: "cache", kind: "valkey", host: "valkey.shop.svc.cluster.local", protectsClaims: ["orders"] }])[0]!.how).toBe("lists it in protectsClaims");
    // A server in the claim's namespace is not its backup: a target of another service never counts.
    expect(claimCoverage("orders", claim, [{ name: "cache", kind: "valkey", host: "valkey.shop.svc.cluster.local" }])).toEqual([]);
    const rabbit = claimCoverage("orders", claim, [{ name: "mq", kind: "rabbitmq-definitions", url: "http://rabbitmq.shop:15672", user: "u", passwordSecret: { name: "r", key: "p" }, protectsClaims: ["orders"] }]);
    expect(rabbit[0]!.partial).toMatch(/messages in the queues are not backed up/);
  });

  it("the issue's case: PostgreSQL and RabbitMQ targets beside a Valkey claim leave valkey-data unprotected", () => {
    const targets = [
      { name: "postgresql", kind: "postgresql", host: "postgres.app.svc.cluster.local", database: "app", user: "u", passwordSecret: { name: "p", key: "k" } },
      { name: "rabbitmq", kind: "rabbitmq-definitions", url: "http://rabbitmq.app.svc:15672", user: "u", passwordSecret: { name: "r", key: "k" } },
    ] as const;
    expect(claimCoverage("valkey", { namespace: "app" }, targets as never)).toEqual([]);
  });
});

// --- a stack that names its own claims and targets -------------------------------------------------------------------

type Values = Record<string, unknown>;
/** A validated config of the given profile with these values over it (no stack file: the test names its own stores). */
function config(values: Values, profile: "dev" | "prod" = "prod") {
  const base: Values = { profile, region: "eu-central-1", cluster: { source: "stack", stack: "acme/clusters/test" } };
  return resolveConfig(rawConfig({ ...base, ...values })).config;
}
function targetOf(kind: (typeof BACKUP_KINDS)[number]): Values {
  const name = `t-${kind}`;
  switch (kind) {
    case "postgresql":
      return { name, kind, host: "pg.shop.svc.cluster.local", database: "app", user: "backup", passwordSecret: { name: "pg", key: "password" } };
    case "mongodb":
      return { name, kind, uriSecret: { name: "mongo", key: "uri" } };
    case "prometheus-snapshot":
      return { name, kind };
    case "rabbitmq-definitions":
      return { name, kind, url: "http://rabbitmq.mq.svc:15672", user: "admin", passwordSecret: { name: "rmq", key: "password" } };
    case "sqlite":
      return { name, kind, namespace: "notes", claimName: "notes-data", path: "notes.db", writerSelector: { matchLabels: { app: "notes" } } };
    case "valkey":
      return { name, kind, host: "valkey.cache.svc.cluster.local" };
  }
}
const row = (rows: RestorabilityRow[], store: string) => {
  const r = rows.find((x) => x.store === store);
  if (!r) throw new Error(`no row ${store}; have: ${rows.map((x) => x.store).join(", ")}`);
  return r;
};
const everyCellFilledOrExplained = (rows: RestorabilityRow[]) => {
  for (const r of rows) for (const c of RESTORABILITY_COLUMNS) expect(r[c].text.length, `${r.store} / ${c}`).toBeGreaterThan(10);
};

describe("the matrix of a stack that names its own claims and backup targets", () => {
  const claims = {
    cache: { namespace: "cache", size: "10Gi", critical: false },
    notes: { namespace: "notes", size: "10Gi", critical: true },
    mq: { namespace: "mq", size: "10Gi", critical: false },
    orphan: { namespace: "orphan", size: "10Gi", critical: true },
  };
  // The valkey target says it backs up the `cache` claim; the sqlite target mounts `notes-data`.
  const targets = BACKUP_KINDS.map(targetOf).map((t) => (t.kind === "valkey" ? { ...t, protectsClaims: ["cache"] } : t.kind === "rabbitmq-definitions" ? { ...t, protectsClaims: ["mq"] } : t));

  it("aws: one row per target, claim, bucket and the EBS class; gaps only where something is really missing, each named", () => {
    const m = restorabilityMatrix(config({ storage: { claims }, backups: { targets } }));
    everyCellFilledOrExplained(m.rows);
    // Targets: backed up, alerted, drilled by a real restore, and (but for MongoDB) tested for real.
    for (const kind of BACKUP_KINDS) {
      const r = row(m.rows, `t-${kind} (${kind})`);
      expect(r.backup.ok && r.alerts.ok, kind).toBe(true);
      expect(r.backup.text).toContain(`strata-backup-t-${kind}`);
      expect(r.alerts.text).toMatch(/^\d+ for this target/);
      expect(r.drill.ok, kind).toBe(true);
      expect(r.tested.ok, kind).toBe(kind !== "mongodb");
    }
    expect(row(m.rows, "t-mongodb (mongodb)").tested.text).toMatch(/MongoDB cannot be installed here/);
    expect(row(m.rows, "t-prometheus-snapshot (prometheus-snapshot)").drill.text).toMatch(/a throwaway Prometheus loads them all/);
    expect(row(m.rows, "t-valkey (valkey)").runbook).toEqual({ ok: true, text: "docs/runbooks/restore-valkey.md" });
    expect(row(m.rows, "t-rabbitmq-definitions (rabbitmq-definitions)").runbook).toEqual({ ok: true, text: "docs/runbooks/restore-rabbitmq-definitions.md" });

    // Claims: covered by protectsClaims (valkey), by the claim an sqlite target mounts, partly (RabbitMQ).
    const cache = row(m.rows, "cache-data (cache)");
    expect(RESTORABILITY_COLUMNS.every((c) => cache[c].ok)).toBe(true);
    expect(cache.backup.text).toContain("t-valkey (lists it in protectsClaims)");
    expect(row(m.rows, "notes-data (notes)").backup.text).toContain("t-sqlite (mounts the claim)");
    expect(row(m.rows, "mq-data (mq)").backup).toMatchObject({ ok: false, text: expect.stringMatching(/only part of its data is backed up.*messages in the queues/) });
    const orphan = row(m.rows, "orphan-data (orphan)");
    expect(RESTORABILITY_COLUMNS.filter((c) => orphan[c].ok)).toEqual([]);
    expect(orphan.backup.text).toMatch(/no backup target protects it \(policy strata-pvc-require-backup-target\); only EBS daily snapshots/);

    // Buckets and the volume class.
    expect(row(m.rows, "backups bucket").drill.ok).toBe(true);
    expect(row(m.rows, "logs bucket").drill).toMatchObject({ ok: false });
    expect(row(m.rows, "StorageClass ebs-gp3 (" + Object.keys(config({ storage: { claims } }).storage.claims).length + " claim(s))").backup.text).toMatch(/DLM daily snapshots/);
    expect(m.gaps).toBe(m.rows.reduce((n, r) => n + RESTORABILITY_COLUMNS.filter((c) => !r[c].ok).length, 0));
  });

  it("hcloud: the volume class says Hetzner keeps no snapshots, and a claim without a target has only its delete protection", () => {
    const m = restorabilityMatrix(config({ storage: { claims: { orphan: claims.orphan } }, backups: { targets: [] } }, "dev"));
    everyCellFilledOrExplained(m.rows);
    expect(m.rows.find((r) => r.type === "volume class")!.backup.text).toMatch(/Hetzner volumes have no snapshots/);
    expect(row(m.rows, "orphan-data (orphan)").backup.text).toMatch(/only delete-protected Hetzner volume/);
  });

  it("every runbook and suite any matrix names exists in the repository (the deployed program trusts the declarations)", async () => {
    const aws = restorabilityMatrix(config({ storage: { claims }, backups: { targets } }));
    const hcloud = restorabilityMatrix(config({ storage: { claims: { orphan: claims.orphan } }, backups: { targets } }, "dev"));
    const prod = (await plan("prod")).outputs.restorability as ReturnType<typeof restorabilityMatrix>;
    const named = new Set([aws, hcloud, prod].flatMap((m) => m.rows.flatMap((r) => RESTORABILITY_COLUMNS.flatMap((c) => [...r[c].text.matchAll(/\b(?:docs|test)\/[\w./-]+\.(?:md|ts)\b/g)].map((x) => x[0])))));
    for (const kind of BACKUP_KINDS) expect(named).toContain(runbookOfKind(kind));
    expect([...named].filter((p) => !existsSync(join(PROJECT_DIR, p)))).toEqual([]);
    expect(BACKUP_KINDS.map((k) => INTEGRATION_TEST_OF_KIND[k].file).filter((f) => !existsSync(join(PROJECT_DIR, f)))).toEqual([]);
  }, 120_000);

  it("prints as a yes/GAP grid followed by every gap with its reason", () => {
    const m = restorabilityMatrix(config({ storage: { claims }, backups: { targets } }));
    const text = restorabilitySection(m);
    expect(text).toMatch(/^Restorability: every store Strata protects/);
    expect(text).toMatch(/store\s+type\s+backup\s+restore drill\s+alerts\s+runbook\s+tested for real here/);
    expect(text).toContain("orphan-data (orphan) / backup: no backup target protects it");
    expect(text.split("\n").filter((l) => l.startsWith("  ")).length).toBe(m.gaps);
  });
});

describe("the plan and the stack outputs", () => {
  it("prod exports the matrix, and the plan's advisory policy flags exactly the claims the matrix says no target protects", async () => {
    const p = await plan("prod");
    const m = p.outputs.restorability as ReturnType<typeof restorabilityMatrix>;
    expect(m.rows.length).toBeGreaterThan(3);
    const unprotected = m.rows.filter((r) => r.type === "claim" && /no backup target protects it/.test(r.backup.text)).map((r) => r.store.split(" ")[0]);
    const flagged = p.policies.violations.filter((v) => v.policy === "strata-pvc-require-backup-target").map((v) => /claim [^/]+\/(\S+) holds/.exec(v.message)![1]);
    expect(flagged.sort()).toEqual(unprotected.sort());
    for (const v of p.policies.violations.filter((x) => x.policy === "strata-pvc-require-backup-target")) expect(v.level).toBe("advisory");
  }, 120_000);
});

import { describe, expect, it } from "vitest";
import { planOutcome, resourcesOfType, type StackName } from "./helpers/plan";
import { validateRecordedK8sResource } from "./helpers/k8sValidate";
import { resolveConfig } from "../infra/config/load";
import { configProblems } from "./helpers/configProblems";
import { allBackupTargets, telemetryBackupTargets } from "../infra/backupTargets";
import { telemetryDbUrl } from "../components/telemetry/contract";
import { PROFILE_DEFAULTS } from "../stacks/profiles";
import type { Plan } from "../infra/plan/harness";

type Any = Record<string, any>;
const PASSWORD = "n0t-in-any-0utput!";
const DATABASE = { host: "postgresql.databases.svc.cluster.local", port: 5432, name: "openfinops", user: "openfinops_telemetry", sslMode: "require" };
const SQLITE = { sizeGiB: 10, path: "/var/lib/openfinops/telemetry.db" };

// What a stack file sets to switch backend: config merges over the profile key by key, so a stack that leaves
// prod's SQLite sets `sqlite: null` to drop the profile's volume settings.
const BACKENDS: Record<string, Record<string, unknown>> = {
  memory: { backend: "memory", sqlite: null },
  sqlite: { backend: "sqlite", sqlite: SQLITE },
  postgresql: { backend: "postgresql", database: DATABASE, sqlite: null },
  timescaledb: { backend: "timescaledb", database: DATABASE, enableCompression: true, sqlite: null },
};
const telemetryOf = (_stack: StackName, backend: string) => BACKENDS[backend]!;

const plans = new Map<string, Promise<Plan>>();
async function planFor(stack: StackName, backend: string): Promise<Plan> {
  const key = `${stack}/${backend}`;
  if (!plans.has(key)) {
    const postgres = backend === "postgresql" || backend === "timescaledb";
    plans.set(
      key,
      planOutcome(stack, { telemetry: telemetryOf(stack, backend), ...(postgres ? { telemetryDbPassword: PASSWORD } : {}) }, postgres ? ["telemetryDbPassword"] : []).then((o) => {
        if (!o.ok) throw new Error(o.error.message);
        return o.plan;
      }),
    );
  }
  return plans.get(key)!;
}

const contractObjects = (p: Plan) => ({
  configMap: resourcesOfType(p, "kubernetes:core/v1:ConfigMap").find((r) => r.name === "telemetry")!,
  secret: resourcesOfType(p, "kubernetes:core/v1:Secret").find((r) => r.name === "telemetry")!,
  claim: resourcesOfType(p, "kubernetes:core/v1:PersistentVolumeClaim").find((r) => r.name === "telemetry-sqlite"),
});

const COMMON_KEYS = ["OPENFINOPS_BACKEND", "OPENFINOPS_BATCH_INTERVAL_SECONDS", "OPENFINOPS_BATCH_SIZE", "OPENFINOPS_ENABLE_COMPRESSION", "OPENFINOPS_MAX_MEMORY_ENTRIES", "OPENFINOPS_RETENTION_DAYS"];
const EXPECTED_KEYS: Record<string, string[]> = {
  memory: COMMON_KEYS,
  sqlite: [...COMMON_KEYS, "OPENFINOPS_SQLITE_PATH"],
  postgresql: [...COMMON_KEYS, "OPENFINOPS_DB_HOST", "OPENFINOPS_DB_NAME", "OPENFINOPS_DB_PORT", "OPENFINOPS_DB_SSLMODE", "OPENFINOPS_DB_USER"],
  timescaledb: [...COMMON_KEYS, "OPENFINOPS_DB_HOST", "OPENFINOPS_DB_NAME", "OPENFINOPS_DB_PORT", "OPENFINOPS_DB_SSLMODE", "OPENFINOPS_DB_USER"],
};

describe.each(["dev", "prod"] as StackName[])("telemetry contract in %s", (stack) => {
  it.each(Object.keys(BACKENDS))("%s plans with its contract: ConfigMap keys, a redacted Secret, outputs without secrets", async (backend) => {
    const p = await planFor(stack, backend);
    const { configMap, secret } = contractObjects(p);
    const cm = configMap.inputs as Any;
    expect(cm.metadata).toEqual(expect.objectContaining({ name: "openfinops-telemetry", namespace: "openfinops" }));
    expect(Object.keys(cm.data).sort()).toEqual(EXPECTED_KEYS[backend]!.sort());
    expect(cm.data.OPENFINOPS_BACKEND).toBe(backend);
    expect(cm.data.OPENFINOPS_RETENTION_DAYS).toBe(String(PROFILE_DEFAULTS[stack].telemetry.retentionDays));
    expect(cm.data.OPENFINOPS_ENABLE_COMPRESSION).toBe(String(backend === "timescaledb"));
    expect((secret.inputs as Any).stringData).toBe("[secret]");
    const telemetry = p.outputs.telemetry as Any;
    expect(telemetry).toEqual(expect.objectContaining({ backend, namespace: "openfinops", configMap: "openfinops-telemetry", secret: "openfinops-telemetry", settings: cm.data }));
    expect(telemetry.secretKeys).toEqual(backend === "memory" ? [] : ["OPENFINOPS_DB_URL"]);
    expect(JSON.stringify(p)).not.toContain(PASSWORD);
    for (const r of [configMap, secret]) validateRecordedK8sResource(r);
  });

  it.each(Object.keys(BACKENDS))("%s provisions what it needs and registers its backup target", async (backend) => {
    const p = await planFor(stack, backend);
    const { claim } = contractObjects(p);
    const identities = (p.outputs.archive as Any).identities;
    if (backend === "sqlite") {
      expect(claim).toBeDefined();
      validateRecordedK8sResource(claim!);
      expect((claim!.inputs as Any).spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: stack === "prod" ? "ebs-gp3" : "hcloud-volumes", resources: { requests: { storage: "10Gi" } } });
      expect(claim!.options.retainOnDelete).toBe(true);
      expect(claim!.options.protect).toBe(stack === "prod");
      expect((p.outputs.telemetry as Any).sqlite).toEqual({
        claimName: "openfinops-telemetry-sqlite",
        mountPath: "/var/lib/openfinops",
        path: SQLITE.path,
        writerLabels: { "app.kubernetes.io/name": "openfinops", "app.kubernetes.io/component": "telemetry" },
      });
    } else {
      expect(claim).toBeUndefined();
    }
    // Every persisted backend is backed up: a dump of the database, or an online copy of the SQLite file.
    const backedUp = backend !== "memory";
    expect(Object.keys(identities).includes("backup-telemetry")).toBe(backedUp);
    expect(Object.keys(identities).includes("drill-telemetry")).toBe(backedUp);
    expect((p.outputs.telemetry as Any).backupTargets).toEqual(backedUp ? ["telemetry"] : []);
    // The SQLite copy runs where the claim is, with its identity there; a dump connects from the backups namespace.
    if (backedUp) expect(identities["backup-telemetry"].namespace).toBe(backend === "sqlite" ? "openfinops" : "strata-backups");
  });
});

describe("the database URL and the backup targets", () => {
  it("builds a PostgreSQL URL with the password escaped, the same scheme for TimescaleDB, and SQLite's absolute form", () => {
    const contract = { retentionDays: 1, batchSize: 1, batchIntervalSeconds: 1, enableCompression: false, maxMemoryEntries: 100 };
    expect(telemetryDbUrl({ ...contract, backend: "postgresql", database: DATABASE }, "p@ss/w:rd")).toBe(
      "postgresql://openfinops_telemetry:p%40ss%2Fw%3Ard@postgresql.databases.svc.cluster.local:5432/openfinops?sslmode=require",
    );
    expect(telemetryDbUrl({ ...contract, backend: "timescaledb", database: DATABASE }, "x")).toMatch(/^postgresql:\/\//);
    expect(telemetryDbUrl({ ...contract, backend: "sqlite", sqlite: { path: "/data/t.db" } }, undefined)).toBe("sqlite:////data/t.db");
    expect(telemetryDbUrl({ ...contract, backend: "memory" }, undefined)).toBeUndefined();
  });

  it("derives a target per persisted backend, kept apart from the configured ones", () => {
    // The prod stack's SQLite store (Pulumi.prod.yaml) over the prod profile's tuning.
    const t = { ...PROFILE_DEFAULTS.prod.telemetry, sqlite: { sizeGiB: 20, path: "/var/lib/openfinops/telemetry.db" } };
    expect(telemetryBackupTargets({ ...t, backend: "memory" })).toEqual([]);
    expect(telemetryBackupTargets({ ...t, backend: "sqlite" })).toEqual([
      {
        name: "telemetry",
        kind: "sqlite",
        namespace: "openfinops",
        claimName: "openfinops-telemetry-sqlite",
        path: "telemetry.db",
        writerSelector: { matchLabels: { "app.kubernetes.io/name": "openfinops", "app.kubernetes.io/component": "telemetry" } },
        scratchSizeGiB: 40,
      },
    ]);
    const named = { ...t.sqlite!, writerSelector: { matchLabels: { app: "finops-writer" } }, writerFsGroup: 2000 };
    expect(telemetryBackupTargets({ ...t, backend: "sqlite", sqlite: named })[0]).toMatchObject({ writerSelector: { matchLabels: { app: "finops-writer" } }, writerFsGroup: 2000 });
    const dump = { name: "telemetry", kind: "postgresql", host: DATABASE.host, port: 5432, database: "openfinops", user: "openfinops_telemetry", passwordSecret: { name: "strata-telemetry-db", key: "password" } };
    // TimescaleDB's dump says so: its drill restores into the TimescaleDB image with the extension's restore steps.
    expect(telemetryBackupTargets({ ...t, backend: "timescaledb", database: DATABASE } as typeof t)).toEqual([{ ...dump, timescaledb: true }]);
    expect(telemetryBackupTargets({ ...t, backend: "postgresql", database: DATABASE } as typeof t)).toEqual([dump]);
    expect(telemetryBackupTargets({ ...t, backend: undefined })).toEqual([]);
    const configured = { name: "orders", kind: "prometheus-snapshot" } as const;
    const all = allBackupTargets({ backups: { targets: [configured] }, telemetry: { ...t, backend: "postgresql", database: DATABASE } as typeof t });
    expect(all).toEqual([{ ...configured, source: "backups.targets" }, { ...dump, source: "telemetry.backend" }]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const CLUSTER = JSON.stringify({ source: "stack", stack: "acme/clusters/prod" });

const base = { profile: "dev", cluster: CLUSTER };
const pg = { backend: "postgresql", database: DATABASE };
const invalid: [string, Record<string, unknown>, string, string[]?][] = [
  ["compression without TimescaleDB", { ...base, telemetry: { ...pg, enableCompression: true }, telemetryDbPassword: PASSWORD }, "strata:telemetry.enableCompression", ["telemetryDbPassword"]],
  ["compression with SQLite", { ...base, telemetry: { backend: "sqlite", sqlite: SQLITE, enableCompression: true } }, "strata:telemetry.enableCompression"],
  ["SQLite with two writers", { ...base, telemetry: { backend: "sqlite", sqlite: SQLITE, writers: 2 } }, "strata:telemetry.writers"],
  ["SQLite without its volume", { ...base, telemetry: { backend: "sqlite" } }, "strata:telemetry.sqlite"],
  ["SQLite volume below the Hetzner minimum", { ...base, telemetry: { backend: "sqlite", sqlite: { ...SQLITE, sizeGiB: 5 } } }, "strata:telemetry.sqlite.sizeGiB"],
  ["SQLite path that is not absolute", { ...base, telemetry: { backend: "sqlite", sqlite: { ...SQLITE, path: "data/t.db" } } }, "strata:telemetry.sqlite.path"],
  ["PostgreSQL without a database", { ...base, telemetry: { backend: "postgresql" }, telemetryDbPassword: PASSWORD }, "strata:telemetry.database", ["telemetryDbPassword"]],
  ["PostgreSQL without the password", { ...base, telemetry: pg }, "strata:telemetryDbPassword"],
  ["the password in plaintext", { ...base, telemetry: pg, telemetryDbPassword: PASSWORD }, "strata:telemetryDbPassword"],
  ["a password for a backend that has no database", { ...base, telemetryDbPassword: PASSWORD }, "strata:telemetryDbPassword", ["telemetryDbPassword"]],
  ["database settings with the memory backend", { ...base, telemetry: { database: DATABASE } }, "strata:telemetry.database"],
  ["SQLite settings left in place when switching to PostgreSQL", { profile: "prod", cluster: CLUSTER, telemetry: { ...pg, sqlite: SQLITE }, telemetryDbPassword: PASSWORD }, "strata:telemetry.sqlite", ["telemetryDbPassword"]],
  ["SQLite settings with TimescaleDB", { ...base, telemetry: { backend: "timescaledb", database: DATABASE, sqlite: SQLITE }, telemetryDbPassword: PASSWORD }, "strata:telemetry.sqlite", ["telemetryDbPassword"]],
  ["a batch larger than the memory buffer", { ...base, telemetry: { batchSize: 5000, maxMemoryEntries: 1000 } }, "strata:telemetry.batchSize"],
  ["a zero batch size", { ...base, telemetry: { batchSize: 0 } }, "strata:telemetry.batchSize"],
  ["a batch interval over an hour", { ...base, telemetry: { batchIntervalSeconds: 7200 } }, "strata:telemetry.batchIntervalSeconds"],
  ["zero retention days", { ...base, telemetry: { retentionDays: 0 } }, "strata:telemetry.retentionDays"],
  ["an unknown backend", { ...base, telemetry: { backend: "mongodb" } }, "strata:telemetry.backend"],
  ["a database host with a scheme", { ...base, telemetry: { ...pg, database: { ...DATABASE, host: "postgres://db" } }, telemetryDbPassword: PASSWORD }, "strata:telemetry.database.host", ["telemetryDbPassword"]],
  ["sslmode disable", { ...base, telemetry: { ...pg, database: { ...DATABASE, sslMode: "disable" } }, telemetryDbPassword: PASSWORD }, "strata:telemetry.database.sslMode", ["telemetryDbPassword"]],
  ["a configured backup target named like the derived one", { ...base, telemetry: pg, telemetryDbPassword: PASSWORD, backups: { targets: [{ name: "telemetry", kind: "prometheus-snapshot" }] } }, "strata:backups.targets[0].name", ["telemetryDbPassword"]],
];

describe("invalid telemetry config is rejected naming the key", () => {
  it.each(invalid)("%s", (_, values, key, secretKeys) => {
    const problems = configProblems(values, secretKeys);
    expect(problems.map((p) => p.key)).toContain(key);
    // A secret value never appears in a message.
    expect(JSON.stringify(problems)).not.toContain(PASSWORD);
  });

  it("the same values are accepted once consistent (so each case above fails for its stated reason)", () => {
    expect(() => resolveConfig({ values: { ...base, telemetry: JSON.stringify({ backend: "timescaledb", database: DATABASE, enableCompression: true }), telemetryDbPassword: PASSWORD }, secretKeys: new Set(["telemetryDbPassword"]) })).not.toThrow();
    expect(() => resolveConfig({ values: { ...base, telemetry: JSON.stringify({ backend: "sqlite", sqlite: SQLITE }), backups: JSON.stringify({ targets: [{ name: "app-db", kind: "prometheus-snapshot" }] }) }, secretKeys: new Set() })).not.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../infra/config/load";
import { ConfigError } from "../../infra/config/errors";
import { claimFilePathProblem } from "../../infra/config/sections/backups";
import { SQLITE_TARGET } from "../helpers/backupTargets";
import { configProblems, rawConfig } from "../helpers/configProblems";

const CLUSTER = JSON.stringify({ source: "stack", stack: "acme/clusters/prod" });
// dev keeps telemetry in memory, so no target is derived from it; prod derives `telemetry` (its SQLite store).
const dev = { profile: "dev", cluster: CLUSTER };
// The prod stack's telemetry store (Pulumi.prod.yaml): SQLite on its own claim.
const PROD_TELEMETRY = { backend: "sqlite", sqlite: { sizeGiB: 20, path: "/var/lib/openfinops/telemetry.db" } };
const prod = { profile: "prod", cluster: CLUSTER, telemetry: PROD_TELEMETRY };

const TARGET = SQLITE_TARGET;
const withTargets = (base: Record<string, unknown>, ...targets: Record<string, unknown>[]) => ({ ...base, backups: { targets } });
const target = (changes: Record<string, unknown>) => withTargets(dev, { ...TARGET, ...changes });
const without = (key: keyof typeof TARGET) => withTargets(dev, Object.fromEntries(Object.entries(TARGET).filter(([k]) => k !== key)));
const KEY = "strata:backups.targets[0]";

describe("a sqlite backup target", () => {
  it("is accepted with where its database lives and how to find its writer, and keeps every field", () => {
    const { config } = resolveConfig(rawConfig(target({ writerFsGroup: 2000, scratchSizeGiB: 50 })));
    expect(config.backups.targets).toEqual([{ ...TARGET, writerFsGroup: 2000, scratchSizeGiB: 50 }]);
  });

  it("is accepted beside prod's derived telemetry target when it reads another database", () => {
    expect(() => resolveConfig(rawConfig(withTargets(prod, TARGET)))).not.toThrow();
  });

  it.each([
    ["a namespace that is not a DNS label", target({ namespace: "Orders_NS" }), `${KEY}.namespace`],
    ["no namespace", without("namespace"), `${KEY}.namespace`],
    ["a claim name that is not a DNS subdomain", target({ claimName: "Orders Data" }), `${KEY}.claimName`],
    ["no claim", without("claimName"), `${KEY}.claimName`],
    ["no path", without("path"), `${KEY}.path`],
    ["an absolute path", target({ path: "/db/orders.sqlite3" }), `${KEY}.path`],
    ["a path that leaves the claim", target({ path: "db/../../etc/passwd" }), `${KEY}.path`],
    ["a path with a `.` segment", target({ path: "./orders.sqlite3" }), `${KEY}.path`],
    ["a path with an empty segment", target({ path: "db//orders.sqlite3" }), `${KEY}.path`],
    ["a directory instead of a file", target({ path: "db/" }), `${KEY}.path`],
    ["the WAL file instead of the database", target({ path: "db/orders.sqlite3-wal" }), `${KEY}.path`],
    ["a path with a space", target({ path: "my db/orders.sqlite3" }), `${KEY}.path`],
    ["no writer selector", without("writerSelector"), `${KEY}.writerSelector`],
    ["an empty selector, which matches every pod", target({ writerSelector: { matchLabels: {} } }), `${KEY}.writerSelector.matchLabels`],
    ["a label key Kubernetes refuses", target({ writerSelector: { matchLabels: { "bad key!": "x" } } }), `${KEY}.writerSelector.matchLabels.bad key!`],
    ["a label value Kubernetes refuses", target({ writerSelector: { matchLabels: { app: "-orders" } } }), `${KEY}.writerSelector.matchLabels.app`],
    ["match expressions, which the job's affinity does not take", target({ writerSelector: { matchLabels: { app: "orders" }, matchExpressions: [] } }), `${KEY}.writerSelector.matchExpressions`],
    ["a zero fsGroup", target({ writerFsGroup: 0 }), `${KEY}.writerFsGroup`],
    ["a key of another kind", target({ host: "orders.orders.svc" }), `${KEY}.host`],
  ])("%s is rejected naming %s", (_name, values, key) => {
    const problems = configProblems(values);
    expect(problems.map((p) => p.key), JSON.stringify(problems)).toContain(key);
    expect(new ConfigError(problems).message).toContain(key);
  });

  it("messages say what is allowed and show the value", () => {
    const message = (values: Record<string, unknown>) => new ConfigError(configProblems(values)).message;
    expect(message(target({ path: "db/../orders.sqlite3" }))).toMatch(/targets\[0\]\.path: must be normalised: no `\.` or `\.\.` segments .*\(got "db\/\.\.\/orders\.sqlite3", set in this stack\)/);
    expect(message(target({ path: "/orders.sqlite3" }))).toMatch(/targets\[0\]\.path: must be relative to the claim's root .*\(got "\/orders\.sqlite3", set in this stack\)/);
    expect(message(target({ writerSelector: { matchLabels: {} } }))).toMatch(/matchLabels: must name at least one label: an empty selector matches every pod .*\(got \{\}, set in this stack\)/);
  });

  it("two targets on the same database are rejected on the second, naming the first", () => {
    const problems = configProblems(withTargets(dev, TARGET, { ...TARGET, name: "orders-again" }));
    const problem = problems.find((p) => p.key === "strata:backups.targets[1].path");
    expect(problem?.message).toMatch(/is the database target `orders` already backs up \(namespace orders, claim orders-data, file db\/orders\.sqlite3\)/);
  });

  it("a target on prod's telemetry database, which Strata already backs up, is rejected", () => {
    const telemetryCopy = { ...TARGET, name: "finops", namespace: "openfinops", claimName: "openfinops-telemetry-sqlite", path: "telemetry.db" };
    const problem = configProblems(withTargets(prod, telemetryCopy)).find((p) => p.key === "strata:backups.targets[0].path");
    expect(problem?.message).toMatch(/target `telemetry` \(derived from telemetry\.backend \(`sqlite`\)\)/);
  });

  it("the name of prod's derived telemetry target is taken", () => {
    expect(configProblems(withTargets(prod, { ...TARGET, name: "telemetry" })).map((p) => p.key)).toContain("strata:backups.targets[0].name");
  });
});

describe("claimFilePathProblem", () => {
  it("accepts relative, normalised file paths and says what is wrong with the others", () => {
    for (const ok of ["app.db", "data/app.sqlite3", "a/b/c_d-e.f"]) expect(claimFilePathProblem(ok), ok).toBeUndefined();
    expect(claimFilePathProblem("a/./b")).toMatch(/normalised/);
    expect(claimFilePathProblem("app.db-journal")).toMatch(/side files/);
    expect(claimFilePathProblem("app.db-shm")).toMatch(/side files/);
  });
});

describe("the telemetry SQLite store's writer", () => {
  const sqlite = (changes: Record<string, unknown>) => ({ ...prod, telemetry: { ...PROD_TELEMETRY, sqlite: { ...PROD_TELEMETRY.sqlite, ...changes } } });

  it("defaults to the contract's labels and may be named in config", () => {
    expect(resolveConfig(rawConfig(prod)).config.telemetry.sqlite?.writerSelector).toBeUndefined();
    const named = resolveConfig(rawConfig(sqlite({ writerSelector: { matchLabels: { app: "finops" } }, writerFsGroup: 1000 }))).config.telemetry.sqlite;
    expect(named).toMatchObject({ writerSelector: { matchLabels: { app: "finops" } }, writerFsGroup: 1000 });
  });

  it.each([
    ["an empty writer selector", sqlite({ writerSelector: { matchLabels: {} } }), "strata:telemetry.sqlite.writerSelector.matchLabels"],
    ["a writer fsGroup that is not a group id", sqlite({ writerFsGroup: -1 }), "strata:telemetry.sqlite.writerFsGroup"],
    ["a database path with `..`", sqlite({ path: "/var/lib/../openfinops/telemetry.db" }), "strata:telemetry.sqlite.path"],
    ["a database file in the root directory, where no claim can be mounted", sqlite({ path: "/telemetry.db" }), "strata:telemetry.sqlite.path"],
  ])("%s is rejected naming %s", (_name, values, key) => {
    expect(configProblems(values).map((p) => p.key)).toContain(key);
  });
});

import { describe, expect, it } from "vitest";
import { resolveConfig } from "../infra/config/load";
import { ConfigError, formatProblems } from "../infra/config/errors";
import { configProblems, rawConfig } from "./helpers/configProblems";

/**
 * Each error rule of issue 21 item 4/5, read as the user reads it: the exact line `npm run plan` prints. Stacks are
 * written the way the docs and seeds show them (a claim, a PostgreSQL target, a prod stack on a cluster stack).
 */
const CLUSTER = { source: "stack", stack: "acme/clusters/prod" };
const PG = { kind: "postgresql", name: "orders-db", host: "orders-db.orders.svc.cluster.local", database: "orders", user: "backup", passwordSecret: { name: "orders-db-backup", key: "password" } };
const dev = (extra: Record<string, unknown>) => ({ profile: "dev", cluster: CLUSTER, ...extra });
const prod = (extra: Record<string, unknown>) => ({ profile: "prod", cluster: CLUSTER, ...extra });

/** The printed lines, keyed by config key. */
function lines(values: Record<string, unknown>): Record<string, string> {
  const problems = configProblems(values);
  return Object.fromEntries(problems.map((p) => [p.key, formatProblems([p]).split("\n")[1]!.trim()]));
}

describe("a missing field says what it is and gives an example", () => {
  it("a claim without its size", () => {
    expect(lines(dev({ storage: { claims: { postgres: { namespace: "orders", critical: false } } } }))["strata:storage.claims.postgres.size"]).toBe(
      "- strata:storage.claims.postgres.size: is required: Requested size, in whole Gi; at least 10Gi on `hcloud` (e.g. `10Gi`) (got (not set))",
    );
  });

  it("a PostgreSQL target without its host", () => {
    const { host: _host, ...target } = PG;
    expect(lines(dev({ backups: { targets: [target] } }))["strata:backups.targets[0].host"]).toBe(
      "- strata:backups.targets[0].host: is required: PostgreSQL host (a Service DNS name) (e.g. `orders-db.orders.svc.cluster.local`) (got (not set))",
    );
  });

  it("a target without its kind lists the kinds", () => {
    const { kind: _kind, ...target } = PG;
    expect(lines(dev({ backups: { targets: [target] } }))["strata:backups.targets[0].kind"]).toBe(
      "- strata:backups.targets[0].kind: is required: which kind of entry this is, one of `postgresql`, `mongodb`, `prometheus-snapshot`, `rabbitmq-definitions`, `valkey`, `sqlite` (got (not set))",
    );
  });
});

describe("an unknown key lists the keys allowed there and the nearest", () => {
  it("in a claim", () => {
    expect(lines(dev({ storage: { claims: { postgres: { namespace: "orders", size: "20Gi", critical: false, storageClassName: "gp3" } } } }))["strata:storage.claims.postgres.storageClassName"]).toBe(
      "- strata:storage.claims.postgres.storageClassName: is not a Strata config key in strata:storage.claims.postgres; did you mean `storageClass`? Allowed there: namespace, size, critical, storageClass, createNamespace, adopt (docs/config-reference.md) (got \"gp3\")",
    );
  });

  it("at the top level", () => {
    expect(lines(prod({ retension: { logsDays: 3 } }))["strata:retension"]).toMatch(/^- strata:retension: is not a Strata config key at the top level; did you mean `retention`\? Allowed there: profile, environment, cloud, region, .*retention.*\(got \{"logsDays":3\}\)$/);
  });

  it("in a backup target, with the keys of that kind of target", () => {
    expect(lines(dev({ backups: { targets: [{ ...PG, shedule: "@daily" }] } }))["strata:backups.targets[0].shedule"]).toBe(
      "- strata:backups.targets[0].shedule: is not a Strata config key in strata:backups.targets[0]; did you mean `schedule`? Allowed there: name, schedule, drillSchedule, scratchSizeGiB, protectsClaims, kind, host, port, database, user, passwordSecret, pitr, timescaledb (docs/config-reference.md) (got \"@daily\")",
    );
  });

  it("an unknown kind of target lists the kinds", () => {
    expect(lines(dev({ backups: { targets: [{ ...PG, kind: "postgres" }] } }))["strata:backups.targets[0].kind"]).toBe(
      "- strata:backups.targets[0].kind: must be one of `postgresql`, `mongodb`, `prometheus-snapshot`, `rabbitmq-definitions`, `valkey`, `sqlite` (got \"postgres\", set in this stack)",
    );
  });
});

describe("every problem in one run, cross-field ones included", () => {
  it("a typo in a backup target no longer hides the TSDB cap (metrics' rule reads the backups section)", () => {
    const found = lines(prod({ retention: { localTsdbSizeGiB: 500 }, backups: { targets: [{ ...PG, shedule: "0 2 * * *" }] } }));
    expect(Object.keys(found).sort()).toEqual(["strata:backups.targets[0].shedule", "strata:retention.localTsdbSizeGiB"]);
    expect(found["strata:retention.localTsdbSizeGiB"]).toMatch(/^- strata:retention\.localTsdbSizeGiB: must be <= \d+ \(85% of the \d+ GiB Prometheus volume from the capacity estimate\)/);
  });

  it("a broken target is set aside and the rules over the list name the others by their own index", () => {
    const found = lines(dev({ backups: { targets: [{ ...PG, name: "first", host: "Not A Host" }, PG, PG] } }));
    expect(found["strata:backups.targets[0].host"]).toContain("must be a host name");
    expect(found["strata:backups.targets[2].name"]).toBe('- strata:backups.targets[2].name: must be unique among backup targets (got "orders-db", set in this stack)');
    expect(found).not.toHaveProperty("strata:backups.targets[1].name");
  });

  it("a claim with a misspelt key does not hide another claim's size on hcloud", () => {
    const found = lines(dev({ cloud: "hcloud", storage: { claims: { a: { namespace: "x", size: "5Gi", critical: false }, b: { namespace: "y", size: "20Gi", critical: false, sizeGiB: 20 } } } }));
    expect(found["strata:storage.claims.a.size"]).toBe('- strata:storage.claims.a.size: must be at least 10Gi on cloud hcloud: the Hetzner CSI driver refuses smaller volumes (got "5Gi", set in this stack)');
    expect(found).toHaveProperty(["strata:storage.claims.b.sizeGiB"]);
  });
});

describe("numbers and booleans written as strings (pulumi config set --path)", () => {
  it("are read as numbers and booleans wherever the schema wants one", () => {
    const { config } = resolveConfig(
      rawConfig(prod({ retention: { metricsRawDays: "30", localTsdbDays: "2", localTsdbSizeGiB: "5" }, storage: { ebs: { iops: "3000" }, defaultClass: "true" }, metrics: { prometheus: { replicas: "1" } }, alerting: { slack: { enabled: "false" } } })),
    );
    expect(config.retention.metricsRawDays).toBe(30);
    expect(config.retention.localTsdbDays).toBe(2);
    expect(config.storage.ebs.iops).toBe(3000);
    expect(config.storage.defaultClass).toBe(true);
    expect(config.metrics.prometheus.replicas).toBe(1);
    expect(config.alerting.slack.enabled).toBe(false);
  });

  it("inside list items of a union too", () => {
    const { config } = resolveConfig(rawConfig(dev({ backups: { targets: [{ ...PG, port: "5433", scratchSizeGiB: "20" }] } })));
    expect(config.backups.targets[0]).toMatchObject({ port: 5433, scratchSizeGiB: 20 });
  });

  it("a string that is not a number still fails, naming the key", () => {
    expect(lines(prod({ metrics: { prometheus: { replicas: "two" } } }))["strata:metrics.prometheus.replicas"]).toBe(
      '- strata:metrics.prometheus.replicas: must be a number (e.g. `1`) (got "two", set in this stack)',
    );
  });

  it("a fractional string where an integer is wanted fails as the number would", () => {
    expect(lines(prod({ retention: { metricsRawDays: "1.5" } }))["strata:retention.metricsRawDays"]).toMatch(/^- strata:retention\.metricsRawDays: must be a whole number \(e\.g\. `1`\) \(got "1\.5", set in this stack\)$/);
  });

  it("a string where a string is wanted stays a string", () => {
    expect(() => resolveConfig(rawConfig(dev({ backups: { targets: [{ ...PG, database: "2024" }] } })))).not.toThrow();
    const { config } = resolveConfig(rawConfig(dev({ backups: { targets: [{ ...PG, database: "2024" }] } })));
    expect((config.backups.targets[0] as { database: string }).database).toBe("2024");
  });
});

it("config errors stay ConfigErrors (exit 2 in the CLI)", () => {
  expect(() => resolveConfig(rawConfig(dev({ retension: {} })))).toThrow(ConfigError);
});

describe("the config reference documents every entry's fields", () => {
  it("a claim's fields, with types, required marks and examples (not just `object`)", async () => {
    const { configReference } = await import("../infra/config/reference");
    const rows = Object.fromEntries(configReference().map((r) => [r.key, r]));
    expect(rows["storage.claims.<name>.size"]).toMatchObject({ type: "string (required)" });
    expect(rows["storage.claims.<name>.size"]!.description).toContain("Example: `10Gi`.");
    expect(rows["storage.claims.<name>.namespace"]).toBeDefined();
    expect(rows["backups.targets[].name"]).toMatchObject({ type: "string (required)" });
    expect(rows["backups.targets[].schedule"]!.type).toBe("string");
    expect(rows["alerting.email.to"]).toBeDefined();
  });
});

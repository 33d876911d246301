/**
 * Old backups under another key layout stay readable once Strata adopts the bucket they are in (issue 22,
 * docs/runbooks/adopt-existing-estate.md, "Old backups under another key layout"): `retention.legacyBackupPrefixes`
 * gives them their own expiry, Strata's tiers and expirations apply only under its own `<kind>/` prefixes, and
 * Strata's jobs write beside them without touching them. With real servers: s3rver and the AWS CLI v2 hold the
 * seeds' old layouts (seed 004: a year of `mongo/YYYY/MM/DD` dumps; seed 001: `pg_dump | gzip | aws s3 cp` under
 * `postgres/`), Strata's own backup runtime writes a PostgreSQL backup into the same bucket, and the old dump is read
 * back with the team's own command and restored into a real PostgreSQL 15.
 *
 * s3rver does not run lifecycle rules (it answers NotImplemented to them), so which rule reaches which object is
 * decided here by S3's documented matching: a rule's filter prefix applies to every key that starts with it, and of
 * several expirations the earliest wins (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html),
 * over the keys the bucket really holds and the rules the stack really plans.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, jobEnv } from "./helpers/scripts";
import { runRuntime } from "./helpers/runtime";
import { PG_BIN, startPostgres, startPushgateway, startS3, tempDir, type Postgres, type Pushgateway, type S3 } from "./helpers/servers";
import { runPlan, type Plan } from "../../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile } from "../../infra/plan/stackFile";
import { withConfig } from "../helpers/plan";
import type { LifecycleRule } from "../../components/archive/lifecycle";

const EXAMPLES = join(PROJECT_DIR, "examples", "stacks");
const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";

let root: string;
const stopping: (() => Promise<void>)[] = [];
beforeAll(() => {
  root = tempDir("legacy-backups");
});
afterAll(async () => {
  for (const stop of stopping.reverse()) await stop();
  rmSync(root, { recursive: true, force: true });
});

async function planned(stack: string, changes: Record<string, unknown>): Promise<Plan> {
  const outcome = await runPlan({ project: "strata", stack: "legacy", config: withConfig(readStackConfigFile(join(EXAMPLES, stack)), changes) });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.plan;
}
const backupsRules = (p: Plan) => (p.resources.find((r) => r.type === LIFECYCLE && r.name === "backups")!.inputs as { rules: LifecycleRule[] }).rules;

/** The rules S3 applies to one key: enabled, and the key starts with the filter's prefix (no prefix: every key). */
const rulesFor = (key: string, rules: LifecycleRule[]) => rules.filter((r) => r.status === "Enabled" && key.startsWith(r.filter.prefix ?? ""));
/** When S3 expires a current object of this key (the earliest expiration in days), and whether any rule moves it. */
function fate(key: string, rules: LifecycleRule[]) {
  const applying = rulesFor(key, rules);
  const days = applying.map((r) => r.expiration?.days).filter((d): d is number => d !== undefined);
  return { expiresAfterDays: days.length ? Math.min(...days) : undefined, expirations: days.length, transitions: applying.flatMap((r) => r.transitions ?? []) };
}

function aws(s3: S3, args: string[], input?: Buffer | string) {
  const r = spawnSync("/usr/bin/aws", ["--endpoint-url", s3.endpoint, ...args], { env: baseEnv(join(root, "home")), input, maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`aws ${args.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout;
}
const keysOf = (s3: S3) => (JSON.parse(aws(s3, ["s3api", "list-objects-v2", "--bucket", s3.bucket, "--output", "json"]).toString()).Contents as { Key: string }[]).map((o) => o.Key);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("seed 004: a year of mongodump archives under mongo/YYYY/MM/DD in the adopted miyou-monitoring-archive bucket", () => {
  let s3: S3;
  let rules: LifecycleRule[];
  const legacy = [
    { prefix: "mongo/", days: 730 },
    { prefix: "prometheus/", days: 365 },
    { prefix: "loki/", days: 365 },
  ];

  beforeAll(async () => {
    s3 = await startS3("miyou-monitoring-archive");
    stopping.push(() => s3.stop());
    // The seed's layout, one archive a day for a year: s3://miyou-monitoring-archive/mongo/YYYY/MM/DD/...
    const local = join(root, "miyou");
    const day0 = Date.UTC(2024, 11, 1);
    for (let d = 0; d < 365; d++) {
      const date = new Date(day0 + d * 86_400_000).toISOString().slice(0, 10);
      const [y, m, dd] = date.split("-");
      mkdirSync(join(local, "mongo", y!, m!, dd!), { recursive: true });
      writeFileSync(join(local, "mongo", y!, m!, dd!, `miyou-${y}${m}${dd}.archive.gz`), gzipSync(`mongodump archive of ${date}\n`));
    }
    mkdirSync(join(local, "prometheus", "2025", "06", "01"), { recursive: true });
    writeFileSync(join(local, "prometheus", "2025", "06", "01", "snapshot.tar"), "prometheus snapshot\n");
    aws(s3, ["s3", "cp", "--recursive", "--only-show-errors", local, `s3://${s3.bucket}/`]);
    rules = backupsRules(
      await planned("Pulumi.miyou.yaml", {
        archive: { adopt: { buckets: { backups: "miyou-monitoring-archive" } }, backups: { objectLock: { enabled: false } } },
        retention: { localTsdbDays: 15, logsDays: 30, backupDailyDays: 30, backupArchiveDays: 365, legacyBackupPrefixes: legacy },
      }),
    );
  }, 180_000);

  it("the stack takes the seed's own prefixes as they are (validated like every key)", () => {
    expect(rules.filter((r) => r.id.startsWith("legacy-expiration-")).map((r) => [r.filter.prefix, r.expiration?.days])).toEqual(legacy.map((l) => [l.prefix, l.days]));
  });

  it("every archive of the year stays in STANDARD and expires only by its own rule, after 730 days", () => {
    const keys = keysOf(s3).filter((k) => k.startsWith("mongo/"));
    expect(keys).toHaveLength(365);
    for (const key of keys) expect(fate(key, rules), key).toEqual({ expiresAfterDays: 730, expirations: 1, transitions: [] });
    expect(fate("prometheus/2025/06/01/snapshot.tar", rules)).toEqual({ expiresAfterDays: 365, expirations: 1, transitions: [] });
  });

  it("Strata's own backups of the same bucket tier and expire by their kind's rule, which reaches no old archive", () => {
    const own = fate("mongodb/mongodb/2026/12/05/mongodb-20261205T020000Z.archive.zst", rules);
    expect(own.expiresAfterDays).toBe(365);
    expect(own.expirations).toBe(1);
    expect(own.transitions.length).toBeGreaterThan(0);
    const ownPrefixes = rules.filter((r) => r.id.startsWith("tiers-and-expiration-")).map((r) => r.filter.prefix!);
    expect(keysOf(s3).filter((k) => ownPrefixes.some((p) => k.startsWith(p)))).toEqual([]);
  });

  it("an archive reads back byte for byte with the AWS CLI", () => {
    const body = aws(s3, ["s3", "cp", `s3://${s3.bucket}/mongo/2025/03/02/miyou-20250302.archive.gz`, "-"]);
    expect(spawnSync("gunzip", ["-c"], { input: body }).stdout.toString()).toBe("mongodump archive of 2025-03-02\n");
  });
});

describe("seed 001: the team's own pg_dump under postgres/, beside Strata's PostgreSQL backups in the same adopted bucket", () => {
  let s3: S3;
  let pg: Postgres;
  let pgw: Pushgateway;
  let plan: Plan;
  const BUCKET = "powerlifting-backups";
  const OLD = "postgres/backup-20250302-020000.sql.gz";
  const pgEnv = () => ({ ...baseEnv(join(root, "home")), PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "postgres", PGPASSWORD: pg.password });

  beforeAll(async () => {
    [s3, pg, pgw] = await Promise.all([startS3(BUCKET), startPostgres(), startPushgateway()]);
    stopping.push(() => s3.stop(), () => pg.stop(), () => pgw.stop());
    pg.psql("postgres", "CREATE DATABASE powerlifting_app;");
    pg.psql(
      "powerlifting_app",
      `CREATE TABLE lifts (id serial PRIMARY KEY, athlete text NOT NULL, lift text NOT NULL, kg numeric(5,1) NOT NULL, at date NOT NULL);
       INSERT INTO lifts (athlete, lift, kg, at) SELECT 'athlete-' || (g % 40), (ARRAY['squat','bench','deadlift'])[1 + g % 3], 40 + (g % 200) * 1.5, date '2024-01-01' + (g % 400) FROM generate_series(1, 5000) g;`,
    );
    // The seed's own CronJob command (001, "Option A: pg_dump via CronJob"), against this server and bucket.
    const made = spawnSync("bash", ["-c", `set -o pipefail; pg_dump -d powerlifting_app | gzip | aws --endpoint-url "$S3" s3 cp - "s3://${BUCKET}/${OLD}"`], { env: { ...pgEnv(), S3: s3.endpoint }, encoding: "utf8", timeout: 120_000 });
    expect(made.status, made.stderr).toBe(0);
    plan = await planned("Pulumi.powerlifting.yaml", {
      archive: { adopt: { buckets: { backups: BUCKET } }, backups: { objectLock: { enabled: false } } },
      retention: { backupDailyDays: 30, snapshotRetainCount: 7, legacyBackupPrefixes: [{ prefix: "postgres/", days: 90 }] },
    });
  }, 180_000);

  it("Strata's real backup job writes its own layout into the bucket and leaves the old dump as it was", async () => {
    const before = readFileSync(s3.objectPath(OLD));
    // The planned CronJob sets no S3_PREFIX: its keys start with <kind>/<target>/, the prefixes its rules filter on.
    const cronJob = plan.resources.find((r) => r.type === "kubernetes:batch/v1:CronJob" && r.name === "postgresql-backup")!;
    expect(JSON.stringify(cronJob.inputs)).not.toContain("S3_PREFIX");
    const result = await runRuntime("backup", jobEnv(root, { s3, pushgatewayUrl: pgw.url }, "postgresql", "postgresql", { PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "postgres", PGPASSWORD: pg.password, PGDATABASE: "powerlifting_app" }));
    expect(result.code, result.stderr).toBe(0);
    const keys = keysOf(s3);
    expect(keys.some((k) => /^postgresql\/postgresql\/\d{4}\/\d{2}\/\d{2}\/postgresql-\d{8}T\d{6}Z\.pgdump/.test(k))).toBe(true);
    expect(keys).toContain("postgresql/postgresql/latest.json");
    expect(sha(readFileSync(s3.objectPath(OLD)))).toBe(sha(before));

    const rules = backupsRules(plan);
    expect(fate(OLD, rules)).toEqual({ expiresAfterDays: 90, expirations: 1, transitions: [] });
    for (const key of keys.filter((k) => k.startsWith("postgresql/"))) expect(fate(key, rules).expirations, key).toBe(1);
  }, 300_000);

  it("the old dump restores into a new database with the team's own command, every row as it was", () => {
    pg.psql("postgres", "CREATE DATABASE restored;");
    const restored = spawnSync("bash", ["-c", `set -o pipefail; aws --endpoint-url "$S3" s3 cp "s3://${BUCKET}/${OLD}" - | gunzip | ${PG_BIN}/psql -X -q -v ON_ERROR_STOP=1 -d restored`], { env: { ...pgEnv(), S3: s3.endpoint }, encoding: "utf8", timeout: 120_000 });
    expect(restored.status, restored.stderr).toBe(0);
    const digest = "SELECT count(*) || ':' || md5(string_agg(id || athlete || lift || kg || at, ',' ORDER BY id)) FROM lifts";
    expect(pg.psql("restored", digest).trim()).toBe(pg.psql("powerlifting_app", digest).trim());
    expect(pg.psql("restored", "SELECT count(*) FROM lifts").trim()).toBe("5000");
  });
});

/**
 * The other kinds, with the runtime's bundle as the pods run it, a real Pushgateway and s3rver:
 *   - sqlite: for real (the online backup API through node:sqlite, integrity_check, row counts); the concurrent
 *     writer, the read-only source and the faults are in backup-sqlite.test.ts.
 *   - rabbitmq-definitions and valkey have suites of their own against real servers (backup-rabbitmq.test.ts,
 *     backup-valkey.test.ts).
 *   - mongodb: STUBBED mongodump/mongod/mongorestore on PATH (no MongoDB is installable here). This tests the
 *     runtime's logic only: the archive streamed, the document counts parsed from mongodump's log, the drill's
 *     comparison of the documents mongorestore reports, and the failures of each.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEnv } from "./helpers/scripts";
import { runRuntime } from "./helpers/runtime";
import { Pushgateway, S3, startPushgateway, startS3, tempDir } from "./helpers/servers";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS, EXIT } from "../../components/backup/contract";

let s3: S3;
let pgw: Pushgateway;
let root: string;

function env(kind: string, target: string, over: Record<string, string> = {}): Record<string, string> {
  return jobEnv(root, { s3, pushgatewayUrl: pgw.url }, kind, target, over);
}
const latest = (kind: string, target: string) => JSON.parse(readFileSync(s3.objectPath(`${kind}/${target}/latest.json`), "utf8"));

beforeAll(async () => {
  root = tempDir("kinds-suite");
  [s3, pgw] = await Promise.all([startS3(), startPushgateway()]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([s3?.stop(), pgw?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("sqlite (real SQLite through node:sqlite)", () => {
  let db: string;
  beforeAll(() => {
    db = join(root, "app.sqlite3");
    const r = spawnSync("sqlite3", [db], {
      input: `PRAGMA journal_mode=WAL;
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE "odd ""name""" (v BLOB);
        WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 5000) INSERT INTO users SELECT x, hex(randomblob(16)) FROM g;
        WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 321) INSERT INTO "odd ""name""" SELECT randomblob(64) FROM g;`,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
  });

  it("backs up online with the backup API, records row counts, and the drill verifies integrity and counts", async () => {
    const b = await runRuntime("backup", env("sqlite", "app", { SQLITE_PATH: db }));
    expect(b.code, b.stderr).toBe(0);
    const m = latest("sqlite", "app");
    expect(m.key).toMatch(/^sqlite\/app\/\d{4}\/\d{2}\/\d{2}\/app-\d{8}T\d{6}Z\.sqlite3\.zst$/);
    expect(m.counts).toEqual({ users: 5000, 'odd "name"': 321 });
    const d = await runRuntime("drill", env("sqlite", "app"));
    expect(d.stderr).toContain("counts match");
    expect(d.code, d.stderr).toBe(0);
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, "sqlite", "app")).toBe(1);
  });

  it("gzip compression works end to end too (BACKUP_COMPRESSION=gzip)", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const b = await runRuntime("backup", env("sqlite", "app", { SQLITE_PATH: db, BACKUP_COMPRESSION: "gzip" }));
    expect(b.code, b.stderr).toBe(0);
    expect(latest("sqlite", "app").key).toMatch(/\.sqlite3\.gz$/);
    const d = await runRuntime("drill", env("sqlite", "app"));
    expect(d.code, d.stderr).toBe(0);
  });

  it("a missing database file fails loudly and is pushed", async () => {
    const b = await runRuntime("backup", env("sqlite", "gone", { SQLITE_PATH: join(root, "nope.sqlite3") }));
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("does not exist");
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, "sqlite", "gone")).toBe(0);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastSuccess, "sqlite", "gone")).toBeUndefined();
  });
});

describe("mongodb (STUBBED mongodump/mongod/mongorestore on PATH: the runtime's logic only, no MongoDB here)", () => {
  let stubs: string;
  beforeAll(() => {
    stubs = join(root, "stubs");
    mkdirSync(stubs, { recursive: true });
    const write = (name: string, body: string) => {
      writeFileSync(join(stubs, name), `#!/usr/bin/env bash\n${body}\n`);
      chmodSync(join(stubs, name), 0o755);
    };
    // The archive is a text stand-in: one "collection count" line per collection.
    write(
      "mongodump",
      `case "$*" in *--version*) printf 'mongodump version: 100.10.0 (stub)\\ngit version: stub\\n'; exit 0 ;; esac
[ -z "$STUB_FAIL" ] || { echo "Failed: can't create session: could not connect to server" >&2; exit 1; }
printf 'STUBARCHIVE\\napp.orders 1200\\napp.users 34\\n'
printf '2026-01-01T00:00:00.000+0000\\twriting app.orders to archive on stdout\\n' >&2
printf '2026-01-01T00:00:00.000+0000\\tdone dumping app.orders (1200 documents)\\n' >&2
printf '2026-01-01T00:00:00.000+0000\\tdone dumping app.users (34 documents)\\n' >&2`,
    );
    write("mongod", `exit 0`);
    write(
      "mongorestore",
      `for a in "$@"; do case "$a" in --archive=*) f=\${a#--archive=} ;; esac; done
head -n1 "$f" | grep -q STUBARCHIVE || { echo "Failed: stream or file does not appear to be a mongodump archive" >&2; exit 1; }
total=$(awk 'NR > 1 { s += $2 } END { print s - (ENVIRON["STUB_LOSE"] + 0) }' "$f")
echo "2026-01-01T00:00:00.000+0000	$total document(s) restored successfully and 0 document(s) failed to restore." >&2`,
    );
  });
  const mongoEnv = (over: Record<string, string> = {}) => {
    const e = env("mongodb", "mongo", { MONGODB_URI: "mongodb://u:p@127.0.0.1:1/app", ...over });
    return { ...e, PATH: `${stubs}:${e.PATH}` };
  };

  it("archives mongodump's output, records documents per collection; the drill compares documents restored", async () => {
    const b = await runRuntime("backup", mongoEnv());
    expect(b.code, b.stderr).toBe(0);
    expect(latest("mongodb", "mongo").counts).toEqual({ "app.orders": 1200, "app.users": 34 });
    expect(latest("mongodb", "mongo").key).toMatch(/\.archive\.zst$/);
    expect(latest("mongodb", "mongo").tool_version).toBe("mongodump version: 100.10.0 (stub)");
    const d = await runRuntime("drill", mongoEnv());
    expect(d.stderr).toContain("documents match");
    expect(d.code, d.stderr).toBe(0);
  });

  it("no MONGODB_URI is a configuration error naming it", async () => {
    const b = await runRuntime("backup", { ...mongoEnv(), MONGODB_URI: "" });
    expect(b.code).toBe(EXIT.config);
    expect(b.stderr).toContain("MONGODB_URI is required for kind mongodb");
  });

  it("mongodump failing fails the backup with its reason and leaves latest.json on the last good backup", async () => {
    const before = latest("mongodb", "mongo");
    const b = await runRuntime("backup", mongoEnv({ STUB_FAIL: "1" }));
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("BACKUP FAILED: mongodump failed");
    expect(b.stderr).toContain("could not connect to server");
    expect(latest("mongodb", "mongo")).toEqual(before);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, "mongodb", "mongo")).toBe(0);
  });

  it("fewer documents restored than dumped fails the drill", async () => {
    const d = await runRuntime("drill", mongoEnv({ STUB_LOSE: "1" }));
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("RESTORED DATA DIFFERS: documents restored 1233 (failed 0), expected 1234");
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, "mongodb", "mongo")).toBe(0);
  });
});

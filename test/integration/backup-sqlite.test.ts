/**
 * The sqlite kind the way its CronJobs run it (components/backup/cronJob.ts): the runtime (the bundle the plan ships,
 * through Node's own SQLite) without write access to the application's directory (the job mounts the claim
 * read-only), against a real SQLite database in WAL mode that another process keeps committing to; then the runtime's
 * restore drill. s3rver and a real Pushgateway on 127.0.0.1.
 * Faults: a WAL database nobody has open on a read-only volume, a damaged source, a damaged object in the bucket, and
 * an archive whose checksum is right but whose database is damaged.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectEncryptedRoundTrip } from "./helpers/age";
import { baseEnv, jobEnv, logLines, type RunAs, type RunResult } from "./helpers/scripts";
import { runRuntime as run } from "./helpers/runtime";
import { Pushgateway, S3, sleep, startPushgateway, startS3, tempDir } from "./helpers/servers";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS } from "../../components/backup/contract";

const KIND = "sqlite";
const PYTHON = "/usr/bin/python3";
const SQLITE3 = "/usr/bin/sqlite3";
/** Root ignores file permissions: the backup then runs as nobody, as the job's container runs as its own uid. */
const READER: RunAs | undefined = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

let s3: S3;
let pgw: Pushgateway;
let root: string;

const latest = (target: string) => JSON.parse(readFileSync(s3.objectPath(`${KIND}/${target}/latest.json`), "utf8")) as Record<string, any>;
const metric = (job: string, name: string, target: string) => pgw.value(job, name, KIND, target);

function env(target: string, over: Record<string, string> = {}): Record<string, string> {
  // The node image the sqlite jobs run in has no zstd CLI: the runtime compresses with Node's zlib there, as here.
  const e = jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, target, { ZSTD_PROGRAM: "node", ...over });
  // The job's own user writes its scratch space; here that user is nobody.
  chmodSync(e.WORK_DIR!, 0o777);
  return e;
}

/** One backup as the CronJob's pod runs it: one container, with read-only access to the data. */
async function backup(target: string, over: Record<string, string> = {}): Promise<RunResult> {
  return run("backup", env(target, over), 120_000, READER);
}

function sqlite(db: string, sql: string): string {
  const r = spawnSync(SQLITE3, [db], { input: sql, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`sqlite3 ${db} failed: ${r.stderr}`);
  return r.stdout;
}

/** Makes a directory and everything in it read-only, the way a read-only mount looks to the job's dump container. */
function makeReadOnly(dir: string): void {
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o444);
  chmodSync(dir, 0o555);
}

/** The application: one process that keeps the database open and commits 20 rows every 10 ms, printing its total. */
const WRITER = `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
rows = db.execute("SELECT count(*) FROM events").fetchone()[0]
print(f"rows {rows}", flush=True)
while True:
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO events (at, payload) VALUES (?, randomblob(300))", [(time.time(),)] * 20)
    db.execute("COMMIT")
    rows += 20
    print(f"rows {rows}", flush=True)
    time.sleep(0.01)
`;

interface Writer {
  child: ChildProcess;
  /** Rows committed so far, as the writer last reported. */
  rows(): number;
  stop(): Promise<void>;
}

async function startWriter(db: string): Promise<Writer> {
  const child = spawn(PYTHON, ["-c", WRITER, db], { stdio: ["ignore", "pipe", "pipe"] });
  let rows = -1;
  let pending = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    const lines = (pending + d.toString()).split("\n");
    pending = lines.pop()!;
    const last = lines.at(-1);
    if (last !== undefined) rows = Number(last.replace(/^rows /, ""));
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  while (rows < 0) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the writer did not start: ${stderr}`);
    await sleep(50);
  }
  return {
    child,
    rows: () => rows,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

beforeAll(async () => {
  root = tempDir("sqlite-suite");
  [s3, pgw] = await Promise.all([startS3(), startPushgateway()]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([s3?.stop(), pgw?.stop()]);
  if (root) {
    // Undo the read-only directories, or a non-root run could not remove them.
    spawnSync("chmod", ["-R", "u+rwX", root]);
    rmSync(root, { recursive: true, force: true });
  }
});

describe("sqlite: online backup beside a running writer, from a read-only volume", () => {
  const data = () => join(root, "app-data");
  const db = () => join(data(), "app.sqlite3");
  let writer: Writer;

  beforeAll(async () => {
    mkdirSync(data(), { mode: 0o755 });
    // About 15 MB of rows, so the copy is not instantaneous, and table names that need quoting and escaping.
    sqlite(
      db(),
      `PRAGMA journal_mode=WAL;
       CREATE TABLE events (id INTEGER PRIMARY KEY, at REAL, payload BLOB);
       CREATE INDEX events_at ON events (at);
       CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
       CREATE TABLE "odd ""name""" (v BLOB);
       CREATE TABLE "tab\tname" (v INTEGER);
       WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 40000) INSERT INTO events (at, payload) SELECT x, randomblob(300) FROM g;
       WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 2500) INSERT INTO users (name) SELECT 'user-' || x FROM g;
       WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 321) INSERT INTO "odd ""name""" SELECT randomblob(64) FROM g;
       INSERT INTO "tab\tname" VALUES (1), (2), (3);`,
    );
    writer = await startWriter(db());
    // The writer holds the database open: its -wal and -shm exist. From now on nobody may create or change a file
    // there but the writer, through the descriptors it already has.
    makeReadOnly(data());
  }, 60_000);

  afterAll(async () => writer?.stop());

  it("copies a consistent snapshot while the writer commits, and the drill restores it: integrity_check ok, counts equal", async () => {
    const before = writer.rows();
    const files = readdirSync(data()).sort();
    const dump = await backup("app", { SQLITE_PATH: db() });
    const after = writer.rows();
    expect(dump.code, dump.stderr).toBe(0);
    expect(readdirSync(data()).sort(), "the backup created nothing beside the database").toEqual(files);
    expect(files).toEqual(["app.sqlite3", "app.sqlite3-shm", "app.sqlite3-wal"]);
    expect(logLines(dump.stderr).find((l) => l.msg === "online copy complete")).toMatchObject({ journal_mode: "wal" });
    expect(dump.stderr).not.toContain('"level":"warn"');

    const m = latest("app");
    expect(m.key).toMatch(/^sqlite\/app\/\d{4}\/\d{2}\/\d{2}\/app-\d{8}T\d{6}Z\.sqlite3\.zst$/);
    expect(m.format).toBe("sqlite3-database");
    expect(m.tool_version).toMatch(/^SQLite 3\.\d+\.\d+$/);
    // One snapshot, taken while the writer was committing: not before the run began, not after it ended.
    expect(m.counts.events).toBeGreaterThanOrEqual(before);
    expect(m.counts.events).toBeLessThanOrEqual(after);
    expect(after, "the writer kept committing during the backup").toBeGreaterThan(before);
    expect(m.counts.events % 20).toBe(0);
    expect(m.counts).toEqual({ events: m.counts.events, 'odd "name"': 321, "tab\\tname": 3, users: 2500 });
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, "app")).toBe(1);

    const d = await run("drill", env("app"));
    expect(d.stderr).toContain("counts match");
    expect(d.code, d.stderr).toBe(0);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess, "app")).toBe(1);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastVerifiedBackup, "app")).toBe(m.started_epoch);
  });

  it("encrypted with age while the writer commits: only ciphertext stored; the drill decrypts with the identity, the wrong one fails loudly", async () => {
    const m = await expectEncryptedRoundTrip({
      root, s3, pgw, kind: KIND, target: "app-age", ext: "sqlite3.zst",
      backup: (extra) => backup("app-age", { SQLITE_PATH: db(), ...extra }),
      drill: (extra) => run("drill", env("app-age", extra)),
    });
    expect(m.counts).toEqual({ events: m.counts.events, 'odd "name"': 321, "tab\\tname": 3, users: 2500 });
  });

  it("a damaged source is never uploaded: the copy fails integrity_check and latest.json keeps the previous backup", async () => {
    const damaged = join(root, "damaged-source");
    mkdirSync(damaged);
    const file = join(damaged, "app.sqlite3");
    writeDamagedDatabase(file);
    const previous = readFileSync(s3.objectPath(`${KIND}/app/latest.json`));
    await sleep(1100); // a new run timestamp
    const dump = await backup("app", { SQLITE_PATH: file });
    expect(dump.code).toBe(1);
    expect(dump.stderr).toContain("the copy fails integrity_check");
    expect(dump.stderr).toContain("BACKUP FAILED");
    expect(readFileSync(s3.objectPath(`${KIND}/app/latest.json`))).toEqual(previous);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, "app")).toBe(0);
  });

  it("a damaged object in the bucket fails the drill at the checksum, before anything is restored", async () => {
    const lastPass = await metric(DRILL_JOB, DRILL_METRICS.lastSuccess, "app");
    const object = s3.objectPath(latest("app").key);
    const bytes = readFileSync(object);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(object, bytes);
    const d = await run("drill", env("app"));
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("CHECKSUM MISMATCH");
    expect(d.stderr).toContain("RESTORE DRILL FAILED");
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess, "app")).toBe(0);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastSuccess, "app")).toBe(lastPass);
  });
});

describe("sqlite faults", () => {
  it("a WAL database that no writer has open, on a read-only volume, fails the backup saying so", async () => {
    const dir = join(root, "closed-data");
    mkdirSync(dir, { mode: 0o755 });
    const file = join(dir, "app.sqlite3");
    // The last connection to close deletes the -wal and -shm files; a read-only reader cannot create them again.
    sqlite(file, "PRAGMA journal_mode=WAL; CREATE TABLE t (v); INSERT INTO t VALUES (1);");
    expect(readdirSync(dir)).toEqual(["app.sqlite3"]);
    makeReadOnly(dir);
    const dump = await backup("closed", { SQLITE_PATH: file, SQLITE_WRITER_WAIT_SECONDS: "2" });
    expect(dump.code).toBe(1);
    expect(dump.stderr).toContain("no writer had it open");
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, "closed")).toBe(0);
    expect(readdirSync(dir)).toEqual(["app.sqlite3"]);
  });

  it("the run's deadline ends the SQLite step it waits on (the writer wait here) and reports the failure before the Job's deadline would", async () => {
    const dir = join(root, "closed-deadline");
    mkdirSync(dir, { mode: 0o755 });
    const file = join(dir, "app.sqlite3");
    sqlite(file, "PRAGMA journal_mode=WAL; CREATE TABLE t (v); INSERT INTO t VALUES (1);");
    makeReadOnly(dir);
    const started = Date.now();
    const dump = await backup("deadline", { SQLITE_PATH: file, SQLITE_WRITER_WAIT_SECONDS: "120", PHASE_WAIT_SECONDS: "3" });
    expect(dump.code).toBe(1);
    expect(dump.stderr).toContain("was stopped (the run's deadline or SIGTERM)");
    expect(Date.now() - started, "well before the writer wait of 120 s").toBeLessThan(60_000);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, "deadline")).toBe(0);
  });

  it("an archive whose checksum is right but whose database is damaged fails the drill's integrity_check", async () => {
    const target = "damaged";
    const file = join(root, "damaged.sqlite3");
    writeDamagedDatabase(file);
    const body = gzipSync(readFileSync(file));
    const sha256 = createHash("sha256").update(body).digest("hex");
    const key = `${KIND}/${target}/2026/11/20/${target}-20261120T020000Z.sqlite3.gz`;
    const manifest = {
      schema: 1,
      kind: KIND,
      target,
      bucket: s3.bucket,
      key,
      manifest_key: `${key}.manifest.json`,
      sha256,
      size_bytes: body.length,
      compression: "gzip",
      format: "sqlite3-database",
      tool_version: "SQLite 3.40.1",
      started_epoch: 1795615200,
      started_at: "2026-11-20T02:00:00Z",
      uploaded_epoch: 1795615230,
      counts: { t: 100 },
    };
    const manifestFile = join(root, "damaged.manifest.json");
    writeFileSync(join(root, "damaged.sqlite3.gz"), body);
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    const aws = (k: string, bodyFile: string, metadata: string[] = []) => {
      const r = spawnSync("/usr/bin/aws", ["--endpoint-url", s3.endpoint, "s3api", "put-object", "--bucket", s3.bucket, "--key", k, "--body", bodyFile, ...metadata, "--output", "text"], {
        env: baseEnv(join(root, "home")),
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
    };
    aws(key, join(root, "damaged.sqlite3.gz"), ["--metadata", `sha256=${sha256}`]);
    aws(manifest.manifest_key, manifestFile);
    aws(`${KIND}/${target}/latest.json`, manifestFile);

    const d = await run("drill", env(target));
    expect(d.stderr).toContain("checksum verified");
    expect(d.stderr).toContain("the restored database fails integrity_check");
    expect(d.code).toBe(1);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess, target)).toBe(0);
  });
});

/** A database with 100 rows whose index page is overwritten: it opens and counts, but fails integrity_check. */
function writeDamagedDatabase(file: string): void {
  sqlite(file, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v); WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100) INSERT INTO t (v) SELECT 'value-' || x FROM g;");
  const [indexPage, pageSize] = sqlite(file, "SELECT rootpage FROM sqlite_master WHERE name = 't_v'; PRAGMA page_size;").trim().split("\n").map(Number);
  const bytes = readFileSync(file);
  // The index's cells sit at the end of its page.
  bytes.fill(0xff, indexPage! * pageSize! - 200, indexPage! * pageSize!);
  writeFileSync(file, bytes);
  expect(statSync(file).size).toBe(bytes.length);
}

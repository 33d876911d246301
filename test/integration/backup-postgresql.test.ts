/**
 * The in-pod runtime (the bundle the plan ships, components/backup/runtime/) against a real PostgreSQL 15
 * (scram-sha-256 over loopback), a real Pushgateway and s3rver on 127.0.0.1: backup -> drill -> row counts and
 * checksums, and every fault failing loudly, pushed as a failure, and never moving latest.json.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEnv, logLines } from "./helpers/scripts";
import { runRuntime as run, startRuntime as start } from "./helpers/runtime";
import { Postgres, Pushgateway, recordingProxy, S3, sleep, startPostgres, startPushgateway, startS3, tempDir } from "./helpers/servers";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS, latestKey as contractLatestKey, parseLatest, parseManifest } from "../../components/backup/contract";

const KIND = "postgresql";
const TARGET = "app-db";

let pg: Postgres;
let s3: S3;
let pgw: Pushgateway;
let root: string;
const killedWorkDirs = new Set<string>();
/** The drill's steps that run only on a verified object: the indexes' restore and the counts. */
const finishedRestore = (l: Record<string, string>) => (l.msg === "restoring" && (l.sections === "post-data" || l.sections === "all")) || l.msg === "counts match";

function env(over: Record<string, string> = {}): Record<string, string> {
  return jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, TARGET, {
    S3_PREFIX: "backups",
    S3_SSE_KMS_KEY_ID: "alias/strata-backups",
    PGHOST: "127.0.0.1",
    PGPORT: String(pg.port),
    PGUSER: "postgres",
    PGPASSWORD: pg.password,
    PGDATABASE: "app",
    RESTORE_JOBS: "2",
    ...over,
  });
}

const latestKey = contractLatestKey("backups", KIND, TARGET);
// latest.json as the scripts wrote it, read with the contract's validating reader (and checked against the manifest it
// names, of which it must be a byte-identical copy).
const readLatest = () => {
  const text = readFileSync(s3.objectPath(latestKey), "utf8");
  const manifest = parseManifest(text, latestKey).manifest_key;
  return parseLatest(text, readFileSync(s3.objectPath(manifest), "utf8"), latestKey) as Record<string, any>;
};
const metric = (job: string, name: string) => pgw.value(job, name, KIND, TARGET);

function expectedCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ["public.accounts", "public.events", "public.measurements", "public.measurements_2025", "public.measurements_2026", "audit.Mixed Case"]) {
    const [schema, table] = t.split(/\.(.*)/s);
    out[t] = Number(pg.psql("app", `SELECT count(*) FROM "${schema}"."${table}"`).trim());
  }
  return out;
}

beforeAll(async () => {
  root = tempDir("pg-suite");
  [pg, s3, pgw] = await Promise.all([startPostgres(), startS3(), startPushgateway()]);
  pg.psql("postgres", "CREATE DATABASE app; CREATE DATABASE big;");
  pg.psql(
    "app",
    `CREATE TABLE accounts (id serial PRIMARY KEY, email text UNIQUE NOT NULL, created timestamptz NOT NULL, balance numeric(12,2));
     INSERT INTO accounts (email, created, balance)
       SELECT 'user' || g || '@' || md5(g::text) || '.example', now() - g * interval '1 minute', round((random() * 10000)::numeric, 2)
       FROM generate_series(1, 20000) g;
     CREATE TABLE events (id bigserial PRIMARY KEY, account_id int REFERENCES accounts(id), ref uuid NOT NULL, payload jsonb);
     INSERT INTO events (account_id, ref, payload)
       SELECT 1 + (g % 20000), md5(g::text)::uuid, jsonb_build_object('n', g, 'tag', md5(random()::text), 'ok', g % 3 = 0)
       FROM generate_series(1, 60000) g;
     CREATE INDEX ON events (account_id);
     CREATE TABLE measurements (at date NOT NULL, v double precision) PARTITION BY RANGE (at);
     CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
     CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
     INSERT INTO measurements SELECT date '2025-01-01' + (g % 700), random() FROM generate_series(1, 30000) g;
     CREATE SCHEMA audit;
     CREATE TABLE audit."Mixed Case" (id int, note text);
     INSERT INTO audit."Mixed Case" SELECT g, repeat('x', g % 50) FROM generate_series(1, 777) g;`,
  );
  // ~90 MB of incompressible-ish text, so an upload lasts long enough to kill the S3 server in the middle of it.
  pg.psql(
    "big",
    `CREATE TABLE blob AS SELECT g AS id, (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 24) i) AS data
     FROM generate_series(1, 120000) g;`,
  );
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([pg?.stop(), s3?.stop(), pgw?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("postgresql backup and restore drill (real PostgreSQL 15, Pushgateway, AWS CLI v2, s3rver)", () => {
  let first: Record<string, any>;
  let firstSuccess: number;

  it("backs up: object under the key layout, SHA-256 recorded, manifest and latest.json written last", async () => {
    // Through a proxy that records every request: each write must ask for SSE-KMS with the key, in order.
    const proxy = await recordingProxy(() => s3.port);
    const r = await run("backup", env({ S3_ENDPOINT_URL: proxy.endpoint }));
    await proxy.close();
    const writes = proxy.requests.filter((q) => q.method === "PUT" || q.method === "POST");
    const creates = writes.filter((q) => (q.method === "POST" && /[?&]uploads(=|&|$)/.test(q.path)) || (q.method === "PUT" && !/[?&]partNumber=/.test(q.path)));
    expect(creates.map((q) => (q.path.includes("latest.json") ? "latest" : q.path.includes(".manifest.json") ? "manifest" : "object"))).toEqual(["object", "manifest", "latest"]);
    for (const q of creates) {
      expect(q.headers["x-amz-server-side-encryption"], q.path).toBe("aws:kms");
      expect(q.headers["x-amz-server-side-encryption-aws-kms-key-id"], q.path).toBe("alias/strata-backups");
    }
    // The object is complete before its manifest is written.
    const completed = writes.findIndex((q) => q.method === "POST" && /[?&]uploadId=/.test(q.path));
    expect(completed === -1 || completed < writes.findIndex((q) => q.path.includes(".manifest.json"))).toBe(true);
    expect(r.stderr).toContain("BACKUP OK");
    expect(r.code, r.stderr).toBe(0);
    first = readLatest();
    expect(first.key).toMatch(new RegExp(`^backups/postgresql/app-db/\\d{4}/\\d{2}/\\d{2}/app-db-\\d{8}T\\d{6}Z\\.pgdump\\.zst$`));
    const stamp = /(\d{4})(\d{2})(\d{2})T/.exec(first.key)!;
    expect(first.key).toContain(`/${stamp[1]}/${stamp[2]}/${stamp[3]}/`);
    expect(first.manifest_key).toBe(`${first.key}.manifest.json`);
    // latest.json is a byte-identical copy of the manifest.
    expect(readFileSync(s3.objectPath(first.manifest_key), "utf8")).toBe(readFileSync(s3.objectPath(latestKey), "utf8"));
    const obj = readFileSync(s3.objectPath(first.key));
    expect(obj.length).toBe(first.size_bytes);
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(obj).digest("hex")).toBe(first.sha256);
    // The manifest records its own SHA-256 as metadata (the off-site copy checks it); the dump's is in the manifest.
    expect(JSON.parse(readFileSync(s3.objectPath(first.manifest_key).replace(/object$/, "metadata.json"), "utf8"))["x-amz-meta-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(first).toMatchObject({ kind: KIND, target: TARGET, compression: "zstd", format: "pg_dump-custom" });
    expect(first.counts).toEqual(expectedCounts());
    // structured logs: every stderr line is JSON
    for (const line of r.stderr.split("\n").filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess)).toBe(1);
    firstSuccess = (await metric(BACKUP_JOB, BACKUP_METRICS.lastSuccess))!;
    expect(firstSuccess).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.size)).toBe(first.size_bytes);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.duration)).toBeGreaterThanOrEqual(0);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastCompletion)).toBeGreaterThanOrEqual(firstSuccess);
  });

  it("restore drill: newest complete backup, checksum verified, pg_restore -j 2 of a piped custom dump, row counts equal", async () => {
    const r = await run("drill", env());
    expect(r.stderr).toContain("checksum verified");
    expect(r.stderr).toContain("counts match");
    expect(r.stderr).toContain("RESTORE DRILL OK");
    expect(r.code, r.stderr).toBe(0);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess)).toBe(1);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastVerifiedBackup)).toBe(first.started_epoch);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastSuccess)).toBeGreaterThan(0);
    expect(await metric(DRILL_JOB, DRILL_METRICS.duration)).toBeGreaterThanOrEqual(0);
  });

  it("a second backup gets its own key and the drill restores it (the scratch server started while it downloads)", async () => {
    await sleep(1100); // a new second, so a new key
    const r = await run("backup", env());
    expect(r.stderr).toContain("BACKUP OK");
    expect(r.code, r.stderr).toBe(0);
    const latest = readLatest();
    expect(latest.key).not.toBe(first.key);
    expect(latest.counts).toEqual(first.counts);
    const d = await run("drill", env());
    expect(d.stderr).toContain("RESTORE DRILL OK");
    expect(d.code, d.stderr).toBe(0);
    // With two jobs the whole dump restores -j2 once it is downloaded and verified (a dump read as it grows restores
    // one table at a time); the scratch server started while it downloaded.
    const lines = logLines(d.stderr);
    const at = (pred: (l: Record<string, string>) => boolean) => lines.findIndex(pred);
    expect(at((l) => l.msg === "restoring" && l.sections === "pre-data, data")).toBe(-1);
    expect(at((l) => l.msg === "scratch server ready, waiting for the backup")).toBeGreaterThan(-1);
    expect(at((l) => l.msg === "checksum verified")).toBeLessThan(at((l) => l.msg === "restoring" && l.sections === "all" && l.jobs === "2"));
    expect(at((l) => l.msg === "checksum verified")).toBeLessThan(at((l) => l.msg === "counts match"));
    // With one job (TimescaleDB's drill) nothing is lost by loading schema and data as the dump lands: it does; only
    // indexes and constraints, the counts and the verdict wait for the verified object.
    const single = await run("drill", env({ RESTORE_JOBS: "1" }));
    expect(single.code, single.stderr).toBe(0);
    const one = logLines(single.stderr);
    const at1 = (pred: (l: Record<string, string>) => boolean) => one.findIndex(pred);
    expect(at1((l) => l.msg === "restoring" && l.sections === "pre-data, data")).toBeGreaterThan(-1);
    expect(at1((l) => l.msg === "checksum verified")).toBeLessThan(at1((l) => l.msg === "restoring" && l.sections === "post-data"));
    expect(at1((l) => l.msg === "checksum verified")).toBeLessThan(at1((l) => l.msg === "counts match"));
    // The override, both ways, and a wrong value named before anything starts.
    const forced = await run("drill", env({ PG_DRILL_LOAD_WHILE_DOWNLOADING: "1" }));
    expect(forced.code, forced.stderr).toBe(0);
    expect(logLines(forced.stderr).some((l) => l.msg === "restoring" && l.sections === "pre-data, data")).toBe(true);
    const wrong = await run("drill", env({ PG_DRILL_LOAD_WHILE_DOWNLOADING: "yes" }));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("PG_DRILL_LOAD_WHILE_DOWNLOADING 'yes' must be 1 or 0");
    first = latest;
    firstSuccess = (await metric(BACKUP_JOB, BACKUP_METRICS.lastSuccess))!;
  });

  it("a backup compressed by Node's zlib (ZSTD_PROGRAM=node: the dump then passes through the runtime) and one by the image's zstd (pg_dump writing straight into it) restore either way", async () => {
    await sleep(1100);
    const viaNode = await run("backup", env({ ZSTD_PROGRAM: "node" }));
    expect(viaNode.code, viaNode.stderr).toBe(0);
    const latest = readLatest();
    expect(latest.key).not.toBe(first.key);
    expect(latest.counts).toEqual(first.counts);
    for (const codec of [{ ZSTD_PROGRAM: "auto" }, { ZSTD_PROGRAM: "node" }]) {
      const d = await run("drill", env(codec));
      expect(d.code, d.stderr).toBe(0);
      expect(d.stderr).toContain("counts match");
    }
    await sleep(1100);
    const viaCli = await run("backup", env());
    expect(viaCli.code, viaCli.stderr).toBe(0);
    const d = await run("drill", env({ ZSTD_PROGRAM: "node" }));
    expect(d.code, d.stderr).toBe(0);
    first = readLatest();
    firstSuccess = (await metric(BACKUP_JOB, BACKUP_METRICS.lastSuccess))!;
  });

  /** A failed backup: non-zero, loud, pushed as a failure, last success kept (POST semantics), latest.json unmoved. */
  async function expectFailedBackup(r: { code: number | null; stderr: string }, stderrHint: RegExp) {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/BACKUP FAILED/);
    expect(r.stderr).toMatch(stderrHint);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess)).toBe(0);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.lastSuccess)).toBe(firstSuccess);
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.size)).toBe(first.size_bytes);
    expect(readLatest().key).toBe(first.key);
  }

  it("wrong password: fails loudly with the server's message, failure pushed, previous success kept", async () => {
    const r = await run("backup", env({ PGPASSWORD: "not-the-password" }));
    await expectFailedBackup(r, /password authentication failed/);
  });

  it("database unreachable: fails loudly, failure pushed", async () => {
    const r = await run("backup", env({ PGPORT: "1" }));
    await expectFailedBackup(r, /cannot open a session on the database[\s\S]*(Connection refused|could not connect)/);
  });

  it("pg_dump killed half-way: the run fails, and the multipart upload is aborted (no object under the key layout)", async () => {
    await sleep(1100);
    const job = start("backup", env({ PGDATABASE: "big" }));
    await job.waitForLog('"msg":"uploading"');
    await sleep(400);
    expect(spawnSync("pkill", ["-KILL", "-f", "pg_dump -Fc -Z0 --snapshot"]).status).toBe(0);
    const r = await job.done;
    await expectFailedBackup(r, /pg_dump failed \(killed by SIGKILL\)/);
    const day = join(s3.dir, s3.bucket, "backups/postgresql/app-db");
    const objects = spawnSync("find", [day, "-name", "*.pgdump.zst._S3rver_object", "-newer", s3.objectPath(first.key)], { encoding: "utf8" }).stdout.trim();
    expect(objects).toBe("");
  });

  it("job SIGKILLed mid-upload: latest.json still names the previous good backup, and the drill restores it", async () => {
    await sleep(1100);
    const killedEnv = env({ PGDATABASE: "big" });
    killedWorkDirs.add(killedEnv.WORK_DIR!);
    const job = start("backup", killedEnv);
    await job.waitForLog('"msg":"uploading"');
    await sleep(300);
    job.killGroup();
    const r = await job.done;
    expect(r.signal ?? r.code).toBeTruthy();
    expect(readLatest().key).toBe(first.key);
    const drill = await run("drill", env());
    expect(drill.code).toBe(0);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastVerifiedBackup)).toBe(first.started_epoch);
  });

  it("scratch disk full (WORK_DIR on a 2 MiB tmpfs): the drill fails loudly naming it, failure pushed", async () => {
    const e = env();
    const mnt = spawnMount(e.WORK_DIR!);
    try {
      const r = await run("drill", e);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/no space left on device/i);
      expect(r.stderr).toContain("RESTORE DRILL FAILED");
      expect(logLines(r.stderr).some(finishedRestore)).toBe(false);
      expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess)).toBe(0);
    } finally {
      mnt.unmount();
    }
  });

  it("S3 down mid-upload (server SIGKILLed during a multipart upload): fails loudly, nothing presented as newest", async () => {
    await sleep(1100);
    const job = start("backup", env({ PGDATABASE: "big" }));
    await job.waitForLog('"msg":"uploading"');
    await sleep(250);
    await s3.kill();
    const r = await job.done;
    await s3.restart();
    await expectFailedBackup(r, /upload to s3:\/\/strata-backups\/backups\/postgresql\/app-db\/.* did not complete/);
  });

  it("corrupted archive: bytes flipped in the stored object, the drill catches it and pushes a failure", async () => {
    const drillSuccess = await metric(DRILL_JOB, DRILL_METRICS.lastSuccess);
    const path = s3.objectPath(first.key);
    const original = readFileSync(path);
    const bad = Buffer.from(original);
    for (let i = 0; i < 16; i++) bad[Math.floor(bad.length / 2) + i] ^= 0xff;
    writeFileSync(path, bad);
    try {
      const r = await run("drill", env());
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("CHECKSUM MISMATCH");
      expect(r.stderr).toContain("RESTORE DRILL FAILED");
      expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess)).toBe(0);
      expect(await metric(DRILL_JOB, DRILL_METRICS.lastSuccess)).toBe(drillSuccess);
    } finally {
      writeFileSync(path, original);
    }
  });

  it("refuses a backup whose manifest is missing or differs from latest.json: nothing restored, failure pushed", async () => {
    // The drill downloads the object while it fetches the manifest, and decompresses it as it arrives: neither may
    // lead to a restore before both checks pass.
    const manifest = s3.objectPath(first.manifest_key);
    const meta = manifest.replace(/object$/, "metadata.json");
    const moved = (p: string) => `${p}.moved`;
    for (const p of [manifest, meta]) renameSync(p, moved(p));
    try {
      const r = await run("drill", env());
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("cannot read the manifest latest.json names");
      expect(r.stderr).toContain("RESTORE DRILL FAILED");
      expect(logLines(r.stderr).some((l) => l.msg === "restoring")).toBe(false);
      expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess)).toBe(0);
    } finally {
      for (const p of [manifest, meta]) renameSync(moved(p), p);
    }
    const original = readFileSync(manifest, "utf8");
    writeFileSync(manifest, original.replace('"schema": 1', '"schema": 1 '));
    try {
      const r = await run("drill", env());
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("latest.json and the manifest it names differ");
      expect(logLines(r.stderr).some((l) => l.msg === "restoring")).toBe(false);
    } finally {
      writeFileSync(manifest, original);
    }
  });

  it("an object that matches its manifest but does not decompress fails the drill (a backup written corrupt)", async () => {
    const { createHash } = await import("node:crypto");
    const obj = s3.objectPath(first.key);
    const original = readFileSync(obj);
    const text = readFileSync(s3.objectPath(latestKey), "utf8");
    // A valid zstd frame header followed by garbage, recorded consistently: the checksum passes, zstd must not.
    const bad = Buffer.concat([original.subarray(0, 64), Buffer.alloc(200_000, 0x5a)]);
    const sha = createHash("sha256").update(bad).digest("hex");
    const lie = text.replace(/"sha256": "[0-9a-f]+"/, `"sha256": "${sha}"`).replace(/"size_bytes": \d+/, `"size_bytes": ${bad.length}`);
    const paths = [s3.objectPath(latestKey), s3.objectPath(first.manifest_key)];
    writeFileSync(obj, bad);
    for (const p of paths) writeFileSync(p, lie);
    try {
      const r = await run("drill", env());
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("checksum verified");
      expect(r.stderr).toContain("the verified backup does not decompress");
      expect(r.stderr).toContain("RESTORE DRILL FAILED");
      expect(logLines(r.stderr).some(finishedRestore)).toBe(false);
    } finally {
      writeFileSync(obj, original);
      for (const p of paths) writeFileSync(p, text);
    }
  });

  it("S3 down mid-download: the drill fails, stops its throwaway server and leaves no scratch behind", async () => {
    await sleep(1100);
    const big = await run("backup", env({ PGDATABASE: "big", BACKUP_TARGET: "big-db" }));
    expect(big.code, big.stderr).toBe(0);
    // First whole: a dump large enough that pg_restore, loading it as it lands, is still fed when it has what it needs.
    const whole = await run("drill", env({ PGDATABASE: "big", BACKUP_TARGET: "big-db" }));
    expect(whole.stderr).toContain("counts match");
    expect(whole.code, whole.stderr).toBe(0);
    // Both ways the drill restores: after the download (two jobs), and loading as it lands (one job).
    for (const jobs of ["2", "1"]) {
      const e = env({ PGDATABASE: "big", BACKUP_TARGET: "big-db", RESTORE_JOBS: jobs });
      const drill = start("drill", e);
      await drill.waitForLog("fetching the newest complete backup");
      await sleep(150);
      await s3.kill();
      const r = await drill.done;
      await s3.restart();
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("RESTORE DRILL FAILED");
      expect(logLines(r.stderr).some(finishedRestore)).toBe(false);
      expect(readdirSync(e.WORK_DIR!), `RESTORE_JOBS=${jobs}`).toEqual([]);
      // no scratch server left behind
      expect(spawnSync("pgrep", ["-f", join(e.WORK_DIR!, "drill-")]).status).toBe(1);
    }
  });

  it("restored data that differs from the manifest's row counts fails the drill", async () => {
    // Tamper with the recorded invariant (manifest and latest.json together, as a consistent lie).
    const text = readFileSync(s3.objectPath(latestKey), "utf8");
    const tampered = text.replace(/"public\.accounts": \d+/, '"public.accounts": 1');
    const paths = [s3.objectPath(latestKey), s3.objectPath(first.manifest_key)];
    for (const p of paths) writeFileSync(p, tampered);
    try {
      const r = await run("drill", env());
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("RESTORED DATA DIFFERS");
      expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess)).toBe(0);
    } finally {
      for (const p of paths) writeFileSync(p, text);
    }
  });

  it("a Pushgateway that is down does not hide a good backup: exit 3, PUSH FAILED on stderr, latest.json moved", async () => {
    await sleep(1100);
    const r = await run("backup", env({ PUSHGATEWAY_URL: "http://127.0.0.1:1", PUSH_TIMEOUT_SECONDS: "2" }));
    expect(r.stderr).toContain("BACKUP OK");
    expect(r.stderr).toContain("PUSH FAILED");
    expect(r.code, r.stderr).toBe(3);
    expect(readLatest().key).not.toBe(first.key);
  });

  it("configuration errors exit 2 and name the variable", async () => {
    const r = await run("backup", env({ BACKUP_TARGET: "Bad Target" }));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("BACKUP_TARGET 'Bad Target' must match");
    const u = await run("sideways", env());
    expect(u.code).toBe(2);
  });

  it("leaves no scratch behind in WORK_DIR after every run that ended (a SIGKILLed job's emptyDir goes with its pod)", () => {
    const dirs = readdirSync(root).filter((d) => d.startsWith("work-") && !killedWorkDirs.has(join(root, d)));
    expect(dirs.length).toBeGreaterThan(10);
    for (const d of dirs) expect(readdirSync(join(root, d)).filter((f) => f.startsWith("drill-") || f.startsWith("backup-"))).toEqual([]);
    expect(statSync(root).isDirectory()).toBe(true);
  });
});

/** A 2 MiB tmpfs over `dir` (the tests run as root, and mount works in this sandbox); fails the test clearly if not. */
function spawnMount(dir: string): { unmount(): void } {
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cannot mount a small tmpfs for the disk-full fault: ${r.stderr}`);
  return { unmount: () => void spawnSync("umount", ["-l", dir]) };
}

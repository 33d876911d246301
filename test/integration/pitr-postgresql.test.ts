/**
 * Point-in-time recovery, for real: PostgreSQL 15 on 127.0.0.1, s3rver, the Pushgateway and the runtime (the bundle
 * the plan ships): its base backup, WAL receiver and point-in-time restore, as the CronJobs and the Job
 * `npm run restore-job` renders run them. A base backup, writes while the
 * receiver streams, S3 down while streaming, the receiver killed and restarted, then the source killed with SIGKILL
 * and its data directory deleted; restores to the end of the WAL and to a time between two writes; the drill; and the
 * faults that must fail loudly (a corrupt WAL segment, a missing one, a corrupt base backup, no REPLICATION grant).
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, jobEnv, Running } from "./helpers/scripts";
import { runRuntime, startRuntime as startRuntimeProc } from "./helpers/runtime";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "../../components/backup/runtime/bundle";
import { pointInTimeRestoreObjects } from "../../components/backup/restoreJob";
import type { BackupTarget } from "../../infra/config/sections/backups";
import { holdingProxy, Postgres, Pushgateway, S3, sleep, startPostgres, startPushgateway, startS3, tempDir } from "./helpers/servers";
import { archivedThrough as archivedThroughOf, restoreDir as restoreDirIn, restoredNotes as restoredNotesAs, waitArchived as waitArchivedThrough } from "./helpers/pitr";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS, pitrSlotName } from "../../components/backup/contract";

const KIND = "postgresql";
const TARGET = "app-db";

let pg: Postgres;
let s3: S3;
let pgw: Pushgateway;
let root: string;
let receiverWork: string;
let receiver: Running | undefined;

function env(over: Record<string, string> = {}): Record<string, string> {
  return jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, TARGET, {
    S3_PREFIX: "backups",
    S3_SSE_KMS_KEY_ID: "alias/strata-backups",
    PGHOST: "127.0.0.1",
    PGPORT: String(pg.port),
    PGUSER: "postgres",
    PGPASSWORD: pg.password,
    PGDATABASE: "app",
    PHASE_WAIT_SECONDS: "240",
    PITR_RECOVERY_TIMEOUT_SECONDS: "120",
    // The slot the plan names for this target (the CronJob's PITR_SLOT).
    PITR_SLOT: pitrSlotName(TARGET),
    ...over,
  });
}

const prefix = `backups/${KIND}/${TARGET}`;
const walDir = () => join(s3.dir, s3.bucket, ...prefix.split("/"), "wal");
const archivedWal = () => (existsSync(walDir()) ? readdirSync(walDir()).filter((f) => f.endsWith("._S3rver_object")).map((f) => f.replace(/\._S3rver_object$/, "")) : []);
const archivedThrough = () => archivedThroughOf(receiverWork);

function startReceiver(): Running {
  const e = { ...env({ PITR_UPLOAD_INTERVAL_SECONDS: "1", PITR_STATUS_INTERVAL_SECONDS: "1", PITR_LOCAL_KEEP_SEGMENTS: "1" }), WORK_DIR: receiverWork };
  return startRuntimeProc("wal-receiver", e, 600_000);
}

const waitArchived = (epoch: number) => waitArchivedThrough(receiverWork, epoch, receiverLog);
let receiverLogs = "";
const receiverLog = () => receiverLogs + (receiver ? "" : "");

const nowEpoch = () => Math.floor(Date.now() / 1000);
const insert = (note: string) => pg.psql("app", `INSERT INTO marks (note) VALUES ('${note}') RETURNING extract(epoch FROM at)`).trim();

const restoredNotes = (dataDir: string) => restoredNotesAs(dataDir, pg.password);
const restoreDir = (name: string) => restoreDirIn(root, name);

beforeAll(async () => {
  root = tempDir("pitr-suite");
  receiverWork = join(root, "receiver-claim");
  [pg, s3, pgw] = await Promise.all([startPostgres(), startS3(), startPushgateway()]);
  pg.psql("postgres", "CREATE DATABASE app; CREATE ROLE no_repl LOGIN PASSWORD 'pw-no-repl';");
  pg.psql(
    "app",
    `CREATE TABLE marks (id bigserial PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
     CREATE TABLE filler AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 50000) g;
     CREATE INDEX ON filler (h);`,
  );
}, 300_000);

afterAll(async () => {
  receiver?.killGroup();
  await Promise.allSettled([pg?.stop(), s3?.stop(), pgw?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("PITR for PostgreSQL (real PostgreSQL 15, s3rver, Pushgateway, the runtime)", () => {
  it("refuses clearly when the role lacks the REPLICATION attribute (receiver and base backup)", async () => {
    const r = await runRuntime("wal-receiver", env({ PGUSER: "no_repl", PGPASSWORD: "pw-no-repl" }), 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("the role 'no_repl' lacks the REPLICATION attribute");
    expect(r.stderr).toContain('ALTER ROLE \\"no_repl\\" WITH REPLICATION');
    const b = await runRuntime("basebackup", env({ PGUSER: "no_repl", PGPASSWORD: "pw-no-repl" }), 60_000);
    expect(b.code, b.stderr).toBe(2);
    expect(b.stderr).toContain("lacks the REPLICATION attribute");
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, TARGET)).toBe(0);
  });

  let kill1: string;
  let beforeTarget: string[];
  let targetIso: string;

  it("streams WAL, takes a verified base backup, survives S3 down and a receiver restart without a gap, and the source's death", async () => {
    receiver = startReceiver();
    receiver.done.then((r) => (receiverLogs += r.stderr));
    await receiver.waitForLog("receiving WAL", 60_000);
    insert("before-base");

    const b = await runRuntime("basebackup", env(), 300_000);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain("base backup verified by pg_verifybackup");
    expect(b.stderr).toContain("kept the WAL the base backup needs as long as the base backup");
    const latest = JSON.parse(readFileSync(s3.objectPath(`${prefix}/base/latest.json`), "utf8"));
    expect(latest).toMatchObject({ kind: KIND, target: TARGET, format: "pg_basebackup-tar", compression: "zstd", timeline: 1 });
    expect(latest.key).toMatch(/^backups\/postgresql\/app-db\/base\/\d{4}\/\d{2}\/\d{2}\/app-db-\d{8}T\d{6}Z\.tar\.zst$/);
    expect(latest.start_wal_file).toMatch(/^[0-9A-F]{24}$/);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, TARGET)).toBeDefined();
    const m = await pgw.samples(BACKUP_JOB);
    expect(Object.entries(m).find(([k]) => k.startsWith(`${BACKUP_METRICS.lastRunSuccess}{`) && k.includes('method="basebackup"'))?.[1]).toBe(1);

    // A store where CopyObject fails (Hetzner Object Storage may): a proxy that refuses it, and the job told so. The
    // proxy also holds the base backup's own completion until WAL written during the backup is archived, so there is
    // some to keep: it is downloaded, checked and uploaded again whole, and the backup succeeds.
    insert("before-second-base");
    // The later cases drill from the first base backup (their faults sit in the WAL after it): its pointer goes back.
    const firstLatest = readFileSync(s3.objectPath(`${prefix}/base/latest.json`));
    const isBaseObjectCompletion = (method: string, path: string) =>
      path.includes("/base/") && !path.includes(".manifest.json") && !path.includes("latest.json") && ((method === "POST" && /[?&]uploadId=/.test(path)) || (method === "PUT" && !/[?&]partNumber=/.test(path)));
    const proxy = await holdingProxy(() => s3.port, isBaseObjectCompletion);
    const second = startRuntimeProc("basebackup", env({ S3_ENDPOINT_URL: proxy.endpoint, S3_SERVER_SIDE_COPY: "false" }), 300_000);
    await second.waitForLog("base backup verified by pg_verifybackup", 120_000);
    insert("during-second-base");
    pg.psql("app", "SELECT pg_switch_wal()");
    await waitArchived(nowEpoch() + 1);
    expect(proxy.held()).toBe(1);
    proxy.release();
    const b2 = await second.done;
    await proxy.close();
    expect(b2.code, b2.stderr).toBe(0);
    expect(proxy.copiesRefused()).toBe(0);
    const kept = /"msg":"kept the WAL the base backup needs as long as the base backup".*"objects":"?(\d+)"?.*"server_side_copy":"false"/.exec(b2.stderr);
    expect(kept, b2.stderr).not.toBeNull();
    expect(Number(kept![1])).toBeGreaterThanOrEqual(1);
    writeFileSync(s3.objectPath(`${prefix}/base/latest.json`), firstLatest);

    // Writes with completed segments (pg_switch_wal) and a partial one.
    for (let i = 0; i < 3; i++) {
      insert(`streamed-${i}`);
      pg.psql("app", "SELECT pg_switch_wal()");
    }
    insert("streamed-partial");
    await waitArchived(nowEpoch());
    expect(archivedWal().some((k) => /^[0-9A-F]{24}\.partial\.zst$/.test(k))).toBe(true);

    // S3 down while streaming: WAL stays on the receiver's volume, goes up when S3 is back, nothing skipped.
    await s3.kill();
    for (let i = 0; i < 3; i++) {
      insert(`s3-down-${i}`);
      pg.psql("app", "SELECT pg_switch_wal()");
    }
    const downAt = nowEpoch();
    await receiver.waitForLog("WAL upload failed", 30_000);
    await sleep(1500);
    expect(archivedThrough()).toBeLessThan(downAt + 1);
    await s3.restart();
    await waitArchived(downAt + 1);

    // The receiver killed (the whole pod, SIGKILL) while the source keeps writing; restarted on the same volume.
    receiver.killGroup();
    await receiver.done;
    for (let i = 0; i < 3; i++) {
      insert(`receiver-down-${i}`);
      pg.psql("app", "SELECT pg_switch_wal()");
    }
    receiver = startReceiver();
    receiver.done.then((r) => (receiverLogs += r.stderr));
    await waitArchived(nowEpoch() + 1);

    // A target time between two writes.
    insert("before-target");
    await sleep(1200);
    targetIso = new Date().toISOString();
    await sleep(1200);
    insert("after-target");
    kill1 = insert("last-archived");
    await waitArchived(Math.ceil(Number(kill1)) + 1);
    beforeTarget = pg.psql("app", "SELECT note FROM marks WHERE note <> 'after-target' AND note <> 'last-archived' ORDER BY id").split("\n").filter(Boolean);

    // Every completed segment since the base backup is archived, without a hole.
    const segs = archivedWal().filter((k) => /^[0-9A-F]{24}\.zst$/.test(k)).map((k) => parseInt(k.slice(16, 24), 16)).sort((a, b) => a - b);
    const first = parseInt(latest.start_wal_file.slice(16), 16);
    const from = segs.filter((s) => s >= first);
    expect(from.length).toBeGreaterThanOrEqual(9);
    expect(from).toEqual(from.map((_, i) => first + i));

    // The source dies: SIGKILL, then its data directory is deleted. The receiver goes with it.
    const pid = Number(readFileSync(join(pg.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    process.kill(pid, "SIGKILL");
    rmSync(join(pg.dir, "data"), { recursive: true, force: true });
    receiver.killGroup();
    await receiver.done;
    receiver = undefined;
  }, 400_000);

  it("restores to the end of the WAL into a new data directory: every archived row is there", async () => {
    const dir = restoreDir("restored-latest");
    const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest", PITR_DATA_DIR: dir }), 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("base backup unpacked while downloading");
    expect(r.stderr).toContain("base backup verified by pg_verifybackup");
    expect(r.stderr).toContain("POINT-IN-TIME RESTORE OK");
    const notes = restoredNotes(dir);
    expect(notes).toEqual([...beforeTarget, "after-target", "last-archived"]);
  }, 300_000);

  it("restores to a time between two writes: rows before it are there, rows after it are not", async () => {
    const dir = restoreDir("restored-at-time");
    const r = await runRuntime("pitr-restore", env({ PITR_TARGET: targetIso, PITR_DATA_DIR: dir }), 300_000);
    expect(r.code, r.stderr).toBe(0);
    const notes = restoredNotes(dir);
    expect(notes).toEqual(beforeTarget);
    expect(notes).not.toContain("after-target");
  }, 300_000);

  it("the Job `npm run restore-job` renders restores to a time for real: its container's command and environment", async () => {
    const target = { name: TARGET, kind: KIND, host: "db", database: "app", user: "u", passwordSecret: { name: "s", key: "k" }, pitr: { enabled: true, serverMajorVersion: 15 } } as BackupTarget;
    const objects = pointInTimeRestoreObjects({
      target,
      time: targetIso,
      namespace: "strata-backups",
      bucket: s3.bucket,
      region: "us-east-1",
      storageClassName: "ebs-gp3",
      claimSize: "10Gi",
      name: "app-db-pitr-test",
      serviceAccountName: "strata-drill-app-db",
      s3EndpointUrl: s3.endpoint,
      labels: {},
    });
    const job = objects.find((o) => o.kind === "Job")!;
    const runtime = objects.find((o) => o.kind === "ConfigMap")!;
    // The ConfigMap holds the exact loader and bundle the suite runs.
    expect(runtime.data[RUNTIME_LOADER]).toBe(runtimeFiles().loader);
    expect(Buffer.from(runtime.binaryData[RUNTIME_BUNDLE], "base64").equals(runtimeFiles().bundle)).toBe(true);
    const work = join(root, "restore-job-work");
    const claim = restoreDir("restore-job-claim");
    const containers = job.spec.template.spec.containers as Record<string, any>[];
    expect(containers.map((c) => c.name)).toEqual(["restore"]);
    expect(job.spec.template.spec.initContainers.map((c: Record<string, any>) => c.name)).toEqual(["node"]);
    const c = containers[0]!;
    expect(c.command.slice(1)).toEqual([`/opt/strata/${RUNTIME_LOADER}`, "pitr-restore"]);
    const e: Record<string, string> = { ...baseEnv(join(root, "home")), PITR_RECOVERY_TIMEOUT_SECONDS: "120" };
    for (const v of c.env as { name: string; value: string }[]) e[v.name] = v.value;
    // The pod's paths, mapped into this test's directories; the bucket needs the suite's S3 prefix.
    e.WORK_DIR = work;
    e.PITR_DATA_DIR = e.PITR_DATA_DIR!.replace("/var/lib/strata-restore", claim);
    e.S3_PREFIX = "backups";
    e.PHASE_WAIT_SECONDS = "240";
    delete e.TOOLS_DIR;
    const restore = await runRuntime(c.command[2], e, 300_000);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toContain("POINT-IN-TIME RESTORE OK");
    expect(restoredNotes(join(claim, "pgdata"))).toEqual(beforeTarget);
  }, 300_000);

  it("the drill restores to a commit inside the window, checks it with pg_amcheck, and pushes the result", async () => {
    const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "drill" }), 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("drill target: the commit of a transaction in the window");
    expect(r.stderr).toContain("pg_amcheck found no corruption");
    expect(r.stderr).toContain("RESTORE DRILL OK");
    const s = await pgw.samples(DRILL_JOB);
    const get = (name: string) => Object.entries(s).find(([k]) => k.startsWith(name + "{") && k.includes('method="pitr"'))?.[1];
    expect(get(DRILL_METRICS.lastRunSuccess)).toBe(1);
    expect(get(DRILL_METRICS.recoverySeconds)).toBeGreaterThan(0);
    expect(get(DRILL_METRICS.recoveredTo)).toBeGreaterThan(nowEpoch() - 600);
  }, 300_000);

  it("a corrupt WAL segment fails the drill loudly", async () => {
    // A completed segment the restore needs: after the base backup's first one (a full segment wins over its partial).
    const latest = JSON.parse(readFileSync(s3.objectPath(`${prefix}/base/latest.json`), "utf8"));
    const seg = archivedWal().filter((k) => /^[0-9A-F]{24}\.zst$/.test(k) && k.slice(0, 24) > latest.start_wal_file).sort()[0]!;
    const path = s3.objectPath(`${prefix}/wal/${seg}`);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    for (let i = 64; i < bad.length; i += 97) bad[i] = bad[i]! ^ 0xff;
    writeFileSync(path, bad);
    try {
      const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest" }), 300_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("CHECKSUM MISMATCH: archived WAL");
      expect(r.stderr).toContain("RESTORE DRILL FAILED");
      const s = await pgw.samples(DRILL_JOB);
      expect(Object.entries(s).find(([k]) => k.startsWith(`${DRILL_METRICS.lastRunSuccess}{`) && k.includes('method="pitr"'))?.[1]).toBe(0);
    } finally {
      writeFileSync(path, good);
    }
  }, 300_000);

  it("a missing WAL segment is a gap the drill names", async () => {
    // A segment after the base backup's first one. The receiver may also have uploaded the same segment earlier as a
    // .partial (while it was the current one), and a partial stands in for its segment, so a true gap is both gone.
    const latest = JSON.parse(readFileSync(s3.objectPath(`${prefix}/base/latest.json`), "utf8"));
    const seg = archivedWal().filter((k) => /^[0-9A-F]{24}\.zst$/.test(k) && k.slice(0, 24) > latest.start_wal_file).sort()[1]!;
    const name = seg.replace(/\.zst$/, "");
    const hidden = [`${name}.zst`, `${name}.partial.zst`]
      .map((k) => s3.objectPath(`${prefix}/wal/${k}`))
      .filter((p) => existsSync(p))
      .flatMap((p) => [p, p.replace(/object$/, "metadata.json")])
      .map((p) => ({ p, body: readFileSync(p) }));
    for (const h of hidden) rmSync(h.p);
    try {
      const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest" }), 300_000);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`WAL GAP: segment ${name} is missing`);
    } finally {
      for (const h of hidden) writeFileSync(h.p, h.body);
    }
  }, 300_000);

  it("a corrupt base backup fails the drill loudly", async () => {
    const latest = JSON.parse(readFileSync(s3.objectPath(`${prefix}/base/latest.json`), "utf8"));
    const path = s3.objectPath(latest.key);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)] = bad[Math.floor(bad.length / 2)]! ^ 0x55;
    writeFileSync(path, bad);
    try {
      const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "drill" }), 300_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("CHECKSUM MISMATCH: the stored base backup is not the one that was written");
      expect(r.stderr).toContain("nothing restored: the base backup and the WAL were not both verified");
      expect(r.stderr).toContain("RESTORE DRILL FAILED");
    } finally {
      writeFileSync(path, good);
    }
  }, 300_000);
});

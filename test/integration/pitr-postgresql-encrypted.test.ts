/**
 * Point-in-time recovery encrypted with age, for real: PostgreSQL 15 on 127.0.0.1, s3rver, the Pushgateway, Debian's
 * age and the runtime (the bundle the plan ships): its base backup and WAL receiver given the recipient, its
 * point-in-time restore given the identity. The bucket holds only ciphertext (base backup and every WAL segment, partial
 * and history files included); the base backup's manifest and each segment's metadata record the recipient's
 * fingerprint and both SHA-256s; both base-backup paths of keep_wal_for_base (server-side copy and download/upload)
 * keep that metadata; a restore to the end of the WAL with the identity has every row; the wrong identity fails loudly
 * (DECRYPT FAILED, EXIT_DECRYPT, decrypt metric 0) before anything is restored; a damaged ciphertext segment is a
 * checksum mismatch.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRecipientOf, DRILL_DECRYPT_METRIC, ENCRYPTION_MANIFEST_FIELDS as F, EXIT_DECRYPT, recipientSha256 } from "../../components/backup/encryption";
import { jobEnv, Running } from "./helpers/scripts";
import { runRuntime, startRuntime, startRuntime as startRuntimeProc } from "./helpers/runtime";
import { holdingProxy, Postgres, Pushgateway, S3, startPostgres, startPushgateway, startS3, tempDir } from "./helpers/servers";
import { restoreDir, restoredNotes, waitArchived as waitArchivedThrough } from "./helpers/pitr";
import { AGE_MAGIC, ageIdentityFile, newAgeIdentity } from "./helpers/age";
import { DRILL_JOB, DRILL_METRICS, pitrSlotName } from "../../components/backup/contract";

const KIND = "postgresql";
const TARGET = "ledger-db";
const prefix = `${KIND}/${TARGET}`;
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

let pg: Postgres;
let s3: S3;
let pgw: Pushgateway;
let root: string;
let receiverWork: string;
let receiver: Running | undefined;
let receiverLog = "";
let identity: string;
let recipient: string;

const newIdentity = newAgeIdentity;
const identityFile = (name: string, id: string) => ageIdentityFile(root, name, id);

function env(over: Record<string, string> = {}): Record<string, string> {
  return jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, TARGET, {
    PGHOST: "127.0.0.1",
    PGPORT: String(pg.port),
    PGUSER: "postgres",
    PGPASSWORD: pg.password,
    PGDATABASE: "ledger",
    PHASE_WAIT_SECONDS: "240",
    PITR_RECOVERY_TIMEOUT_SECONDS: "120",
    // The slot the plan names for this target (the CronJob's PITR_SLOT).
    PITR_SLOT: pitrSlotName(TARGET),
    ...over,
  });
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const walDir = () => join(s3.dir, s3.bucket, ...prefix.split("/"), "wal");
const walObjects = () => (existsSync(walDir()) ? readdirSync(walDir()).filter((f) => f.endsWith("._S3rver_object")).map((f) => f.replace(/\._S3rver_object$/, "")) : []);
const walPath = (name: string) => s3.objectPath(`${prefix}/wal/${name}`);
const walMetadata = (name: string) => JSON.parse(readFileSync(walPath(name).replace(/object$/, "metadata.json"), "utf8")) as Record<string, string>;
const metaKey = (field: string) => `x-amz-meta-${field.replace(/_/g, "-")}`;
const nowEpoch = () => Math.floor(Date.now() / 1000);
const insert = (note: string) => pg.psql("ledger", `INSERT INTO marks (note) VALUES ('${note}')`);
/** The point-in-time drill's sample of this suite's target (method="pitr"). */
const drillSample = async (name: string) =>
  Object.entries(await pgw.samples(DRILL_JOB)).find(([k]) => k.startsWith(name + "{") && k.includes('method="pitr"') && k.includes(`target="${TARGET}"`))?.[1];
const readLatest = () => JSON.parse(readFileSync(s3.objectPath(`${prefix}/base/latest.json`), "utf8")) as Record<string, any>;

const waitArchived = (epoch: number) => waitArchivedThrough(receiverWork, epoch, () => receiverLog);

/** Every WAL object of the archive: ciphertext, with the metadata that lets a restore verify both sides. */
function expectEncryptedWal(): string[] {
  const names = walObjects();
  for (const n of names) {
    expect(n, "every WAL object is age-encrypted").toMatch(/^([0-9A-F]{24}(\.partial)?|[0-9A-F]{8}\.history)\.zst\.age$/);
    const body = readFileSync(walPath(n));
    expect(body.subarray(0, AGE_MAGIC.length).toString(), n).toBe(AGE_MAGIC);
    expect(body.includes(ZSTD_MAGIC), `${n} holds no zstd frame in plain`).toBe(false);
    const meta = walMetadata(n);
    expect(meta["x-amz-meta-sha256"], n).toBe(sha256(body));
    expect(meta[metaKey(F.recipientSha256)], n).toBe(recipientSha256(recipient));
    const plain = spawnSync("age", ["-d", "-i", identityFile("id-check", identity)], { input: body, maxBuffer: 1 << 28 });
    expect(plain.status, n).toBe(0);
    expect(meta[metaKey(F.plaintextSha256)], n).toBe(sha256(plain.stdout));
    expect(plain.stdout.subarray(0, 4).equals(ZSTD_MAGIC), `${n} decrypts to a zstd frame`).toBe(true);
  }
  return names;
}

beforeAll(async () => {
  root = tempDir("pitr-age-suite");
  receiverWork = join(root, "receiver-claim");
  [pg, s3, pgw] = await Promise.all([startPostgres(), startS3(), startPushgateway()]);
  pg.psql("postgres", "CREATE DATABASE ledger;");
  pg.psql("ledger", "CREATE TABLE marks (id bigserial PRIMARY KEY, note text NOT NULL); CREATE TABLE filler AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 20000) g;");
  identity = newIdentity();
  recipient = ageRecipientOf(identity);
}, 300_000);

afterAll(async () => {
  receiver?.killGroup();
  await Promise.allSettled([pg?.stop(), s3?.stop(), pgw?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("PITR encrypted with age (real PostgreSQL 15, s3rver, Pushgateway, age, the exact scripts)", () => {
  let allNotes: string[];

  it("the receiver and the base backups encrypt to the recipient: only ciphertext in the bucket, both SHA-256s and the recipient recorded", async () => {
    receiver = startRuntimeProc("wal-receiver", { ...env({ PITR_UPLOAD_INTERVAL_SECONDS: "1", PITR_STATUS_INTERVAL_SECONDS: "1", PITR_LOCAL_KEEP_SEGMENTS: "1", AGE_RECIPIENT: recipient }), WORK_DIR: receiverWork }, 600_000);
    receiver.done.then((r) => (receiverLog += r.stderr));
    await receiver.waitForLog("receiving WAL", 60_000);
    insert("before-base");

    // First base backup: all phases in one run, WAL kept by server-side copy.
    const b = await runRuntime("basebackup", env({ AGE_RECIPIENT: recipient }), 300_000);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain("encrypted with age");
    expect(b.stderr).toContain("kept the WAL the base backup needs as long as the base backup");

    // Second base backup on a store without CopyObject (a proxy refuses it), its completion held until WAL written
    // during the backup is archived: that WAL is downloaded, checked and uploaded again whole, with all its metadata.
    const isBaseObjectCompletion = (method: string, path: string) =>
      path.includes("/base/") && !path.includes(".manifest.json") && !path.includes("latest.json") && ((method === "POST" && /[?&]uploadId=/.test(path)) || (method === "PUT" && !/[?&]partNumber=/.test(path)));
    const proxy = await holdingProxy(() => s3.port, isBaseObjectCompletion);
    const second = startRuntime("basebackup", env({ AGE_RECIPIENT: recipient, S3_ENDPOINT_URL: proxy.endpoint, S3_SERVER_SIDE_COPY: "false" }), 300_000);
    await second.waitForLog("base backup verified by pg_verifybackup", 120_000);
    insert("during-second-base");
    pg.psql("ledger", "SELECT pg_switch_wal()");
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

    const m = readLatest();
    expect(m.key).toMatch(/^postgresql\/ledger-db\/base\/\d{4}\/\d{2}\/\d{2}\/ledger-db-\d{8}T\d{6}Z\.tar\.zst\.age$/);
    expect(m.format).toBe("pg_basebackup-tar");
    expect(m.start_wal_file).toMatch(/^[0-9A-F]{24}$/);
    const obj = readFileSync(s3.objectPath(m.key));
    expect(obj.subarray(0, AGE_MAGIC.length).toString()).toBe(AGE_MAGIC);
    expect(m.sha256).toBe(sha256(obj));
    expect(m.size_bytes).toBe(obj.length);
    expect(m[F.encryption]).toBe("age");
    expect(m[F.recipientSha256]).toBe(recipientSha256(recipient));
    const plain = spawnSync("age", ["-d", "-i", identityFile("id-base", identity)], { input: obj, maxBuffer: 1 << 30 });
    expect(plain.status).toBe(0);
    expect(m[F.plaintextSha256]).toBe(sha256(plain.stdout));
    expect(m[F.plaintextSize]).toBe(plain.stdout.length);
    expect(plain.stdout.subarray(0, 4).equals(ZSTD_MAGIC)).toBe(true);
    // Not a tar in plain either: no ustar header anywhere near the start of the object.
    expect(obj.subarray(0, 4096).includes(Buffer.from("ustar"))).toBe(false);

    // A few switched segments and a partial one.
    for (let i = 0; i < 3; i++) {
      insert(`streamed-${i}`);
      pg.psql("ledger", "SELECT pg_switch_wal()");
    }
    insert("streamed-partial");
    await waitArchived(nowEpoch() + 1);
    allNotes = pg.psql("ledger", "SELECT note FROM marks ORDER BY id").split("\n").filter(Boolean);

    const names = expectEncryptedWal();
    expect(names.some((n) => /^[0-9A-F]{24}\.partial\.zst\.age$/.test(n))).toBe(true);
    const segs = names.filter((n) => /^[0-9A-F]{24}\.zst\.age$/.test(n)).map((n) => parseInt(n.slice(16, 24), 16));
    const first = parseInt(String(m.start_wal_file).slice(16), 16);
    expect(segs.filter((s) => s >= first).length).toBeGreaterThanOrEqual(3);
    // Nothing in plain on the receiver's volume outbox either.
    expect(readdirSync(join(receiverWork, "outbox")).filter((f) => f.endsWith(".zst"))).toEqual([]);

    // The source dies; the receiver goes with it.
    receiver.killGroup();
    await receiver.done;
    receiver = undefined;
  }, 400_000);

  it("restores to the end of the WAL with the identity: decrypted and verified, every row is there", async () => {
    const dir = restoreDir(root, "restored-latest");
    const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest", PITR_DATA_DIR: dir, AGE_IDENTITY_FILE: identityFile("id-good", identity) }), 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("decrypted with age");
    expect(r.stderr).toContain("archived WAL decrypted and verified");
    expect(r.stderr).toContain("base backup verified by pg_verifybackup");
    expect(r.stderr).toContain("POINT-IN-TIME RESTORE OK");
    expect(restoredNotes(dir, pg.password, "ledger")).toEqual(allNotes);
  }, 300_000);

  it("the drill with the identity passes and pushes decrypt success 1", async () => {
    const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest", AGE_IDENTITY_FILE: identityFile("id-good2", identity) }), 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("RESTORE DRILL OK");
    expect(await drillSample(DRILL_DECRYPT_METRIC)).toBe(1);
    expect(await drillSample(DRILL_METRICS.lastRunSuccess)).toBe(1);
  }, 300_000);

  it("the wrong identity fails loudly before anything is restored: DECRYPT FAILED, its exit status, decrypt metric 0", async () => {
    const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest", AGE_IDENTITY_FILE: identityFile("id-wrong", newIdentity()) }), 300_000);
    expect(r.stderr).toContain("DECRYPT FAILED: the drill's identity is not the one this backup was encrypted to");
    expect(r.stderr).toContain("RESTORE DRILL FAILED");
    expect(r.stderr).not.toContain("starting archive recovery");
    expect(r.code, r.stderr).toBe(EXIT_DECRYPT);
    expect(await drillSample(DRILL_DECRYPT_METRIC)).toBe(0);
    expect(await drillSample(DRILL_METRICS.lastRunSuccess)).toBe(0);
    // A real restore with no identity at all says so, with the same exit status.
    const dir = restoreDir(root, "restored-no-identity");
    const n = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest", PITR_DATA_DIR: dir }), 300_000);
    expect(n.stderr).toContain("DECRYPT FAILED: the backup is encrypted with age but this restore has no identity (AGE_IDENTITY_FILE is not set)");
    expect(n.code, n.stderr).toBe(EXIT_DECRYPT);
  }, 300_000);

  it("a damaged encrypted WAL segment is a checksum mismatch (exit 1), not a key problem", async () => {
    const start = String(readLatest().start_wal_file);
    const seg = walObjects().filter((n) => /^[0-9A-F]{24}\.zst\.age$/.test(n) && n.slice(0, 24) > start).sort()[0]!;
    const path = walPath(seg);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[bad.length - 50] = bad[bad.length - 50]! ^ 0xff;
    writeFileSync(path, bad);
    try {
      const r = await runRuntime("pitr-restore", env({ PITR_TARGET: "latest", AGE_IDENTITY_FILE: identityFile("id-good3", identity) }), 300_000);
      expect(r.stderr).toContain(`CHECKSUM MISMATCH: archived WAL ${seg} is not the object that was written`);
      expect(r.stderr).not.toContain("DECRYPT FAILED");
      expect(r.code, r.stderr).toBe(1);
    } finally {
      writeFileSync(path, good);
    }
  }, 300_000);
});

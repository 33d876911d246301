/**
 * Client-side encryption with age, for real: the in-pod runtime (the bundle the plan ships) against a real PostgreSQL
 * 15, a real Pushgateway, s3rver and Debian's age. A backup encrypted to the recipient Strata derives
 * from the stack's identity, uploaded, drilled (decrypted while it downloads, restored into the drill's throwaway
 * PostgreSQL, row counts verified), and the drill failing loudly, with its own exit status and metric, with the wrong
 * identity or none; a corrupted ciphertext is a checksum mismatch, not a key problem; unencrypted manifests stay
 * readable by a drill that has an identity.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRecipientOf, DRILL_DECRYPT_METRIC, ENCRYPTION_MANIFEST_FIELDS as F, EXIT_DECRYPT, recipientSha256 } from "../../components/backup/encryption";
import { jobEnv } from "./helpers/scripts";
import { runRuntime as run } from "./helpers/runtime";
import { Postgres, Pushgateway, S3, sleep, startPostgres, startPushgateway, startS3, tempDir } from "./helpers/servers";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS, latestKey as contractLatestKey, parseLatest, parseManifest } from "../../components/backup/contract";

const KIND = "postgresql";
const TARGET = "orders-db";

let pg: Postgres;
let s3: S3;
let pgw: Pushgateway;
let root: string;

/** A fresh identity from the real age-keygen: its AGE-SECRET-KEY-1 line. */
function newIdentity(): string {
  const r = spawnSync("age-keygen", [], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`age-keygen failed: ${r.stderr}`);
  return r.stdout.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
}

/** The identity file as the drill's Secret volume holds it. */
function identityFile(name: string, identity: string): string {
  const path = join(root, name);
  writeFileSync(path, `${identity}\n`, { mode: 0o400 });
  return path;
}

let identity: string;
let recipient: string;

function env(over: Record<string, string> = {}): Record<string, string> {
  return jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, TARGET, {
    PGHOST: "127.0.0.1",
    PGPORT: String(pg.port),
    PGUSER: "postgres",
    PGPASSWORD: pg.password,
    PGDATABASE: "orders",
    RESTORE_JOBS: "2",
    ...over,
  });
}

const latestKey = contractLatestKey("", KIND, TARGET);
// latest.json as the scripts wrote it, read with the contract's validating reader (and checked against the manifest it
// names, of which it must be a byte-identical copy).
const readLatest = () => {
  const text = readFileSync(s3.objectPath(latestKey), "utf8");
  const manifest = parseManifest(text, latestKey).manifest_key;
  return parseLatest(text, readFileSync(s3.objectPath(manifest), "utf8"), latestKey) as Record<string, any>;
};
const metric = (job: string, name: string) => pgw.value(job, name, KIND, TARGET);
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  root = tempDir("pg-age-suite");
  [pg, s3, pgw] = await Promise.all([startPostgres(), startS3(), startPushgateway()]);
  pg.psql("postgres", "CREATE DATABASE orders;");
  pg.psql(
    "orders",
    `CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
     INSERT INTO customers (email) SELECT 'c' || g || '@example.org' FROM generate_series(1, 5000) g;
     CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(12,2), note text);
     INSERT INTO orders (customer_id, total, note) SELECT 1 + (g % 5000), g % 977, md5(g::text) FROM generate_series(1, 40000) g;`,
  );
  identity = newIdentity();
  recipient = ageRecipientOf(identity);
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([pg?.stop(), s3?.stop(), pgw?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("age-encrypted postgresql backups (the runtime, real PostgreSQL 15, Pushgateway, s3rver, age)", () => {
  it("the recipient Strata derives from the identity is the one age-keygen -y prints", () => {
    const r = spawnSync("age-keygen", ["-y"], { input: `${identity}\n`, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(recipient).toBe(r.stdout.trim());
  });

  it("an unencrypted backup (today's manifests) is drilled by a drill that has an identity", async () => {
    const b = await run("backup", env());
    expect(b.code, b.stderr).toBe(0);
    const m = readLatest();
    expect(m[F.encryption]).toBeUndefined();
    expect(m.key).toMatch(/\.pgdump\.zst$/);
    const d = await run("drill", env({ AGE_IDENTITY_FILE: identityFile("id-plain", identity) }));
    expect(d.stderr).toContain("counts match");
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).not.toContain("decrypted with age");
  });

  let m: Record<string, any>;

  it("backs up encrypted: only ciphertext in the bucket, the manifest records the recipient's fingerprint and both SHA-256s", async () => {
    await sleep(1100); // a new second, so a new key
    const r = await run("backup", env({ AGE_RECIPIENT: recipient }));
    expect(r.stderr).toContain("encrypted with age");
    expect(r.stderr).toContain("BACKUP OK");
    expect(r.code, r.stderr).toBe(0);
    m = readLatest();
    expect(m.key).toMatch(new RegExp(`^postgresql/orders-db/\\d{4}/\\d{2}/\\d{2}/orders-db-\\d{8}T\\d{6}Z\\.pgdump\\.zst\\.age$`));
    const obj = readFileSync(s3.objectPath(m.key));
    expect(obj.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    // sha256 and size_bytes stay the object's, as stored: the ciphertext.
    expect(m.size_bytes).toBe(obj.length);
    expect(m.sha256).toBe(sha256(obj));
    expect(m[F.encryption]).toBe("age");
    expect(m[F.recipientSha256]).toBe(recipientSha256(recipient));
    // The plaintext is what age gives back with the identity: the zstd-compressed custom dump.
    const plain = spawnSync("age", ["-d", "-i", identityFile("id-check", identity)], { input: obj, maxBuffer: 1 << 30 });
    expect(plain.status, plain.stderr?.toString()).toBe(0);
    expect(m[F.plaintextSha256]).toBe(sha256(plain.stdout));
    expect(m[F.plaintextSize]).toBe(plain.stdout.length);
    expect(spawnSync("zstd", ["-q", "-d", "-c"], { input: plain.stdout, maxBuffer: 1 << 30 }).stdout.subarray(0, 5).toString()).toBe("PGDMP");
    expect(m.counts).toEqual({ "public.customers": 5000, "public.orders": 40000 });
    expect(await metric(BACKUP_JOB, BACKUP_METRICS.size)).toBe(obj.length);
    // Nothing of the plaintext is left in the scratch space.
    expect(r.stderr).not.toContain("artifact changed");
  });

  it("drill: decrypts while downloading, restores into a real PostgreSQL, row counts equal; decrypt metric 1", async () => {
    const r = await run("drill", env({ AGE_IDENTITY_FILE: identityFile("id-good", identity) }));
    expect(r.stderr).toContain("decrypted with age");
    expect(r.stderr).toContain("checksum verified");
    expect(r.stderr).toContain("counts match");
    expect(r.stderr).toContain("RESTORE DRILL OK");
    expect(r.code, r.stderr).toBe(0);
    expect(await metric(DRILL_JOB, DRILL_DECRYPT_METRIC)).toBe(1);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess)).toBe(1);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastVerifiedBackup)).toBe(m.started_epoch);
  });

  it("drill with the wrong identity fails loudly before restoring: its own exit status, decrypt metric 0, run success 0", async () => {
    const r = await run("drill", env({ AGE_IDENTITY_FILE: identityFile("id-wrong", newIdentity()) }));
    expect(r.stderr).toContain("DECRYPT FAILED: the drill's identity is not the one this backup was encrypted to");
    expect(r.stderr).toContain(recipientSha256(recipient));
    expect(r.stderr).toContain("RESTORE DRILL FAILED");
    expect(r.stderr).not.toContain("counts match");
    expect(r.stderr).not.toContain('"msg":"restoring"');
    expect(r.code, r.stderr).toBe(EXIT_DECRYPT);
    expect(await metric(DRILL_JOB, DRILL_DECRYPT_METRIC)).toBe(0);
    expect(await metric(DRILL_JOB, DRILL_METRICS.lastRunSuccess)).toBe(0);
  });

  it("drill with the wrong identity and no age-keygen to name it: age itself refuses, same exit status and metric", async () => {
    // PATH without age-keygen: /usr/bin (and /bin, the same directory on this system) replaced by a directory of
    // links to everything in /usr/bin but age-keygen.
    const e = env({ AGE_IDENTITY_FILE: identityFile("id-wrong2", newIdentity()) });
    const usrBin = join(root, "usr-bin-without-age-keygen");
    spawnSync("bash", ["-c", `mkdir -p ${usrBin} && for f in /usr/bin/*; do [ "\${f##*/}" = age-keygen ] || ln -sf "$f" ${usrBin}/; done`]);
    e.PATH = e.PATH!.split(":").map((p) => (p === "/usr/bin" || p === "/bin" ? usrBin : p)).join(":");
    expect(spawnSync("bash", ["-c", "command -v age-keygen"], { env: e }).status).not.toBe(0);
    const r = await run("drill", e);
    expect(r.stderr).toContain("DECRYPT FAILED: age cannot decrypt the stored backup with this drill's identity");
    expect(r.stderr).toContain("no identity matched");
    expect(r.code, r.stderr).toBe(EXIT_DECRYPT);
    expect(await metric(DRILL_JOB, DRILL_DECRYPT_METRIC)).toBe(0);
  });

  it("drill with no identity at all fails the same way and says so", async () => {
    const r = await run("drill", env());
    expect(r.stderr).toContain("DECRYPT FAILED: the backup is encrypted with age but this drill has no identity (AGE_IDENTITY_FILE is not set)");
    expect(r.code, r.stderr).toBe(EXIT_DECRYPT);
  });

  it("a corrupted ciphertext is a checksum mismatch (exit 1), not a key problem", async () => {
    const path = s3.objectPath(m.key);
    const original = readFileSync(path);
    const bad = Buffer.from(original);
    bad[bad.length - 100] = bad[bad.length - 100]! ^ 0xff;
    writeFileSync(path, bad);
    try {
      const r = await run("drill", env({ AGE_IDENTITY_FILE: identityFile("id-good2", identity) }));
      expect(r.stderr).toContain("CHECKSUM MISMATCH: the stored backup is not the one that was written");
      expect(r.stderr).not.toContain("DECRYPT FAILED");
      expect(r.code, r.stderr).toBe(1);
    } finally {
      writeFileSync(path, original);
    }
  });

  it("a malformed recipient is a configuration error (exit 2) before anything is uploaded", async () => {
    const before = readLatest();
    const r = await run("backup", env({ AGE_RECIPIENT: "age1notarecipient" }));
    expect(r.stderr).toContain("AGE_RECIPIENT 'age1notarecipient' must be an age X25519 recipient (age1 followed by 58 Bech32 characters, as age-keygen -y prints)");
    expect(r.code, r.stderr).toBe(2);
    expect(readLatest()).toEqual(before);
  });
});

/**
 * The manifest and latest.json of the backup contract (components/backup/contract/manifest.ts): the manifests the
 * current scripts write (lib.sh's write_manifest, run for real in bash with the environment the CronJobs give) are read
 * and validated by the zod reader, encrypted and base-backup ones included; the reader refuses a manifest with a field
 * of the wrong type or a missing one, naming the field; and what the TypeScript writer writes, the scripts read back.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BACKUP_CONTRACT_ENV, ENCRYPTION_MANIFEST_FIELDS as F, isEncrypted, LAYOUT, manifestKey, ManifestError, objectKey, parseLatest, parseManifest, plaintextSize, serializeManifest } from "../../components/backup/contract";
import { SCRIPTS_DIR } from "../../components/backup/backupScripts";
import { recipientSha256 } from "../../components/backup/encryption";

const root = mkdtempSync(join(tmpdir(), "strata-manifest-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (c: string) => c.repeat(64);
const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
let run = 0;

/** Runs lib.sh's write_manifest in bash, as backup.sh's upload phase does, and returns the file it wrote. */
function writeWithLib(opts: { kind: string; target: string; status: Record<string, string>; counts: string; args: string[]; env?: Record<string, string> }): string {
  const work = join(root, `work-${++run}`);
  spawnSync("mkdir", ["-p", work]);
  writeFileSync(join(work, "dump.status"), Object.entries(opts.status).map(([k, v]) => `${k}=${v}\n`).join(""));
  writeFileSync(join(work, "counts.tsv"), opts.counts);
  const out = join(work, "manifest.json");
  const script = `set -euo pipefail; . "${SCRIPTS_DIR}/lib.sh"; COUNTS_FILE="$WORK_DIR/counts.tsv"; write_manifest "${out}" "$@"`;
  const r = spawnSync("bash", ["-c", script, "write", ...opts.args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH!, ...BACKUP_CONTRACT_ENV, BACKUP_KIND: opts.kind, BACKUP_TARGET: opts.target, WORK_DIR: work, S3_BUCKET: "strata-backups", ...opts.env },
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, "utf8");
}

const dumpStatus = (over: Record<string, string> = {}) => ({ result: "ok", started_epoch: "1764900000", sha256: sha("a"), size: "1234", ext: "pgdump.zst", compression: "zstd", format: "pg_dump-custom", tool_version: 'pg_dump (PostgreSQL) 17.2 "quoted"', artifact: "/x", ...over });

describe("manifests the current scripts write are read by the contract's reader", () => {
  const key = objectKey("backups", "postgresql", "orders-db", 1764900000, "pgdump.zst");

  it("a logical backup's manifest: every field as written, the counts with their names' quotes and backslashes", () => {
    const text = writeWithLib({ kind: "postgresql", target: "orders-db", status: dumpStatus(), counts: 'public.orders\t42\npublic."we\\ird"\t7\n', args: [key, manifestKey(key), sha("b"), "2048", "1764900000"] });
    const m = parseManifest(text, "lib.sh's manifest");
    expect(m).toMatchObject({ schema: 1, kind: "postgresql", target: "orders-db", bucket: "strata-backups", key, manifest_key: key + LAYOUT.manifestSuffix, sha256: sha("b"), size_bytes: 2048, compression: "zstd", format: "pg_dump-custom", tool_version: 'pg_dump (PostgreSQL) 17.2 "quoted"', started_epoch: 1764900000, started_at: "2025-12-05T02:00:00Z" });
    expect(m.counts).toEqual({ "public.orders": 42, 'public."we\\ird"': 7 });
    expect(isEncrypted(m)).toBe(false);
    expect(plaintextSize(m)).toBe(2048);
    // The TypeScript writer writes the same bytes: one serializer's output is the other's.
    expect(serializeManifest(m)).toBe(text);
  });

  it("an encrypted backup's manifest adds the contract's encryption fields; the ciphertext's sha256 and size stay the object's", () => {
    const text = writeWithLib({ kind: "valkey", target: "cache", status: dumpStatus({ ext: "rdb.zst", format: "valkey-rdb" }), counts: "db0\t10\n", args: [key, manifestKey(key), sha("c"), "3000", "1764900000", sha("d"), "2900"], env: { AGE_RECIPIENT: RECIPIENT } });
    const m = parseManifest(text);
    expect(isEncrypted(m)).toBe(true);
    expect(m).toMatchObject({ sha256: sha("c"), size_bytes: 3000, [F.encryption]: "age", [F.recipientSha256]: recipientSha256(RECIPIENT), [F.plaintextSha256]: sha("d"), [F.plaintextSize]: 2900 });
    expect(plaintextSize(m)).toBe(2900);
    expect(serializeManifest(m)).toBe(text);
  });

  it("a base backup's manifest carries its WAL facts, and its latest.json (a byte-identical copy) reads the same", () => {
    const status = dumpStatus({ ext: "tar.zst", format: "pg_basebackup-tar", start_lsn: "0/2000028", end_lsn: "0/2000100", timeline: "1", start_wal_file: "000000010000000000000002", end_epoch: "1764900060" });
    const base = objectKey("", "postgresql", "orders-db", 1764900000, "tar.zst", "basebackup");
    const text = writeWithLib({ kind: "postgresql", target: "orders-db", status, counts: "", args: [base, manifestKey(base), sha("e"), "99", "1764900000"], env: { PG_BACKUP_METHOD: "basebackup" } });
    const latest = parseLatest(text, text);
    expect(latest).toMatchObject({ key: base, start_lsn: "0/2000028", end_lsn: "0/2000100", timeline: 1, start_wal_file: "000000010000000000000002", end_epoch: 1764900060, counts: {} });
    expect(base).toMatch(new RegExp(`^postgresql/orders-db/${LAYOUT.baseSeries}/2025/12/05/orders-db-20251205T020000Z\\.tar\\.zst$`));
    expect(() => parseLatest(text, text.replace('"size_bytes": 99', '"size_bytes": 98'))).toThrow(/differs from the manifest it names/);
  });
});

describe("the reader refuses what is not a manifest, naming the field", () => {
  const good = serializeManifest({ kind: "sqlite", target: "app", bucket: "b", key: "sqlite/app/k", manifest_key: "sqlite/app/k.manifest.json", sha256: sha("f"), size_bytes: 5, compression: "gzip", format: "sqlite3-database", tool_version: "3.45", started_epoch: 1, started_at: "1970-01-01T00:00:01Z", uploaded_epoch: 2, counts: { t: 1 } });
  const edited = (f: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(good) as Record<string, unknown>;
    f(m);
    return JSON.stringify(m, null, 2);
  };

  it("reads the good one, and one without `schema` as version 1", () => {
    expect(parseManifest(good).schema).toBe(1);
    expect(parseManifest(edited((m) => delete m.schema)).schema).toBe(1);
  });

  it("a field of the wrong type", () => {
    expect(() => parseManifest(edited((m) => (m.size_bytes = "5")), "latest.json")).toThrow(ManifestError);
    expect(() => parseManifest(edited((m) => (m.size_bytes = "5")), "latest.json")).toThrow(/latest\.json .*field "size_bytes": .*expected number/);
    expect(() => parseManifest(edited((m) => (m.counts = { t: -1 })))).toThrow(/field "counts\.t"/);
  });

  it("a required field missing, an encrypted manifest without its plaintext checksum, a version it does not know, and no JSON", () => {
    expect(() => parseManifest(edited((m) => delete m.sha256))).toThrow(/field "sha256": .*expected string/);
    expect(() => parseManifest(edited((m) => (m[F.encryption] = "age")))).toThrow(new RegExp(`field "${F.plaintextSha256}": is required`));
    expect(() => parseManifest(edited((m) => (m.schema = 2)))).toThrow(/field "schema": version 2 is not one this reader knows/);
    expect(() => parseManifest("{ not json")).toThrow(/is not JSON/);
  });
});

describe("what the TypeScript writer writes, the scripts' line reader reads", () => {
  it("manifest_get and manifest_counts of lib.sh on serializeManifest's output", () => {
    const text = serializeManifest({ kind: "mongodb", target: "docs", bucket: "b", key: "mongodb/docs/k", manifest_key: "mongodb/docs/k.manifest.json", sha256: sha("1"), size_bytes: 77, [F.encryption]: "age", [F.recipientSha256]: sha("2"), [F.plaintextSha256]: sha("3"), [F.plaintextSize]: 70, compression: "zstd", format: "mongodump-archive", tool_version: "100.9", started_epoch: 10, started_at: "1970-01-01T00:00:10Z", uploaded_epoch: 11, counts: { "app.users": 3, "app.orders": 4 } });
    const file = join(root, "ts-manifest.json");
    writeFileSync(file, text);
    const r = spawnSync("bash", ["-c", `. "${SCRIPTS_DIR}/lib.sh"; manifest_get "$1" size_bytes; manifest_plain_size "$1"; manifest_encrypted "$1" && echo encrypted; manifest_counts "$1"`, "read", file], {
      encoding: "utf8",
      env: { PATH: process.env.PATH!, ...BACKUP_CONTRACT_ENV },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("77\n70\nencrypted\napp.users\t3\napp.orders\t4\n");
  });

  it("lib.sh refuses to run without the contract's environment, and names what is missing", () => {
    const none = spawnSync("bash", ["-c", `. "${SCRIPTS_DIR}/lib.sh"`], { encoding: "utf8", env: { PATH: process.env.PATH! } });
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/BACKUP_CONTRACT_NAMES is not set/);
    const { EXIT_PUSH: _drop, ...partial } = BACKUP_CONTRACT_ENV;
    const some = spawnSync("bash", ["-c", `. "${SCRIPTS_DIR}/lib.sh"`], { encoding: "utf8", env: { PATH: process.env.PATH!, ...partial } });
    expect(some.status).toBe(Number(BACKUP_CONTRACT_ENV.EXIT_CONFIG));
    expect(some.stderr).toMatch(/EXIT_PUSH not set/);
  });
});

/**
 * The manifest and latest.json of the backup contract (components/backup/contract/manifest.ts): manifests the shell
 * scripts wrote before the runtime replaced them (lib.sh's write_manifest, kept under test/fixtures/legacy-manifests)
 * are read and validated by the zod reader, encrypted and base-backup ones included, and the TypeScript writer writes
 * them back byte for byte; the reader refuses a manifest with a field of the wrong type or a missing one, naming the
 * field. test/integration/script-written-backups.test.ts drills whole backups the scripts wrote.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENCRYPTION_MANIFEST_FIELDS as F, isEncrypted, LAYOUT, ManifestError, objectKey, parseLatest, parseManifest, plaintextSize, serializeManifest } from "../../components/backup/contract";
import { PROJECT_DIR } from "../../infra/plan/stackFile";
import { recipientSha256 } from "../../components/backup/encryption";

const sha = (c: string) => c.repeat(64);
const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
/** Manifests lib.sh's write_manifest wrote, kept as they were (test/fixtures/legacy-backups/README.md). */
const written = (name: string) => readFileSync(join(PROJECT_DIR, "test", "fixtures", "legacy-manifests", `${name}.manifest.json`), "utf8");

describe("manifests the shell scripts wrote are read by the contract's reader", () => {
  it("a logical backup's manifest: every field as written, the counts with their names' quotes and backslashes", () => {
    const text = written("logical");
    const key = objectKey("backups", "postgresql", "orders-db", 1764900000, "pgdump.zst");
    const m = parseManifest(text, "lib.sh's manifest");
    expect(m).toMatchObject({ schema: 1, kind: "postgresql", target: "orders-db", bucket: "strata-backups", key, manifest_key: key + LAYOUT.manifestSuffix, sha256: sha("b"), size_bytes: 2048, compression: "zstd", format: "pg_dump-custom", tool_version: 'pg_dump (PostgreSQL) 17.2 "quoted"', started_epoch: 1764900000, started_at: "2025-12-05T02:00:00Z" });
    expect(m.counts).toEqual({ "public.orders": 42, 'public."we\\ird"': 7 });
    expect(isEncrypted(m)).toBe(false);
    expect(plaintextSize(m)).toBe(2048);
    // The TypeScript writer writes the same bytes: one serializer's output is the other's.
    expect(serializeManifest(m)).toBe(text);
  });

  it("an encrypted backup's manifest adds the contract's encryption fields; the ciphertext's sha256 and size stay the object's", () => {
    const text = written("encrypted");
    const m = parseManifest(text);
    expect(isEncrypted(m)).toBe(true);
    expect(m).toMatchObject({ kind: "valkey", compression: "gzip", sha256: sha("c"), size_bytes: 3000, [F.encryption]: "age", [F.recipientSha256]: recipientSha256(RECIPIENT), [F.plaintextSha256]: sha("d"), [F.plaintextSize]: 2900 });
    expect(plaintextSize(m)).toBe(2900);
    expect(serializeManifest(m)).toBe(text);
  });

  it("a base backup's manifest carries its WAL facts, and its latest.json (a byte-identical copy) reads the same", () => {
    const text = written("basebackup");
    const base = objectKey("", "postgresql", "orders-db", 1764900000, "tar.zst", "basebackup");
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

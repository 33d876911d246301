/**
 * Client-side age encryption in the kinds' suites: a fresh identity from the real age-keygen, its file as the drill's
 * Secret volume holds it, and the one round trip every kind must pass against its own real server: backup encrypted
 * to the recipient (only ciphertext stored, the manifest's fields right), drill with the identity (decrypted, restored,
 * counts equal, decrypt metric 1), drill with the wrong identity (DECRYPT FAILED, EXIT_DECRYPT, decrypt metric 0).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { ageRecipientOf, DRILL_DECRYPT_METRIC, ENCRYPTION_MANIFEST_FIELDS as F, EXIT_DECRYPT, recipientSha256 } from "../../../components/backup/encryption";
import type { RunResult } from "./scripts";
import type { Pushgateway, S3 } from "./servers";
import { DRILL_JOB, DRILL_METRICS } from "../../../components/backup/contract";

export const AGE_MAGIC = "age-encryption.org/v1";

/** A fresh identity from the real age-keygen: its AGE-SECRET-KEY-1 line. */
export function newAgeIdentity(): string {
  const r = spawnSync("age-keygen", [], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`age-keygen failed: ${r.stderr}`);
  return r.stdout.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
}

/** The identity written to `dir/name` (mode 0400), as the drill's Secret volume holds it. */
export function ageIdentityFile(dir: string, name: string, identity: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${identity}\n`, { mode: 0o400 });
  return path;
}

export interface EncryptedRoundTrip {
  root: string;
  s3: S3;
  pgw: Pushgateway;
  kind: string;
  target: string;
  /** The kind's artifact suffix before .age, e.g. `rdb.gz`. */
  ext: string;
  /** The backup against the real server (the scripts or the runtime), with these extra variables. */
  backup(extra: Record<string, string>): Promise<RunResult>;
  /** The drill of the target (the scripts or the runtime), with these extra variables. */
  drill(extra: Record<string, string>): Promise<RunResult>;
}

/** The round trip (see the file's comment); returns the manifest of the encrypted backup. */
export async function expectEncryptedRoundTrip(t: EncryptedRoundTrip): Promise<Record<string, any>> {
  const identity = newAgeIdentity();
  const recipient = ageRecipientOf(identity);
  const b = await t.backup({ AGE_RECIPIENT: recipient });
  expect(b.code, b.stderr).toBe(0);
  expect(b.stderr).toContain("encrypted with age");
  const m = JSON.parse(readFileSync(t.s3.objectPath(`${t.kind}/${t.target}/latest.json`), "utf8")) as Record<string, any>;
  expect(m.key.endsWith(`.${t.ext}.age`), m.key).toBe(true);
  const obj = readFileSync(t.s3.objectPath(m.key));
  expect(obj.subarray(0, AGE_MAGIC.length).toString()).toBe(AGE_MAGIC);
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  expect(m.sha256).toBe(sha(obj));
  expect(m.size_bytes).toBe(obj.length);
  expect(m[F.encryption]).toBe("age");
  expect(m[F.recipientSha256]).toBe(recipientSha256(recipient));
  const plain = spawnSync("age", ["-d", "-i", ageIdentityFile(t.root, `${t.target}-check`, identity)], { input: obj, maxBuffer: 1 << 28 });
  expect(plain.status, plain.stderr?.toString()).toBe(0);
  expect(m[F.plaintextSha256]).toBe(sha(plain.stdout));
  expect(m[F.plaintextSize]).toBe(plain.stdout.length);

  const metric = (name: string) => t.pgw.value(DRILL_JOB, name, t.kind, t.target);
  const good = await t.drill({ AGE_IDENTITY_FILE: ageIdentityFile(t.root, `${t.target}-good`, identity) });
  expect(good.stderr).toContain("decrypted with age");
  expect(good.stderr).toContain("counts match");
  expect(good.code, good.stderr).toBe(0);
  expect(await metric(DRILL_DECRYPT_METRIC)).toBe(1);
  expect(await metric(DRILL_METRICS.lastRunSuccess)).toBe(1);

  const wrong = await t.drill({ AGE_IDENTITY_FILE: ageIdentityFile(t.root, `${t.target}-wrong`, newAgeIdentity()) });
  expect(wrong.stderr).toContain("DECRYPT FAILED: the drill's identity is not the one this backup was encrypted to");
  expect(wrong.stderr).toContain("RESTORE DRILL FAILED");
  expect(wrong.stderr).not.toContain("counts match");
  expect(wrong.code, wrong.stderr).toBe(EXIT_DECRYPT);
  expect(await metric(DRILL_DECRYPT_METRIC)).toBe(0);
  expect(await metric(DRILL_METRICS.lastRunSuccess)).toBe(0);
  return m;
}

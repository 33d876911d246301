/**
 * Client-side encryption of backups with age (https://age-encryption.org/v1), for archives without KMS (Hetzner,
 * S3-compatible stores) and optionally on AWS. One place for the facts the plan and the in-pod runtime share:
 *
 * - the backup jobs get the public recipient (`age1...`) and encrypt the compressed artifact as it streams to the
 *   upload; the drills get the identity (`AGE-SECRET-KEY-1...`) as a file and decrypt while they download. Both come from Kubernetes Secrets built from the Pulumi secret `strata:backupAgeIdentity`; the
 *   recipient is derived from it here (X25519 public key of the identity, Bech32 as `age-keygen -y` prints it), so the
 *   two can never disagree.
 * - the manifest field names and the drill's metric and exit code are the backup contract's
 *   (components/backup/contract/), which the runtime bundles.
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { EXIT } from "./contract";

// The manifest's encryption fields, the drill's decrypt metric and its exit status are the backup contract's
// (components/backup/contract/), which the runtime bundles with the rest of it.
export { DRILL_DECRYPT_METRIC, ENCRYPTION_MANIFEST_FIELDS } from "./contract";
/** A drill's or a point-in-time restore's exit status when it cannot decrypt. */
export const EXIT_DECRYPT = EXIT.decrypt;

/** Where the drill's fetch container finds the identity file (a Secret volume). */
export const IDENTITY_MOUNT = "/etc/strata/age";
export const IDENTITY_KEY = "identity";
export const RECIPIENT_KEY = "recipient";

/** The Kubernetes Secrets in each namespace where backup or drill jobs run. */
export const recipientSecretName = "strata-backup-age-recipient";
export const identitySecretName = "strata-backup-age-identity";

// --- Bech32 (BIP 173), as age encodes its keys ------------------------------------------------------------------

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  }
  return chk >>> 0;
}

const hrpExpand = (hrp: string) => [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];

function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (const value of data) {
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    return undefined;
  }
  return out;
}

/** Bech32 decode: the human-readable part and the data bytes, or undefined when the string is no valid Bech32. */
function bech32Decode(s: string): { hrp: string; bytes: Buffer } | undefined {
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return undefined;
  const lower = s.toLowerCase();
  const pos = lower.lastIndexOf("1");
  if (pos < 1 || pos + 7 > lower.length) return undefined;
  const hrp = lower.slice(0, pos);
  const data: number[] = [];
  for (const c of lower.slice(pos + 1)) {
    const d = CHARSET.indexOf(c);
    if (d < 0) return undefined;
    data.push(d);
  }
  if (polymod([...hrpExpand(hrp), ...data]) !== 1) return undefined;
  const bytes = convertBits(data.slice(0, -6), 5, 8, false);
  return bytes ? { hrp, bytes: Buffer.from(bytes) } : undefined;
}

function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const data = convertBits(bytes, 8, 5, true)!;
  const mod = polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >> (5 * (5 - i))) & 31);
  return hrp + "1" + [...data, ...checksum].map((d) => CHARSET[d]).join("");
}

/** What an identity must look like (age-keygen's output line, upper case). */
export const AGE_IDENTITY_FORMAT = "AGE-SECRET-KEY-1 followed by 58 Bech32 characters (a line of `age-keygen`'s output)";
export const AGE_RECIPIENT_PATTERN = /^age1[02-9ac-hj-np-z]{58}$/;

/** Why `identity` is not an age X25519 identity, or undefined. */
export function ageIdentityProblem(identity: string): string | undefined {
  if (!/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/.test(identity)) return `must be ${AGE_IDENTITY_FORMAT}`;
  const decoded = bech32Decode(identity);
  if (!decoded || decoded.hrp !== "age-secret-key-" || decoded.bytes.length !== 32) return `has a bad Bech32 checksum or length: it must be ${AGE_IDENTITY_FORMAT}`;
  return undefined;
}

/**
 * The recipient (`age1...`) of an X25519 identity, exactly what `age-keygen -y` prints: the Curve25519 public key of
 * the 32-byte scalar (Node's X25519, which clamps as RFC 7748 does), Bech32 with the human-readable part `age`.
 */
export function ageRecipientOf(identity: string): string {
  const problem = ageIdentityProblem(identity);
  if (problem) throw new Error(`the age identity ${problem}`);
  const scalar = bech32Decode(identity)!.bytes;
  const key = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: scalar.toString("base64url"), x: "" }, format: "jwk" });
  const x = createPublicKey(key).export({ format: "jwk" }).x!;
  return bech32Encode("age", Buffer.from(x, "base64url"));
}

/** The manifest's recipient fingerprint: SHA-256 (hex) of the recipient string. */
export const recipientSha256 = (recipient: string) => createHash("sha256").update(recipient).digest("hex");

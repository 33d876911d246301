import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";

/**
 * Pulumi's passphrase secrets provider, so the offline plan can read a stack file's `secure:` values the way
 * `pulumi up` does when PULUMI_CONFIG_PASSPHRASE is set. The format, as the Pulumi CLI writes it
 * (sdk/go/common/resource/config/crypt.go and pkg/secrets/passphrase in pulumi/pulumi):
 * - the stack file's `encryptionsalt` is `v1:<base64 salt>:<the word "pulumi" encrypted>`, which proves a passphrase;
 * - the key is PBKDF2-HMAC-SHA256 of the passphrase over the salt, 1,000,000 iterations, 32 bytes;
 * - a value is `v1:<base64 12-byte nonce>:<base64 AES-256-GCM ciphertext with its 16-byte tag appended>`.
 */
const ITERATIONS = 1_000_000;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERIFIER = "pulumi";

export class PassphraseError extends Error {
  override name = "PassphraseError";
}

export interface PassphraseCrypter {
  decrypt(ciphertext: string): string;
  encrypt(plaintext: string): string;
}

function crypterFromKey(key: Buffer): PassphraseCrypter {
  return {
    encrypt(plaintext) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
    },
    decrypt(value) {
      const parts = value.split(":");
      if (parts.length !== 3) throw new PassphraseError("bad value: expected v1:<nonce>:<ciphertext>");
      if (parts[0] !== "v1") throw new PassphraseError(`unknown value version ${JSON.stringify(parts[0])}`);
      const nonce = Buffer.from(parts[1]!, "base64");
      const sealed = Buffer.from(parts[2]!, "base64");
      if (nonce.length !== NONCE_BYTES) throw new PassphraseError("bad value: nonce size is incorrect");
      if (sealed.length < TAG_BYTES) throw new PassphraseError("bad value: ciphertext shorter than its tag");
      const decipher = createDecipheriv("aes-256-gcm", key, nonce);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString("utf8");
      } catch {
        throw new PassphraseError("the value does not decrypt with this passphrase (wrong passphrase, or the ciphertext was altered)");
      }
    },
  };
}

/** The crypter a stack's `encryptionsalt` and passphrase open; throws PassphraseError on a wrong passphrase. */
export function passphraseCrypter(encryptionSalt: string, passphrase: string): PassphraseCrypter {
  const parts = encryptionSalt.split(":");
  if (parts.length < 3 || parts[0] !== "v1") throw new PassphraseError("encryptionsalt is not a v1 passphrase state (v1:<salt>:<verifier>)");
  const salt = Buffer.from(parts[1]!, "base64");
  const crypter = crypterFromKey(pbkdf2Sync(passphrase, salt, ITERATIONS, KEY_BYTES, "sha256"));
  let verified: string | undefined;
  try {
    verified = crypter.decrypt(parts.slice(2).join(":"));
  } catch {
    verified = undefined;
  }
  if (verified !== VERIFIER) throw new PassphraseError("incorrect passphrase: it does not open this stack's encryptionsalt");
  return crypter;
}

/** A new `encryptionsalt` for a passphrase (what `pulumi stack init --secrets-provider passphrase` writes). */
export function newEncryptionSalt(passphrase: string): { encryptionSalt: string; crypter: PassphraseCrypter } {
  const salt = randomBytes(8);
  const crypter = crypterFromKey(pbkdf2Sync(passphrase, salt, ITERATIONS, KEY_BYTES, "sha256"));
  return { encryptionSalt: `v1:${salt.toString("base64")}:${crypter.encrypt(VERIFIER)}`, crypter };
}

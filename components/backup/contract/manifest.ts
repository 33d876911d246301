/**
 * The manifest: what one stored backup object is, written beside it (`<object key>.manifest.json`) and copied
 * byte for byte to its series' `latest.json` once the object and the manifest are verified in the bucket. Drills and
 * restores read it, for as long as the archive keeps backups (up to a year), so every manifest ever written must stay
 * readable: the schema is versioned by its `schema` field, and a reader validates what it reads.
 *
 * Version 1 is the shape the shell scripts (lib.sh's write_manifest, test/fixtures/legacy-manifests) wrote from the
 * first backup, and the runtime writes now: `schema: 1`, the object's identity and checksum, the encryption fields of an age-encrypted object, the tool
 * and format, the run's times, a base backup's WAL facts, and the counts the drill compares. A manifest without
 * `schema` is read as version 1.
 */
import { z } from "zod";
import { BACKUP_KINDS, TARGET_NAME_PATTERN } from "./layout";

/** The version this code writes, and the newest it reads. */
export const MANIFEST_SCHEMA_VERSION = 1;

/** The manifest fields an encrypted backup adds (absent in manifests of unencrypted backups, which stay readable). */
export const ENCRYPTION_MANIFEST_FIELDS = {
  /** `age` when the object is age-encrypted; absent otherwise. */
  encryption: "encryption",
  /** SHA-256 (hex) of the recipient string `age1...` the object was encrypted to: says which identity opens it. */
  recipientSha256: "age_recipient_sha256",
  /** SHA-256 and size of the plaintext: the compressed artifact before encryption (what the drill decrypts to). */
  plaintextSha256: "plaintext_sha256",
  plaintextSize: "plaintext_size_bytes",
} as const;
// In such a manifest `sha256` and `size_bytes` stay those of the object as stored, i.e. of the ciphertext.

const F = ENCRYPTION_MANIFEST_FIELDS;
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in lower-case hex (64 characters)");
const count = z.number().int().nonnegative();
const epoch = z.number().int().nonnegative();
const lsn = z.string().regex(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/, "must be a PostgreSQL LSN (X/Y in upper-case hex)");

/** Version 1, field by field in the order the writers put them. */
const manifestV1Fields = z.object({
  schema: z.literal(1).optional(),
  kind: z.enum(BACKUP_KINDS),
  target: z.string().regex(TARGET_NAME_PATTERN, `must match ${TARGET_NAME_PATTERN.source}`),
  bucket: z.string().min(1),
  key: z.string().min(1),
  manifest_key: z.string().min(1),
  /** Of the object as stored (the ciphertext when encrypted). */
  sha256,
  size_bytes: count,
  [F.encryption]: z.literal("age").optional(),
  [F.recipientSha256]: sha256.optional(),
  [F.plaintextSha256]: sha256.optional(),
  [F.plaintextSize]: count.optional(),
  compression: z.enum(["zstd", "gzip", "none"]),
  format: z.string().min(1),
  tool_version: z.string(),
  started_epoch: epoch,
  started_at: z.iso.datetime({ offset: false }),
  uploaded_epoch: epoch,
  // A PostgreSQL base backup's WAL facts: where replay starts (the oldest WAL segment it needs) and must at least reach.
  start_lsn: lsn.optional(),
  end_lsn: lsn.optional(),
  timeline: z.number().int().positive().optional(),
  start_wal_file: z.string().regex(/^[0-9A-F]{24}$/, "must be a WAL segment file name (24 upper-case hex digits)").optional(),
  end_epoch: epoch.optional(),
  /** What the drill compares the restored copy with: rows per table, documents per collection, keys per database... */
  counts: z.record(z.string(), count),
});

export const manifestV1 = manifestV1Fields
  .superRefine((m, ctx) => {
    const encrypted = m[F.encryption] !== undefined;
    for (const field of [F.recipientSha256, F.plaintextSha256, F.plaintextSize] as const) {
      if (encrypted && m[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required when ${F.encryption} is "age"` });
      if (!encrypted && m[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `is only allowed with ${F.encryption}: "age"` });
    }
  })
  .transform((m) => ({ ...m, schema: 1 as const }));

export type Manifest = z.output<typeof manifestV1>;
/** What a writer fills in (`schema` is the writer's version). */
export type ManifestInput = Omit<z.input<typeof manifestV1>, "schema">;

/** Every version a reader understands, by its `schema` number. */
const VERSIONS: Record<number, z.ZodType<Manifest, unknown>> = { 1: manifestV1 };

/** A manifest (or latest.json) that is not one this code can read: the message names each field that is wrong. */
export class ManifestError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid backup manifest: ${problems.join("; ")}`);
    this.name = "ManifestError";
  }
}

const describePath = (path: PropertyKey[]) => (path.length === 0 ? "the document" : `field "${path.map(String).join(".")}"`);

/** Validates a parsed manifest of any known version; throws ManifestError naming every bad field. */
export function validateManifest(value: unknown, source = "manifest"): Manifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ManifestError(source, ["it is not a JSON object"]);
  const version = (value as { schema?: unknown }).schema ?? 1;
  const schema = typeof version === "number" ? VERSIONS[version] : undefined;
  if (!schema) {
    throw new ManifestError(source, [`field "schema": version ${JSON.stringify(version)} is not one this reader knows (it reads ${Object.keys(VERSIONS).join(", ")})`]);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new ManifestError(source, result.error.issues.map((i) => `${describePath(i.path)}: ${i.message}`));
  return result.data;
}

/** Reads a manifest or latest.json: JSON, then validated. */
export function parseManifest(text: string, source = "manifest"): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(source, [`it is not JSON (${e instanceof Error ? e.message : String(e)})`]);
  }
  return validateManifest(value, source);
}

/**
 * Writes a manifest of the current version: validated first, then JSON with one top-level field a line (two spaces,
 * byte for byte as the shell scripts wrote it, so old and new manifests of a series look alike) and a final newline.
 */
export function serializeManifest(manifest: ManifestInput): string {
  const valid = validateManifest({ schema: MANIFEST_SCHEMA_VERSION, ...manifest }, "the manifest to write");
  // Key order: the schema's (zod builds its output in shape order), `schema` first.
  const ordered = { schema: valid.schema, ...Object.fromEntries(Object.keys(manifestV1Fields.shape).filter((k) => k !== "schema" && (valid as Record<string, unknown>)[k] !== undefined).map((k) => [k, (valid as Record<string, unknown>)[k]])) };
  return JSON.stringify(ordered, null, 2) + "\n";
}

/** Whether a manifest describes an age-encrypted object. */
export const isEncrypted = (m: Manifest) => m[F.encryption] === "age";

/** The size of what a restore reads after decryption: the plaintext's for an encrypted object, else the object's. */
export const plaintextSize = (m: Manifest) => (isEncrypted(m) ? m[F.plaintextSize]! : m.size_bytes);

/**
 * A series' latest.json: a byte-identical copy of the newest verified manifest. Reads both and says whether they
 * agree, as a drill checks before it restores.
 */
export function parseLatest(latestText: string, manifestText?: string, source = "latest.json"): Manifest {
  const latest = parseManifest(latestText, source);
  if (manifestText !== undefined && manifestText !== latestText) throw new ManifestError(source, [`it differs from the manifest it names (${latest.manifest_key})`]);
  return latest;
}

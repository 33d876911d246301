/**
 * A restore drill: the newest complete backup (the one latest.json names) downloaded, decrypted and decompressed in
 * one stream into the run's scratch space while the kind prepares its throwaway server; the object's size and SHA-256
 * (and the plaintext's, when encrypted) checked against the manifest, which must be byte-identical to latest.json;
 * only then restored, and the counts of what was restored compared with the manifest's. Every drill is pushed.
 */
import { createHash } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, type Readable, type Transform, type Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { DRILL_METRICS, EXIT, isEncrypted, latestKey, parseManifest, ENCRYPTION_MANIFEST_FIELDS as F, LAYOUT, ManifestError, type ExitCode, type Manifest } from "../contract";
import { DecryptError, RunError, tail } from "./errors";
import type { Counts, KindRuntime, RunContext } from "./kind";
import { push, type PushTarget } from "./push";
import { describeS3Error, type ArchiveStore } from "./s3";
import { ageDecrypt, Coalesce, decompressor, followFile, HashTap, sha256Text, toolStream, type DecodedSink } from "./streams";
import { findTool, hasTool, runTool, type Tool } from "./tools";

const now = () => Math.floor(Date.now() / 1000);

/** Who holds the identity, in the messages: a drill, or a real restore. */
export type IdentityHolder = "drill" | "restore";

/**
 * The identity can open the object: it is set, readable, and (when age-keygen is here to derive its recipient) the one
 * the object was encrypted to. Said before anything is downloaded.
 */
export async function checkIdentity(ctx: RunContext, m: Manifest, holder: IdentityHolder = "drill"): Promise<string> {
  const file = ctx.env.AGE_IDENTITY_FILE;
  if (!file) throw new DecryptError(`the backup is encrypted with age but this ${holder} has no identity (AGE_IDENTITY_FILE is not set)`);
  try {
    readFileSync(file);
  } catch {
    throw new DecryptError(`the identity file '${file}' cannot be read`);
  }
  let agePath: string;
  try {
    agePath = findTool("age", "", ctx.vars);
  } catch {
    throw new DecryptError("age is not installed in this container (the pod's init container copies it)");
  }
  if (hasTool("age-keygen", ctx.vars)) {
    let recipient: string;
    try {
      recipient = (await runTool(findTool("age-keygen", "", ctx.vars), ["-y", file], { what: "age-keygen" })).trim();
    } catch (e) {
      throw new DecryptError("the identity file is not an age identity", { detail: e instanceof RunError ? String(e.fields.detail ?? "") : String(e) });
    }
    const want = m[F.recipientSha256]!;
    if (sha256Text(recipient) !== want) {
      throw new DecryptError(`the ${holder}'s identity is not the one this backup was encrypted to`, { recipient_sha256: want, identity_recipient_sha256: sha256Text(recipient) });
    }
  }
  return agePath;
}

export interface Fetched {
  /** The verified, decompressed artifact. */
  path: string;
  manifest: Manifest;
}

/**
 * Downloads `m.key` into `path`, decrypting and decompressing as it arrives, and verifies it against the manifest.
 * Every byte of the object is hashed even when decoding fails half-way, so a corrupted object is named a checksum
 * mismatch, not a decompression error.
 */
export async function fetchVerified(ctx: RunContext, store: ArchiveStore, m: Manifest, sink: DecodedSink, agePath?: string, what = "backup", holder: IdentityHolder = "drill"): Promise<void> {
  const { log } = ctx;
  const encrypted = isEncrypted(m);
  let age: Tool | undefined;
  const stages: Transform[] = [];
  let plain: HashTap | undefined;
  if (encrypted) {
    age = ageDecrypt(agePath!, ctx.env.AGE_IDENTITY_FILE!);
    plain = new HashTap();
    stages.push(toolStream(age) as unknown as Transform, plain);
  }
  const decompress = decompressor(m.compression, ctx.vars, sink);
  const chain: Writable[] = decompress.writesItself
    ? [...stages, decompress.tool!.child.stdin!]
    : [...stages, ...(decompress.tool ? [] : [new Coalesce()]), decompress.stream(), typeof sink === "string" ? createWriteStream(sink) : sink.child.stdin!];
  const head = chain[0]!;
  let decodeError: unknown;
  const decoded = (chain.length > 1 ? pipeline(chain as unknown as [Readable, ...Transform[], Writable]) : finished(head)).catch((e: unknown) => {
    decodeError ??= e;
  });
  const cipher = createHash("sha256");
  let bytes = 0;
  try {
    const body = await store.getStream(m.key);
    for await (const chunk of body as AsyncIterable<Buffer>) {
      cipher.update(chunk);
      bytes += chunk.length;
      if (decodeError || head.destroyed) continue;
      if (!head.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => (head.off("drain", done), head.off("close", done), resolve());
          head.on("drain", done).on("close", done);
          void decoded.then(done);
        });
      }
    }
  } catch (e) {
    (head as unknown as PassThrough).destroy();
    age?.stop("SIGKILL");
    decompress.tool?.stop("SIGKILL");
    throw new RunError(`downloading ${store.url(m.key)} failed`, EXIT.failed, { detail: describeS3Error(e) });
  }
  if (!head.destroyed) head.end();
  await decoded;
  const ageFailed = age ? await age.exited.then(() => undefined, (e: unknown) => e) : undefined;
  // The CLI's own verdict (its frames' checksums, a full disk) is the decoding error: it says more than the broken pipe
  // its stdin may have been left with.
  if (decompress.tool) await decompress.tool.exited.catch((e: unknown) => (decodeError = e));
  const sha = cipher.digest("hex");
  if (bytes !== m.size_bytes || sha !== m.sha256) {
    throw new RunError(`CHECKSUM MISMATCH: the stored ${what} is not the one that was written`, EXIT.failed, { key: m.key, expected: `${m.size_bytes} ${m.sha256}`, got: `${bytes} ${sha}` });
  }
  if (encrypted) {
    if (ageFailed) throw new DecryptError(`age cannot decrypt the stored ${what} with this ${holder}'s identity`, { key: m.key, detail: tail(age!.stderr(), 1000) });
    if (plain!.bytes !== m[F.plaintextSize] || plain!.digest() !== m[F.plaintextSha256]) {
      throw new RunError(`CHECKSUM MISMATCH: the decrypted ${what} is not the plaintext that was encrypted`, EXIT.failed, {
        key: m.key,
        expected: `${m[F.plaintextSize]} ${m[F.plaintextSha256]}`,
        got: `${plain!.bytes} ${plain!.digest()}`,
      });
    }
    log.info("decrypted with age", { key: m.key, plaintext_sha256: m[F.plaintextSha256] });
  }
  log.info("checksum verified", { key: m.key, sha256: m.sha256 });
  if (decodeError) {
    throw new RunError(`the verified ${what} does not decompress into scratch space`, EXIT.failed, { compression: m.compression, detail: decodeError instanceof RunError && decodeError.fields.detail ? `${decodeError.message}: ${String(decodeError.fields.detail)}` : decodeError instanceof Error ? decodeError.message : String(decodeError) });
  }
}

/** Reads latest.json and the manifest it names (byte-identical, or the drill fails). */
export async function readLatest(ctx: RunContext, store: ArchiveStore, kind: KindRuntime): Promise<{ manifest: Manifest; manifestText: Promise<string> }> {
  const key = latestKey(ctx.env.S3_PREFIX, kind.kind, ctx.env.BACKUP_TARGET);
  let text: string;
  try {
    text = (await store.getBytes(key)).toString("utf8");
  } catch (e) {
    throw new RunError(`no complete backup: cannot read ${store.url(key)}`, EXIT.failed, { detail: describeS3Error(e) });
  }
  let m: Manifest;
  try {
    m = parseManifest(text, key);
  } catch (e) {
    throw new RunError(e instanceof ManifestError ? e.message : String(e));
  }
  if (m.kind !== kind.kind) throw new RunError(`${LAYOUT.latest} is of another kind`, EXIT.failed, { found: m.kind });
  if (m.target !== ctx.env.BACKUP_TARGET) throw new RunError(`${LAYOUT.latest} is of another target`, EXIT.failed, { found: m.target });
  const manifestText = store.getBytes(m.manifest_key).then(
    (b) => b.toString("utf8"),
    (e: unknown) => {
      throw new RunError(`cannot read the manifest ${LAYOUT.latest} names`, EXIT.failed, { manifest_key: m.manifest_key, detail: describeS3Error(e) });
    },
  );
  manifestText.catch(() => undefined);
  const checked = manifestText.then((t) => {
    if (t !== text) throw new RunError(`${LAYOUT.latest} and the manifest it names differ`, EXIT.failed, { manifest_key: m.manifest_key });
    return t;
  });
  checked.catch(() => undefined);
  return { manifest: m, manifestText: checked };
}

/** The lines of two count tables that differ, as `name: expected vs restored`. */
export function countDifferences(expected: Counts, actual: Counts): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.filter((n) => expected[n] !== actual[n]).map((n) => `${n}: expected ${expected[n] ?? "none"}, restored ${actual[n] ?? "none"}`);
}

/**
 * The restored counts equal the manifest's, or RESTORED DATA DIFFERS. Every drill checks this on what restore()
 * returns; a kind whose later checks would only fail on data that already differs checks it first itself.
 */
export function expectCounts(expected: Counts, actual: Counts): void {
  const diff = countDifferences(expected, actual);
  if (diff.length > 0) throw new RunError("RESTORED DATA DIFFERS from what was backed up (counts: expected vs restored)", EXIT.failed, { detail: diff.slice(0, 50).join("\n") });
}

export async function runDrill(ctx: RunContext, kind: KindRuntime, store: ArchiveStore, pushTarget: PushTarget): Promise<ExitCode> {
  const { log } = ctx;
  const started = ctx.startedEpoch;
  let manifest: Manifest | undefined;
  let decrypt: number | undefined;
  let prepared: Promise<void> | undefined;
  try {
    const latest = await readLatest(ctx, store, kind);
    manifest = latest.manifest;
    let agePath: string | undefined;
    if (isEncrypted(manifest)) {
      decrypt = 0;
      agePath = await checkIdentity(ctx, manifest);
    }
    // The manifest first: nothing is downloaded for a latest.json that does not name its manifest byte for byte.
    await latest.manifestText;
    // The throwaway server starts while the object downloads, and a kind that can starts loading it as it lands.
    prepared = kind.prepareRestore?.(ctx);
    prepared?.catch(() => undefined);
    const path = join(ctx.scratch, `artifact.${kind.artifact.extension}`);
    const m = manifest;
    log.info("fetching the newest complete backup", { key: m.key, size_bytes: m.size_bytes });
    const fetched = fetchVerified(ctx, store, m, path, agePath);
    fetched.catch(() => undefined);
    const early = kind.restoreWhileDownloading
      ? (async () => {
          await prepared;
          await kind.restoreWhileDownloading!(ctx, { path, follow: () => followFile(path, fetched) }, m);
        })()
      : undefined;
    early?.catch(() => undefined);
    // The object's verdict comes first: a restore that failed on bytes that were not the ones written is a mismatch.
    await fetched;
    if (decrypt !== undefined) decrypt = 1;
    await prepared;
    await early;
    const counts = await kind.restore(ctx, path, manifest);
    expectCounts(manifest.counts, counts);
    log.info("counts match", { entries: Object.keys(counts).length });
    log.info("restore verified", { key: manifest.key });
    const end = now();
    log.info("RESTORE DRILL OK", { key: manifest.key, duration_seconds: end - started });
    const pushed = await push(
      pushTarget,
      {
        [DRILL_METRICS.lastSuccess]: end,
        [DRILL_METRICS.lastCompletion]: end,
        [DRILL_METRICS.lastRunSuccess]: 1,
        [DRILL_METRICS.duration]: end - started,
        [DRILL_METRICS.lastVerifiedBackup]: manifest.started_epoch,
        ...(decrypt !== undefined ? { [DRILL_METRICS.lastDecryptSuccess]: decrypt } : {}),
      },
      log,
    );
    return pushed ? EXIT.ok : EXIT.pushFailed;
  } catch (e) {
    const err = e instanceof RunError ? e : new RunError(e instanceof Error ? e.message : String(e));
    log.error(err.message, err.fields);
    const end = now();
    log.error("RESTORE DRILL FAILED", { key: manifest?.key ?? "none" });
    await push(
      pushTarget,
      {
        [DRILL_METRICS.lastCompletion]: end,
        [DRILL_METRICS.lastRunSuccess]: 0,
        [DRILL_METRICS.duration]: end - started,
        // Whether this drill could decrypt: 0 when it could not, 1 when it did and failed later; nothing otherwise.
        ...(err.exit === EXIT.decrypt ? { [DRILL_METRICS.lastDecryptSuccess]: 0 } : decrypt === 1 ? { [DRILL_METRICS.lastDecryptSuccess]: 1 } : {}),
      },
      log,
    );
    return err.exit === EXIT.decrypt || err.exit === EXIT.config ? err.exit : EXIT.failed;
  } finally {
    // A download that fails fast can fail before the throwaway server finished starting: stopping it then would leave
    // it to start afterwards, writing into the scratch space the run removes.
    await prepared?.catch(() => undefined);
    await kind.cleanup?.(ctx).catch(() => undefined);
  }
}


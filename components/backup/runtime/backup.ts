/**
 * A backup run: the kind's dump streamed through compression, hashing, age (when a recipient is set) and a multipart
 * upload with several parts in flight, so the dump, the compression and the upload overlap and nothing is staged on
 * disk. Then the object is checked in the bucket, its manifest written, and only then latest.json moved. Every run
 * ends with a push to the Pushgateway, a failure included.
 */
import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BACKUP_METRICS, EXIT, latestKey, manifestKey as manifestKeyOf, objectKey, LAYOUT, serializeManifest, ENCRYPTION_MANIFEST_FIELDS as F, type ExitCode } from "../contract";
import { RunError } from "./errors";
import { isoSeconds } from "./log";
import type { BackupPlan, RunContext, Dump } from "./kind";
import { push, type PushTarget } from "./push";
import { describeS3Error, type ArchiveStore } from "./s3";
import { ageEncrypt, Coalesce, COMPRESSION_SUFFIX, compressor, HashTap, sha256Text, toolStream } from "./streams";
import { findTool, type Tool } from "./tools";

const now = () => Math.floor(Date.now() / 1000);

export async function runBackup(ctx: RunContext, kind: BackupPlan, store: ArchiveStore, pushTarget: PushTarget): Promise<ExitCode> {
  const { env, log } = ctx;
  const started = ctx.startedEpoch;
  const reportFailure = async (exit: ExitCode) => {
    const end = now();
    await push(pushTarget, { [BACKUP_METRICS.lastCompletion]: end, [BACKUP_METRICS.lastRunSuccess]: 0, [BACKUP_METRICS.duration]: end - started }, log);
    return exit;
  };
  const compression = env.BACKUP_COMPRESSION;
  const recipient = env.AGE_RECIPIENT;
  const ext = `${kind.artifact.extension}${COMPRESSION_SUFFIX[compression]}${recipient ? ".age" : ""}`;
  const key = objectKey(env.S3_PREFIX, kind.kind, env.BACKUP_TARGET, started, ext, kind.series);
  let dump: Dump | undefined;
  let age: Tool | undefined;
  let codec: Tool | undefined;
  try {
    const agePath = recipient ? findTool("age", "the backup is encrypted with age before upload (the pod's init container copies it)", ctx.vars) : undefined;
    log.info("backup started", { started_at: isoSeconds(new Date(started * 1000)) });
    const compress = compressor(compression, { zstd: env.ZSTD_LEVEL, gzip: env.GZIP_LEVEL }, ctx.vars);
    codec = compress.tool;
    dump = await kind.dump(ctx, codec?.child.stdin ?? undefined);
    // The dump's tool now holds the compressor's stdin: the runtime's own end is closed, so that the compressor sees
    // the end of the dump when the tool exits.
    if (codec && !dump.stream) codec.child.stdin!.destroy();
    const plain = new HashTap();
    const stored = recipient ? new HashTap() : plain;
    // Node's codecs work best on 1 MiB writes; a pipe to the CLI takes what comes.
    const head: (Readable | Transform)[] = dump.stream ? [dump.stream, ...(codec ? [] : [new Coalesce()]), compress.stream()] : [codec!.child.stdout!];
    const stages: Transform[] = [plain];
    if (recipient) {
      age = ageEncrypt(agePath!, recipient);
      stages.push(toolStream(age) as unknown as Transform, stored);
    }
    const body = stages[stages.length - 1]! as unknown as Readable;
    // The chain's own errors (compression, age's pipes) fail the run like the tools' exit statuses do.
    const chain = pipeline([...head, ...stages] as unknown as [Readable, ...Transform[]]).then(() => undefined);
    const whole = Promise.all([dump.finished, chain, age?.exited, codec?.exited]);
    whole.catch(() => dump?.abort());
    log.info("uploading", { key });
    const uploaded = store.uploadStream(key, body, { contentType: "application/octet-stream", whole }).catch((e: unknown) => {
      // The store failed: stop the dump, whose bytes have nowhere to go.
      body.destroy();
      throw e instanceof RunError ? e : new RunError(`the upload to ${store.url(key)} did not complete`, EXIT.failed, { detail: describeS3Error(e) });
    });
    const [[facts], size] = await Promise.all([whole, uploaded]);
    const stat = await store.head(key);
    if (stat.ContentLength !== size || size !== stored.bytes) {
      throw new RunError("the uploaded object does not match what was sent", EXIT.failed, { key, expected: stored.bytes, got: stat.ContentLength });
    }
    log.info("dump complete", { size_bytes: size, sha256: stored.digest() });
    await kind.afterUpload?.(ctx, store, facts);
    if (recipient) log.info("encrypted with age", { recipient_sha256: sha256Text(recipient), plaintext_sha256: plain.digest(), size_bytes: size });
    const mKey = manifestKeyOf(key);
    const manifest = serializeManifest({
      kind: kind.kind,
      target: env.BACKUP_TARGET,
      bucket: env.S3_BUCKET,
      key,
      manifest_key: mKey,
      sha256: stored.digest(),
      size_bytes: stored.bytes,
      ...(recipient ? { [F.encryption]: "age" as const, [F.recipientSha256]: sha256Text(recipient), [F.plaintextSha256]: plain.digest(), [F.plaintextSize]: plain.bytes } : {}),
      compression,
      format: kind.artifact.format,
      tool_version: facts.toolVersion,
      started_epoch: started,
      started_at: isoSeconds(new Date(started * 1000)),
      uploaded_epoch: now(),
      ...facts.manifest,
      counts: facts.counts,
    });
    const manifestSha = sha256Text(manifest);
    await store.putSmall(mKey, manifest, { contentType: "application/json", metadata: { sha256: manifestSha } });
    // Last: the pointer. Only a run whose object and manifest are in the bucket ever gets here.
    await store.putSmall(latestKey(env.S3_PREFIX, kind.kind, env.BACKUP_TARGET, kind.series), manifest, { contentType: "application/json", metadata: { sha256: manifestSha } });
    const end = now();
    log.info("BACKUP OK", { key, size_bytes: size, sha256: stored.digest(), duration_seconds: end - started });
    const pushed = await push(
      pushTarget,
      {
        [BACKUP_METRICS.lastSuccess]: end,
        [BACKUP_METRICS.lastCompletion]: end,
        [BACKUP_METRICS.lastRunSuccess]: 1,
        [BACKUP_METRICS.duration]: end - started,
        [BACKUP_METRICS.size]: size,
      },
      log,
    );
    return pushed ? EXIT.ok : EXIT.pushFailed;
  } catch (e) {
    dump?.abort();
    age?.stop("SIGKILL");
    codec?.stop("SIGKILL");
    const err = e instanceof RunError ? e : new RunError(e instanceof Error ? e.message : String(e), EXIT.failed, { detail: describeS3Error(e) });
    log.error(`BACKUP FAILED: ${err.message}; ${LAYOUT.latest} still names the previous backup`, { key, ...err.fields });
    return reportFailure(err.exit === EXIT.config ? EXIT.config : EXIT.failed);
  }
}

/**
 * The off-site copy (`strata-runtime.cjs offsite-copy`, components/archive/offsiteCopy.ts's CronJob): copies the
 * backups bucket's objects that are new or changed since they were last copied to a bucket in another location or at
 * another provider, checking every byte by SHA-256, and reports to the Pushgateway. It never deletes at the
 * destination (expiry there is the destination bucket's own lifecycle).
 *
 * Per object that is new, whose source is newer or of another size than its copy, or that the last run could not
 * verify (`<OFFSITE_STATE_PREFIX>unverified.txt` at the destination):
 *   1. its bytes stream from the source through a SHA-256 to the destination (multipart, as backups go up). An object
 *      with a recorded SHA-256 must match it before the upload is completed, or nothing is stored (a mismatch): its
 *      x-amz-meta-sha256 (every manifest, latest.json and WAL object Strata writes), or for a backup object, streamed
 *      up in parts before its SHA-256 was known, the manifest beside it (itself checked against its own record first).
 *      One with no record is staged in WORK_DIR and hashed first, since its SHA-256 must go with its upload;
 *   2. the copy carries that SHA-256 as x-amz-meta-sha256 (so it is drillable like the original) and the source's
 *      content type;
 *   3. the copy is read back and hashed as it streams: one that differs is a mismatch, uploaded once more, and named
 *      in the unverified list if it still differs, so the next run copies it again whatever its date.
 *
 * The source is the archive's identity (the SDK's chain: IRSA, Pod Identity or a key); the destination signs with its
 * own static key only, so a web identity or session token meant for the source never reaches it.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { OFFSITE_COPY_STATE_PREFIX } from "../../archive/offsiteCopySettings";
import { EXIT, manifestKey, OFFSITE_COPY_JOB, OFFSITE_COPY_METRICS, parseManifest, type ExitCode } from "../contract";
import { optional, readEnv, requiredPushgatewayUrl, requiredText, runEnvSchema } from "./config";
import { ConfigError, RunError } from "./errors";
import { createLog, type Log } from "./log";
import { push, type PushTarget, type Samples } from "./push";
import { ArchiveStore, describeS3Error, type ListedObject, type OpenedObject } from "./s3";
import { termination } from "./signals";
import { HashTap, sha256Text } from "./streams";

export const offsiteCopyEnvSchema = runEnvSchema.pick({ S3_BUCKET: true, S3_ENDPOINT_URL: true, WORK_DIR: true, PUSH_TIMEOUT_SECONDS: true }).extend({
  /** The source's region; absent, the SDK's own (the profile). */
  AWS_REGION: optional,
  DEST_BUCKET: requiredText(" (the bucket the copy goes to)"),
  DEST_REGION: requiredText(" (the destination bucket's region)"),
  DEST_ENDPOINT_URL: runEnvSchema.shape.S3_ENDPOINT_URL,
  DEST_AWS_ACCESS_KEY_ID: requiredText(" (the destination's own access key, from its Secret)"),
  DEST_AWS_SECRET_ACCESS_KEY: requiredText(" (the destination's own secret key, from its Secret)"),
  OFFSITE_STATE_PREFIX: z.string().default(OFFSITE_COPY_STATE_PREFIX),
  PUSHGATEWAY_URL: requiredPushgatewayUrl,
});

export type OffsiteCopyEnv = z.output<typeof offsiteCopyEnvSchema>;

export function readOffsiteCopyEnv(env: NodeJS.ProcessEnv): OffsiteCopyEnv {
  return readEnv(offsiteCopyEnvSchema, env);
}

/** The destination's store: its own key, region and endpoint, nothing of the source's identity. */
export function destinationStore(env: OffsiteCopyEnv): ArchiveStore {
  return new ArchiveStore({
    bucket: env.DEST_BUCKET,
    region: env.DEST_REGION,
    ...(env.DEST_ENDPOINT_URL ? { endpoint: env.DEST_ENDPOINT_URL } : {}),
    credentials: { accessKeyId: env.DEST_AWS_ACCESS_KEY_ID, secretAccessKey: env.DEST_AWS_SECRET_ACCESS_KEY },
  });
}

/** Unchanged: a copy of the same size written (to the second) no earlier than the source object was. */
export function isUnchanged(source: ListedObject, copy: ListedObject | undefined): boolean {
  return !!copy && copy.size === source.size && copy.modifiedEpoch >= source.modifiedEpoch;
}

/** Where a source object's SHA-256 is recorded. */
type RecordedIn = "x-amz-meta-sha256" | "manifest";

/** What the source holds that no longer matches the SHA-256 it records. */
class SourceMismatch extends Error {
  constructor(
    readonly recorded: string,
    readonly got: string,
    readonly recordedIn: RecordedIn,
  ) {
    super("CHECKSUM MISMATCH: the source object does not match the SHA-256 it records; not copied");
  }
}

async function sha256Of(body: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of body as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * One upload's body: `whole` settles once the body has been read through (rejecting if it was not what it must be);
 * `sourceFailure` is what broke the source's side, told apart from the destination's failures in the log.
 */
interface Body {
  stream: Readable;
  whole: Promise<unknown>;
  sourceFailure: () => unknown;
}

type Outcome = "copied" | "failed" | "mismatch";

interface Stores {
  source: ArchiveStore;
  destination: ArchiveStore;
}

const FALLBACK_CONTENT_TYPE = "binary/octet-stream";

/**
 * The SHA-256 the source records for `key`: its x-amz-meta-sha256, or the manifest beside a backup object (listed in
 * `sourceKeys`), whose own bytes must match its x-amz-meta-sha256 and which must name `key` and its size. A manifest
 * that cannot vouch for the object is said, and the object is then staged and hashed like one with no record.
 */
async function recordOf(source: ArchiveStore, key: string, first: OpenedObject, size: number, sourceKeys: ReadonlySet<string>, log: Log): Promise<{ sha256: string; in: RecordedIn } | undefined> {
  if (first.metadata.sha256) return { sha256: first.metadata.sha256, in: "x-amz-meta-sha256" };
  const mKey = manifestKey(key);
  if (!sourceKeys.has(mKey)) return undefined;
  try {
    const opened = await source.open(mKey);
    const bytes = Buffer.concat((await opened.body.toArray()) as Buffer[]);
    if (opened.metadata.sha256 && sha256Text(bytes) !== opened.metadata.sha256) throw new Error("the manifest does not match its own recorded SHA-256");
    const m = parseManifest(bytes.toString("utf8"), source.url(mKey));
    if (m.key !== key || m.size_bytes !== size) throw new Error(`the manifest describes ${m.key} of ${m.size_bytes} bytes`);
    return { sha256: m.sha256, in: "manifest" };
  } catch (e) {
    log.warn("the backup's manifest cannot vouch for it: staged and hashed instead", { key, manifest: mKey, detail: e instanceof Error ? e.message : describeS3Error(e) });
    return undefined;
  }
}

/** Steps 1-3 of the header for one object; `bytes` counts it when it verified. */
async function copyOne(stores: Stores, object: ListedObject, sourceKeys: ReadonlySet<string>, scratch: string, log: Log): Promise<{ outcome: Outcome; bytes: number }> {
  const { key } = object;
  const { source, destination } = stores;
  let first: OpenedObject;
  try {
    first = await source.open(key);
  } catch (e) {
    log.error("cannot download the source object", { key, detail: describeS3Error(e) });
    return { outcome: "failed", bytes: 0 };
  }
  // Until an attempt takes it, the first response's body is this function's to close.
  let opened: OpenedObject | undefined = first;
  try {
    const contentType = first.contentType ?? FALLBACK_CONTENT_TYPE;
    const record = await recordOf(source, key, first, object.size, sourceKeys, log);
    let sha: string;
    let body: () => Promise<Body>;
    if (record) {
      const recorded = record.sha256;
      sha = recorded;
      // Each attempt streams from the source again, checked against the record before its upload is completed.
      body = async () => {
        const from = opened ?? (await source.open(key));
        opened = undefined;
        let failure: unknown;
        from.body.on("error", (e) => (failure ??= e));
        const h = new HashTap();
        const whole = pipeline(from.body, h).then(() => {
          const got = h.digest();
          if (got !== recorded) throw new SourceMismatch(recorded, got, record.in);
        });
        // Awaited by the upload once it has read the body through; a body abandoned on a failure is not.
        whole.catch(() => undefined);
        return { stream: h, whole, sourceFailure: () => failure };
      };
    } else {
      // Nothing to check the stream against: staged (one object at a time) and hashed, so the upload can carry its SHA-256.
      const staged = join(scratch, "object");
      const h = new HashTap();
      try {
        await pipeline(first.body, h, createWriteStream(staged));
      } catch (e) {
        log.error("cannot download the source object", { key, detail: describeS3Error(e) });
        return { outcome: "failed", bytes: 0 };
      }
      sha = h.digest();
      opened = undefined;
      body = async () => {
        const stream = createReadStream(staged);
        let failure: unknown;
        stream.on("error", (e) => (failure ??= e));
        return { stream, whole: Promise.resolve(), sourceFailure: () => failure };
      };
    }
    for (const attempt of [1, 2]) {
      let b: Body;
      try {
        b = await body();
      } catch (e) {
        log.error("cannot download the source object", { key, detail: describeS3Error(e) });
        return { outcome: "failed", bytes: 0 };
      }
      let stored: number;
      let back: string;
      try {
        stored = await destination.uploadStream(key, b.stream, { contentType, metadata: { sha256: sha }, whole: b.whole });
        back = await sha256Of(await destination.getStream(key));
      } catch (e) {
        const sourceFailure = b.sourceFailure();
        b.stream.destroy();
        if (e instanceof SourceMismatch) {
          log.error(e.message, { key, recorded: e.recorded, recorded_in: e.recordedIn, got: e.got });
          return { outcome: "mismatch", bytes: 0 };
        }
        if (sourceFailure) log.error("cannot download the source object", { key, detail: describeS3Error(sourceFailure) });
        else log.error("cannot write or read back the copy", { key, detail: describeS3Error(e) });
        return { outcome: "failed", bytes: 0 };
      }
      if (back === sha) {
        if (attempt > 1) log.warn("the second upload verified", { key });
        return { outcome: "copied", bytes: stored };
      }
      log.error("CHECKSUM MISMATCH: the copy read back from the destination differs from the source", { key, attempt, expected: sha, got: back });
    }
    return { outcome: "mismatch", bytes: 0 };
  } finally {
    opened?.body.destroy();
    rmSync(join(scratch, "object"), { force: true });
  }
}

/** The run: exit 0 when every object is copied and verified, failed (pushed) when one is not, pushFailed when only the push failed. */
export async function runOffsiteCopy(vars: NodeJS.ProcessEnv): Promise<ExitCode> {
  const log = createLog({ script: "offsite-copy", phase: "" });
  let env: OffsiteCopyEnv;
  try {
    env = readOffsiteCopyEnv(vars);
    try {
      mkdirSync(env.WORK_DIR, { recursive: true });
    } catch (e) {
      throw new ConfigError(`WORK_DIR '${env.WORK_DIR}' cannot be created: ${e instanceof Error ? e.message : String(e)}`);
    }
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    return e instanceof RunError ? e.exit : EXIT.config;
  }
  const scratch = join(env.WORK_DIR, `offsite-copy-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  try {
    return await copyAll(env, scratch, log);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function copyAll(env: OffsiteCopyEnv, scratch: string, log: Log): Promise<ExitCode> {
  const started = Math.floor(Date.now() / 1000);
  const stores: Stores = {
    source: new ArchiveStore({ bucket: env.S3_BUCKET, ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}), ...(env.S3_ENDPOINT_URL ? { endpoint: env.S3_ENDPOINT_URL } : {}) }),
    destination: destinationStore(env),
  };
  const { source, destination } = stores;
  const unverifiedKey = `${env.OFFSITE_STATE_PREFIX}unverified.txt`;
  let copied = 0;
  let bytes = 0;
  let mismatches = 0;
  let failed = 0;
  let total = 0;
  let versioned: 0 | 1 | undefined;

  let sourceList: ListedObject[] | undefined;
  let destinationList: ListedObject[] | undefined;
  try {
    sourceList = await source.listKeys("");
  } catch (e) {
    log.error("cannot list the source bucket", { bucket: env.S3_BUCKET, detail: describeS3Error(e) });
    failed = 1;
  }
  if (sourceList) {
    try {
      destinationList = await destination.listKeys("");
    } catch (e) {
      log.error("cannot list the destination bucket", { bucket: env.DEST_BUCKET, detail: describeS3Error(e) });
      failed = 1;
    }
  }

  if (sourceList && destinationList) {
    const have = new Map(destinationList.map((o) => [o.key, o]));
    const sourceKeys = new Set(sourceList.map((o) => o.key));
    // Strata never deletes at the destination, but whoever else holds its key can, and only versioning lets that be
    // undone. Checked every run (an owner can suspend it any day); not fatal: the copy is still worth making.
    try {
      const status = (await destination.versioning()) ?? "None";
      versioned = status === "Enabled" ? 1 : 0;
      if (!versioned) {
        log.error(
          "DESTINATION NOT VERSIONED: an object overwritten or deleted there cannot be recovered; enable versioning on it (or let Strata declare it: archive.offsiteCopy.manage)",
          { bucket: env.DEST_BUCKET, status },
        );
      }
    } catch (e) {
      log.warn("cannot read the destination bucket's versioning (the destination key may not be allowed s3:GetBucketVersioning)", { bucket: env.DEST_BUCKET, detail: describeS3Error(e) });
    }
    const unverified = new Set<string>();
    if (have.has(unverifiedKey)) {
      try {
        for (const key of (await destination.getBytes(unverifiedKey)).toString("utf8").split("\n")) if (key) unverified.add(key);
      } catch (e) {
        log.warn("cannot read the list of unverified copies", { key: unverifiedKey, detail: describeS3Error(e) });
      }
    }

    const next: string[] = [];
    for (const object of sourceList) {
      if (object.key.startsWith(env.OFFSITE_STATE_PREFIX)) continue;
      total++;
      if (!unverified.has(object.key) && isUnchanged(object, have.get(object.key))) continue;
      // A stopped run (its Job deleted, the pod evicted) reports what it did rather than being killed mid-object.
      if (termination.signal.aborted) {
        log.error("stopped (SIGTERM) before copying every object: the next run continues", { key: object.key });
        failed++;
        break;
      }
      const { outcome, bytes: n } = await copyOne(stores, object, sourceKeys, scratch, log);
      if (outcome === "copied") {
        copied++;
        bytes += n;
      } else if (outcome === "mismatch") {
        mismatches++;
        next.push(object.key);
      } else failed++;
    }
    // What the next run must copy again whatever its date; an empty list once everything verified.
    if (next.length > 0 || unverified.size > 0) {
      try {
        await destination.putSmall(unverifiedKey, next.map((k) => `${k}\n`).join(""), { contentType: "text/plain" });
      } catch (e) {
        log.error("cannot write the list of unverified copies", { key: unverifiedKey, detail: describeS3Error(e) });
        failed++;
      }
    }
  }

  const now = Math.floor(Date.now() / 1000);
  const ok = failed === 0 && mismatches === 0;
  const samples: Samples = {
    [OFFSITE_COPY_METRICS.lastCompletion]: now,
    [OFFSITE_COPY_METRICS.lastRunSuccess]: ok ? 1 : 0,
    [OFFSITE_COPY_METRICS.duration]: now - started,
    [OFFSITE_COPY_METRICS.sourceObjects]: total,
    [OFFSITE_COPY_METRICS.objectsCopied]: copied,
    [OFFSITE_COPY_METRICS.bytesCopied]: bytes,
    [OFFSITE_COPY_METRICS.mismatches]: mismatches,
    ...(versioned === undefined ? {} : { [OFFSITE_COPY_METRICS.destinationVersioned]: versioned }),
    // Only on success: a failed run's push keeps the last success visible.
    ...(ok ? { [OFFSITE_COPY_METRICS.lastSuccess]: now } : {}),
  };
  if (ok) log.info("OFFSITE COPY OK", { source_objects: total, copied, bytes, destination: env.DEST_BUCKET });
  else log.error("OFFSITE COPY FAILED", { source_objects: total, copied, mismatches, failed, destination: env.DEST_BUCKET });
  const target: PushTarget = { url: env.PUSHGATEWAY_URL, job: OFFSITE_COPY_JOB, labels: [["destination", env.DEST_BUCKET]], timeoutSeconds: env.PUSH_TIMEOUT_SECONDS };
  const pushed = await push(target, samples, log);
  if (!ok) return EXIT.failed;
  return pushed ? EXIT.ok : EXIT.pushFailed;
}

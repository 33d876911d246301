/**
 * PostgreSQL's physical series in the runtime (`strata-runtime.cjs basebackup`): `pg_basebackup -Ft -X fetch` streamed
 * to stdout (one tar with the WAL the backup needs and its backup_manifest) goes at once to the compression and the
 * multipart upload and to a `tar -x` beside it, so pg_verifybackup checks every file against the manifest's CRC32C
 * while the upload runs; the upload is completed, and latest.json moved, only once the verification passes. Then the
 * WAL the base backup needs is rewritten so that it expires no earlier than the base backup itself.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { walPrefix } from "../../contract";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import type { BackupPlan, Dump, DumpFacts, DumpInto, RunContext } from "../../runtime/kind";
import type { ArchiveStore } from "../../runtime/s3";
import { sha256Text } from "../../runtime/streams";
import { findTool, runTool, startTool, type Tool } from "../../runtime/tools";
import { libpqEnv, PG_IMAGE_HINT, pgTool } from "./pgTools";

/** The stored object of a base backup, as the manifest records it. */
export const BASE_BACKUP_ARTIFACT = { format: "pg_basebackup-tar", extension: "tar" } as const;

/** PostgreSQL's default WAL segment size, the only one Strata's WAL archive expects (checked on the server). */
const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;


/** An LSN `X/Y` as a byte position. */
export const lsnBytes = (lsn: string) => {
  const [hi, lo] = lsn.split("/");
  return BigInt(`0x${hi}`) * 2n ** 32n + BigInt(`0x${lo}`);
};

/** The WAL segment file holding `lsn` on `timeline` (16 MiB segments). */
export function walFileName(timeline: number, lsn: string): string {
  const segment = lsnBytes(lsn) / BigInt(WAL_SEGMENT_BYTES);
  const hex = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, "0");
  return `${hex(timeline)}${hex(segment / 256n)}${hex(segment % 256n)}`;
}

/**
 * The grants PITR needs, with a message that says exactly what is missing: a ConfigError (not retried) when the role,
 * pg_hba.conf or the server's settings refuse us; a RunError when the server is unreachable (may be transient).
 */
export async function checkReplication(ctx: RunContext): Promise<void> {
  const role = ctx.vars.PGUSER ?? "postgres";
  let out: string;
  try {
    out = await runTool(pgTool(ctx, "psql"), ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "dbname=replication replication=true", "-c", "IDENTIFY_SYSTEM", "-c", "SHOW wal_level", "-c", "SHOW wal_segment_size"], {
      env: libpqEnv(ctx),
      what: "psql (replication connection)",
    });
  } catch (e) {
    const detail = e instanceof RunError ? String(e.fields.detail ?? "") : String(e);
    if (detail.includes("must be superuser or replication role")) {
      throw new ConfigError(`the role '${role}' lacks the REPLICATION attribute: run ALTER ROLE "${role}" WITH REPLICATION on the server (see docs/runbooks/restore-postgresql-pitr.md)`);
    }
    if (detail.includes("no pg_hba.conf entry for replication connection")) {
      throw new ConfigError(`pg_hba.conf has no line for replication connections of '${role}': add 'host replication ${role} <pod CIDR> scram-sha-256' and reload the server`);
    }
    if (detail.includes("password authentication failed")) throw new ConfigError(`authentication of '${role}' failed on the replication connection (check the password Secret)`);
    if (/exceeds max_wal_senders|too many clients/.test(detail)) {
      throw new RunError("the server has no free WAL sender: raise max_wal_senders (the receiver, the base backup and the status probe use one each)", undefined, { detail });
    }
    throw new RunError("cannot open a replication connection", undefined, { host: ctx.vars.PGHOST ?? "", detail });
  }
  const lines = out.split("\n");
  if (!["replica", "logical"].includes(lines[1] ?? "")) {
    throw new ConfigError(`the server runs with wal_level=${lines[1] || "unknown"}: PITR needs wal_level=replica (or logical), which takes a restart`);
  }
  if (lines[2] !== "16MB") throw new ConfigError(`the server's wal_segment_size is ${lines[2] || "unknown"}; Strata's WAL archive expects the default 16MB`);
}

/** "write-ahead log start point: 0/2000028 on timeline 1" and "write-ahead log end point: 0/2000100" of pg_basebackup -v. */
export function walPoints(stderr: string): { start_lsn: string; timeline: number; end_lsn: string } | undefined {
  const start = /write-ahead log start point: ([0-9A-F]+\/[0-9A-F]+) on timeline (\d+)/.exec(stderr);
  const end = /write-ahead log end point: ([0-9A-F]+\/[0-9A-F]+)/.exec(stderr);
  return start && end ? { start_lsn: start[1]!, timeline: Number(start[2]), end_lsn: end[1]! } : undefined;
}

async function dump(ctx: RunContext, into?: DumpInto): Promise<Dump> {
  const [pgBasebackup, pgVerifybackup, tar] = [pgTool(ctx, "pg_basebackup"), pgTool(ctx, "pg_verifybackup"), findTool("tar", PG_IMAGE_HINT, ctx.vars)];
  await checkReplication(ctx);
  const verifyDir = join(ctx.scratch, "verify");
  mkdirSync(verifyDir, { recursive: true });
  const stamp = new Date(ctx.startedEpoch * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const args = ["-D", "-", "-Ft", "-X", "fetch", "--checkpoint=fast", "--manifest-checksums=CRC32C", "--no-sync", "-v", `--label=strata ${ctx.env.BACKUP_TARGET} ${stamp}`];
  const env = libpqEnv(ctx);
  let backup: Tool;
  let unpack: Tool;
  let split: Tool | undefined;
  if (into) {
    // The same bytes go to the compression and to the unpacking beside it, split by the image's `tee`: one copy into
    // the compressor, the other through a FIFO into `tar -x`. Neither passes through the runtime.
    const [tee, mkfifo] = [findTool("tee", PG_IMAGE_HINT, ctx.vars), findTool("mkfifo", PG_IMAGE_HINT, ctx.vars)];
    const fifo = join(ctx.scratch, "basebackup.tar.fifo");
    await runTool(mkfifo, ["-m", "600", fifo]);
    // -B: a FIFO gives short reads, which tar takes for a damaged archive unless told to gather whole records.
    unpack = startTool(tar, ["-x", "-B", "-f", fifo, "-C", verifyDir], { stdio: ["ignore", "ignore", "pipe"], what: "tar" });
    // tar stops reading at the archive's end-of-archive blocks, before the padding pg_basebackup writes after them: a
    // closed FIFO is then no failure of tee's (GNU coreutils', as in the postgres images); tar's exit status is the verdict.
    split = startTool(tee, ["--output-error=warn-nopipe", fifo], { stdio: ["pipe", into, "pipe"], what: "tee" });
    backup = startTool(pgBasebackup, args, { env, stdio: ["ignore", split.child.stdin!, "pipe"], what: "pg_basebackup" });
    split.child.stdin!.destroy();
  } else {
    backup = startTool(pgBasebackup, args, { env, stdio: ["ignore", "pipe", "pipe"], what: "pg_basebackup" });
    unpack = startTool(tar, ["-xf", "-", "-C", verifyDir], { stdio: ["pipe", "ignore", "pipe"], what: "tar" });
    // The same bytes go to the upload (the caller's pipeline) and to the unpacking beside it.
    backup.child.stdout!.pipe(unpack.child.stdin!);
  }
  const abort = () => [backup, split, unpack].forEach((t) => t?.stop("SIGKILL"));
  // A tar or tee that fails would leave the others blocked on a pipe nobody reads: they end with it.
  for (const t of [unpack, split]) t?.exited.catch(abort);
  const toolVersion = runTool(pgBasebackup, ["--version"]).then((v) => v.trim(), () => "pg_basebackup");
  const finished = (async (): Promise<DumpFacts> => {
    const [dumped, ...unpacked] = await Promise.allSettled([backup.exited, split?.exited, unpack.exited]);
    const unpackFailure = unpacked.find((r) => r.status === "rejected")?.reason as unknown;
    // pg_basebackup killed by the abort above failed because tar or tee did: theirs is the failure to name.
    if (dumped.status === "rejected" && !(unpackFailure && backup.child.signalCode === "SIGKILL")) {
      const e = dumped.reason as unknown;
      throw new RunError("the base backup failed (pg_basebackup)", undefined, e instanceof RunError ? e.fields : {});
    }
    if (unpackFailure) {
      throw new RunError("the base backup stream is not a valid tar archive", undefined, unpackFailure instanceof RunError ? unpackFailure.fields : {});
    }
    try {
      await runTool(pgVerifybackup, ["-q", verifyDir], { what: "pg_verifybackup" });
    } catch (e) {
      throw new RunError("pg_verifybackup rejects the base backup", undefined, e instanceof RunError ? e.fields : {});
    } finally {
      rmSync(verifyDir, { recursive: true, force: true });
    }
    const points = walPoints(backup.stderr());
    if (!points) throw new RunError("pg_basebackup reported no WAL start/end point", undefined, { detail: tail(backup.stderr()) });
    ctx.log.info("base backup verified by pg_verifybackup", { start_lsn: points.start_lsn, end_lsn: points.end_lsn });
    return {
      counts: {},
      toolVersion: await toolVersion,
      manifest: { ...points, start_wal_file: walFileName(points.timeline, points.start_lsn), end_epoch: Math.floor(Date.now() / 1000) },
    };
  })();
  finished.catch(() => undefined);
  return { ...(into ? {} : { stream: backup.child.stdout! }), finished, abort };
}

/** A WAL object's Content-Type: zstd, or opaque once age-encrypted (`<name>.zst.age`). */
const walContentType = (key: string) => (key.endsWith(".age") ? "application/octet-stream" : "application/zstd");

/**
 * The WAL objects this base backup needs that the receiver archived before the backup was uploaded (those of the
 * minutes it ran) are rewritten in place with all their metadata. Every object of the bucket expires a fixed time
 * after it was written (strata:retention), so the WAL a base backup needs then never expires before the base backup
 * itself; the versions replaced expire with the bucket's noncurrent versions. S3_SERVER_SIDE_COPY=false (stores where
 * CopyObject may fail): each object is downloaded, checked against its SHA-256 and uploaded again whole instead.
 */
async function keepWalForBase(ctx: RunContext, store: ArchiveStore, facts: DumpFacts): Promise<void> {
  const start = facts.manifest!.start_wal_file!;
  const prefix = walPrefix(ctx.env.S3_PREFIX, ctx.env.BACKUP_TARGET);
  const serverSideCopy = ctx.env.S3_SERVER_SIDE_COPY === "true";
  const objects = await store.listKeys(`${prefix}/`, `${prefix}/${start}`);
  for (const { key } of objects) {
    const head = await store.head(key);
    const metadata = head.Metadata ?? {};
    if (serverSideCopy) {
      await store.copyInPlace(key, metadata, walContentType(key));
      continue;
    }
    const bytes = await store.getBytes(key);
    if (metadata.sha256 && sha256Text(bytes) !== metadata.sha256) throw new RunError("WAL object does not match its recorded SHA-256; not rewriting it", undefined, { key });
    await store.putSmall(key, bytes, { contentType: walContentType(key), metadata });
  }
  ctx.log.info("kept the WAL the base backup needs as long as the base backup", { start_wal_file: start, objects: objects.length, server_side_copy: serverSideCopy });
}

export const baseBackupPlan: BackupPlan = { kind: "postgresql", series: "basebackup", artifact: BASE_BACKUP_ARTIFACT, dump, afterUpload: keepWalForBase };

/**
 * Point-in-time restore in the runtime (`strata-runtime.cjs pitr-restore`): a base backup plus the WAL archive the
 * receiver keeps, replayed to a target. The same command is the scheduled PITR drill (a throwaway server in scratch
 * space, pushed to the Pushgateway) and the real restore into a new claim (PITR_DATA_DIR; the server is left stopped
 * cleanly, ready for a PostgreSQL to start on it; nothing is pushed).
 *
 * The base backup is downloaded, hashed, decrypted (age) and decompressed into `tar -x` in one stream while the WAL
 * comes down beside it; nothing is read from the unpacked copy before the object's size and SHA-256 (and the
 * plaintext's) match the manifest and every WAL object matches its recorded SHA-256 without a gap in the sequence.
 * Then pg_verifybackup, the recovery target (PITR_TARGET: drill | latest | an ISO-8601 time), archive recovery with
 * promotion, a check that recovery stopped where it had to, pg_amcheck (the drill), and a clean stop.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zstdDecompressSync } from "node:zlib";
import {
  DRILL_METRICS,
  ENCRYPTION_MANIFEST_FIELDS as F,
  EXIT,
  isEncrypted,
  latestKey,
  LAYOUT,
  parseManifest,
  seriesPrefix,
  walPrefix,
  type ExitCode,
  type Manifest,
} from "../../contract";
import { checkIdentity, fetchVerified, type IdentityHolder } from "../../runtime/drill";
import { ConfigError, DecryptError, RunError, tail } from "../../runtime/errors";
import type { RunContext } from "../../runtime/kind";
import { push, type PushTarget } from "../../runtime/push";
import { describeS3Error, type ArchiveStore } from "../../runtime/s3";
import { sha256Text } from "../../runtime/streams";
import { findTool, hasTool, runTool, startTool } from "../../runtime/tools";
import { walFileName } from "./baseBackupRuntime";
import { asServerUser, chownToServerUser, pgTool } from "./pgTools";
import { walMetadataKey } from "./walReceiverRuntime";

const WAL_NAME = /^[0-9A-F]{24}(\.partial)?\.zst(\.age)?$/;
const HISTORY_NAME = /^[0-9A-F]{8}\.history\.zst(\.age)?$/;

type Target = { kind: "drill" } | { kind: "latest" } | { kind: "time"; iso: string; epoch: number };

interface PitrSettings {
  target: Target;
  dataDir?: string;
  windowSeconds: number;
  recoveryTimeoutSeconds: number;
  amcheck: boolean;
}

function settings(ctx: RunContext): PitrSettings {
  const v = ctx.vars;
  const raw = v.PITR_TARGET ?? "drill";
  let target: Target;
  if (raw === "drill" || raw === "latest") target = { kind: raw };
  else {
    const epoch = Date.parse(raw);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw) || Number.isNaN(epoch)) {
      throw new ConfigError(`PITR_TARGET '${raw}' is not drill, latest or a time such as 2026-12-03T08:10:00Z`);
    }
    target = { kind: "time", iso: raw, epoch: epoch / 1000 };
  }
  const window = v.PITR_DRILL_WINDOW_SECONDS ?? "86400";
  if (!/^[1-9]\d*$/.test(window)) throw new ConfigError(`PITR_DRILL_WINDOW_SECONDS '${window}' must be a whole number of seconds`);
  const timeout = v.PITR_RECOVERY_TIMEOUT_SECONDS ?? String(ctx.env.PHASE_WAIT_SECONDS ?? 21600);
  if (!/^[1-9]\d*$/.test(timeout)) throw new ConfigError(`PITR_RECOVERY_TIMEOUT_SECONDS '${timeout}' must be a whole number of seconds`);
  const dataDir = v.PITR_DATA_DIR || undefined;
  const amcheck = (v.PITR_AMCHECK ?? (dataDir ? "0" : "1")) === "1";
  return { target, dataDir, windowSeconds: Number(window), recoveryTimeoutSeconds: Number(timeout), amcheck };
}

/** The base backup to restore from: the newest (latest.json) for drill and latest; for a time, the newest that ended before it. */
async function chooseBase(ctx: RunContext, store: ArchiveStore, target: Target): Promise<Manifest> {
  const { env } = ctx;
  if (target.kind !== "time") {
    const key = latestKey(env.S3_PREFIX, "postgresql", env.BACKUP_TARGET, "basebackup");
    let latest: string;
    try {
      latest = (await store.getBytes(key)).toString("utf8");
    } catch (e) {
      throw new RunError(`no base backup: cannot read ${store.url(key)}`, EXIT.failed, { detail: describeS3Error(e) });
    }
    const m = parseManifest(latest, key);
    let named: string;
    try {
      named = (await store.getBytes(m.manifest_key)).toString("utf8");
    } catch (e) {
      throw new RunError(`cannot read the manifest ${LAYOUT.baseSeries}/${LAYOUT.latest} names`, EXIT.failed, { detail: describeS3Error(e) });
    }
    if (named !== latest) throw new RunError(`${LAYOUT.baseSeries}/${LAYOUT.latest} and the manifest it names differ`);
    return m;
  }
  const prefix = seriesPrefix(env.S3_PREFIX, "postgresql", env.BACKUP_TARGET, "basebackup");
  const manifests = (await store.listKeys(`${prefix}/`)).map((o) => o.key).filter((k) => k.endsWith(LAYOUT.manifestSuffix)).sort().reverse();
  for (const key of manifests) {
    const m = parseManifest((await store.getBytes(key)).toString("utf8"), key);
    if (m.end_epoch !== undefined && m.end_epoch < target.epoch) return m;
  }
  throw new RunError(`no kept base backup ended before ${target.iso}: the earliest time this target can be restored to is the end of its oldest kept base backup`);
}

/** A WAL segment's number within its timeline (16 MiB segments). */
const segmentNumber = (name: string) => parseInt(name.slice(8, 16), 16) * 256 + parseInt(name.slice(16, 24), 16);

/**
 * Every WAL object from the base backup's first segment on (and the timeline history files), checked for a gap,
 * downloaded and checked against its recorded SHA-256 (an encrypted one decrypted and its plaintext checked too), then
 * decompressed into `walDir` (zstd checks each frame's content checksum). A partial segment stands in for a segment
 * only when the completed one was never archived. Returns the newest segment's name and whether any was encrypted.
 */
async function fetchWal(ctx: RunContext, store: ArchiveStore, start: string, walDir: string, holder: IdentityHolder): Promise<{ last: string; encrypted: boolean }> {
  const prefix = walPrefix(ctx.env.S3_PREFIX, ctx.env.BACKUP_TARGET);
  let listed: string[];
  try {
    listed = (await store.listKeys(`${prefix}/`)).map((o) => o.key.slice(prefix.length + 1));
  } catch (e) {
    throw new RunError("cannot list the WAL archive", EXIT.failed, { prefix: `${prefix}/`, detail: describeS3Error(e) });
  }
  const names = listed.filter((n) => HISTORY_NAME.test(n) || (WAL_NAME.test(n) && n.slice(0, 24) >= start)).sort();
  const timeline = start.slice(0, 8);
  const segments = [...new Set(names.filter((n) => WAL_NAME.test(n) && n.startsWith(timeline)).map((n) => n.slice(0, 24)))].sort();
  let expect = segmentNumber(start);
  for (const seg of segments) {
    if (segmentNumber(seg) !== expect) {
      const missing = `${timeline}${(Math.floor(expect / 256)).toString(16).toUpperCase().padStart(8, "0")}${(expect % 256).toString(16).toUpperCase().padStart(8, "0")}`;
      throw new RunError(`WAL GAP: segment ${missing} is missing from the archive; recovery cannot pass it`, EXIT.failed, { first: start, next_present: seg });
    }
    expect++;
  }
  const last = segments[segments.length - 1];
  if (!last) throw new RunError(`WAL GAP: the archive has no segment from ${start} on (is the WAL receiver running?)`);
  const sealed = names.filter((n) => n.endsWith(".age"));
  ctx.log.info("downloading WAL", { first: start, last, files: names.length, encrypted: sealed.length });
  let identityFingerprint: string | undefined;
  let agePath: string | undefined;
  if (sealed.length > 0) {
    const file = ctx.env.AGE_IDENTITY_FILE;
    if (!file) throw new DecryptError(`the WAL is encrypted with age but this ${holder} has no identity (AGE_IDENTITY_FILE is not set)`);
    agePath = findTool("age", "the WAL is encrypted with age (the pod's init container copies it)", ctx.vars);
    if (hasTool("age-keygen", ctx.vars)) identityFingerprint = sha256Text((await runTool(findTool("age-keygen", "", ctx.vars), ["-y", file], { what: "age-keygen" })).trim());
  }
  mkdirSync(walDir, { recursive: true });
  const plain = new Map<string, Buffer>();
  for (const name of names) {
    const key = `${prefix}/${name}`;
    let bytes: Buffer;
    let metadata: Record<string, string>;
    try {
      const [head, body] = await Promise.all([store.head(key), store.getBytes(key)]);
      bytes = body;
      metadata = head.Metadata ?? {};
    } catch (e) {
      throw new RunError("downloading the WAL archive failed", EXIT.failed, { key, detail: describeS3Error(e) });
    }
    if (metadata.sha256 && sha256Text(bytes) !== metadata.sha256) {
      throw new RunError(`CHECKSUM MISMATCH: archived WAL ${name} is not the object that was written`, EXIT.failed, { expected: metadata.sha256, got: sha256Text(bytes) });
    }
    if (name.endsWith(".age")) {
      const recipient = metadata[walMetadataKey(F.recipientSha256)];
      if (identityFingerprint && recipient && identityFingerprint !== recipient) {
        throw new DecryptError(`the ${holder}'s identity is not the one archived WAL ${name} was encrypted to`, { recipient_sha256: recipient, identity_recipient_sha256: identityFingerprint });
      }
      const age = startTool(agePath!, ["-d", "-i", ctx.env.AGE_IDENTITY_FILE!], { what: "age" });
      const out: Buffer[] = [];
      age.child.stdout!.on("data", (d: Buffer) => out.push(d));
      age.child.stdin!.end(bytes);
      try {
        await age.exited;
      } catch {
        throw new DecryptError(`age cannot decrypt archived WAL ${name} with this ${holder}'s identity`, { detail: tail(age.stderr(), 1000) });
      }
      const decrypted = Buffer.concat(out);
      const wantPlain = metadata[walMetadataKey(F.plaintextSha256)];
      if (wantPlain && sha256Text(decrypted) !== wantPlain) {
        throw new RunError(`CHECKSUM MISMATCH: decrypted WAL ${name} is not the plaintext that was encrypted`, EXIT.failed, { expected: wantPlain, got: sha256Text(decrypted) });
      }
      plain.set(name.replace(/\.age$/, ""), decrypted);
    } else plain.set(name, bytes);
  }
  if (sealed.length > 0) ctx.log.info("archived WAL decrypted and verified", { files: sealed.length });
  for (const [name, bytes] of plain) {
    let file = name.replace(/\.zst$/, "");
    if (file.endsWith(".partial")) {
      file = file.slice(0, -".partial".length);
      if (plain.has(`${file}.zst`)) continue;
    }
    try {
      writeFileSync(join(walDir, file), zstdDecompressSync(bytes));
    } catch (e) {
      throw new RunError(`CHECKSUM MISMATCH: archived WAL ${name} is corrupt`, EXIT.failed, { detail: e instanceof Error ? e.message : String(e) });
    }
  }
  return { last, encrypted: sealed.length > 0 };
}

/** "epoch microseconds, xid, commit time" of every commit in the archived WAL from `lsn` on, oldest first. */
async function commitsAfter(ctx: RunContext, pgWaldump: string, walDir: string, timeline: number, lsn: string): Promise<{ micros: number; xid: string; time: string }[]> {
  // pg_waldump stops with an error at the end of the WAL (the zero-filled rest of the last segment): expected.
  const tool = startTool(pgWaldump, ["-p", walDir, "-t", String(timeline), "-s", lsn, "-r", "Transaction"], { env: { ...ctx.vars, TZ: "UTC" }, stdio: ["ignore", "pipe", "pipe"], what: "pg_waldump" });
  let out = "";
  tool.child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  await tool.exited.catch(() => undefined);
  const commits = [];
  for (const m of out.matchAll(/ tx: *(\d+), lsn: .*desc: COMMIT (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? UTC/g)) {
    const frac = (m[4] ?? ".0").slice(1).padEnd(6, "0").slice(0, 6);
    commits.push({ micros: Date.parse(`${m[2]}T${m[3]}Z`) * 1000 + Number(frac), xid: m[1]!, time: `${m[2]} ${m[3]}${m[4] ?? ""}` });
  }
  return commits;
}

/** A time as recovery_target_time takes it: 'YYYY-MM-DD HH:MM:SS.ffffff+00'. */
const recoveryTime = (epochMicros: number) => {
  const d = new Date(Math.floor(epochMicros / 1000));
  return `${d.toISOString().slice(0, 19).replace("T", " ")}.${String(epochMicros % 1_000_000).padStart(6, "0")}+00`;
};

export async function runPitrRestore(ctx: RunContext, store: ArchiveStore, pushTarget: PushTarget | undefined): Promise<ExitCode> {
  const { log } = ctx;
  const s = settings(ctx);
  const holder: IdentityHolder = s.dataDir ? "restore" : "drill";
  const tool = (name: string) => pgTool(ctx, name);
  const [tar, pgCtl, pgVerifybackup, pgWaldump, psql] = [tool("tar"), tool("pg_ctl"), tool("pg_verifybackup"), tool("pg_waldump"), tool("psql")];
  const scratch = ctx.scratch;
  const dataDir = s.dataDir ?? join(scratch, "data");
  const walDir = join(scratch, "wal");
  const sock = join(scratch, "sock");
  let manifest: Manifest | undefined;
  let decrypt: 0 | 1 | undefined;
  let serverStarted = false;
  let verified = false;
  const stopNow = async () => {
    if (serverStarted && existsSync(join(dataDir, "postmaster.pid"))) await runTool(...(await asServerUser(ctx, pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"])), { what: "pg_ctl stop" }).catch(() => undefined);
  };
  try {
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) throw new ConfigError(`PITR_DATA_DIR '${dataDir}' is not empty: a restore never writes over data`);
    mkdirSync(dataDir, { recursive: true });
    // PostgreSQL refuses a data directory others can read (the claim's root is usually 0755).
    chmodSync(dataDir, 0o700);
    manifest = await chooseBase(ctx, store, s.target);
    const m = manifest;
    if (m.format !== "pg_basebackup-tar") throw new RunError("the manifest is not a base backup's", EXIT.failed, { key: m.key, format: m.format });
    log.info("fetching the base backup", { key: m.key, size_bytes: m.size_bytes, start_wal_file: m.start_wal_file });
    let agePath: string | undefined;
    if (isEncrypted(m)) {
      decrypt = 0;
      agePath = await checkIdentity(ctx, m, holder);
    }
    // The WAL comes down while the base backup streams into tar.
    const wal = fetchWal(ctx, store, m.start_wal_file!, join(scratch, "wal-archive"), holder);
    wal.catch(() => undefined);
    const unpack = startTool(tar, ["-xf", "-", "-C", dataDir], { stdio: ["pipe", "ignore", "pipe"], what: "tar" });
    try {
      await fetchVerified(ctx, store, m, unpack, agePath, "base backup", holder);
    } catch (e) {
      unpack.stop("SIGKILL");
      throw e;
    } finally {
      await unpack.exited.catch(() => undefined);
    }
    if (decrypt === 0) {
      decrypt = 1;
      log.info("decrypted with age", { key: m.key, plaintext_sha256: m[F.plaintextSha256] });
    }
    try {
      await unpack.exited;
    } catch (e) {
      throw new RunError("the verified base backup does not unpack", EXIT.failed, e instanceof RunError ? e.fields : {});
    }
    log.info("base backup unpacked while downloading");
    const { last, encrypted: walEncrypted } = await wal;
    if (walEncrypted) decrypt = 1;
    verified = true;
    // Moved into place only now: nothing replays WAL that was not all verified.
    mkdirSync(walDir, { recursive: true });
    for (const f of readdirSync(join(scratch, "wal-archive"))) writeFileSync(join(walDir, f), readFileSync(join(scratch, "wal-archive", f)));
    rmSync(join(scratch, "wal-archive"), { recursive: true, force: true });
    await chownToServerUser(ctx, dataDir, scratch);
    try {
      await runTool(...(await asServerUser(ctx, pgVerifybackup, ["-q", dataDir])), { what: "pg_verifybackup" });
    } catch (e) {
      throw new RunError("BASE BACKUP CORRUPT: pg_verifybackup rejects it", EXIT.failed, e instanceof RunError ? e.fields : {});
    }
    log.info("base backup verified by pg_verifybackup");

    // The recovery target.
    const timeline = m.timeline!;
    let chosen: { micros: number; xid: string; time: string } | undefined;
    let targetTime: string | undefined;
    if (s.target.kind === "drill") {
      // Not the last commit: recovery to a time stops before the first commit after it, so one must follow.
      const from = (Date.now() / 1000 - s.windowSeconds) * 1_000_000;
      const commits = (await commitsAfter(ctx, pgWaldump, walDir, timeline, m.end_lsn!)).slice(0, -1).filter((c) => c.micros >= from);
      if (commits.length > 0) chosen = commits[Math.floor(Math.random() * commits.length)];
      else log.info("no transaction committed in the window after the base backup: the drill replays to the end of the WAL");
    } else if (s.target.kind === "time") {
      const at = s.target.epoch * 1_000_000;
      const commits = await commitsAfter(ctx, pgWaldump, walDir, timeline, m.end_lsn!);
      if (commits.some((c) => c.micros > at)) targetTime = recoveryTime(Math.round(at));
      else log.info("no transaction committed after the target time in the archive: that state is the end of the WAL", { target: s.target.iso });
    }
    if (chosen) {
      targetTime = `${chosen.time}+00`;
      log.info("drill target: the commit of a transaction in the window", { xid: chosen.xid, commit_time: chosen.time });
    }

    // A configuration of our own (the source's postgresql.conf may not be in the backup, and its paths, TLS files and
    // memory sizes belong to another machine), plus the recovery target. hot_standby off: no queries during replay,
    // and then the server does not require max_connections and the like to be at least the source's.
    mkdirSync(sock, { recursive: true });
    writeFileSync(join(scratch, "pg_hba.conf"), "local all all trust\n");
    writeFileSync(join(scratch, "pg_ident.conf"), "");
    const conf = [
      `listen_addresses = ''`,
      `unix_socket_directories = '${sock}'`,
      "port = 5432",
      `hba_file = '${join(scratch, "pg_hba.conf")}'`,
      `ident_file = '${join(scratch, "pg_ident.conf")}'`,
      `shared_buffers = '${ctx.vars.PG_DRILL_SHARED_BUFFERS ?? "256MB"}'`,
      "ssl = off",
      "archive_mode = off",
      "hot_standby = off",
      `restore_command = 'cp "${walDir}/%f" "%p"'`,
      "recovery_target_action = 'promote'",
      "recovery_target_timeline = 'latest'",
      ...(targetTime ? [`recovery_target_time = '${targetTime}'`, "recovery_target_inclusive = on"] : []),
    ];
    writeFileSync(join(scratch, "postgresql.conf"), conf.join("\n") + "\n");
    writeFileSync(join(dataDir, "recovery.signal"), "");
    rmSync(join(dataDir, "postmaster.pid"), { force: true });
    rmSync(join(dataDir, "postmaster.opts"), { force: true });
    await chownToServerUser(ctx, scratch, dataDir);
    const serverLog = join(scratch, "server.log");
    const started = process.hrtime.bigint();
    log.info("starting archive recovery", { target: targetTime ?? "end of WAL", last_wal: last });
    serverStarted = true;
    try {
      await runTool(...(await asServerUser(ctx, pgCtl, ["-D", dataDir, "-l", serverLog, "-W", "-o", `-c config_file=${join(scratch, "postgresql.conf")}`, "start"])), { what: "pg_ctl start", stdio: ["ignore", "ignore", "pipe"] });
    } catch {
      throw new RunError("PostgreSQL did not start on the restored data", EXIT.failed, { detail: tail(readText(serverLog), 1500) });
    }
    const query = (sql: string) => runTool(psql, ["-X", "-q", "-A", "-t", "-h", sock, "-p", "5432", "-U", "postgres", "-d", "postgres", "-c", sql], { what: "psql" }).then((o) => o.trim());
    const deadline = Date.now() + s.recoveryTimeoutSeconds * 1000;
    let promoted: bigint | undefined;
    while (Date.now() < deadline) {
      if ((await query("SELECT pg_is_in_recovery()").catch(() => "")) === "f") {
        promoted = process.hrtime.bigint();
        break;
      }
      const alive = await runTool(...(await asServerUser(ctx, pgCtl, ["-D", dataDir, "status"])), { what: "pg_ctl status" }).then(() => true, () => false);
      if (!alive) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const serverText = () => readText(serverLog);
    if (promoted === undefined) {
      throw new RunError("RECOVERY FAILED: the server did not finish recovery", EXIT.failed, { detail: tail(serverText().split("\n").filter((l) => /FATAL|PANIC|ERROR|LOG: +recovery/.test(l)).join("\n"), 2000) });
    }
    const recoverySeconds = Number(promoted - started) / 1e9;
    let recoveredTo: number;
    // Where recovery stopped must be where it had to.
    if (chosen) {
      // Recovery to a time stops before the first commit later than it: the chosen transaction must be committed, and
      // the one recovery stopped before must be another.
      const stops = [...serverText().matchAll(/recovery stopping before commit of transaction (\d+), time (.*)/g)];
      const stop = stops[stops.length - 1];
      const status = await query(`SELECT pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) + ${chosen.xid})::text::xid8)`);
      if (!stop || status !== "committed" || stop[1] === chosen.xid) {
        throw new RunError(`RECOVERY MISSED ITS TARGET: transaction ${chosen.xid} is '${status}' after recovery to its commit time`, EXIT.failed, { detail: tail(recoveryLines(serverText()), 2000) });
      }
      log.info("recovery stopped at the target", { committed_xid: chosen.xid, stopped_before: `commit of transaction ${stop[1]}, time ${stop[2]}` });
      recoveredTo = Math.floor(chosen.micros / 1_000_000);
    } else if (targetTime) {
      if (!/recovery stopping (before|after) commit of transaction/.test(serverText())) {
        throw new RunError("RECOVERY MISSED ITS TARGET: no stop at the target time", EXIT.failed, { detail: tail(recoveryLines(serverText()), 2000) });
      }
      recoveredTo = Math.floor((s.target as { epoch: number }).epoch);
    } else {
      // Replaying to the end must reach the newest archived segment: a corrupt record stops replay early, silently.
      const ends = [...serverText().matchAll(/redo done at ([0-9A-F]+\/[0-9A-F]+)/g)];
      const redoEnd = ends[ends.length - 1]?.[1];
      if (!redoEnd || walFileName(timeline, redoEnd) < last.slice(0, 24)) {
        throw new RunError(`RECOVERY STOPPED EARLY: replay ended at ${redoEnd ?? "?"}, before the newest archived segment ${last}`, EXIT.failed, {
          detail: tail(serverText().split("\n").filter((l) => /redo|invalid|recovery/.test(l)).join("\n"), 2000),
        });
      }
      recoveredTo = Number(await query("SELECT coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::bigint, 0)"));
    }
    log.info("recovery complete", { recovery_seconds: recoverySeconds.toFixed(2), recovered_to: recoveredTo });
    if (s.amcheck) {
      try {
        await runTool(tool("pg_amcheck"), ["-h", sock, "-p", "5432", "-U", "postgres", "--all", "--install-missing"], { what: "pg_amcheck" });
      } catch (e) {
        throw new RunError("RESTORED DATA CORRUPT: pg_amcheck reports damage", EXIT.failed, e instanceof RunError ? e.fields : {});
      }
      log.info("pg_amcheck found no corruption");
    }
    const databases = await query("SELECT string_agg(datname || '=' || pg_database_size(oid), ' ' ORDER BY datname) FROM pg_database WHERE NOT datistemplate");
    log.info("restored databases", { databases });
    // A clean shutdown: the restored data directory starts as an ordinary primary.
    try {
      await runTool(...(await asServerUser(ctx, pgCtl, ["-D", dataDir, "-m", "fast", "-w", "-t", "300", "stop"])), { what: "pg_ctl stop" });
      serverStarted = false;
    } catch {
      throw new RunError("the restored server did not stop cleanly");
    }
    log.info("POINT-IN-TIME RESTORE OK", { data_dir: dataDir, recovery_seconds: recoverySeconds.toFixed(2) });
    if (!pushTarget) return EXIT.ok;
    const end = Math.floor(Date.now() / 1000);
    log.info("RESTORE DRILL OK", { method: "pitr", key: m.key, duration_seconds: end - ctx.startedEpoch, recovered_to: recoveredTo });
    const pushed = await push(
      pushTarget,
      {
        [DRILL_METRICS.lastSuccess]: end,
        [DRILL_METRICS.lastCompletion]: end,
        [DRILL_METRICS.lastRunSuccess]: 1,
        [DRILL_METRICS.duration]: end - ctx.startedEpoch,
        [DRILL_METRICS.lastVerifiedBackup]: m.started_epoch,
        [DRILL_METRICS.recoverySeconds]: Number(recoverySeconds.toFixed(2)),
        [DRILL_METRICS.recoveredTo]: recoveredTo,
        ...(decrypt !== undefined ? { [DRILL_METRICS.lastDecryptSuccess]: decrypt } : {}),
      },
      log,
    );
    return pushed ? EXIT.ok : EXIT.pushFailed;
  } catch (e) {
    await stopNow();
    const err = e instanceof RunError ? e : new RunError(e instanceof Error ? e.message : String(e));
    log.error(err.message, err.fields);
    if (!verified && err.exit !== EXIT.config) log.warn("nothing restored: the base backup and the WAL were not both verified (the line above says why)");
    // A restore that failed leaves its claim empty for the next attempt; a drill's scratch goes with the run.
    if (s.dataDir && err.exit !== EXIT.config) for (const f of existsSync(s.dataDir) ? readdirSync(s.dataDir) : []) rmSync(join(s.dataDir, f), { recursive: true, force: true });
    if (!pushTarget) {
      log.error("POINT-IN-TIME RESTORE FAILED");
      return err.exit === EXIT.decrypt || err.exit === EXIT.config ? err.exit : EXIT.failed;
    }
    const end = Math.floor(Date.now() / 1000);
    log.error("RESTORE DRILL FAILED", { method: "pitr", key: manifest?.key ?? "none" });
    await push(
      pushTarget,
      {
        [DRILL_METRICS.lastCompletion]: end,
        [DRILL_METRICS.lastRunSuccess]: 0,
        [DRILL_METRICS.duration]: end - ctx.startedEpoch,
        ...(err.exit === EXIT.decrypt ? { [DRILL_METRICS.lastDecryptSuccess]: 0 } : decrypt === 1 ? { [DRILL_METRICS.lastDecryptSuccess]: 1 } : {}),
      },
      log,
    );
    return err.exit === EXIT.decrypt || err.exit === EXIT.config ? err.exit : EXIT.failed;
  }
}

const readText = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};
const recoveryLines = (log: string) => log.split("\n").filter((l) => /recovery|redo/.test(l)).join("\n");

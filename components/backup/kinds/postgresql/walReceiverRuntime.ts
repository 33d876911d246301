/**
 * The WAL receiver in the runtime (`strata-runtime.cjs wal-receiver`): continuous WAL of one PostgreSQL target to S3
 * over the replication protocol only (Strata does not own the server: no archive_command). It runs for ever in a
 * single-replica StatefulSet whose small Retain claim is WORK_DIR, in the postgres image of the server's major version.
 *
 * - Receive: the grants are checked (checkReplication), the physical slot created if missing, and
 *   `pg_receivewal --synchronous` runs on it into WORK_DIR/wal, restarted with a back-off when the connection drops.
 *   The slot makes the server keep every segment until the receiver has flushed it, so a restart leaves no gap.
 * - Probe: every PITR_STATUS_INTERVAL_SECONDS the server's WAL position and the slot's. A sample (t, server LSN) the
 *   slot has reached means everything written before t is on the volume.
 * - Cycle, every PITR_UPLOAD_INTERVAL_SECONDS: each completed segment (and timeline history file) not staged yet, then
 *   the .partial segment if it changed, is compressed (and with AGE_RECIPIENT encrypted) into WORK_DIR/outbox with its
 *   SHA-256s beside it; then the outbox goes up in order, completed segments first, each with Content-MD5 and its
 *   SHA-256 (and an encrypted one's plaintext SHA-256 and recipient) as metadata. A failed upload stops the cycle:
 *   nothing is skipped. Uploaded segments leave the volume but the newest PITR_LOCAL_KEEP_SEGMENTS (pg_receivewal
 *   resumes from the newest file it finds); nothing is ever deleted in S3. Every cycle pushes the receiver's state.
 *
 * The claim's layout (wal/, wal/.staged/, outbox/ with <name>.sha256 beside each file, sending/, archived.status) is the
 * one wal-receiver.sh kept, so a receiver moved from the script to the runtime resumes where it stopped.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zstdCompressSync, constants as zlib } from "node:zlib";
import { ENCRYPTION_MANIFEST_FIELDS as F, EXIT, PITR_WAL_METRICS, walPrefix, type ExitCode } from "../../contract";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import type { RunContext } from "../../runtime/kind";
import { push, type PushTarget } from "../../runtime/push";
import { describeS3Error, type ArchiveStore } from "../../runtime/s3";
import { termination } from "../../runtime/signals";
import { sha256Text } from "../../runtime/streams";
import { findTool, runTool, startTool, type Tool } from "../../runtime/tools";
import { checkReplication, lsnBytes } from "./baseBackupRuntime";
import { libpqEnv, pgTool } from "./pgTools";

const SLOT_PATTERN = /^[a-z0-9_]{1,63}$/;
const COMPLETED = /^([0-9A-F]{24}|[0-9A-F]{8}\.history)$/;
const PARTIAL = /^[0-9A-F]{24}\.partial$/;
/** An hour of probe samples at the default interval. */
const MAX_SAMPLES = 720;

/** A WAL object's metadata key of a manifest field: `-` for `_` (HTTP header names). */
export const walMetadataKey = (field: string) => field.replace(/_/g, "-");


interface Settings {
  slot: string;
  statusSeconds: number;
  uploadSeconds: number;
  keepSegments: number;
}

function settings(vars: NodeJS.ProcessEnv): Settings {
  const slot = vars.PITR_SLOT ?? "";
  if (!slot) throw new ConfigError("PITR_SLOT is required: the physical replication slot this receiver holds on the server");
  if (!SLOT_PATTERN.test(slot)) throw new ConfigError(`PITR_SLOT '${slot}' must match ${SLOT_PATTERN.source}`);
  const whole = (name: string, fallback: number, min: number) => {
    const raw = vars[name] ?? String(fallback);
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new ConfigError(`${name} '${raw}' must be a whole number >= ${min}`);
    return Number(raw);
  };
  return { slot, statusSeconds: whole("PITR_STATUS_INTERVAL_SECONDS", 5, 1), uploadSeconds: whole("PITR_UPLOAD_INTERVAL_SECONDS", 15, 1), keepSegments: whole("PITR_LOCAL_KEEP_SEGMENTS", 4, 0) };
}

/** Sleeps, or less when the run is told to stop. */
const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    termination.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

export async function runWalReceiver(ctx: RunContext, store: ArchiveStore, pushTarget: PushTarget): Promise<ExitCode> {
  const { log, env, vars } = ctx;
  const s = settings(vars);
  const [pgReceivewal, psql] = [pgTool(ctx, "pg_receivewal"), pgTool(ctx, "psql")];
  const agePath = env.AGE_RECIPIENT ? findTool("age", "WAL is encrypted with age before it leaves this container (the pod's init container copies it)", vars) : undefined;
  const dirs = { wal: join(env.WORK_DIR, "wal"), staged: join(env.WORK_DIR, "wal", ".staged"), outbox: join(env.WORK_DIR, "outbox"), sending: join(env.WORK_DIR, "sending") };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const libpq = libpqEnv(ctx);
  const prefix = walPrefix(env.S3_PREFIX, env.BACKUP_TARGET);
  if (env.AGE_RECIPIENT) log.info("WAL is encrypted with age before it leaves this container", { recipient_sha256: sha256Text(env.AGE_RECIPIENT) });

  // --- receive -------------------------------------------------------------------------------------------------------
  for (let backoff = 1; ; backoff = Math.min(backoff * 2, 60)) {
    try {
      await checkReplication(ctx);
      break;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      if (termination.signal.aborted) return EXIT.ok;
      log.warn("the server is not reachable yet; retrying", { retry_in_seconds: backoff, detail: e instanceof RunError ? String(e.fields.detail ?? e.message) : String(e) });
      await pause(backoff * 1000);
    }
  }
  try {
    await runTool(pgReceivewal, ["--create-slot", "--if-not-exists", `--slot=${s.slot}`], { env: libpq, what: "pg_receivewal --create-slot" });
  } catch (e) {
    log.error("cannot create the replication slot", { slot: s.slot, detail: e instanceof RunError ? String(e.fields.detail ?? "") : String(e) });
    return EXIT.failed;
  }
  log.info("receiving WAL", { slot: s.slot, dir: dirs.wal });

  // --- probe ---------------------------------------------------------------------------------------------------------
  const state = { through: 0, retained: 0 };
  const samples: { at: number; server: bigint }[] = [];
  const probe = async () => {
    const at = Math.floor(Date.now() / 1000);
    try {
      const out = await runTool(psql, ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "dbname=replication replication=true", "-c", "IDENTIFY_SYSTEM", "-c", `READ_REPLICATION_SLOT ${s.slot}`], {
        env: libpq,
        what: "psql (replication connection)",
      });
      const [identify = "", slotRow = ""] = out.split("\n");
      const server = identify.split("|")[2];
      const slot = slotRow.split("|")[1];
      if (!server || !slot) return;
      samples.push({ at, server: lsnBytes(server) });
      if (samples.length > MAX_SAMPLES) samples.shift();
      const slotBytes = lsnBytes(slot);
      state.retained = Number(lsnBytes(server) - slotBytes);
      const reached = [...samples].reverse().find((x) => x.server <= slotBytes);
      if (reached) state.through = reached.at;
    } catch {
      // An unreachable server shows as a growing lag; pg_receivewal's own restarts say why.
    }
  };
  const probing = (async () => {
    while (!termination.signal.aborted) {
      await probe();
      await pause(s.statusSeconds * 1000);
    }
  })();

  // --- stage and upload ----------------------------------------------------------------------------------------------
  let lastPartialSha = "";
  let archivedThrough = 0;
  const stage = async (file: string, name: string): Promise<void> => {
    const compressed = zstdCompressSync(readFileSync(join(dirs.wal, file)), { params: { [zlib.ZSTD_c_compressionLevel]: env.ZSTD_LEVEL, [zlib.ZSTD_c_checksumFlag]: 1 } });
    let body = compressed;
    let sums = sha256Text(compressed);
    let staged = name;
    if (agePath && env.AGE_RECIPIENT) {
      const age = startTool(agePath, ["-r", env.AGE_RECIPIENT], { what: "age" });
      const chunks: Buffer[] = [];
      age.child.stdout!.on("data", (d: Buffer) => chunks.push(d));
      age.child.stdin!.end(compressed);
      try {
        await age.exited;
      } catch (e) {
        throw new RunError(`cannot encrypt ${file} with age; nothing staged`, undefined, e instanceof RunError ? e.fields : {});
      }
      body = Buffer.concat(chunks);
      staged = `${name}.age`;
      sums = [sha256Text(body), sha256Text(compressed), sha256Text(env.AGE_RECIPIENT)].join("\n");
    }
    const tmp = join(dirs.outbox, `.${staged}.tmp`);
    writeFileSync(`${tmp}.sha256`, `${sums}\n`);
    writeFileSync(tmp, body);
    // Renamed into place, the checksum first, so the upload never sees half of a file or a file without its sums.
    renameSync(`${tmp}.sha256`, join(dirs.outbox, `${staged}.sha256`));
    renameSync(tmp, join(dirs.outbox, staged));
  };

  const stageCycle = async (): Promise<boolean> => {
    const files = readdirSync(dirs.wal).sort();
    for (const f of files.filter((f) => COMPLETED.test(f) && !existsSync(join(dirs.staged, f)))) {
      try {
        await stage(f, `${f}.zst`);
      } catch (e) {
        log.error(e instanceof Error ? e.message : String(e), e instanceof RunError ? e.fields : {});
        return false;
      }
      writeFileSync(join(dirs.staged, f), "");
    }
    const partial = files.filter((f) => PARTIAL.test(f)).pop();
    if (partial) {
      let sha = "";
      try {
        sha = sha256Text(readFileSync(join(dirs.wal, partial)));
      } catch {
        /* renamed into a completed segment meanwhile: staged next cycle */
      }
      if (sha && sha !== lastPartialSha) {
        try {
          await stage(partial, `${partial}.zst`);
          lastPartialSha = sha;
        } catch (e) {
          log.error(e instanceof Error ? e.message : String(e), e instanceof RunError ? e.fields : {});
          return false;
        }
      }
    }
    const done = files.filter((f) => COMPLETED.test(f) && !f.endsWith(".history") && existsSync(join(dirs.staged, f)));
    for (const f of done.slice(0, Math.max(0, done.length - s.keepSegments))) {
      rmSync(join(dirs.wal, f), { force: true });
      rmSync(join(dirs.staged, f), { force: true });
    }
    return true;
  };

  const objectsToSend = () =>
    readdirSync(dirs.outbox)
      .filter((f) => !f.startsWith(".") && (f.endsWith(".zst") || f.endsWith(".zst.age")))
      .map((f) => ({ f, partial: /\.partial\.zst(\.age)?$/.test(f) }))
      .sort((a, b) => Number(a.partial) - Number(b.partial) || (a.f < b.f ? -1 : a.f > b.f ? 1 : 0))
      .map((x) => x.f);

  const uploadOutbox = async (): Promise<{ ok: boolean; uploaded: number }> => {
    let uploaded = 0;
    for (const f of objectsToSend()) {
      const sending = join(dirs.sending, f);
      try {
        renameSync(join(dirs.outbox, f), sending);
      } catch {
        continue;
      }
      const [sha = "", plain, recipient] = readFileSync(join(dirs.outbox, `${f}.sha256`), "utf8").trim().split("\n");
      const metadata: Record<string, string> = { sha256: sha, ...(plain && recipient ? { [walMetadataKey(F.plaintextSha256)]: plain, [walMetadataKey(F.recipientSha256)]: recipient } : {}) };
      try {
        await store.putSmall(`${prefix}/${f}`, readFileSync(sending), { contentType: f.endsWith(".age") ? "application/octet-stream" : "application/zstd", metadata });
      } catch (e) {
        // Back to the outbox unless a newer copy of the same partial segment was staged meanwhile.
        if (!existsSync(join(dirs.outbox, f))) renameSync(sending, join(dirs.outbox, f));
        rmSync(sending, { force: true });
        log.error("WAL upload failed; kept on the volume, retried next cycle", { key: `${prefix}/${f}`, detail: describeS3Error(e) });
        return { ok: false, uploaded };
      }
      rmSync(sending, { force: true });
      // Keep the checksum of a partial segment while a newer copy waits beside it.
      if (!existsSync(join(dirs.outbox, f))) rmSync(join(dirs.outbox, `${f}.sha256`), { force: true });
      uploaded++;
      if (!/\.partial\.zst/.test(f)) log.info("segment uploaded", { file: f.replace(/\.zst.*$/, "") });
    }
    return { ok: true, uploaded };
  };

  const cycle = async () => {
    const now = Math.floor(Date.now() / 1000);
    // Read before staging: everything it claims is in the files staged below.
    const { through, retained } = state;
    const staged = await stageCycle();
    const { ok, uploaded } = staged ? await uploadOutbox() : { ok: false, uploaded: 0 };
    const backlog = objectsToSend().filter((f) => !/\.partial\.zst/.test(f)).length;
    if (uploaded > 0) log.info("upload cycle", { uploaded, backlog });
    if (ok && through > archivedThrough) {
      archivedThrough = through;
      writeFileSync(join(env.WORK_DIR, ".archived.status.tmp"), `archived_through_epoch=${through}\ncycle_epoch=${now}\n`);
      renameSync(join(env.WORK_DIR, ".archived.status.tmp"), join(env.WORK_DIR, "archived.status"));
    }
    await push(
      pushTarget,
      {
        [PITR_WAL_METRICS.heartbeat]: now,
        [PITR_WAL_METRICS.lastCycleSuccess]: ok ? 1 : 0,
        [PITR_WAL_METRICS.backlogSegments]: backlog,
        [PITR_WAL_METRICS.slotRetainedBytes]: retained,
        [PITR_WAL_METRICS.receiverLagSeconds]: through === 0 ? now : now - through,
        ...(archivedThrough > 0 ? { [PITR_WAL_METRICS.archivedThrough]: archivedThrough } : {}),
      },
      log,
    );
  };

  log.info("uploading WAL", { prefix, interval_seconds: s.uploadSeconds });
  const uploading = (async () => {
    while (!termination.signal.aborted) {
      const started = Date.now();
      await cycle();
      await pause(Math.max(0, started + s.uploadSeconds * 1000 - Date.now()));
    }
  })();

  let receiver: Tool | undefined;
  termination.signal.addEventListener("abort", () => receiver?.stop("SIGTERM"), { once: true });
  for (let backoff = 1; !termination.signal.aborted; backoff = Math.min(backoff * 2, 30)) {
    receiver = startTool(pgReceivewal, ["-D", dirs.wal, `--slot=${s.slot}`, "--synchronous", "--no-loop", "--no-password", "--status-interval=10"], {
      env: libpq,
      stdio: ["ignore", "ignore", "pipe"],
      what: "pg_receivewal",
    });
    const result = await receiver.exited.then(
      () => "exit 0",
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    if (termination.signal.aborted) break;
    log.error("pg_receivewal stopped; restarting it on the same slot", { exit: result, retry_in_seconds: backoff, detail: tail(receiver.stderr(), 1500) });
    await pause(backoff * 1000);
    // A grant revoked while running is a configuration error now: say so instead of retrying for ever.
    if (/must be superuser or replication role|no pg_hba.conf entry/.test(receiver.stderr())) await checkReplication(ctx);
  }
  await Promise.all([probing, uploading]);
  // A last cycle sends what was received before the stop.
  await cycle();
  log.info("receiver stopped");
  return EXIT.ok;
}

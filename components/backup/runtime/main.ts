/**
 * Strata's in-pod backup runtime: one program, bundled into the backup ConfigMap (runtime/bundle.ts) and run by the
 * pinned Node.js binary that the pod's init container copies into the tool's own image, so one container supervises
 * the database tools as child processes and speaks S3 through the AWS SDK.
 *
 * Usage: strata-runtime.cjs <command>     (RUNTIME_COMMANDS; environment: runtime/config.ts and the kind's own; runtime/README.md)
 * Exit statuses: the contract's (components/backup/contract/exitCodes.ts).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RUNTIME_COMMANDS, type BackupRunCommand, type RuntimeCommand } from "./commands";
import { BACKUP_JOB, DRILL_JOB, EXIT, PITR_WAL_JOB, type ExitCode } from "../contract";
import { runBackup } from "./backup";
import { readRunEnv } from "./config";
import { runDrill } from "./drill";
import { runOffsiteCopy } from "./offsiteCopy";
import { RunError } from "./errors";
import { logicalPlan, type RunContext } from "./kind";
import { baseBackupPlan } from "../kinds/postgresql/baseBackupRuntime";
import { runWalReceiver } from "../kinds/postgresql/walReceiverRuntime";
import { runPitrRestore } from "../kinds/postgresql/pitrRestoreRuntime";
import type { PushTarget } from "./push";
import { termination } from "./signals";
import { KIND_RUNTIMES } from "../kinds/runtimes";
import { createLog } from "./log";
import { ArchiveStore } from "./s3";
import { stopAllTools } from "./tools";
import { runBucketProtection } from "../../archive/protectionCheckRuntime";

const COMMANDS = RUNTIME_COMMANDS;
/** The commands of one target's backup series, which read readRunEnv's environment. */
type Command = BackupRunCommand;
const SCRIPT: Record<Command, string> = { backup: "backup", basebackup: "backup", drill: "restore-drill", "wal-receiver": "wal-receiver", "pitr-restore": "pitr-restore" };
/** The PostgreSQL-only commands. */
const POSTGRESQL_ONLY: readonly Command[] = ["basebackup", "wal-receiver", "pitr-restore"];

export async function main(argv: string[], vars: NodeJS.ProcessEnv): Promise<ExitCode> {
  const named = argv[0] as RuntimeCommand;
  if (!COMMANDS.includes(named)) {
    process.stderr.write(`usage: strata-runtime.cjs ${COMMANDS.join("|")}\n`);
    return EXIT.config;
  }
  // The archive's own jobs serve whole buckets, no kind or target: their environment is their own.
  if (named === "offsite-copy") return runOffsiteCopy(vars);
  if (named === "bucket-protection") return runBucketProtection(vars, createLog({ script: named, phase: named }));
  const command: Command = named;
  const log = createLog({ script: SCRIPT[command], phase: command, kind: vars.BACKUP_KIND, target: vars.BACKUP_TARGET });
  let env;
  try {
    env = readRunEnv(vars);
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    return e instanceof RunError ? e.exit : EXIT.config;
  }
  if (POSTGRESQL_ONLY.includes(command) && env.BACKUP_KIND !== "postgresql") {
    log.error(`${command} needs BACKUP_KIND=postgresql (it is ${env.BACKUP_KIND})`);
    return EXIT.config;
  }
  // Every run but the WAL receiver's is bounded: it gives up and reports before its Job's deadline.
  const waitSeconds = command === "wal-receiver" ? undefined : env.PHASE_WAIT_SECONDS;
  if (command !== "wal-receiver" && waitSeconds === undefined) {
    log.error("the run's environment is wrong: PHASE_WAIT_SECONDS (not set) is required (seconds the run may work before it gives up and reports; the plan sets it)");
    return EXIT.config;
  }
  // Every run reports to the Pushgateway but a real point-in-time restore, which its operator watches.
  const realRestore = command === "pitr-restore" && !!vars.PITR_DATA_DIR;
  if (!realRestore && !env.PUSHGATEWAY_URL) {
    log.error("the run's environment is wrong: PUSHGATEWAY_URL (not set) is required (e.g. http://pushgateway.monitoring:9091)");
    return EXIT.config;
  }
  const kind = KIND_RUNTIMES[env.BACKUP_KIND];
  const startedEpoch = Math.floor(Date.now() / 1000);
  const scratch = join(env.WORK_DIR, `${command}-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const ctx: RunContext = { env, vars, log, scratch, startedEpoch, deadline: waitSeconds === undefined ? Infinity : Date.now() + waitSeconds * 1000 };
  const store = new ArchiveStore({ bucket: env.S3_BUCKET, region: env.AWS_REGION, endpoint: env.S3_ENDPOINT_URL, sseKmsKeyId: env.S3_SSE_KMS_KEY_ID });
  const group: Record<Command, { job: string; method?: string }> = {
    backup: { job: BACKUP_JOB },
    // The physical series and the point-in-time drill have groups of their own, so they never replace the logical ones.
    basebackup: { job: BACKUP_JOB, method: "basebackup" },
    drill: { job: DRILL_JOB },
    "wal-receiver": { job: PITR_WAL_JOB },
    "pitr-restore": { job: DRILL_JOB, method: "pitr" },
  };
  const pushTarget: PushTarget | undefined = env.PUSHGATEWAY_URL && !realRestore
    ? {
        url: env.PUSHGATEWAY_URL,
        job: group[command].job,
        labels: [["kind", env.BACKUP_KIND], ["target", env.BACKUP_TARGET], ...(group[command].method ? [["method", group[command].method!]] : [])] as [string, string][],
        timeoutSeconds: env.PUSH_TIMEOUT_SECONDS,
      }
    : undefined;
  // A one-shot run told to stop (its Job deleted) ends its tools, and reports their failure; the receiver stops itself.
  if (command !== "wal-receiver") termination.signal.addEventListener("abort", () => stopAllTools(), { once: true });
  // A run that outlives its deadline ends its tools: their failure is then reported like any other, before the Job's
  // own deadline kills the pod unreported.
  const timer =
    waitSeconds === undefined
      ? undefined
      : setTimeout(() => {
          log.error(`the run did not finish within PHASE_WAIT_SECONDS (${waitSeconds}s): stopping its tools`);
          stopAllTools();
        }, waitSeconds * 1000);
  timer?.unref();
  try {
    if (command === "pitr-restore") return await runPitrRestore(ctx, store, pushTarget);
    if (command === "wal-receiver") return await runWalReceiver(ctx, store, pushTarget!);
    if (command === "drill") return await runDrill(ctx, kind, store, pushTarget!);
    return await runBackup(ctx, command === "basebackup" ? baseBackupPlan : logicalPlan(kind), store, pushTarget!);
  } catch (e) {
    // What a run does not report itself (the receiver's configuration errors): said, with its exit status.
    const err = e instanceof RunError ? e : new RunError(e instanceof Error ? e.message : String(e));
    log.error(err.message, err.fields);
    return err.exit;
  } finally {
    if (timer) clearTimeout(timer);
    stopAllTools();
    rmSync(scratch, { recursive: true, force: true });
  }
}

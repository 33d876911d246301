/** Runs a job's program (the runtime: helpers/runtime.ts) as the CronJob would, with a per-suite environment. */
import { ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PG_BIN } from "./servers";
import { phaseEnv, SCHEDULED_PHASE_WAIT_SECONDS } from "../../../components/backup/contract";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<RunResult>;
  /** Resolves when a stderr line contains `text`. */
  waitForLog(text: string, timeoutMs?: number): Promise<void>;
  /** SIGKILLs the run and every process it started (it runs in its own process group). */
  killGroup(): void;
}

/**
 * Environment every run gets: /usr/bin first (the AWS CLI v2 the suites check the bucket with, not a pyenv shim), no
 * ambient AWS config, and the scheduled Jobs' phase wait (components/backup/contract/), as every CronJob gives it.
 */
export function baseEnv(home: string): Record<string, string> {
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "aws-config"), "[default]\nregion = us-east-1\n");
  return {
    PATH: `/usr/bin:/bin:/usr/sbin:/sbin:${PG_BIN}`,
    HOME: home,
    LANG: "C.UTF-8",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(home, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "aws-credentials-none"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "2",
    ...phaseEnv(SCHEDULED_PHASE_WAIT_SECONDS),
  };
}

/** A user and group to run a job as (through setpriv, which needs root), like a container with its own runAsUser. */
export interface RunAs {
  uid: number;
  gid: number;
}

/** Starts `argv` in its own process group (as `runAs` when given), its output kept, killed after `timeoutMs`. */
export function startCommand(argv: string[], env: Record<string, string>, timeoutMs = 300_000, runAs?: RunAs): Running {
  const [command, ...commandArgs] = runAs ? ["setpriv", `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--clear-groups", ...argv] : argv;
  const child = spawn(command!, commandArgs, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      if (stderr.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  };
  const timer = setTimeout(killGroup, timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    killGroup,
    waitForLog(text, waitMs = 120_000) {
      if (stderr.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no log line containing ${text} within ${waitMs} ms; stderr:\n${stderr}`)), waitMs);
        waiters.push({ text, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
  };
}


/** Parsed JSON log lines of a run's stderr (non-JSON lines are skipped). */
export function logLines(stderr: string): Record<string, string>[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, string>);
}

let jobCounter = 0;

/**
 * The environment of one job run: a fresh WORK_DIR under `root` (each pod gets a fresh emptyDir), the suite's S3 and
 * Pushgateway, the kind and target, then `over`.
 */
export function jobEnv(
  root: string,
  servers: { s3: { bucket: string; endpoint: string }; pushgatewayUrl: string },
  kind: string,
  target: string,
  over: Record<string, string> = {},
): Record<string, string> {
  const work = join(root, `work-${++jobCounter}`);
  mkdirSync(work, { recursive: true, mode: 0o755 });
  return {
    ...baseEnv(join(root, "home")),
    BACKUP_KIND: kind,
    BACKUP_TARGET: target,
    WORK_DIR: work,
    S3_BUCKET: servers.s3.bucket,
    S3_ENDPOINT_URL: servers.s3.endpoint,
    PUSHGATEWAY_URL: servers.pushgatewayUrl,
    ...over,
  };
}

/**
 * The tools a run supervises as child processes (pg_dump, pg_restore, age, ...): started with their stderr kept
 * (the tail, for the failure's `detail`), found on TOOLS_DIR (what the pod's init containers copied) then PATH, and
 * ended when the run ends. A tool's exit status is its verdict: `exited` resolves on 0 and rejects otherwise.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { ConfigError, RunError, tail } from "./errors";

const STDERR_KEPT = 64 * 1024;

export interface Tool {
  child: ChildProcess;
  /** Resolves when the tool exits 0; rejects with a RunError naming it and its stderr otherwise. */
  exited: Promise<void>;
  stderr(): string;
  /** Ends the tool (and what it started, when spawned detached) if it still runs. */
  stop(signal?: NodeJS.Signals): void;
}

/** The path of `name` on TOOLS_DIR then PATH, or a ConfigError saying what the tool is for. */
export function findTool(name: string, why: string, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = [env.TOOLS_DIR, ...(env.PATH ?? "").split(delimiter)].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  throw new ConfigError(`${name} is not installed in this container: ${why}`);
}

/** Whether `name` is on TOOLS_DIR or PATH. */
export function hasTool(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    findTool(name, "", env);
    return true;
  } catch {
    return false;
  }
}

const live = new Set<Tool>();

/** Starts a tool. stdin/stdout are pipes unless `stdio` says otherwise; stderr is always kept. */
export function startTool(command: string, args: string[], options: SpawnOptions & { what?: string } = {}): Tool {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], ...options });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-STDERR_KEPT);
  });
  const what = options.what ?? command.split("/").pop()!;
  const tool: Tool = {
    child,
    stderr: () => err,
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited: new Promise<void>((resolve, reject) => {
      child.once("error", (e) => reject(new RunError(`${what} could not be started: ${e.message}`)));
      child.once("close", (code, signal) => {
        live.delete(tool);
        if (code === 0) resolve();
        else reject(new RunError(`${what} failed (${signal ? `killed by ${signal}` : `exit ${code}`})`, undefined, { detail: tail(err) }));
      });
    }),
  };
  // A stream error on a pipe (EPIPE when the tool ended early) is the tool's exit status to tell, not a crash.
  for (const s of [child.stdin, child.stdout]) s?.on("error", () => undefined);
  tool.exited.catch(() => undefined);
  live.add(tool);
  return tool;
}

/** Runs a tool to its end and returns its stdout. */
export async function runTool(command: string, args: string[], options: SpawnOptions & { what?: string; input?: string } = {}): Promise<string> {
  const tool = startTool(command, args, options);
  let out = "";
  tool.child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  tool.child.stdin?.end(options.input ?? "");
  await tool.exited;
  return out;
}

/** Stops every tool still running (a run that ends, for whatever reason, leaves no child behind). */
export function stopAllTools(): void {
  for (const t of live) t.stop("SIGKILL");
}

/**
 * Throwaway servers: a kind that proves its data loads runs the real server on it in scratch space (a Valkey that loads
 * the RDB, a RabbitMQ broker that imports the definitions, a Prometheus that opens the snapshot). Each is a child
 * process the run waits for until it answers, within a deadline, and stops whatever happened, so a run never leaves
 * one behind (and never waits forever on one that will not come up).
 */
import { readFileSync } from "node:fs";
import type { SpawnOptions } from "node:child_process";
import { RunError, tail } from "./errors";
import { startTool, type Tool } from "./tools";

export interface ThrowawayServer {
  tool: Tool;
  /** Whether the process still runs. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ThrowawayOptions extends SpawnOptions {
  what: string;
  /** Resolves true once the server answers as needed (it is polled; a rejection counts as "not yet"). */
  ready(): Promise<boolean>;
  /** How long it may take to answer. */
  timeoutMs: number;
  pollMs?: number;
  /** The message of the RunError when it exits or the time runs out first. */
  failure: string;
  /** The server's own log file, whose tail becomes the failure's detail (its stderr otherwise). */
  logFile?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last `max` characters of a log file, or "" when it cannot be read. */
export function fileTail(path: string, max = 1500): string {
  try {
    return tail(readFileSync(path, "utf8"), max);
  } catch {
    return "";
  }
}

/** Starts `command` and waits until `ready()` holds; stops it and throws RunError(`failure`) if it never does. */
export async function startThrowaway(command: string, args: string[], options: ThrowawayOptions): Promise<ThrowawayServer> {
  const { what, ready, timeoutMs, pollMs = 200, failure, logFile, ...spawnOptions } = options;
  const tool = startTool(command, args, { stdio: ["ignore", "ignore", "pipe"], ...spawnOptions, what });
  let exited = false;
  tool.exited.then(
    () => (exited = true),
    () => (exited = true),
  );
  const server: ThrowawayServer = {
    tool,
    running: () => !exited,
    async stop(graceMs = 10_000) {
      if (exited) return;
      tool.stop("SIGTERM");
      const killer = setTimeout(() => tool.stop("SIGKILL"), graceMs);
      await tool.exited.catch(() => undefined);
      clearTimeout(killer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return server;
    if (exited || Date.now() >= deadline) {
      await server.stop();
      throw new RunError(failure, undefined, { detail: logFile ? fileTail(logFile) : tail(tool.stderr(), 1500) });
    }
    await sleep(pollMs);
  }
}

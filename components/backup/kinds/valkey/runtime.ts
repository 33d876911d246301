/**
 * Valkey (or Redis) in the runtime: an RDB taken the way a replica receives it (`valkey-cli --rdb`: SYNC, then the
 * server's own snapshot streamed to us) into scratch space, loaded once in a throwaway server for its keys per
 * database, then streamed to the archive. The drill loads the restored RDB in another throwaway server and counts
 * the same way, so the counts of the backup and of every later drill come from the same bytes.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import type { Counts, Dump, KindRuntime, RunContext } from "../../runtime/kind";
import { startThrowaway } from "../../runtime/throwaway";
import { findTool, runTool, startTool } from "../../runtime/tools";
import { VALKEY_ARTIFACT } from "./artifact";

/** The valkey binary, or the redis one it is compatible with (Debian's redis-tools in tests); undefined if neither. */
function valkeyTool(ctx: RunContext, role: "cli" | "server"): string | undefined {
  for (const name of [`valkey-${role}`, `redis-${role}`]) {
    try {
      return findTool(name, "", ctx.vars);
    } catch {
      /* the other name */
    }
  }
  return undefined;
}

function requireValkeyTool(ctx: RunContext, role: "cli" | "server", why: string): string {
  const path = valkeyTool(ctx, role);
  if (!path) throw new ConfigError(`neither valkey-${role} nor redis-${role} is installed${why}`);
  return path;
}

/** The environment without the password: the throwaway server has none, and a CLI given one would send AUTH. */
function withoutAuth(vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDISCLI_AUTH: _r, VALKEYCLI_AUTH: _v, ...rest } = vars;
  return rest;
}

/**
 * Loads `rdb` in a throwaway server (a unix socket in `dir`, no TCP, nothing saved) and returns its keys per database
 * ("db<N>") that has keys. The server runs as a replica of an address nobody listens on: a primary drops keys whose
 * TTL has passed while it loads an RDB, a replica keeps them, so the count is the RDB's own and the same at backup
 * time and at every later drill.
 */
export async function valkeyKeyCounts(ctx: RunContext, rdb: string, dir: string): Promise<Counts> {
  const server = requireValkeyTool(ctx, "server", "");
  const cli = requireValkeyTool(ctx, "cli", "");
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, "s.sock");
  const logFile = join(dir, "server.log");
  const env = withoutAuth(ctx.vars);
  const info = (section: string) => runTool(cli, ["-s", sock, "INFO", section], { env, what: "valkey-cli INFO" }).then((out) => out.replace(/\r/g, ""));
  const throwaway = await startThrowaway(
    server,
    [
      "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--dir", dirname(rdb), "--dbfilename", basename(rdb),
      "--save", "", "--appendonly", "no", "--replicaof", "127.0.0.1", "1", "--databases", ctx.vars.VALKEY_DATABASES ?? "16",
      "--logfile", logFile,
    ],
    {
      what: "the throwaway valkey-server",
      env,
      ready: async () => /^loading:0$/m.test(await info("persistence")),
      timeoutMs: Number(ctx.vars.VALKEY_LOAD_TIMEOUT_SECONDS ?? 3600) * 1000,
      failure: "the throwaway server did not load the RDB",
      logFile,
    },
  );
  try {
    const counts: Counts = {};
    for (const [, db, keys] of (await info("keyspace")).matchAll(/^(db\d+):keys=(\d+),/gm)) counts[db!] = Number(keys);
    // In the order the scripts wrote them (sorted by name), so manifests read the same whoever wrote them.
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  } finally {
    await throwaway.stop();
  }
}

async function dump(ctx: RunContext): Promise<Dump> {
  const host = ctx.vars.VALKEY_HOST;
  if (!host) throw new ConfigError("VALKEY_HOST is required for kind valkey");
  const port = ctx.vars.VALKEY_PORT || "6379";
  const cli = requireValkeyTool(ctx, "cli", " in this container (use the valkey image)");
  requireValkeyTool(ctx, "server", ": the key counts load the RDB in a throwaway server");
  // The password through the environment both CLIs read (argv would show it in the process list).
  const password = ctx.vars.VALKEY_PASSWORD;
  const env = password ? { ...ctx.vars, REDISCLI_AUTH: password, VALKEYCLI_AUTH: password } : withoutAuth(ctx.vars);
  const rdb = join(ctx.scratch, "dump.rdb");
  // The RDB is as large as the dataset: every way out removes it, or it would fill the scratch space.
  const discard = () => rmSync(rdb, { force: true });
  const take = startTool(cli, ["-h", host, "-p", port, "--no-auth-warning", "--rdb", rdb], { env, stdio: ["ignore", "pipe", "pipe"], what: "valkey-cli --rdb" });
  // The CLI says why it failed on stdout or stderr depending on the failure (an AUTH error is a reply it prints).
  let said = "";
  take.child.stdout!.on("data", (d: Buffer) => (said = tail(said + d.toString(), 4000)));
  const took = await take.exited.then(
    () => true,
    () => false,
  );
  const size = took ? fileSize(rdb) : 0;
  if (!took || size === 0) {
    discard();
    throw new RunError("taking the RDB failed", undefined, { host, port, detail: tail(`${said}${take.stderr()}`) });
  }
  ctx.log.info("RDB received", { size_bytes: size });
  let counts: Counts;
  try {
    counts = await valkeyKeyCounts(ctx, rdb, join(ctx.scratch, "valkey-count"));
  } catch (e) {
    discard();
    if (e instanceof RunError) ctx.log.error(e.message, e.fields);
    throw new RunError("the RDB does not load in a throwaway server");
  }
  // Opened, then unlinked: the stream reads the open file and nothing is left in scratch space however the run ends.
  const file = await open(rdb, "r");
  discard();
  const stream = file.createReadStream();
  const toolVersion = runTool(cli, ["--version"], { what: "valkey-cli --version" }).then((v) => v.trim(), () => "valkey-cli");
  const finished = new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    stream.once("error", reject);
    stream.once("close", () => reject(new RunError("reading the RDB from scratch space stopped short")));
  }).then(async () => ({ counts, toolVersion: await toolVersion }));
  finished.catch(() => undefined);
  return { stream, finished, abort: () => stream.destroy() };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The drill needs both binaries: said before anything is downloaded. */
async function prepareRestore(ctx: RunContext): Promise<void> {
  requireValkeyTool(ctx, "server", " (use the valkey image)");
  requireValkeyTool(ctx, "cli", " (use the valkey image)");
}

async function restore(ctx: RunContext, path: string): Promise<Counts> {
  return valkeyKeyCounts(ctx, path, join(ctx.scratch, "server"));
}

export const valkeyRuntime: KindRuntime = { kind: "valkey", artifact: VALKEY_ARTIFACT, dump, prepareRestore, restore };

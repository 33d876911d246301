/**
 * Valkey (or Redis) in the runtime: an RDB taken the way a replica receives it (`valkey-cli --rdb`: SYNC, then the
 * server's own snapshot streamed to us) into scratch space, loaded once into a throwaway server for its keys per
 * database, then streamed to the archive; the drill loads the stored RDB into another throwaway server and counts
 * again. The password goes through the environment both CLIs read (argv would show it in the process list).
 */
import { createReadStream, mkdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import type { Counts, Dump, KindRuntime, RunContext } from "../../runtime/kind";
import { startThrowaway } from "../../runtime/throwaway";
import { findTool, runTool, startTool } from "../../runtime/tools";
import { VALKEY_ARTIFACT } from "./artifact";

const WHY = "use the valkey image (or one with redis-cli and redis-server)";

/** The valkey binary, or the redis one it is compatible with (Debian's redis-tools in tests). */
function valkeyTool(ctx: RunContext, role: "cli" | "server"): string {
  for (const name of [`valkey-${role}`, `redis-${role}`]) {
    try {
      return findTool(name, WHY, ctx.vars);
    } catch {
      /* the other name */
    }
  }
  throw new ConfigError(`neither valkey-${role} nor redis-${role} is installed in this container: ${role === "server" ? "the key counts load the RDB in a throwaway server" : "the RDB is taken with it"} (${WHY})`);
}

/** The CLI's environment without the password: the throwaway server has none. */
function noAuth(vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { REDISCLI_AUTH: _r, VALKEYCLI_AUTH: _v, ...rest } = vars;
  return rest;
}

/**
 * Loads `rdb` in a throwaway server (unix socket in `dir`, no TCP, nothing saved) and returns its keys per database.
 * The server runs as a replica of an address nobody listens on: a primary drops keys whose TTL has passed while it
 * loads an RDB, a replica keeps them, so the count is the RDB's own and the same at backup time and at every drill.
 */
export async function keyCounts(ctx: RunContext, rdb: string, dir: string): Promise<Counts> {
  const server = valkeyTool(ctx, "server");
  const cli = valkeyTool(ctx, "cli");
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, "s.sock");
  const cliEnv = noAuth(ctx.vars);
  const info = (section: string) => runTool(cli, ["-s", sock, "INFO", section], { env: cliEnv, what: "valkey-cli" });
  const throwaway = await startThrowaway(
    server,
    ["--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--dir", dirname(rdb), "--dbfilename", basename(rdb), "--save", "", "--appendonly", "no", "--replicaof", "127.0.0.1", "1", "--databases", ctx.vars.VALKEY_DATABASES ?? "16", "--logfile", join(dir, "server.log")],
    {
      what: "the throwaway server",
      env: cliEnv,
      ready: async () => /^loading:0\r?$/m.test(await info("persistence")),
      timeoutMs: Number(ctx.vars.VALKEY_LOAD_TIMEOUT_SECONDS ?? 3600) * 1000,
      failure: "the throwaway server did not load the RDB",
      logFile: join(dir, "server.log"),
    },
  );
  try {
    const counts: Counts = {};
    for (const m of (await info("keyspace")).matchAll(/^(db\d+):keys=(\d+),/gm)) counts[m[1]!] = Number(m[2]);
    return counts;
  } finally {
    await throwaway.stop();
  }
}

async function dump(ctx: RunContext): Promise<Dump> {
  const host = ctx.vars.VALKEY_HOST;
  if (!host) throw new ConfigError("VALKEY_HOST is required for kind valkey");
  const port = ctx.vars.VALKEY_PORT ?? "6379";
  const cli = valkeyTool(ctx, "cli");
  valkeyTool(ctx, "server");
  const password = ctx.vars.VALKEY_PASSWORD;
  const authEnv = password ? { ...ctx.vars, REDISCLI_AUTH: password, VALKEYCLI_AUTH: password } : ctx.vars;
  const rdb = join(ctx.scratch, "dump.rdb");
  let out = "";
  try {
    const tool = startTool(cli, ["-h", host, "-p", port, "--no-auth-warning", "--rdb", rdb], { env: authEnv, stdio: ["ignore", "pipe", "pipe"], what: "valkey-cli --rdb" });
    tool.child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await tool.exited;
    if (statSync(rdb).size === 0) throw new Error("empty RDB");
  } catch (e) {
    throw new RunError("taking the RDB failed", undefined, { host, port, detail: tail(`${out}${e instanceof RunError ? String(e.fields.detail ?? "") : e instanceof Error ? e.message : ""}`) });
  }
  ctx.log.info("RDB received", { size_bytes: statSync(rdb).size });
  let counts: Counts;
  try {
    counts = await keyCounts(ctx, rdb, join(ctx.scratch, "valkey-count"));
  } catch (e) {
    throw new RunError("the RDB does not load in a throwaway server", undefined, e instanceof RunError ? { detail: `${e.message}: ${String(e.fields.detail ?? "")}` } : {});
  }
  const toolVersion = (await runTool(cli, ["--version"]).catch(() => "valkey-cli")).trim();
  const stream = createReadStream(rdb);
  return { stream, finished: Promise.resolve({ counts, toolVersion }), abort: () => stream.destroy() };
}

export const valkeyRuntime: KindRuntime = {
  kind: "valkey",
  artifact: VALKEY_ARTIFACT,
  dump,
  // Both binaries, checked as the download starts: a drill image without them is a configuration error.
  prepareRestore: async (ctx) => {
    valkeyTool(ctx, "server");
    valkeyTool(ctx, "cli");
  },
  restore: (ctx, path) => keyCounts(ctx, path, join(ctx.scratch, "server")),
};

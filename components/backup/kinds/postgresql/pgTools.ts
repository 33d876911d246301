/**
 * What every PostgreSQL part of the runtime needs of the image it runs in: its tools (PG_BIN_DIR first, then TOOLS_DIR
 * and PATH), libpq's environment, and, when run as root (tests, a debugging shell), the server's commands as an
 * unprivileged user, since PostgreSQL refuses to run as root.
 */
import { runTool, findTool } from "../../runtime/tools";
import type { RunContext } from "../../runtime/kind";

/** The message when a tool is missing: the image that has it. */
export const PG_IMAGE_HINT = "use the postgres image of the server's major version (or set PG_BIN_DIR)";

/** A PostgreSQL tool's path, or a ConfigError saying which image has it. */
export const pgTool = (ctx: RunContext, name: string, why = PG_IMAGE_HINT) =>
  findTool(name, why, ctx.vars.PG_BIN_DIR ? { ...ctx.vars, PATH: `${ctx.vars.PG_BIN_DIR}:${ctx.vars.PATH ?? ""}` } : ctx.vars);

/** libpq's environment, with a connect timeout so an unreachable server fails the run instead of hanging it. */
export const libpqEnv = (ctx: RunContext): NodeJS.ProcessEnv => ({ ...ctx.vars, PGCONNECT_TIMEOUT: ctx.vars.PGCONNECT_TIMEOUT ?? "15" });

/** The OS user server commands run as when the runtime runs as root. */
const serverUser = (ctx: RunContext) => ctx.vars.PG_DRILL_OS_USER ?? "postgres";

/** `path args` as PostgreSQL's server commands must run: as is, or as PG_DRILL_OS_USER when the runtime is root. */
export async function asServerUser(ctx: RunContext, path: string, args: string[]): Promise<[string, string[]]> {
  if (process.getuid?.() !== 0) return [path, args];
  const user = serverUser(ctx);
  const gid = (await runTool("id", ["-g", user])).trim();
  return ["setpriv", [`--reuid=${user}`, `--regid=${gid}`, "--init-groups", "--", path, ...args]];
}

/** Gives `paths` to PG_DRILL_OS_USER when the runtime is root (a throwaway server's data and sockets). */
export async function chownToServerUser(ctx: RunContext, ...paths: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await runTool("chown", ["-R", serverUser(ctx), ...paths]);
}

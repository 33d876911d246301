/**
 * SQLite in the runtime, through Node's own SQLite (node:sqlite): an online copy of the application's database file,
 * then integrity_check and row counts of the copy; the drill checks the restored copy the same way. steps.ts runs
 * each step on a worker thread and says why the copy is one backup step, read-only, beside the running writer.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, RunError } from "../../runtime/errors";
import type { Counts, Dump, KindRuntime, RunContext } from "../../runtime/kind";
import { SQLITE_ARTIFACT } from "./artifact";
import { integrityCheck, runSqliteStep, sqliteCounts } from "./steps";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** integrity_check must say ok; then the counts. */
async function verified(ctx: RunContext, path: string, what: string): Promise<Counts> {
  let rows: string[];
  try {
    rows = await integrityCheck(ctx, path);
  } catch (e) {
    throw new RunError(`${what} fails integrity_check`, undefined, { detail: message(e).slice(0, 1000) });
  }
  if (rows.length !== 1 || rows[0] !== "ok") throw new RunError(`${what} fails integrity_check`, undefined, { detail: rows.join("\n").slice(0, 1000) });
  try {
    return await sqliteCounts(ctx, path);
  } catch (e) {
    throw new RunError(`row counts of ${what} failed`, undefined, { detail: message(e) });
  }
}

async function dump(ctx: RunContext): Promise<Dump> {
  const source = ctx.vars.SQLITE_PATH;
  if (!source) throw new ConfigError("SQLITE_PATH is required for kind sqlite");
  if (!existsSync(source) || !statSync(source).isFile()) throw new RunError(`SQLITE_PATH '${source}' does not exist`);
  const copy = join(ctx.scratch, "sqlite-copy.db");
  let journalMode: string;
  try {
    ({ journalMode } = (await runSqliteStep(ctx, {
      step: "backup",
      source,
      copy,
      busyTimeoutMs: Number(ctx.vars.SQLITE_BUSY_TIMEOUT_MS ?? 30000),
      writerWaitSeconds: Number(ctx.vars.SQLITE_WRITER_WAIT_SECONDS ?? 60),
    })) as { journalMode: string });
  } catch (e) {
    throw new RunError("the online copy failed", undefined, { detail: message(e) });
  }
  if (journalMode !== "wal") ctx.log.warn("the database is not in WAL mode: its writer could not commit while the copy ran; WAL lets it", { journal_mode: journalMode });
  ctx.log.info("online copy complete", { journal_mode: journalMode, size_bytes: statSync(copy).size });
  const counts = await verified(ctx, copy, "the copy");
  const stream = createReadStream(copy);
  // The worker's node:sqlite is this process's: the same library.
  return { stream, finished: Promise.resolve({ counts, toolVersion: `SQLite ${process.versions.sqlite}` }), abort: () => stream.destroy() };
}

export const sqliteRuntime: KindRuntime = {
  kind: "sqlite",
  artifact: SQLITE_ARTIFACT,
  dump,
  restore: (ctx, path) => verified(ctx, path, "the restored database"),
};

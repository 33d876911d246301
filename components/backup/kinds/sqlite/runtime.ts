/**
 * SQLite in the runtime: an online copy of the application's database file (read-only, beside its running writer:
 * steps.ts says how) into scratch space, checked with integrity_check and counted per table, then streamed to the
 * archive. The drill checks and counts the restored file the same way. No Python: node:sqlite does every step.
 */
import { rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, RunError } from "../../runtime/errors";
import type { Counts, Dump, KindRuntime, RunContext } from "../../runtime/kind";
import { SQLITE_ARTIFACT } from "./artifact";
import { integrityCheck, runSqliteStep, sqliteCounts } from "./steps";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function dump(ctx: RunContext): Promise<Dump> {
  const source = ctx.vars.SQLITE_PATH;
  if (!source) throw new ConfigError("SQLITE_PATH is required for kind sqlite");
  if (!statSync(source, { throwIfNoEntry: false })?.isFile()) throw new RunError(`SQLITE_PATH '${source}' does not exist`);
  const copy = join(ctx.scratch, "sqlite-copy.db");
  // The copy is as large as the database: every way out removes it, or it would fill the scratch space.
  const discard = () => {
    rmSync(copy, { force: true });
    rmSync(`${copy}-journal`, { force: true });
  };
  let journalMode: string;
  try {
    ({ journalMode } = (await runSqliteStep(ctx, {
      step: "backup",
      source,
      copy,
      busyTimeoutMs: Number(ctx.vars.SQLITE_BUSY_TIMEOUT_MS || 30000),
      writerWaitSeconds: Number(ctx.vars.SQLITE_WRITER_WAIT_SECONDS || 60),
    })) as { journalMode: string });
  } catch (e) {
    discard();
    throw new RunError("the online copy failed", undefined, { detail: message(e) });
  }
  if (journalMode !== "wal") ctx.log.warn("the database is not in WAL mode: its writer could not commit while the copy ran; WAL lets it", { journal_mode: journalMode });
  ctx.log.info("online copy complete", { journal_mode: journalMode, size_bytes: statSync(copy).size });
  let counts: Counts;
  try {
    const check = await integrityCheck(ctx, copy);
    if (check.length !== 1 || check[0] !== "ok") throw new RunError("the copy fails integrity_check", undefined, { detail: check.join("\n").slice(0, 1000) });
    try {
      counts = await sqliteCounts(ctx, copy);
    } catch (e) {
      throw new RunError("row counts of the copy failed", undefined, { detail: message(e) });
    }
  } catch (e) {
    discard();
    throw e instanceof RunError ? e : new RunError("the copy fails integrity_check", undefined, { detail: message(e).slice(0, 1000) });
  }
  const version = runSqliteStep(ctx, { step: "version" }).then((r) => (r as { version: string }).version, () => "SQLite");
  // Opened, then unlinked: the stream reads the open file and nothing is left in scratch space however the run ends.
  const file = await open(copy, "r");
  discard();
  const stream = file.createReadStream();
  const finished = new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    stream.once("error", reject);
    stream.once("close", () => reject(new RunError("reading the copy from scratch space stopped short")));
  }).then(async () => ({ counts, toolVersion: await version }));
  finished.catch(() => undefined);
  return { stream, finished, abort: () => stream.destroy() };
}

async function restore(ctx: RunContext, path: string): Promise<Counts> {
  let check: string[];
  try {
    check = await integrityCheck(ctx, path);
  } catch (e) {
    throw new RunError("the restored database fails integrity_check", undefined, { detail: message(e).slice(0, 1000) });
  }
  if (check.length !== 1 || check[0] !== "ok") throw new RunError("the restored database fails integrity_check", undefined, { detail: check.join("\n").slice(0, 1000) });
  return sqliteCounts(ctx, path);
}

export const sqliteRuntime: KindRuntime = { kind: "sqlite", artifact: SQLITE_ARTIFACT, dump, restore };

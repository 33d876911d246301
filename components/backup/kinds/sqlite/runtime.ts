/**
 * SQLite in the runtime, through Node's own SQLite (node:sqlite): an online copy of the application's database file,
 * then integrity_check and row counts of the copy; the drill checks the restored copy the same way.
 *
 * Why not the sqlite3 shell's `.backup`: it copies 100 pages per sqlite3_backup_step() and releases its read lock
 * between steps, so every commit of the application restarts the copy from page one; beside a writer that commits
 * every few seconds, a database of some size is never copied. Here the whole database goes in one step, inside one
 * read transaction: one consistent snapshot, and in WAL mode the writer keeps committing (into the WAL) while the copy
 * runs. Only the WAL grows meanwhile, because checkpoints cannot pass an open reader.
 *
 * The source is opened read-only (mode=ro), and the job mounts the application's volume read-only, so the backup can
 * never change the application's files, not even create its -wal or -shm. SQLite (3.22+) reads a WAL database without
 * write access as long as its -wal and -shm files exist, which they do whenever the writer has the database open. When
 * every connection has closed, the last one deletes them; the copy then waits SQLITE_WRITER_WAIT_SECONDS for the writer
 * to open the database again (an application that opens it per batch), and fails naming the cause otherwise.
 */
import { createReadStream, existsSync, openSync, readSync, closeSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { backup as sqliteBackup, DatabaseSync } from "node:sqlite";
import { ConfigError, RunError } from "../../runtime/errors";
import type { Counts, Dump, KindRuntime, RunContext } from "../../runtime/kind";
import { SQLITE_ARTIFACT } from "./artifact";

const HEADER_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
/** sqlite3_backup_step's page count for "everything at once" (node:sqlite takes no -1). */
const ALL_PAGES = 2 ** 31 - 1;

/** A file: URL of `path` with SQLite URI parameters (the path quoted: `?`, `#` and `%` in a file name are not parameters). */
function sqliteUrl(path: string, params: Record<string, string>): URL {
  const url = pathToFileURL(path);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

/** A WAL-mode database whose -wal file is gone: no connection has it open (the last one to close deletes it). */
function isWalWithoutWriter(path: string): boolean {
  const fd = openSync(path, "r");
  const header = Buffer.alloc(100);
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  // Bytes 18 and 19 are the file format's write and read versions: 2 means WAL.
  return header.subarray(0, 16).equals(HEADER_MAGIC) && header[18] === 2 && !existsSync(`${path}-wal`);
}

async function copyOnce(source: string, copy: string, busyTimeoutMs: number): Promise<string> {
  for (const leftover of [copy, `${copy}-journal`]) rmSync(leftover, { force: true });
  const src = new DatabaseSync(sqliteUrl(source, { mode: "ro" }), { timeout: busyTimeoutMs, readOnly: true });
  try {
    const journalMode = String((src.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode);
    await sqliteBackup(src, copy, { rate: ALL_PAGES });
    return journalMode;
  } finally {
    src.close();
  }
}

/** A scratch copy nothing else opens: immutable skips locking and never creates -wal/-shm files beside it. */
const openScratch = (path: string) => new DatabaseSync(sqliteUrl(path, { immutable: "1" }), { readOnly: true });

/** PRAGMA integrity_check's rows ("ok" alone when the file is sound). */
function integrityCheck(path: string): string[] {
  const db = openScratch(path);
  try {
    return (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => String(r.integrity_check));
  } finally {
    db.close();
  }
}

/** Table names as the manifest's keys: any character, with the backslash, tab and line breaks escaped as the scripts did. */
const countKey = (name: string) => name.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

/** Rows per table of a scratch copy. */
export function rowCounts(path: string): Counts {
  const db = openScratch(path);
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all() as { name: string }[];
    const counts: Counts = {};
    for (const { name } of tables) counts[countKey(name)] = Number((db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n);
    return counts;
  } finally {
    db.close();
  }
}

/** integrity_check must say ok; then the counts. */
function verified(path: string, what: string): Counts {
  let rows: string[];
  try {
    rows = integrityCheck(path);
  } catch (e) {
    throw new RunError(`${what} fails integrity_check`, undefined, { detail: e instanceof Error ? e.message : String(e) });
  }
  if (rows.length !== 1 || rows[0] !== "ok") throw new RunError(`${what} fails integrity_check`, undefined, { detail: rows.join("\n").slice(0, 1000) });
  return rowCounts(path);
}

async function dump(ctx: RunContext): Promise<Dump> {
  const source = ctx.vars.SQLITE_PATH;
  if (!source) throw new ConfigError("SQLITE_PATH is required for kind sqlite");
  if (!existsSync(source) || !statSync(source).isFile()) throw new RunError(`SQLITE_PATH '${source}' does not exist`);
  const busyTimeoutMs = Number(ctx.vars.SQLITE_BUSY_TIMEOUT_MS ?? 30000);
  const deadline = Date.now() + Number(ctx.vars.SQLITE_WRITER_WAIT_SECONDS ?? 60) * 1000;
  const copy = join(ctx.scratch, "sqlite-copy.db");
  let journalMode: string;
  for (;;) {
    try {
      journalMode = await copyOnce(source, copy, busyTimeoutMs);
      break;
    } catch (e) {
      const waiting = isWalWithoutWriter(source);
      if (!waiting || Date.now() >= deadline) {
        const hint = waiting
          ? " (a WAL database without its -wal file: no writer had it open, and a read-only reader cannot create that file; the backup runs beside the running writer)"
          : "";
        throw new RunError("the online copy failed", undefined, { detail: `online copy of ${source} failed: ${e instanceof Error ? e.message : String(e)}${hint}` });
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (journalMode !== "wal") ctx.log.warn("the database is not in WAL mode: its writer could not commit while the copy ran; WAL lets it", { journal_mode: journalMode });
  ctx.log.info("online copy complete", { journal_mode: journalMode, size_bytes: statSync(copy).size });
  const counts = verified(copy, "the copy");
  const stream = createReadStream(copy);
  return { stream, finished: Promise.resolve({ counts, toolVersion: `SQLite ${process.versions.sqlite}` }), abort: () => stream.destroy() };
}

export const sqliteRuntime: KindRuntime = {
  kind: "sqlite",
  artifact: SQLITE_ARTIFACT,
  dump,
  restore: async (_ctx, path) => verified(path, "the restored database"),
};

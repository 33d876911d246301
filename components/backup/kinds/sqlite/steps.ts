/**
 * The SQLite steps of a backup and a drill, through Node's own SQLite (node:sqlite), run on a worker thread: an
 * integrity_check or a count of a large database is minutes of synchronous work, and the busy timeout and the wait for
 * a writer are more, which on the run's own thread would keep it from hearing its deadline and SIGTERM. The run gives up on the worker at its deadline or SIGTERM, reports, and its
 * exit ends the worker.
 *
 * The online copy takes the whole database in one sqlite3_backup_step() (a rate no database reaches), so in one read
 * transaction: one consistent snapshot, while in WAL mode the writer keeps committing (into the WAL). SQLite's shell
 * copies 100 pages per step and releases its read lock between steps, so every commit of a busy writer restarts it.
 *
 * The source is opened read-only (mode=ro) and the job mounts the application's volume read-only, so the backup can
 * never change the application's files, not even create its -wal or -shm. SQLite (3.22+) reads a WAL database
 * without write access as long as its -wal and -shm exist, which they do whenever the writer has the database open.
 * When every connection has closed, the last one deletes them; the copy then waits SQLITE_WRITER_WAIT_SECONDS for the
 * writer to open the database again (an application that opens it per batch), and fails naming the cause otherwise.
 * (The shell scripts took the same steps in Python, with the same results: their backups still drill.)
 */
import { Worker } from "node:worker_threads";
import { RunError } from "../../runtime/errors";
import type { Counts, RunContext } from "../../runtime/kind";
import { termination } from "../../runtime/signals";

export type SqliteStep =
  | { step: "backup"; source: string; copy: string; busyTimeoutMs: number; writerWaitSeconds: number }
  | { step: "check"; path: string }
  | { step: "counts"; path: string };

export type SqliteResult = { journalMode: string } | { rows: string[] } | { counts: [string, number][] };

/**
 * The worker's program. It is sent to the worker as its source text, so it uses nothing but its argument and
 * require(): no import of this module reaches it.
 */
function sqliteWorker(threads: typeof import("node:worker_threads")): void {
  const { DatabaseSync, backup } = require("node:sqlite") as typeof import("node:sqlite");
  const fs = require("node:fs") as typeof import("node:fs");
  const { pathToFileURL } = require("node:url") as typeof import("node:url");
  const job = threads.workerData as SqliteStep;
  const HEADER_MAGIC = "SQLite format 3\u0000";

  /** A file: URL for `path` with SQLite's URI parameters (a `?`, `#` or `%` in the name stays part of the name). */
  const uri = (path: string, params: Record<string, string>) => {
    const url = pathToFileURL(path);
    url.search = new URLSearchParams(params).toString();
    return url;
  };
  /** A scratch copy nothing else opens: immutable skips locking and never creates -wal/-shm files beside it. */
  const openScratch = (path: string) => new DatabaseSync(uri(path, { immutable: "1" }), { readOnly: true });

  /** A WAL-mode database whose -wal file is gone: no connection has it open (the last one to close deletes it). */
  const isWalWithoutWriter = (path: string) => {
    const header = Buffer.alloc(100);
    const fd = fs.openSync(path, "r");
    try {
      fs.readSync(fd, header, 0, 100, 0);
    } finally {
      fs.closeSync(fd);
    }
    // Bytes 18 and 19 are the file format's write and read versions: 2 means WAL.
    return header.subarray(0, 16).toString("latin1") === HEADER_MAGIC && header[18] === 2 && !fs.existsSync(`${path}-wal`);
  };

  const copyOnce = async (source: string, copy: string, busyTimeoutMs: number) => {
    for (const leftover of [copy, `${copy}-journal`]) fs.rmSync(leftover, { force: true });
    const src = new DatabaseSync(uri(source, { mode: "ro" }), { timeout: busyTimeoutMs });
    try {
      const journalMode = String((src.prepare("PRAGMA journal_mode").get() as { journal_mode: unknown }).journal_mode);
      // The whole database in one step, so in one read transaction (see the module's comment).
      await backup(src, copy, { rate: 2 ** 31 - 1 });
      return journalMode;
    } finally {
      src.close();
    }
  };

  const onlineCopy = async (j: Extract<SqliteStep, { step: "backup" }>) => {
    if (!fs.statSync(j.source, { throwIfNoEntry: false })?.isFile()) throw new Error(`${j.source} does not exist or is not a file`);
    const deadline = Date.now() + j.writerWaitSeconds * 1000;
    for (;;) {
      try {
        return { journalMode: await copyOnce(j.source, j.copy, j.busyTimeoutMs) };
      } catch (e) {
        const waiting = isWalWithoutWriter(j.source);
        if (!waiting || Date.now() >= deadline) {
          const hint = waiting
            ? " (a WAL database without its -wal file: no writer had it open, and a read-only reader cannot create that file; the backup runs beside the running writer)"
            : "";
          throw new Error(`online copy of ${j.source} failed: ${e instanceof Error ? e.message : String(e)}${hint}`);
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  const run = async (): Promise<SqliteResult> => {
    switch (job.step) {
      case "backup":
        return onlineCopy(job);
      case "check": {
        const db = openScratch(job.path);
        try {
          return { rows: db.prepare("PRAGMA integrity_check").all().map((r) => String(Object.values(r)[0])) };
        } finally {
          db.close();
        }
      }
      case "counts": {
        const db = openScratch(job.path);
        try {
          const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all();
          return {
            counts: tables.map((t) => {
              const name = String(t.name);
              const quoted = `"${name.replace(/"/g, '""')}"`;
              return [name, Number((db.prepare(`SELECT count(*) AS n FROM ${quoted}`).get() as { n: number }).n)] as [string, number];
            }),
          };
        } finally {
          db.close();
        }
      }
    }
  };
  run().then(
    (result) => threads.parentPort!.postMessage({ ok: result }),
    (e: unknown) => threads.parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
}

/** Runs one step on a worker thread; rejects with the step's error, or when the run's deadline or SIGTERM comes first. */
export function runSqliteStep(ctx: RunContext, job: SqliteStep): Promise<SqliteResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(`(${sqliteWorker.toString()})(require("node:worker_threads"))`, { eval: true, workerData: job });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      termination.signal.removeEventListener("abort", stop);
      void worker.terminate();
      f();
    };
    const stop = () => settle(() => reject(new RunError(`the SQLite ${job.step} was stopped (the run's deadline or SIGTERM)`)));
    const timer = setTimeout(stop, Math.max(0, ctx.deadline - Date.now()));
    termination.signal.addEventListener("abort", stop, { once: true });
    worker.once("message", (m: { ok?: SqliteResult; error?: string }) => settle(() => (m.ok ? resolve(m.ok) : reject(new Error(m.error)))));
    worker.once("error", (e) => settle(() => reject(e)));
    worker.once("exit", (code) => settle(() => reject(new Error(`the SQLite worker exited (${code}) without an answer`))));
  });
}

/** A table's name as one count's name: one table per line, the tab the only separator (as the shell scripts' Python wrote them, so older manifests compare). */
export const countName = (table: string) => table.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

export async function sqliteCounts(ctx: RunContext, path: string): Promise<Counts> {
  const { counts } = (await runSqliteStep(ctx, { step: "counts", path })) as { counts: [string, number][] };
  return Object.fromEntries(counts.map(([table, rows]) => [countName(table), rows]));
}

/** integrity_check's rows: ["ok"] for a sound database. */
export async function integrityCheck(ctx: RunContext, path: string): Promise<string[]> {
  return ((await runSqliteStep(ctx, { step: "check", path })) as { rows: string[] }).rows;
}

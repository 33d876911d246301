/**
 * PostgreSQL in the runtime: the logical backup (`pg_dump -Fc -Z0` in a snapshot exported by a psql session that
 * keeps its transaction open, so the row counts taken in the same snapshot match the dump even on a busy database),
 * and the drill (a throwaway server in scratch space, started while the dump downloads; `pg_restore -j` once the object
 * is verified, or, single-job, the schema and data loaded as the dump lands and the rest after; then the same row
 * counts).
 */
import { availableParallelism } from "node:os";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import { pipeline } from "node:stream/promises";
import type { Counts, Dump, DumpInto, GrowingArtifact, KindRuntime, RunContext } from "../../runtime/kind";
import { runTool, startTool, type Tool } from "../../runtime/tools";
import { asServerUser, chownToServerUser, libpqEnv, pgTool } from "./pgTools";
import { POSTGRESQL_ARTIFACT } from "./artifact";
import { parseCountLines, PG_COUNT_SQL } from "./rowCounts";

const END_MARK = "__strata_end__";

/** psql's stdout as lines, as they arrive. */
function lineReader(tool: Tool) {
  const lines: string[] = [];
  let partial = "";
  const waiters: (() => void)[] = [];
  tool.child.stdout!.on("data", (d: Buffer) => {
    const parts = (partial + d.toString()).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
    waiters.splice(0).forEach((w) => w());
  });
  tool.child.once("close", () => waiters.splice(0).forEach((w) => w()));
  const closed = () => tool.child.exitCode !== null || tool.child.signalCode !== null;
  return {
    lines,
    /** Waits until `predicate` holds on the lines, the tool has exited, or `ms` passed. */
    async until(predicate: () => boolean, ms: number): Promise<boolean> {
      const deadline = Date.now() + ms;
      while (!predicate()) {
        if (closed() || Date.now() >= deadline) return predicate();
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(1000, deadline - Date.now()));
          waiters.push(() => (clearTimeout(t), r()));
        });
      }
      return true;
    },
  };
}

async function dump(ctx: RunContext, into?: DumpInto): Promise<Dump> {
  const psqlPath = pgTool(ctx, "psql");
  const pgDumpPath = pgTool(ctx, "pg_dump");
  if (!ctx.vars.PGDATABASE) throw new ConfigError("PGDATABASE is required for kind postgresql");
  const env = libpqEnv(ctx);
  const counting = (ctx.vars.PG_ROW_COUNTS ?? "exact") !== "none";
  // A session that exports a snapshot and keeps its transaction open: pg_dump reads that snapshot, the counts too.
  const session = startTool(psqlPath, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"], { env, what: "psql" });
  const out = lineReader(session);
  session.child.stdin!.write("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\nSELECT pg_export_snapshot();\n");
  const connectSeconds = Number(ctx.vars.PG_CONNECT_TIMEOUT_SECONDS ?? 60);
  if (!(await out.until(() => out.lines.length > 0, connectSeconds * 1000)) || !out.lines[0]) {
    session.stop("SIGKILL");
    throw new RunError("cannot open a session on the database", undefined, { database: ctx.vars.PGDATABASE, host: ctx.vars.PGHOST ?? "", detail: tail(session.stderr()) });
  }
  const snapshot = out.lines[0];
  ctx.log.info("exported snapshot", { snapshot });
  if (counting) session.child.stdin!.write(`${PG_COUNT_SQL}\nSELECT '${END_MARK}';\n`);
  const pgDump = startTool(pgDumpPath, ["-Fc", "-Z0", `--snapshot=${snapshot}`], { env, stdio: ["ignore", into ?? "pipe", "pipe"], what: "pg_dump" });
  const toolVersion = runTool(pgDumpPath, ["--version"], { what: "pg_dump --version" }).then((v) => v.trim(), () => "pg_dump");
  const finished = (async () => {
    await pgDump.exited;
    let counts: Counts = {};
    if (counting) {
      if (!(await out.until(() => out.lines.includes(END_MARK), 3600_000))) throw new RunError("row counts failed", undefined, { detail: tail(session.stderr()) });
      counts = parseCountLines(out.lines.slice(1, out.lines.indexOf(END_MARK)));
    }
    session.child.stdin!.end("COMMIT;\n\\q\n");
    await session.exited.catch(() => undefined);
    return { counts, toolVersion: await toolVersion };
  })();
  finished.catch(() => undefined);
  return {
    ...(into ? {} : { stream: pgDump.child.stdout! }),
    finished,
    abort() {
      pgDump.stop("SIGKILL");
      session.stop("SIGKILL");
    },
  };
}

/**
 * A throwaway server tuned for one bulk load that is thrown away afterwards: no durability, and wal_level=minimal,
 * with which pg_restore -j wraps each table's COPY in a transaction after a TRUNCATE of the table it just created, so
 * neither the data nor the index builds are WAL-logged.
 */
const drillSettings = (vars: NodeJS.ProcessEnv) => [
  "fsync=off",
  "full_page_writes=off",
  "synchronous_commit=off",
  "wal_level=minimal",
  "max_wal_senders=0",
  "archive_mode=off",
  "max_wal_size=16GB",
  "checkpoint_timeout=1h",
  "autovacuum=off",
  `shared_buffers=${vars.PG_DRILL_SHARED_BUFFERS ?? "256MB"}`,
  `maintenance_work_mem=${vars.PG_DRILL_MAINTENANCE_WORK_MEM ?? "256MB"}`,
  // A TimescaleDB dump restores only into a server that preloads the extension (PG_TIMESCALEDB=1, its drill image).
  ...(vars.PG_TIMESCALEDB === "1" ? ["shared_preload_libraries=timescaledb", "timescaledb.telemetry_level=off"] : []),
];

const timescale = (ctx: RunContext) => ctx.vars.PG_TIMESCALEDB === "1";
const dataDir = (ctx: RunContext) => join(ctx.scratch, "data");
const socketDir = (ctx: RunContext) => join(ctx.scratch, "sock");

const psqlArgs = (ctx: RunContext, db: string) => ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDir(ctx), "-U", "postgres", "-d", db];

async function prepareRestore(ctx: RunContext): Promise<void> {
  const why = "the drill runs a throwaway PostgreSQL (set PG_BIN_DIR)";
  const [initdb, pgCtl, psql] = [pgTool(ctx, "initdb", why), pgTool(ctx, "pg_ctl", why), pgTool(ctx, "psql", why)];
  pgTool(ctx, "pg_restore", why);
  // A wrong override fails here, before anything starts.
  loadsWhileDownloading(ctx);
  mkdirSync(socketDir(ctx), { recursive: true });
  await chownToServerUser(ctx, ctx.scratch);
  try {
    await runTool(...(await asServerUser(ctx, initdb, ["-D", dataDir(ctx), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])), { what: "initdb" });
  } catch (e) {
    throw new RunError("initdb in scratch space failed", undefined, e instanceof RunError ? e.fields : {});
  }
  const options = ["-c listen_addresses=''", `-k ${socketDir(ctx)}`, ...drillSettings(ctx.vars).map((s) => `-c ${s}`)].join(" ");
  const timeout = ctx.vars.PG_START_TIMEOUT_SECONDS ?? "120";
  try {
    await runTool(...(await asServerUser(ctx, pgCtl, ["-D", dataDir(ctx), "-l", join(ctx.scratch, "server.log"), "-w", "-t", timeout, "-o", options, "start"])), { what: "pg_ctl start" });
  } catch (e) {
    throw new RunError("the scratch PostgreSQL did not start", undefined, e instanceof RunError ? e.fields : {});
  }
  await runTool(psql, [...psqlArgs(ctx, "postgres"), "-c", "CREATE DATABASE drill TEMPLATE template0 ENCODING 'UTF8'"], { what: "psql" });
  if (timescale(ctx)) {
    // TimescaleDB's documented restore: the extension first, then timescaledb_pre_restore() (restoring mode, background
    // workers stopped) before pg_restore and timescaledb_post_restore() after it.
    await runTool(psql, [...psqlArgs(ctx, "drill"), "-c", "CREATE EXTENSION IF NOT EXISTS timescaledb", "-c", "SELECT timescaledb_pre_restore()"], { what: "psql" });
  }
  ctx.log.info("scratch server ready, waiting for the backup");
}

const restoreFlags = ["--exit-on-error", "--no-owner", "--no-acl"];

/** pg_restore's job count for the drill: RESTORE_JOBS, or one per CPU. */
const restoreJobs = (ctx: RunContext) => ctx.vars.RESTORE_JOBS ?? String(availableParallelism());

/**
 * Whether the schema and data load while the dump downloads. A dump read as it grows restores one table at a time
 * (pg_restore -j needs the whole file), so loading while downloading pays only where the restore is single-job anyway
 * (TimescaleDB's) or the download is slower than a single-job load: on this machine, with two jobs, loading the whole
 * file -j2 after a download of a few seconds took 11.6 s on average against 13.8 s loading as it landed (0.5 GB,
 * docs/benchmarks.md). PG_DRILL_LOAD_WHILE_DOWNLOADING=1 or 0 overrides it, for a store slower than the restore.
 */
const loadsWhileDownloading = (ctx: RunContext) => {
  const override = ctx.vars.PG_DRILL_LOAD_WHILE_DOWNLOADING;
  if (override === "1" || override === "0") return override === "1";
  if (override) throw new ConfigError(`PG_DRILL_LOAD_WHILE_DOWNLOADING '${override}' must be 1 or 0 (unset: only when RESTORE_JOBS is 1)`);
  return restoreJobs(ctx) === "1";
};

/**
 * The schema and the table data, loaded by one pg_restore reading the dump as it lands in scratch space: the load
 * overlaps the download. (A custom dump read from a pipe restores in archive order, which is the order pg_dump wrote.)
 */
async function restoreWhileDownloading(ctx: RunContext, artifact: GrowingArtifact): Promise<void> {
  if (!loadsWhileDownloading(ctx)) return;
  ctx.log.info("restoring", { sections: "pre-data, data", while: "downloading" });
  const pgRestore = startTool(pgTool(ctx, "pg_restore"), ["-h", socketDir(ctx), "-U", "postgres", "-d", "drill", "--section=pre-data", "--section=data", ...restoreFlags], {
    what: "pg_restore",
    stdio: ["pipe", "ignore", "pipe"],
  });
  const input = artifact.follow();
  // pg_restore's verdict is its exit status: it may close its input once it has read the last entry it restores, which
  // ends the feed early and is no failure; a download that fails ends the feed and makes pg_restore fail, and the drill
  // reports the download's failure first.
  const feeding = pipeline(input, pgRestore.child.stdin!).catch(() => undefined);
  try {
    await pgRestore.exited;
  } catch (e) {
    throw new RunError("pg_restore failed", undefined, e instanceof RunError ? e.fields : {});
  } finally {
    input.destroy();
    await feeding;
  }
}

/**
 * What is left once the object is verified, -j at a time from the file: indexes, constraints and triggers, or, where
 * nothing loaded while downloading, the whole dump.
 */
async function restore(ctx: RunContext, path: string): Promise<Counts> {
  const psql = pgTool(ctx, "psql");
  const jobs = restoreJobs(ctx);
  const sections = loadsWhileDownloading(ctx) ? ["--section=post-data"] : [];
  ctx.log.info("restoring", { sections: sections.length ? "post-data" : "all", jobs });
  try {
    await runTool(pgTool(ctx, "pg_restore"), ["-h", socketDir(ctx), "-U", "postgres", "-d", "drill", ...sections, "-j", jobs, ...restoreFlags, path], {
      what: "pg_restore",
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (e) {
    throw new RunError("pg_restore failed", undefined, e instanceof RunError ? e.fields : {});
  }
  if (timescale(ctx)) await runTool(psql, [...psqlArgs(ctx, "drill"), "-c", "SELECT timescaledb_post_restore()"], { what: "psql" });
  ctx.log.info("restored, counting rows");
  return parseCountLines((await runTool(psql, [...psqlArgs(ctx, "drill"), "-c", PG_COUNT_SQL], { what: "psql" })).split("\n"));
}

async function cleanup(ctx: RunContext): Promise<void> {
  let pgCtl: string;
  try {
    pgCtl = pgTool(ctx, "pg_ctl");
  } catch {
    return;
  }
  try {
    readdirSync(dataDir(ctx));
  } catch {
    return;
  }
  await runTool(...(await asServerUser(ctx, pgCtl, ["-D", dataDir(ctx), "-m", "immediate", "-w", "-t", "30", "stop"])), { what: "pg_ctl stop" }).catch(() => undefined);
}

export const postgresqlRuntime: KindRuntime = { kind: "postgresql", artifact: POSTGRESQL_ARTIFACT, dump, prepareRestore, restoreWhileDownloading, restore, cleanup };


/**
 * Prometheus in the runtime: a TSDB snapshot taken through the admin API (hard links to the live blocks, on
 * Prometheus's own volume), archived by `tar -cf -` as it streams to the archive, and removed whatever happens, or it
 * would pin disk on that volume. The drill extracts the archive as it downloads, has promtool list and analyze every
 * block, then opens the snapshot in a throwaway Prometheus, which must load every block and answer a query over the
 * newest block's data.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import { expectCounts } from "../../runtime/drill";
import type { Manifest } from "../../contract";
import type { Counts, Dump, DumpInto, GrowingArtifact, KindRuntime, RunContext } from "../../runtime/kind";
import { fileTail, startThrowaway } from "../../runtime/throwaway";
import { findTool, startTool } from "../../runtime/tools";
import { PROMETHEUS_SNAPSHOT_ARTIFACT } from "./artifact";

const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

/** Blocks and series of a snapshot, from each block's meta.json (stats.numSeries). */
function snapshotCounts(dir: string): Counts {
  let blocks = 0;
  let series = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    let meta: string;
    try {
      meta = readFileSync(join(dir, entry.name, "meta.json"), "utf8");
    } catch {
      continue;
    }
    blocks += 1;
    series += Number(/"numSeries": *(\d+)/.exec(meta)?.[1] ?? 0);
  }
  return { blocks, series };
}

async function dump(ctx: RunContext, into?: DumpInto): Promise<Dump> {
  const tar = findTool("tar", "the snapshot directory is archived with tar", ctx.vars);
  const url = ctx.vars.PROMETHEUS_URL;
  if (!url) throw new ConfigError("PROMETHEUS_URL is required for kind prometheus-snapshot");
  const dataDir = ctx.vars.PROM_DATA_DIR;
  if (!dataDir) throw new ConfigError("PROM_DATA_DIR (Prometheus's --storage.tsdb.path, mounted here) is required");
  if (!isDirectory(dataDir)) throw new ConfigError(`PROM_DATA_DIR '${dataDir}' is not a directory in this container`);
  const why = "snapshot request failed (is --web.enable-admin-api set?)";
  let text: string;
  try {
    const response = await fetch(`${url.replace(/\/+$/, "")}/api/v1/admin/tsdb/snapshot`, {
      method: "POST",
      signal: AbortSignal.timeout(Number(ctx.vars.SNAPSHOT_TIMEOUT_SECONDS || 600) * 1000),
    });
    text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}: ${tail(text, 1000)}`);
  } catch (e) {
    const detail = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new RunError(why, undefined, { detail });
  }
  const name = /"name":"([^"]+)"/.exec(text)?.[1];
  if (!name || !/^[A-Za-z0-9_-]+$/.test(name)) throw new RunError("unexpected snapshot response", undefined, { detail: tail(text, 1000) });
  const dir = join(dataDir, "snapshots", name);
  if (!isDirectory(dir)) throw new RunError(`snapshot ${name} is not under PROM_DATA_DIR/snapshots (wrong volume mounted?)`, undefined, { dir });
  let removed = false;
  // The snapshot holds hard links to live blocks: removed whatever happened, or it pins disk on Prometheus's volume.
  const removeSnapshot = () => {
    if (removed) return;
    removed = true;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      ctx.log.warn("could not remove the snapshot directory", { dir, detail: e instanceof Error ? e.message : String(e) });
    }
  };
  let counts: Counts;
  let archive;
  try {
    counts = snapshotCounts(dir);
    archive = startTool(tar, ["-C", dir, "-cf", "-", "."], { stdio: ["ignore", into ?? "pipe", "pipe"], what: "tar" });
  } catch (e) {
    removeSnapshot();
    throw e;
  }
  const tool = archive;
  const finished = tool.exited.then(
    () => {
      removeSnapshot();
      return { counts, toolVersion: "prometheus-snapshot" };
    },
    (e: unknown) => {
      removeSnapshot();
      throw new RunError("archiving the snapshot failed", undefined, { detail: e instanceof RunError ? e.fields.detail : String(e) });
    },
  );
  finished.catch(() => undefined);
  return {
    ...(into ? {} : { stream: tool.child.stdout! }),
    finished,
    abort() {
      tool.stop("SIGKILL");
      removeSnapshot();
    },
  };
}

const tsdbDir = (ctx: RunContext) => join(ctx.scratch, "tsdb");

/** Every tool the drill runs, checked as the download starts: an image without one is a configuration error. */
async function prepareRestore(ctx: RunContext): Promise<void> {
  findTool("promtool", "use an image with promtool (the prometheus image has it)", ctx.vars);
  findTool("tar", "the snapshot is a tar archive", ctx.vars);
  findTool("prometheus", "the drill opens the snapshot in a throwaway Prometheus (copy it from the prometheus image)", ctx.vars);
  mkdirSync(tsdbDir(ctx), { recursive: true });
}

/**
 * The archive extracted by tar as it lands in scratch space. tar's exit status is the verdict: it stops reading at the
 * archive's end-of-archive blocks, before the padding of the last record, so its stdin closing early is no failure.
 */
async function restoreWhileDownloading(ctx: RunContext, artifact: GrowingArtifact): Promise<void> {
  const extract = startTool(findTool("tar", "", ctx.vars), ["-C", tsdbDir(ctx), "-xf", "-"], { stdio: ["pipe", "ignore", "pipe"], what: "tar" });
  const source = artifact.follow();
  let sourceError: unknown;
  // A failed download ends tar, whose failure is then the download's (the drill reports the download's first).
  source.once("error", (e) => {
    sourceError = e;
    extract.stop("SIGKILL");
  });
  source.pipe(extract.child.stdin!);
  const extracted = await extract.exited.then(
    () => true,
    () => false,
  );
  source.destroy();
  if (!extracted) {
    const reason = sourceError instanceof Error ? sourceError.message : "";
    throw new RunError("the snapshot archive does not extract", undefined, { detail: tail(extract.stderr(), 1000) || reason });
  }
}

/** A tool's stdout and stderr together, as the scripts kept them for a failure's detail. */
async function runTogether(path: string, args: string[], what: string): Promise<{ ok: boolean; out: string }> {
  const tool = startTool(path, args, { stdio: ["ignore", "pipe", "pipe"], what });
  let out = "";
  tool.child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  tool.child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const ok = await tool.exited.then(
    () => true,
    () => false,
  );
  return { ok, out };
}

/** promtool tsdb list's rows: BLOCK ULID, MIN TIME, MAX TIME, DURATION, NUM SAMPLES, NUM CHUNKS, NUM SERIES, SIZE. */
const blockRows = (list: string) =>
  list
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 7);

async function restore(ctx: RunContext, path: string, manifest: Manifest): Promise<Counts> {
  const dir = tsdbDir(ctx);
  rmSync(path, { force: true });
  const promtool = findTool("promtool", "", ctx.vars);
  const list = await runTogether(promtool, ["tsdb", "list", dir], "promtool tsdb list");
  if (!list.ok) throw new RunError("promtool tsdb list failed", undefined, { detail: tail(list.out, 1500) });
  const rows = blockRows(list.out);
  const counts: Counts = { blocks: rows.length, series: rows.reduce((s, f) => s + Number(f[6]), 0) };
  // Analyzing blocks and opening them in a server prove nothing more of a snapshot whose counts already differ.
  expectCounts(manifest.counts, counts);
  for (const [block] of rows) {
    const analyze = await runTogether(promtool, ["tsdb", "analyze", dir, block!], "promtool tsdb analyze");
    if (!analyze.ok) throw new RunError(`promtool tsdb analyze failed on block ${block}`, undefined, { detail: tail(analyze.out, 1500) });
  }
  // MAX TIME (ms) of the newest block, as a BigInt: a query there must find series.
  const newest = rows.map((f) => BigInt(f[2]!)).reduce((a, b) => (b > a ? b : a), 0n);
  await prometheusServesSnapshot(ctx, dir, counts.blocks!, newest);
  ctx.log.info("snapshot verified", { blocks: counts.blocks, series: counts.series });
  return counts;
}

/**
 * The restore itself. A throwaway Prometheus (127.0.0.1:PROM_DRILL_PORT, no scrape targets, a retention no block is
 * older than, so none is deleted on start) opens the extracted TSDB; it must load exactly `blocks` blocks (its
 * prometheus_tsdb_blocks_loaded, read before its first compaction a minute after start) and answer a query over the
 * newest block's data.
 */
async function prometheusServesSnapshot(ctx: RunContext, dir: string, blocks: number, newestMs: bigint): Promise<void> {
  const port = ctx.vars.PROM_DRILL_PORT || "9099";
  const url = `http://127.0.0.1:${port}`;
  const config = join(ctx.scratch, "prometheus.yml");
  writeFileSync(config, "global: {}\nscrape_configs: []\n");
  const logFile = join(ctx.scratch, "prometheus.log");
  const log = openSync(logFile, "a");
  let server;
  try {
    server = await startThrowaway(
      findTool("prometheus", "", ctx.vars),
      [`--config.file=${config}`, `--storage.tsdb.path=${dir}`, "--storage.tsdb.retention.time=100y", `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
      {
        what: "the throwaway prometheus",
        stdio: ["ignore", log, log],
        ready: async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(5000) })).ok,
        timeoutMs: Number(ctx.vars.PROM_DRILL_START_SECONDS || 600) * 1000,
        pollMs: 500,
        failure: "the throwaway Prometheus did not open the snapshot",
        logFile,
      },
    );
  } finally {
    closeSync(log);
  }
  try {
    const metrics = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) }).then((r) => (r.ok ? r.text() : ""), () => "");
    const loaded = /^prometheus_tsdb_blocks_loaded (\d+)$/m.exec(metrics)?.[1];
    if (loaded !== String(blocks)) {
      throw new RunError(`RESTORED DATA DIFFERS: the restored Prometheus loaded ${loaded ?? "no"} blocks, the snapshot has ${blocks}`, undefined, { detail: fileTail(logFile) });
    }
    const form = new URLSearchParams({ query: 'count({__name__=~".+"})', time: String(newestMs / 1000n - 1n) });
    const answer = await fetch(`${url}/api/v1/query`, { method: "POST", body: form, signal: AbortSignal.timeout(120_000) }).then((r) => (r.ok ? r.text() : ""), () => "");
    const atEnd = /"value":\[[0-9.]+,"([1-9][0-9]*)"\]/.exec(answer)?.[1];
    if (!atEnd) throw new RunError("RESTORED DATA DIFFERS: the restored Prometheus finds no series at the newest block's end", undefined, { detail: answer.slice(0, 500) });
    ctx.log.info("the restored Prometheus loaded every block and serves them", { blocks: loaded, series_at_end: atEnd });
  } finally {
    await server.stop();
  }
}

export const prometheusSnapshotRuntime: KindRuntime = {
  kind: "prometheus-snapshot",
  artifact: PROMETHEUS_SNAPSHOT_ARTIFACT,
  dump,
  prepareRestore,
  restoreWhileDownloading,
  restore,
};

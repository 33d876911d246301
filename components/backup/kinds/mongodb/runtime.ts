/**
 * MongoDB in the runtime: `mongodump --archive` of the whole deployment the URI reaches, streamed as it writes, with
 * the documents per collection read from its log ("done dumping db.coll (N documents)"). The drill restores the
 * archive with mongorestore into a throwaway mongod (started while the object downloads) and checks the documents
 * restored against the manifest's total: mongorestore reports a total, not one count per collection.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import type { Counts, Dump, DumpInto, KindRuntime, RunContext } from "../../runtime/kind";
import { fileTail } from "../../runtime/throwaway";
import { findTool, runTool, startTool } from "../../runtime/tools";
import { MONGODB_ARTIFACT } from "./artifact";

const DONE_DUMPING = /done dumping (\S+) \((\d+) documents?\)/;

async function dump(ctx: RunContext, into?: DumpInto): Promise<Dump> {
  const mongodump = findTool("mongodump", "use an image with the MongoDB database tools", ctx.vars);
  const uri = ctx.vars.MONGODB_URI;
  if (!uri) throw new ConfigError("MONGODB_URI is required for kind mongodb");
  const args = [`--uri=${uri}`, "--archive", ...(ctx.vars.MONGODUMP_OPLOG === "1" ? ["--oplog"] : [])];
  const tool = startTool(mongodump, args, { stdio: ["ignore", into ?? "pipe", "pipe"], what: "mongodump" });
  // Its log is read as it comes (the tool keeps only the tail of stderr): every collection's line counts.
  const counts: Counts = {};
  let partial = "";
  tool.child.stderr!.on("data", (d: Buffer) => {
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      const m = DONE_DUMPING.exec(line);
      if (m) counts[m[1]!] = Number(m[2]);
    }
  });
  const toolVersion = runTool(mongodump, ["--version"], { what: "mongodump --version" }).then((v) => v.split("\n")[0]!.trim(), () => "mongodump");
  const finished = tool.exited.then(async () => {
    const m = DONE_DUMPING.exec(partial);
    if (m) counts[m[1]!] = Number(m[2]);
    // In the order the scripts wrote them (sorted by name).
    return { counts: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), toolVersion: await toolVersion };
  });
  finished.catch(() => undefined);
  return { ...(into ? {} : { stream: tool.child.stdout! }), finished, abort: () => tool.stop("SIGKILL") };
}

const WHY_MONGOD = "the drill runs a throwaway mongod";
const dbPath = (ctx: RunContext) => join(ctx.scratch, "db");
const drillPort = (ctx: RunContext) => ctx.vars.MONGO_DRILL_PORT || "27099";
const started = new WeakSet<RunContext>();

/** The throwaway mongod (forked, so it answers on its port once this returns) while the archive downloads. */
async function prepareRestore(ctx: RunContext): Promise<void> {
  const mongod = findTool("mongod", WHY_MONGOD, ctx.vars);
  findTool("mongorestore", "use an image with the MongoDB database tools", ctx.vars);
  mkdirSync(dbPath(ctx), { recursive: true });
  const logPath = join(ctx.scratch, "mongod.log");
  try {
    await runTool(mongod, ["--dbpath", dbPath(ctx), "--bind_ip", "127.0.0.1", "--port", drillPort(ctx), "--fork", "--logpath", logPath], { what: "mongod" });
  } catch {
    throw new RunError("the scratch mongod did not start", undefined, { detail: fileTail(logPath) });
  }
  started.add(ctx);
}

async function restore(ctx: RunContext, path: string, manifest: { counts: Counts }): Promise<Counts> {
  const tool = startTool(findTool("mongorestore", "", ctx.vars), [`--uri=mongodb://127.0.0.1:${drillPort(ctx)}`, `--archive=${path}`, "--drop"], {
    stdio: ["ignore", "pipe", "pipe"],
    what: "mongorestore",
  });
  let out = "";
  tool.child.stdout!.on("data", (d: Buffer) => (out = tail(out + d.toString(), 64 * 1024)));
  const ok = await tool.exited.then(
    () => true,
    () => false,
  );
  const said = `${out}${tool.stderr()}`;
  if (!ok) throw new RunError("mongorestore failed", undefined, { detail: tail(said) });
  const last = (re: RegExp) => [...said.matchAll(re)].at(-1)?.[1];
  const restored = last(/[^0-9](\d+) document\(s\) restored successfully/g);
  const failed = last(/ (\d+) document\(s\) failed to restore/g);
  const expected = Object.values(manifest.counts).reduce((s, n) => s + n, 0);
  if (restored !== String(expected) || failed !== "0") {
    throw new RunError(`RESTORED DATA DIFFERS: documents restored ${restored ?? ""} (failed ${failed ?? ""}), expected ${expected}`, undefined, { detail: tail(said, 1000) });
  }
  ctx.log.info("documents match", { documents: expected });
  // mongorestore's total is all it reports, and it equals the manifest's: the per-collection counts stand as dumped.
  return manifest.counts;
}

async function cleanup(ctx: RunContext): Promise<void> {
  if (!started.delete(ctx)) return;
  await runTool(findTool("mongod", WHY_MONGOD, ctx.vars), ["--dbpath", dbPath(ctx), "--shutdown"], { what: "mongod --shutdown" }).catch(() => undefined);
}

export const mongodbRuntime: KindRuntime = { kind: "mongodb", artifact: MONGODB_ARTIFACT, dump, prepareRestore, restore, cleanup };

/**
 * RabbitMQ definitions in the runtime: the export is one GET of the management API's /api/definitions (basic auth,
 * the password from the environment), kept byte for byte, with one count per object kind. The drill is a real
 * restore: the document is imported into a throwaway broker started in scratch space while the object downloads,
 * then the objects that broker holds are counted and compared with the document's. The broker, not a JSON check,
 * says whether the document restores.
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { required } from "../../runtime/config";
import { RunError, tail } from "../../runtime/errors";
import type { Counts, Dump, KindRuntime, RunContext } from "../../runtime/kind";
import { startThrowaway, type ThrowawayServer } from "../../runtime/throwaway";
import { findTool, runTool, startTool } from "../../runtime/tools";
import { RABBITMQ_DEFINITIONS_ARTIFACT } from "./artifact";

/** The object kinds a definitions document lists and the drill counts, in the manifest's order. */
export const COUNTED = ["vhosts", "users", "permissions", "policies", "queues", "exchanges", "bindings"] as const;

const snippet = (text: string, max: number) => text.slice(0, max);

/**
 * GETs the definitions (RABBITMQ_URL, RABBITMQ_USER and RABBITMQ_PASSWORD checked by the caller); the body unchanged,
 * and its counts. Throws the reason as an Error (the caller names the step).
 */
async function exportDefinitions(ctx: RunContext): Promise<{ body: Buffer; counts: Counts }> {
  const url = `${ctx.vars.RABBITMQ_URL!.replace(/\/+$/, "")}/api/definitions`;
  const credentials = `${ctx.vars.RABBITMQ_USER}:${ctx.vars.RABBITMQ_PASSWORD}`;
  const timeoutMs = Number(ctx.vars.HTTP_TIMEOUT_SECONDS || 120) * 1000;
  let response: Response;
  let body: Buffer;
  try {
    response = await fetch(url, {
      headers: { authorization: `Basic ${Buffer.from(credentials).toString("base64")}`, accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = Buffer.from(await response.arrayBuffer());
  } catch (e) {
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new Error(`cannot reach ${url}: ${cause}`);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText} from ${url}: ${snippet(body.toString("utf8"), 500)}`);
  let document: unknown;
  try {
    document = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new Error(`the management API did not return JSON (${e instanceof Error ? e.message : String(e)}): ${snippet(body.toString("utf8"), 300)}`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document) || !("rabbit_version" in document)) {
    throw new Error(`the management API did not return a definitions document: ${snippet(body.toString("utf8"), 300)}`);
  }
  const doc = document as Record<string, unknown>;
  const counts: Counts = {};
  for (const kind of COUNTED) {
    const list = doc[kind] ?? [];
    if (!Array.isArray(list)) throw new Error(`the definitions' ${kind} is not a list`);
    counts[kind] = list.length;
  }
  return { body, counts };
}

async function dump(ctx: RunContext): Promise<Dump> {
  required(ctx.vars, "RABBITMQ_URL", "the management API's base URL");
  required(ctx.vars, "RABBITMQ_USER", "the management API's user");
  required(ctx.vars, "RABBITMQ_PASSWORD", "the management API user's password");
  let exported: { body: Buffer; counts: Counts };
  try {
    exported = await exportDefinitions(ctx);
  } catch (e) {
    throw new RunError("GET /api/definitions failed", undefined, { url: ctx.vars.RABBITMQ_URL, detail: tail(e instanceof Error ? e.message : String(e)) });
  }
  const stream = Readable.from([exported.body]);
  // The export is no tool's output: the manifest names the kind, as the scripts did.
  return { stream, finished: Promise.resolve({ counts: exported.counts, toolVersion: "rabbitmq-definitions" }), abort: () => stream.destroy() };
}

const WHY_BROKER = "the drill imports the definitions into a throwaway broker (use the rabbitmq image)";

/** The throwaway broker of a drill: its own node name, data, logs, config and cookie under scratch space. */
interface Broker {
  server: ThrowawayServer;
  env: NodeJS.ProcessEnv;
  rabbitmqctl: string;
  /** Whether this drill started epmd (none ran before), so it stops it again. */
  startedEpmd: boolean;
  epmd: string;
}

const brokers = new WeakMap<RunContext, Broker>();

/** `rabbitmqctl ARGS` with its stdout; on failure a RunError whose detail is everything it printed. */
async function rabbitmqctl(broker: Pick<Broker, "env" | "rabbitmqctl">, args: string[]): Promise<string> {
  const tool = startTool(broker.rabbitmqctl, args, { env: broker.env, stdio: ["ignore", "pipe", "pipe"], what: `rabbitmqctl ${args[1] ?? args[0]}` });
  let out = "";
  tool.child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  try {
    await tool.exited;
  } catch (e) {
    throw new RunError(e instanceof Error ? e.message : String(e), undefined, { detail: tail(`${out}${tool.stderr()}`) });
  }
  return out;
}

/** `rabbitmqctl list_WHAT` without headers: one object per line, empty lines dropped (some listings print one). */
const list = async (broker: Broker, what: string, ...args: string[]) =>
  (await rabbitmqctl(broker, ["-q", `list_${what}`, "--no-table-headers", ...args])).split("\n").filter((l) => l.length > 0);

async function prepareRestore(ctx: RunContext): Promise<void> {
  const [server, ctl, epmd] = ["rabbitmq-server", "rabbitmqctl", "epmd"].map((t) => findTool(t, WHY_BROKER, ctx.vars)) as [string, string, string];
  const base = join(ctx.scratch, "broker");
  for (const d of ["mnesia", "log", "conf.d"]) mkdirSync(join(base, d), { recursive: true });
  const port = ctx.vars.RABBITMQ_DRILL_PORT || "5672";
  writeFileSync(join(base, "rabbitmq.conf"), `listeners.tcp.default = 127.0.0.1:${port}\n`);
  writeFileSync(join(base, "enabled_plugins"), "[].\n");
  const env: NodeJS.ProcessEnv = {
    ...ctx.vars,
    HOME: base,
    RABBITMQ_NODENAME: `strata-drill-${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: port,
    RABBITMQ_MNESIA_BASE: join(base, "mnesia"),
    RABBITMQ_LOG_BASE: join(base, "log"),
    RABBITMQ_CONFIG_FILE: join(base, "rabbitmq.conf"),
    RABBITMQ_CONFIG_FILES: join(base, "conf.d"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, "enabled_plugins"),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    ERL_CRASH_DUMP: join(base, "erl_crash.dump"),
    // The distribution port: RabbitMQ's default is the AMQP port + 20000.
    ...(ctx.vars.RABBITMQ_DRILL_DIST_PORT ? { RABBITMQ_DIST_PORT: ctx.vars.RABBITMQ_DRILL_DIST_PORT } : {}),
  };
  const startedEpmd = await runTool(epmd, ["-names"], { env, what: "epmd -names" }).then(
    () => false,
    () => true,
  );
  const serverOut = join(base, "server.out");
  const out = openSync(serverOut, "a");
  const probe = { env, rabbitmqctl: ctl };
  let throwaway: ThrowawayServer;
  try {
    throwaway = await startThrowaway(server, [], {
      what: "the throwaway rabbitmq-server",
      env,
      stdio: ["ignore", out, out],
      ready: () => rabbitmqctl(probe, ["-q", "await_startup", "--timeout", "10"]).then(() => true),
      timeoutMs: Number(ctx.vars.RABBITMQ_DRILL_START_SECONDS || 180) * 1000,
      pollMs: 500,
      failure: "the throwaway broker did not start",
      logFile: serverOut,
    });
  } catch (e) {
    if (startedEpmd) await runTool(epmd, ["-kill"], { env, what: "epmd -kill" }).catch(() => undefined);
    throw e;
  } finally {
    closeSync(out);
  }
  const broker: Broker = { server: throwaway, env, rabbitmqctl: ctl, startedEpmd, epmd };
  brokers.set(ctx, broker);
  ctx.log.info("throwaway broker started, importing the definitions");
  // It starts empty of anything of ours: its default user and vhost go first. list_users prints "name<TAB>[tags]";
  // user names cannot hold a tab.
  for (const line of await list(broker, "users")) await rabbitmqctl(broker, ["-q", "delete_user", line.split("\t")[0]!]);
  for (const vhost of await list(broker, "vhosts", "name")) await rabbitmqctl(broker, ["-q", "delete_vhost", vhost]);
}

async function restore(ctx: RunContext, path: string): Promise<Counts> {
  const broker = brokers.get(ctx);
  if (!broker) throw new RunError("the throwaway broker is not running");
  try {
    await rabbitmqctl(broker, ["-q", "import_definitions", path]);
  } catch (e) {
    throw new RunError("RESTORED DATA DIFFERS: the broker rejected the definitions", undefined, { detail: e instanceof RunError ? e.fields.detail : String(e) });
  }
  const vhosts = await list(broker, "vhosts", "name");
  const counts: Counts = { vhosts: vhosts.length, users: (await list(broker, "users")).length, permissions: 0, policies: 0, queues: 0, exchanges: 0, bindings: 0 };
  for (const v of vhosts) {
    counts.permissions! += (await list(broker, "permissions", "-p", v)).length;
    counts.policies! += (await list(broker, "policies", "-p", v)).length;
    counts.queues! += (await list(broker, "queues", "-p", v, "name")).length;
    // A definitions export leaves out what every vhost has anyway: the default exchange, the amq.* exchanges, and the
    // default exchange's implicit binding to every queue (its source is the empty name).
    counts.exchanges! += (await list(broker, "exchanges", "-p", v, "name")).filter((name) => !name.startsWith("amq.")).length;
    counts.bindings! += (await list(broker, "bindings", "-p", v, "source_name", "destination_name")).filter((l) => l.split("\t")[0] !== "").length;
  }
  return counts;
}

/** A clean shutdown (60 s at most), else the process is ended; epmd too when this drill started it. */
async function cleanup(ctx: RunContext): Promise<void> {
  const broker = brokers.get(ctx);
  if (!broker) return;
  brokers.delete(ctx);
  if (broker.server.running()) {
    const shutdown = rabbitmqctl(broker, ["-q", "shutdown"]);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 60_000).unref());
    await Promise.race([shutdown, timeout]).catch(() => undefined);
    await broker.server.stop();
  }
  if (broker.startedEpmd) await runTool(broker.epmd, ["-kill"], { env: broker.env, what: "epmd -kill" }).catch(() => undefined);
}

export const rabbitmqDefinitionsRuntime: KindRuntime = { kind: "rabbitmq-definitions", artifact: RABBITMQ_DEFINITIONS_ARTIFACT, dump, prepareRestore, restore, cleanup };

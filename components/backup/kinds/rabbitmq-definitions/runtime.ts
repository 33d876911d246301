/**
 * RabbitMQ definitions in the runtime. The backup GETs the management API's /api/definitions with basic auth (the
 * password from the environment, never argv), checks it is a definitions document, stores its bytes unchanged and
 * counts its objects. The drill is a real restore: the document is imported into a throwaway broker started in scratch
 * space (its own node name, data, logs, config and cookie; AMQP on 127.0.0.1 only, no plugins), which starts empty of
 * anything of ours (its default user and vhost are deleted first); then the objects the broker holds are counted and
 * compared with the backup's counts. The broker, not a JSON check, says whether the document restores.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ConfigError, RunError, tail } from "../../runtime/errors";
import type { Counts, Dump, KindRuntime, RunContext } from "../../runtime/kind";
import { findTool, runTool, startTool, type Tool } from "../../runtime/tools";
import { RABBITMQ_DEFINITIONS_ARTIFACT } from "./artifact";

/** The object kinds a definitions document lists, and the drill counts in the broker. */
export const COUNTED = ["vhosts", "users", "permissions", "policies", "queues", "exchanges", "bindings"] as const;

/** A definitions document's counts; throws naming what is wrong with it. */
export function definitionCounts(body: Buffer): Counts {
  let document: unknown;
  try {
    document = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new Error(`the management API did not return JSON (${e instanceof Error ? e.message : String(e)}): ${body.subarray(0, 300).toString()}`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document) || !("rabbit_version" in document)) {
    throw new Error(`the management API did not return a definitions document: ${body.subarray(0, 300).toString()}`);
  }
  const counts: Counts = {};
  for (const kind of COUNTED) {
    const list = (document as Record<string, unknown>)[kind] ?? [];
    if (!Array.isArray(list)) throw new Error(`the definitions' ${kind} is not a list`);
    counts[kind] = list.length;
  }
  return counts;
}

async function dump(ctx: RunContext): Promise<Dump> {
  const { RABBITMQ_URL: base, RABBITMQ_USER: user, RABBITMQ_PASSWORD: password } = ctx.vars;
  if (!base) throw new ConfigError("RABBITMQ_URL (the management API's base URL) is required");
  if (!user) throw new ConfigError("RABBITMQ_USER is required");
  if (!password) throw new ConfigError("RABBITMQ_PASSWORD is required");
  const url = `${base.replace(/\/+$/, "")}/api/definitions`;
  const timeoutMs = Number(ctx.vars.HTTP_TIMEOUT_SECONDS ?? 120) * 1000;
  let body: Buffer;
  try {
    const res = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`, Accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
    body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw new RunError("GET /api/definitions failed", undefined, { url: base, detail: `HTTP ${res.status} ${res.statusText} from ${url}: ${body.subarray(0, 500).toString()}` });
  } catch (e) {
    if (e instanceof RunError) throw e;
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
    throw new RunError("GET /api/definitions failed", undefined, { url: base, detail: `cannot reach ${url}: ${cause}` });
  }
  let counts: Counts;
  try {
    counts = definitionCounts(body);
  } catch (e) {
    throw new RunError("GET /api/definitions failed", undefined, { url: base, detail: e instanceof Error ? e.message : String(e) });
  }
  return { stream: Readable.from([body]), finished: Promise.resolve({ counts, toolVersion: "rabbitmq-definitions" }), abort: () => undefined };
}

interface Broker {
  env: NodeJS.ProcessEnv;
  server: Tool;
  ctl: string;
  /** Whether this drill started epmd (it outlives the node), so that it stops only its own. */
  ownEpmd: boolean;
}

const brokers = new WeakMap<RunContext, Broker>();

/** `rabbitmqctl -q <args>`: its stdin is closed (the CLI reads it). */
const ctl = (b: Broker, args: string[]) => runTool(b.ctl, ["-q", ...args], { env: b.env, stdio: ["ignore", "pipe", "pipe"], what: "rabbitmqctl" });
/** `rabbitmqctl list_WHAT` without headers: one object per non-empty line. */
const list = async (b: Broker, what: string, ...args: string[]) => (await ctl(b, [`list_${what}`, "--no-table-headers", ...args])).split("\n").filter((l) => l.length > 0);

async function restore(ctx: RunContext, path: string): Promise<Counts> {
  const why = "the drill imports the definitions into a throwaway broker (use the rabbitmq image)";
  const [server, ctlPath, epmd] = [findTool("rabbitmq-server", why, ctx.vars), findTool("rabbitmqctl", why, ctx.vars), findTool("epmd", why, ctx.vars)];
  const base = join(ctx.scratch, "broker");
  for (const d of ["mnesia", "log", "conf.d"]) mkdirSync(join(base, d), { recursive: true });
  const port = ctx.vars.RABBITMQ_DRILL_PORT ?? "5672";
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
  const ownEpmd = await runTool(epmd, ["-names"], { env }).then(() => false, () => true);
  const b: Broker = { env, ctl: ctlPath, ownEpmd, server: startTool(server, [], { env, stdio: ["ignore", "pipe", "pipe"], what: "rabbitmq-server" }) };
  let out = "";
  b.server.child.stdout!.on("data", (d: Buffer) => (out = tail(out + d.toString(), 4000)));
  brokers.set(ctx, b);
  const deadline = Date.now() + Number(ctx.vars.RABBITMQ_DRILL_START_SECONDS ?? 180) * 1000;
  for (;;) {
    if (await ctl(b, ["await_startup", "--timeout", "10"]).then(() => true, () => false)) break;
    if (b.server.child.exitCode !== null || Date.now() >= deadline) throw new RunError("the throwaway broker did not start", undefined, { detail: tail(out + b.server.stderr(), 1500) });
    await new Promise((r) => setTimeout(r, 500));
  }
  ctx.log.info("throwaway broker started, importing the definitions");
  // list_users prints "name<TAB>[tags]"; user names cannot hold a tab.
  for (const line of await list(b, "users")) await ctl(b, ["delete_user", line.split("\t")[0]!]);
  for (const vhost of await list(b, "vhosts", "name")) await ctl(b, ["delete_vhost", vhost]);
  try {
    await ctl(b, ["import_definitions", path]);
  } catch (e) {
    throw new RunError("RESTORED DATA DIFFERS: the broker rejected the definitions", undefined, { detail: e instanceof RunError ? String(e.fields.detail ?? "") : String(e) });
  }
  const vhosts = await list(b, "vhosts", "name");
  const counts: Counts = { vhosts: vhosts.length, users: (await list(b, "users")).length, permissions: 0, policies: 0, queues: 0, exchanges: 0, bindings: 0 };
  for (const v of vhosts) {
    counts.permissions! += (await list(b, "permissions", "-p", v)).length;
    counts.policies! += (await list(b, "policies", "-p", v)).length;
    counts.queues! += (await list(b, "queues", "-p", v, "name")).length;
    // A definitions export leaves out what every vhost has anyway: the default exchange, the amq.* exchanges, and
    // the default exchange's implicit binding to every queue (its source is the empty name).
    counts.exchanges! += (await list(b, "exchanges", "-p", v, "name")).filter((n) => !n.startsWith("amq.")).length;
    counts.bindings! += (await list(b, "bindings", "-p", v, "source_name", "destination_name")).filter((l) => !l.startsWith("\t")).length;
  }
  return counts;
}

async function cleanup(ctx: RunContext): Promise<void> {
  const b = brokers.get(ctx);
  if (!b) return;
  if (b.server.child.exitCode === null) {
    const stopped = await runTool(b.ctl, ["-q", "shutdown"], { env: b.env, stdio: ["ignore", "ignore", "ignore"], timeout: 60_000 }).then(() => true, () => false);
    if (!stopped) b.server.stop("SIGKILL");
    await b.server.exited.catch(() => undefined);
  }
  // epmd outlives the node; only the one this drill started is stopped.
  if (b.ownEpmd) await runTool(findTool("epmd", "", ctx.vars), ["-kill"], { env: b.env, stdio: ["ignore", "ignore", "ignore"] }).catch(() => undefined);
}

export const rabbitmqDefinitionsRuntime: KindRuntime = { kind: "rabbitmq-definitions", artifact: RABBITMQ_DEFINITIONS_ARTIFACT, dump, restore, cleanup };

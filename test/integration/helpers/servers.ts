/**
 * Real servers on 127.0.0.1 for the backup integration suites: PostgreSQL 15, the Prometheus Pushgateway, Prometheus,
 * and s3rver (in a child process, so it can be SIGKILLed mid-upload and so our own event loop never serves it).
 * Every server binds an ephemeral port the OS handed out, has a bounded start-up wait, and is stopped by `stop()`.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const REPO = resolve(__dirname, "../../..");
const IS_ROOT = process.getuid?.() === 0;

/** A temp dir other users can traverse (PostgreSQL runs as `postgres` when we are root). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `strata-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

async function httpOk(url: string): Promise<boolean> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return r.ok;
}

function killTree(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM"): void {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, signal);
    } catch {
      /* gone */
    }
  }
}

async function waitExit(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([new Promise((r) => child.once("exit", r)), sleep(timeoutMs)]);
  killTree(child, "SIGKILL");
}

/**
 * Starts a server on a free port of 127.0.0.1 and waits until it is ready. Another process can take the port between
 * freePort() and the server's bind, so each of up to five attempts takes a new one.
 */
async function spawnOnFreePort(what: string, start: (port: number) => ChildProcess, ready: (port: number) => Promise<boolean>, timeoutMs: number): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = start(port);
    try {
      await waitFor(what, () => ready(port), timeoutMs);
      return { child, port };
    } catch {
      killTree(child, "SIGKILL");
      await waitExit(child);
    }
  }
  throw new Error(`${what} did not start`);
}

// --- PostgreSQL -----------------------------------------------------------------------------------------------------

export interface Postgres {
  port: number;
  password: string;
  dir: string;
  /** psql as the superuser over TCP with the password; returns stdout. */
  psql(db: string, sql: string): string;
  stop(): Promise<void>;
}

function asPg(cmd: string, args: string[], opts: { input?: string } = {}) {
  const full = IS_ROOT ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", cmd, ...args]] as const : [cmd, args] as const;
  const r = spawnSync(full[0], [...full[1]], { encoding: "utf8", input: opts.input, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export async function startPostgres(): Promise<Postgres> {
  const dir = tempDir("pg");
  const data = join(dir, "data");
  const password = "s3cret-Pa55";
  writeFileSync(join(dir, "pwfile"), password + "\n");
  if (IS_ROOT) spawnSync("chown", ["-R", "postgres:postgres", dir]);
  // scram-sha-256 over TCP: a wrong password is a real authentication failure.
  asPg(`${PG_BIN}/initdb`, ["-D", data, "-U", "postgres", "--pwfile", join(dir, "pwfile"), "-A", "scram-sha-256", "--no-sync", "-E", "UTF8"]);
  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      asPg(`${PG_BIN}/pg_ctl`, [
        "-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60",
        "-o", `-c listen_addresses=127.0.0.1 -c port=${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        "start",
      ]);
      const pg: Postgres = {
        port,
        password,
        dir,
        psql(db, sql) {
          const r = spawnSync(`${PG_BIN}/psql`, ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", db], {
            encoding: "utf8",
            input: sql,
            env: { ...process.env, PGPASSWORD: password },
            timeout: 600_000,
            maxBuffer: 64 << 20,
          });
          if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
          return r.stdout;
        },
        async stop() {
          try {
            asPg(`${PG_BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"]);
          } catch {
            /* already down */
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
      return pg;
    } catch (e) {
      lastErr = e; // port taken between freePort() and bind: try another
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastErr;
}

// --- s3rver (child process) -----------------------------------------------------------------------------------------

export interface S3 {
  port: number;
  dir: string;
  endpoint: string;
  bucket: string;
  /** The file s3rver keeps an object's bytes in. */
  objectPath(key: string): string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const S3RVER_CHILD = `
const S3rver = require(${JSON.stringify(join(REPO, "node_modules/s3rver"))});
const [port, directory, bucket] = process.argv.slice(1);
new S3rver({ port: Number(port), address: "127.0.0.1", silent: true, directory, configureBuckets: [{ name: bucket }] })
  .run().then(() => process.stdout.write("ready\\n"), (e) => { console.error(e); process.exit(1); });
`;

export async function startS3(bucket = "strata-backups"): Promise<S3> {
  const dir = tempDir("s3");
  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async (fixedPort?: number) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      port = fixedPort ?? (await freePort());
      child = spawn(process.execPath, ["-e", S3RVER_CHILD, String(port), dir, bucket], { stdio: ["ignore", "pipe", "pipe"] });
      const c = child;
      const ok = await new Promise<boolean>((res) => {
        const timer = setTimeout(() => res(false), 20_000);
        c.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && (clearTimeout(timer), res(true)));
        c.once("exit", () => (clearTimeout(timer), res(false)));
      });
      if (ok) return;
      killTree(c, "SIGKILL");
      await sleep(200);
    }
    throw new Error("s3rver did not start");
  };
  await launch();
  const s3: S3 = {
    get port() {
      return port;
    },
    dir,
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    bucket,
    objectPath(key: string) {
      const parts = key.split("/");
      const last = parts.pop()!;
      return join(dir, bucket, ...parts, `${last}._S3rver_object`);
    },
    async kill() {
      if (child) {
        killTree(child, "SIGKILL");
        await waitExit(child);
      }
    },
    async restart() {
      await s3.kill();
      await launch(port);
    },
    async stop() {
      await s3.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return s3;
}

// --- Pushgateway ----------------------------------------------------------------------------------------------------

export interface Pushgateway {
  url: string;
  /** Current samples as { "name{labels}": value } for one job. */
  samples(job: string): Promise<Record<string, number>>;
  value(job: string, name: string, kind: string, target: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startPushgateway(): Promise<Pushgateway> {
  const { child, port } = await spawnOnFreePort(
    "pushgateway",
    (p) => spawn("/usr/bin/prometheus-pushgateway", [`--web.listen-address=127.0.0.1:${p}`, "--log.level=warn"], { stdio: "ignore" }),
    (p) => httpOk(`http://127.0.0.1:${p}/-/ready`),
    15_000,
  );
  const url = `http://127.0.0.1:${port}`;
  const samples = async (job: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const line of text.split("\n")) {
      if (line.startsWith("#") || !line.includes(`job="${job}"`)) continue;
      const m = /^(\S+?)(\{.*\})\s+(\S+)$/.exec(line);
      if (m) out[m[1]! + m[2]!] = Number(m[3]);
    }
    return out;
  };
  return {
    url,
    samples,
    async value(job, name, kind, target) {
      const all = await samples(job);
      for (const [k, v] of Object.entries(all)) {
        if (k.startsWith(name + "{") && k.includes(`kind="${kind}"`) && k.includes(`target="${target}"`)) return v;
      }
      return undefined;
    },
    async stop() {
      killTree(child);
      await waitExit(child);
    },
  };
}

// --- Prometheus -----------------------------------------------------------------------------------------------------

export interface Prometheus {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * `dataDir`: run on an existing TSDB directory (a carried-over volume) and leave it in place on stop; by default a
 * fresh one under a temporary directory that stop() removes.
 */
export async function startPrometheus(opts: { dataDir?: string } = {}): Promise<Prometheus> {
  const dir = tempDir("prom");
  const dataDir = opts.dataDir ?? join(dir, "data");
  mkdirSync(dataDir, { recursive: true });
  let started;
  try {
    started = await spawnOnFreePort(
      "prometheus",
      (port) => {
        writeFileSync(
          join(dir, "prometheus.yml"),
          `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`,
        );
        return spawn(
          "/usr/bin/prometheus",
          [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, "--web.enable-admin-api", "--log.level=warn"],
          { stdio: "ignore" },
        );
      },
      (port) => httpOk(`http://127.0.0.1:${port}/-/ready`),
      30_000,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { child, port } = started;
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      killTree(child);
      await waitExit(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


// --- RabbitMQ (Debian's rabbitmq-server, management plugin) ---------------------------------------------------------

/** Where Debian puts RabbitMQ's own scripts (/usr/sbin's wrappers would switch to the rabbitmq user). */
export const RABBITMQ_BIN = "/usr/lib/rabbitmq/bin";

export interface RabbitMQ {
  /** Management API base URL. */
  url: string;
  user: string;
  password: string;
  /** The broker's environment for rabbitmqctl (node name, cookie home, epmd port). */
  env: Record<string, string>;
  /** The private epmd port: drills of this suite register their throwaway nodes there too. */
  epmdPort: number;
  /** Calls the management API as the admin user; throws unless 2xx. */
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Stops the broker (the management API refuses connections), keeping epmd and the data for `start()`. */
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One broker per suite on 127.0.0.1: its own node name, data, logs, config, cookie (HOME) and a private epmd port,
 * AMQP and the management listener on ports the OS handed out. Erlang takes seconds to start: the wait is bounded.
 */
export async function startRabbitMQ(): Promise<RabbitMQ> {
  const dir = tempDir("rabbitmq");
  const user = "admin";
  const password = 's3cret"Pa55';
  const [amqpPort, mgmtPort, epmdPort, distPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, "rabbitmq.conf"),
    [
      `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
      "management.tcp.ip = 127.0.0.1",
      `management.tcp.port = ${mgmtPort}`,
      `default_user = ${user}`,
      `default_pass = ${password}`,
      "loopback_users = none",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "enabled_plugins"), "[rabbitmq_management].\n");
  mkdirSync(join(dir, "conf.d"));
  const env: Record<string, string> = {
    PATH: `${RABBITMQ_BIN}:/usr/bin:/bin:/usr/sbin:/sbin`,
    HOME: dir,
    LANG: "C.UTF-8",
    RABBITMQ_NODENAME: `strata-test-${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
    RABBITMQ_CONFIG_FILES: join(dir, "conf.d"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    ERL_EPMD_PORT: String(epmdPort),
    ERL_CRASH_DUMP: join(dir, "erl_crash.dump"),
  };
  const url = `http://127.0.0.1:${mgmtPort}`;
  const auth = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
  let child: ChildProcess | undefined;
  const ctl = (...args: string[]) => spawnSync(join(RABBITMQ_BIN, "rabbitmqctl"), args, { env, encoding: "utf8", timeout: 60_000 });
  const start = async () => {
    child = spawn(join(RABBITMQ_BIN, "rabbitmq-server"), [], { env, stdio: "ignore" });
    await waitFor("rabbitmq management API", async () => (await fetch(`${url}/api/overview`, { headers: { authorization: auth }, signal: AbortSignal.timeout(2000) })).ok, 90_000);
  };
  const halt = async () => {
    ctl("-q", "stop");
    if (child) {
      killTree(child);
      await waitExit(child, 30_000);
    }
  };
  try {
    await start();
  } catch (e) {
    await halt();
    spawnSync("epmd", ["-kill"], { env });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    user,
    password,
    env,
    epmdPort,
    async api(method, path, body) {
      const r = await fetch(`${url}/api${path}`, {
        method,
        headers: { authorization: auth, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    halt,
    start,
    async stop() {
      await halt();
      // The epmd this broker started on the suite's private port (no other node uses that port).
      spawnSync("epmd", ["-kill"], { env, timeout: 10_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- Valkey (Debian's redis-server 7, which speaks the same protocol and RDB format) -------------------------------

export interface Valkey {
  port: number;
  password: string;
  /** redis-cli as the default user; returns stdout. */
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

export async function startValkey(): Promise<Valkey> {
  const dir = tempDir("valkey");
  const password = "v4lkey-Pa55";
  const cliOn =
    (port: number) =>
    (...args: string[]) => {
      const r = spawnSync("/usr/bin/redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--no-auth-warning", ...args], {
        encoding: "utf8",
        env: { ...process.env, REDISCLI_AUTH: password },
        timeout: 60_000,
        maxBuffer: 64 << 20,
      });
      if (r.status !== 0 || /^(ERR|WRONGPASS|NOAUTH)/m.test(r.stdout)) throw new Error(`redis-cli ${args.join(" ")} failed: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
  let started;
  try {
    started = await spawnOnFreePort(
      "redis-server",
      (port) =>
        spawn(
          "/usr/bin/redis-server",
          ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--requirepass", password, "--save", "", "--appendonly", "no", "--databases", "16", "--loglevel", "warning",
            // A replica's (and `--rdb`'s) snapshot starts at once, not after the default 5 s wait for more replicas.
            "--repl-diskless-sync-delay", "0"],
          { stdio: "ignore" },
        ),
      async (port) => cliOn(port)("PING").trim() === "PONG",
      15_000,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { child, port } = started;
  return {
    port,
    password,
    cli: cliOn(port),
    async stop() {
      killTree(child);
      await waitExit(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- proxies in front of s3rver -------------------------------------------------------------------------------------

export interface Proxy {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 that passes each request through to 127.0.0.1:`port()` (the port may change when the
 * server restarts), unless `before` answered it itself (returned true); `before` may also hold a request (await).
 */
export async function s3Proxy(port: () => number, before: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean> = () => false): Promise<Proxy> {
  const server = createHttpServer(async (req, res) => {
    if (await before(req, res)) return;
    const upstream = httpRequest({ host: "127.0.0.1", port: port(), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const proxyPort = typeof addr === "object" && addr ? addr.port : 0;
  return { endpoint: `http://127.0.0.1:${proxyPort}`, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Passes every request through and records its method, path and headers, in order. */
export async function recordingProxy(port: () => number): Promise<Proxy & { requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const proxy = await s3Proxy(port, (req) => (requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers }), false));
  return { ...proxy, requests };
}

/**
 * Passes every request through, except that a request `hold` matches waits until `release()` is called, and a
 * server-side CopyObject is refused as a store without it refuses it (501 NotImplemented); counts both.
 */
export async function holdingProxy(port: () => number, hold: (method: string, path: string) => boolean): Promise<Proxy & { held: () => number; copiesRefused: () => number; release: () => void }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held = 0;
  let copiesRefused = 0;
  const proxy = await s3Proxy(port, async (req, res) => {
    if (req.headers["x-amz-copy-source"]) {
      copiesRefused++;
      res.writeHead(501, { "content-type": "application/xml" });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>CopyObject is not implemented</Message></Error>');
      return true;
    }
    if (hold(req.method ?? "", req.url ?? "")) {
      held++;
      await gate;
    }
    return false;
  });
  return { ...proxy, held: () => held, copiesRefused: () => copiesRefused, release };
}

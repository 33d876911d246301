/**
 * The runbooks' copy-pasteable steps, run for real where they can be: fenced ```bash blocks whose first line is
 * `# runbook-test: <name>` are concatenated per name (in file order) and run by bash against a real PostgreSQL (initdb
 * in a temp dir, a free port on 127.0.0.1) and s3rver on 127.0.0.1, seeded in the exact object layout of the archive
 * (components/backup/runtime/README.md, "Objects in the bucket"): a real `pg_dump -Fc | zstd` and the manifest computed here.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../infra/plan/stackFile";
import { startRabbitMQ, type RabbitMQ } from "./integration/helpers/servers";
import { ageRecipientOf, ENCRYPTION_MANIFEST_FIELDS as ENC } from "../components/backup/encryption";
import { OTHER_AGE_IDENTITY, TEST_AGE_IDENTITY } from "./helpers/ageIdentity";

const RUNBOOKS = join(PROJECT_DIR, "docs", "runbooks");
const PG_BIN = "/usr/lib/postgresql/15/bin";
const AWS_V2 = "/usr/bin/aws";
const IS_ROOT = process.getuid?.() === 0;

/** `# runbook-test: <name>` blocks of one Markdown file, by name, in order. */
export function runbookTests(markdown: string): Map<string, string[]> {
  const tests = new Map<string, string[]>();
  for (const m of markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)) {
    const body = m[1]!;
    const name = /^# runbook-test: ([a-z0-9-]+)\s*$/m.exec(body.split("\n")[0]!)?.[1];
    if (name) tests.set(name, [...(tests.get(name) ?? []), body]);
  }
  return tests;
}

describe("runbooks", () => {
  const files = readdirSync(RUNBOOKS).filter((f) => f.endsWith(".md"));
  it("are each linked from the README's Runbooks list", () => {
    const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Runbooks"));
    for (const f of files) expect(section, f).toContain(`(docs/runbooks/${f})`);
  });
  it("set their shell variables at the top: every bash block that reads $BUCKET or $TARGET comes after one that sets it", () => {
    for (const f of files) {
      const text = readFileSync(join(RUNBOOKS, f), "utf8");
      for (const v of ["BUCKET", "TARGET"]) {
        const set = text.search(new RegExp(`^${v}=`, "m"));
        const used = text.search(new RegExp(`\\$\\{?${v}\\b`));
        if (used >= 0) expect(set, `${f}: $${v} used before it is set`).toBeGreaterThanOrEqual(0);
        if (used >= 0) expect(set, `${f}: $${v} used before it is set`).toBeLessThan(used);
      }
    }
  });
});

// --- servers ---------------------------------------------------------------------------------------------------------

interface S3rver {
  endpoint: string;
  stop(): Promise<void>;
}

/** s3rver in a child process on an ephemeral port of 127.0.0.1 (so our own event loop never serves it). */
async function startS3rver(directory: string, bucket: string): Promise<S3rver> {
  const code = `
const S3rver = require(${JSON.stringify(join(PROJECT_DIR, "node_modules", "s3rver"))});
new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: process.argv[1], configureBuckets: [{ name: process.argv[2] }] })
  .run().then((a) => process.stdout.write("ready " + a.port + "\\n"), (e) => { console.error(e); process.exit(1); });`;
  const child: ChildProcess = spawn(process.execPath, ["-e", code, directory, bucket], { stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("s3rver did not start within 20s")), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) (clearTimeout(timer), resolve(Number(m[1])));
    });
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`s3rver exited ${code}`))));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Runs the `name` blocks of a runbook as one bash script; background jobs it leaves (on failure) are killed. */
function runRunbook(file: string, name: string, env: NodeJS.ProcessEnv, cwd: string) {
  const blocks = runbookTests(readFileSync(join(RUNBOOKS, file), "utf8")).get(name);
  if (!blocks) throw new Error(`${file} has no runbook-test ${name}`);
  const script = `set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n${blocks.join("\n")}`;
  return spawnSync("bash", ["-c", script], { encoding: "utf8", env, timeout: 120_000, cwd });
}

const tools = [`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, AWS_V2, "/usr/bin/zstd", "/usr/bin/jq", "/usr/bin/sqlite3", "/usr/bin/age"];
const missing = [...tools, "/usr/bin/prometheus", "/usr/bin/promtool", "/usr/bin/redis-server", "/usr/bin/redis-cli"].filter((t) => !existsSync(t));

// A missing tool is a broken install, not a reason to skip: say so, like the other suites that run real tools.
describe("the tools the runbook tests run", () => {
  it("are installed (bash scripts/setup.sh)", () => expect(missing).toEqual([]));
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; asPostgres?: boolean; timeout?: number } = {}) {
  const [c, a] = opts.asPostgres && IS_ROOT ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { encoding: "utf8", env: opts.env ?? process.env, input: opts.input, timeout: opts.timeout ?? 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}${r.error ?? ""}`);
  return r.stdout;
}

describe("runbook: restore PostgreSQL from a chosen day (real PostgreSQL, s3rver, AWS CLI v2)", () => {
  const root = mkdtempSync(join(tmpdir(), "strata-runbooks-"));
  const bucket = "strata-backups";
  const target = "app-db";
  let s3rver: S3rver | undefined;
  let endpoint = "";
  let pgPort = 0;
  const pgData = join(root, "pg");
  const bin = join(root, "bin");
  let env: NodeJS.ProcessEnv = {};
  const expected: Record<string, Record<string, number>> = {};

  const psql = (db: string, sql: string) => run(`${PG_BIN}/psql`, ["-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], { env }).trim();
  const aws = (...args: string[]) => run(AWS_V2, ["--endpoint-url", endpoint, ...args], { env });

  /**
   * One backup as the shell scripts wrote it: object with x-amz-meta-sha256, then its manifest; `encrypt`: as with
   * AGE_RECIPIENT set (the recipient of TEST_AGE_IDENTITY), ciphertext under `.age` and the encryption fields.
   */
  function writeBackup(day: string, stamp: string, counts: Record<string, number>, corrupt = false, encrypt = false) {
    const plain = join(root, `${stamp}.pgdump.zst`);
    run("bash", ["-o", "pipefail", "-c", `${PG_BIN}/pg_dump -Fc -Z0 -d app | zstd -q -1 -o '${plain}'`], { env });
    const plainBytes = readFileSync(plain);
    const dump = encrypt ? `${plain}.age` : plain;
    if (encrypt) run("age", ["-r", ageRecipientOf(TEST_AGE_IDENTITY), "-o", dump, plain]);
    const bytes = readFileSync(dump);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const key = `postgresql/${target}/${day}/${target}-${stamp}.pgdump.zst${encrypt ? ".age" : ""}`;
    const encryption = encrypt
      ? {
          [ENC.encryption]: "age",
          [ENC.recipientSha256]: createHash("sha256").update(ageRecipientOf(TEST_AGE_IDENTITY)).digest("hex"),
          [ENC.plaintextSha256]: createHash("sha256").update(plainBytes).digest("hex"),
          [ENC.plaintextSize]: plainBytes.length,
        }
      : {};
    if (corrupt) writeFileSync(dump, Buffer.concat([bytes.subarray(0, bytes.length - 8), Buffer.alloc(8)]));
    aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", dump, "--metadata", `sha256=${sha256}`, "--output", "text", "--query", "ETag");
    const manifest = {
      schema: 1,
      kind: "postgresql",
      target,
      bucket,
      key,
      manifest_key: `${key}.manifest.json`,
      sha256,
      size_bytes: bytes.length,
      ...encryption,
      compression: "zstd",
      format: "pg_dump-custom",
      tool_version: run(`${PG_BIN}/pg_dump`, ["--version"]).trim(),
      started_epoch: 1795200000,
      started_at: "2026-11-20T02:00:00Z",
      uploaded_epoch: 1795200060,
      counts,
    };
    const file = join(root, `${stamp}.manifest.json`);
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    aws("s3api", "put-object", "--bucket", bucket, "--key", `${key}.manifest.json`, "--body", file, "--content-type", "application/json", "--output", "text", "--query", "ETag");
    return key;
  }

  const runbook = (file: string, name: string, vars: Record<string, string>) => runRunbook(file, name, { ...env, ...vars }, root);

  beforeAll(async () => {
    // AWS CLI v2 first on PATH (the machine may have a v1 `aws` elsewhere), then the PostgreSQL 15 client tools.
    mkdirSync(bin);
    symlinkSync(AWS_V2, join(bin, "aws"));
    chmodSync(root, 0o755);

    mkdirSync(join(root, "s3"));
    s3rver = await startS3rver(join(root, "s3"), bucket);
    endpoint = s3rver.endpoint;

    // PostgreSQL: initdb (as the postgres user when we are root), trust on loopback only, a free port.
    mkdirSync(pgData);
    if (IS_ROOT) run("chown", ["postgres:postgres", pgData]);
    run(`${PG_BIN}/initdb`, ["-D", pgData, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"], { asPostgres: true });
    pgPort = await freePort();
    run(`${PG_BIN}/pg_ctl`, ["-D", pgData, "-w", "-t", "30", "-l", join(pgData, "log"), "-o", `-p ${pgPort} -k ${pgData} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"], { asPostgres: true });

    env = {
      PATH: `${bin}:${PG_BIN}:/usr/bin:/bin`,
      HOME: root,
      LANG: "C.UTF-8",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      PGHOST: "127.0.0.1",
      PGPORT: String(pgPort),
      PGUSER: "postgres",
      PGDATABASE: "postgres",
    };

    // The source database, backed up on two days with different contents, and a damaged backup on a third.
    psql("postgres", "CREATE DATABASE app");
    psql("app", "CREATE TABLE accounts (id int PRIMARY KEY, name text); CREATE TABLE events (id bigserial PRIMARY KEY, account int REFERENCES accounts, at timestamptz DEFAULT now()); CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int PRIMARY KEY, total numeric)");
    psql("app", "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 1000) g; INSERT INTO events (account) SELECT 1 + g % 1000 FROM generate_series(1, 3000) g; INSERT INTO billing.invoices SELECT g, g * 1.5 FROM generate_series(1, 250) g");
    expected["2026/11/19"] = { "billing.invoices": 250, "public.accounts": 1000, "public.events": 3000 };
    writeBackup("2026/11/19", "20261119T020000Z", expected["2026/11/19"]!, true);
    expected["2026/11/20"] = expected["2026/11/19"]!;
    writeBackup("2026/11/20", "20261120T020000Z", expected["2026/11/20"]!);
    psql("app", "DELETE FROM events WHERE account > 900; DELETE FROM accounts WHERE id > 900; INSERT INTO billing.invoices SELECT g, 1 FROM generate_series(251, 300) g");
    expected["2026/11/21"] = { "billing.invoices": 300, "public.accounts": 900, "public.events": Number(psql("app", "SELECT count(*) FROM events")) };
    writeBackup("2026/11/21", "20261121T020000Z", expected["2026/11/21"]!);
    writeBackup("2026/11/22", "20261122T020000Z", expected["2026/11/21"]!, false, true);
    writeFileSync(join(root, "backup-age.key"), `${TEST_AGE_IDENTITY}\n`, { mode: 0o600 });
    writeFileSync(join(root, "other-age.key"), `${OTHER_AGE_IDENTITY}\n`, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    if (pgPort) spawnSync(IS_ROOT ? "setpriv" : `${PG_BIN}/pg_ctl`, IS_ROOT ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", `${PG_BIN}/pg_ctl`, "-D", pgData, "-m", "immediate", "stop"] : ["-D", pgData, "-m", "immediate", "stop"], { timeout: 30_000 });
    await s3rver?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("restores the chosen day's backup into a new database and its row counts match the manifest", () => {
    const r = runbook("restore-postgresql.md", "postgresql-restore", { BUCKET: bucket, TARGET: target, DAY: "2026/11/20", NEW_DB: "app_restored", WORK: join(root, "work-20"), S3_ENDPOINT_URL: endpoint });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`restoring from postgresql/${target}/2026/11/20/${target}-20261120T020000Z.pgdump.zst.manifest.json`);
    expect(r.stdout).toContain("ROW COUNTS MATCH: 3 tables");
    // The day's data, not the newest: 1000 accounts (the 21st has 900).
    expect(psql("app_restored", "SELECT count(*) FROM accounts")).toBe("1000");
    expect(psql("app_restored", "SELECT count(*) FROM billing.invoices")).toBe("250");
    expect(existsSync(join(root, "work-20")), "the runbook cleans its scratch space").toBe(false);
  });

  it("takes the other day's backup when told, with that day's counts", () => {
    const r = runbook("restore-postgresql.md", "postgresql-restore", { BUCKET: bucket, TARGET: target, DAY: "2026/11/21", NEW_DB: "app_restored_21", WORK: join(root, "work-21"), S3_ENDPOINT_URL: endpoint });
    expect(r.status, r.stderr).toBe(0);
    expect(psql("app_restored_21", "SELECT count(*) FROM accounts")).toBe("900");
    expect(psql("app_restored_21", "SELECT count(*) FROM events")).toBe(String(expected["2026/11/21"]!["public.events"]));
  });

  it("stops at the checksum when the object does not match its manifest, before creating any database", () => {
    const r = runbook("restore-postgresql.md", "postgresql-restore", { BUCKET: bucket, TARGET: target, DAY: "2026/11/19", NEW_DB: "app_restored_19", WORK: join(root, "work-19"), S3_ENDPOINT_URL: endpoint });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/FAILED/);
    expect(psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'app_restored_19'")).toBe("0");
  });

  it("decrypts an age-encrypted backup with the identity file, checks the plaintext's SHA-256, and restores it", () => {
    const r = runbook("restore-postgresql.md", "postgresql-restore", { BUCKET: bucket, TARGET: target, DAY: "2026/11/22", NEW_DB: "app_restored_22", WORK: join(root, "work-22"), S3_ENDPOINT_URL: endpoint, AGE_IDENTITY_FILE: join(root, "backup-age.key") });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`restoring from postgresql/${target}/2026/11/22/${target}-20261122T020000Z.pgdump.zst.age.manifest.json`);
    expect(r.stdout).toContain("ROW COUNTS MATCH: 3 tables");
    expect(psql("app_restored_22", "SELECT count(*) FROM accounts")).toBe("900");
  });

  it("stops at decryption with another identity or none, before creating any database", () => {
    for (const [db, extra] of [["app_restored_22b", { AGE_IDENTITY_FILE: join(root, "other-age.key") }], ["app_restored_22c", {}]] as const) {
      const r = runbook("restore-postgresql.md", "postgresql-restore", { BUCKET: bucket, TARGET: target, DAY: "2026/11/22", NEW_DB: db, WORK: join(root, `work-${db}`), S3_ENDPOINT_URL: endpoint, ...extra });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(db.endsWith("b") ? /no identity matched/ : /set AGE_IDENTITY_FILE to the identity file/);
      expect(psql("postgres", `SELECT count(*) FROM pg_database WHERE datname = '${db}'`)).toBe("0");
    }
  });

  it("stops when the day has no complete backup", () => {
    const r = runbook("restore-postgresql.md", "postgresql-restore", { BUCKET: bucket, TARGET: target, DAY: "2026/11/18", NEW_DB: "app_restored_18", WORK: join(root, "work-18"), S3_ENDPOINT_URL: endpoint });
    expect(r.status).not.toBe(0);
    expect(psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'app_restored_18'")).toBe("0");
  });
});

describe(
  "runbook: restore a Prometheus TSDB snapshot (real prometheus and promtool, s3rver)",
  () => {
    const root = mkdtempSync(join(tmpdir(), "strata-runbook-prom-"));
    const bucket = "strata-backups";
    let s3rver: S3rver | undefined;
    let env: NodeJS.ProcessEnv = {};
    // Three hours of one counter, ending an hour ago: 3 series, sampled every minute.
    const end = Math.floor(Date.now() / 1000 / 60) * 60 - 3600;
    const start = end - 3 * 3600;

    beforeAll(async () => {
      mkdirSync(join(root, "bin"));
      symlinkSync(AWS_V2, join(root, "bin", "aws"));
      mkdirSync(join(root, "s3"));
      s3rver = await startS3rver(join(root, "s3"), bucket);
      env = {
        PATH: `${join(root, "bin")}:/usr/bin:/bin`,
        HOME: root,
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_EC2_METADATA_DISABLED: "true",
      };
      // A snapshot directory as Prometheus's snapshot API writes it: block directories, archived as the backup does.
      const lines = ["# HELP strata_test_requests_total Requests.", "# TYPE strata_test_requests_total counter"];
      for (let t = start; t <= end; t += 60) for (const code of ["200", "404", "500"]) lines.push(`strata_test_requests_total{code="${code}"} ${(t - start) / 60} ${t}`);
      writeFileSync(join(root, "input.om"), `${lines.join("\n")}\n# EOF\n`);
      mkdirSync(join(root, "snapshot"));
      run("promtool", ["tsdb", "create-blocks-from", "openmetrics", join(root, "input.om"), join(root, "snapshot")], { env });
      const metas = readdirSync(join(root, "snapshot")).filter((d) => existsSync(join(root, "snapshot", d, "meta.json")));
      const series = metas.reduce((n, d) => n + (JSON.parse(readFileSync(join(root, "snapshot", d, "meta.json"), "utf8")) as { stats: { numSeries: number } }).stats.numSeries, 0);
      const object = join(root, "snapshot.tar.zst");
      run("bash", ["-o", "pipefail", "-c", `tar -C '${join(root, "snapshot")}' -cf - . | zstd -q -1 -o '${object}'`], { env });
      const sha256 = createHash("sha256").update(readFileSync(object)).digest("hex");
      const key = "prometheus-snapshot/prometheus/2026/11/20/prometheus-20261120T030000Z.tar.zst";
      const aws = (...args: string[]) => run(AWS_V2, ["--endpoint-url", s3rver!.endpoint, ...args], { env });
      aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", object, "--metadata", `sha256=${sha256}`);
      const manifest = { schema: 1, kind: "prometheus-snapshot", target: "prometheus", bucket, key, manifest_key: `${key}.manifest.json`, sha256, size_bytes: readFileSync(object).length, compression: "zstd", format: "prometheus-tsdb-snapshot-tar", counts: { blocks: metas.length, series } };
      writeFileSync(join(root, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
      aws("s3api", "put-object", "--bucket", bucket, "--key", `${key}.manifest.json`, "--body", join(root, "manifest.json"));
    }, 120_000);

    afterAll(async () => {
      await s3rver?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    it("downloads, verifies and extracts the snapshot, and a temporary Prometheus on it answers queries over the old data", async () => {
      const r = runRunbook(
        "restore-prometheus-snapshot.md",
        "prometheus-snapshot",
        {
          ...env,
          BUCKET: bucket,
          TARGET: "prometheus",
          DAY: "2026/11/20",
          WORK: join(root, "work"),
          PORT: String(await freePort()),
          S3_ENDPOINT_URL: s3rver!.endpoint,
          EVAL_TIME: String(end),
          QUERY: "sum(strata_test_requests_total)",
        },
        root,
      );
      expect(r.status, r.stderr + r.stdout).toBe(0);
      // 180 minutes counted by each of 3 series: both the HTTP API and promtool see the restored samples.
      expect(r.stdout).toContain(`"value":[${end},"540"]`);
      expect(r.stdout).toMatch(/\{\} => 540 @\[/);
      expect(existsSync(join(root, "work")), "the runbook cleans its scratch space").toBe(false);
    });
  },
);

describe("runbook: restore a SQLite database from a chosen day (sqlite3 shell, s3rver, AWS CLI v2)", () => {
  const root = mkdtempSync(join(tmpdir(), "strata-runbook-sqlite-"));
  const bucket = "strata-backups";
  const target = "telemetry";
  let s3rver: S3rver | undefined;
  let env: NodeJS.ProcessEnv = {};
  const source = join(root, "source.db");
  const expected: Record<string, Record<string, number>> = {};

  const sqlite = (db: string, sql: string) => run("/usr/bin/sqlite3", [db], { env, input: sql }).trim();
  const aws = (...args: string[]) => run(AWS_V2, ["--endpoint-url", s3rver!.endpoint, ...args], { env });

  /** One backup as the shell scripts wrote it (gzip, which the runbook still restores): a consistent copy, the object with its SHA-256, then its manifest. */
  function writeBackup(day: string, stamp: string, counts: Record<string, number>, damage?: "object" | "database") {
    const copy = join(root, `${stamp}.db`);
    sqlite(source, `.backup '${copy}'`);
    if (damage === "database") {
      // The index's cells at the end of its page: the file opens and counts, but fails integrity_check.
      const [page, size] = sqlite(copy, "SELECT rootpage FROM sqlite_master WHERE name = 'events_at'; PRAGMA page_size;").split("\n").map(Number);
      const bytes = readFileSync(copy);
      bytes.fill(0xff, page! * size! - 200, page! * size!);
      writeFileSync(copy, bytes);
    }
    const body = gzipSync(readFileSync(copy));
    const sha256 = createHash("sha256").update(body).digest("hex");
    const key = `sqlite/${target}/${day}/${target}-${stamp}.sqlite3.gz`;
    const object = join(root, `${stamp}.sqlite3.gz`);
    writeFileSync(object, damage === "object" ? Buffer.concat([body.subarray(0, body.length - 8), Buffer.alloc(8)]) : body);
    aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", object, "--metadata", `sha256=${sha256}`, "--output", "text", "--query", "ETag");
    const manifest = { schema: 1, kind: "sqlite", target, bucket, key, manifest_key: `${key}.manifest.json`, sha256, size_bytes: body.length, compression: "gzip", format: "sqlite3-database", tool_version: "SQLite 3.40.1", started_epoch: 1795200000, started_at: "2026-11-20T02:00:00Z", uploaded_epoch: 1795200060, counts };
    const file = join(root, `${stamp}.manifest.json`);
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    aws("s3api", "put-object", "--bucket", bucket, "--key", `${key}.manifest.json`, "--body", file, "--content-type", "application/json", "--output", "text", "--query", "ETag");
  }

  const restore = (day: string) => {
    const out = join(root, `restored-${day.replace(/\//g, "")}.db`);
    const work = join(root, `work-${day.replace(/\//g, "")}`);
    const r = runRunbook("restore-sqlite.md", "sqlite-restore", { ...env, BUCKET: bucket, TARGET: target, DAY: day, WORK: work, OUT: out, S3_ENDPOINT_URL: s3rver!.endpoint }, root);
    return { ...r, out, work };
  };

  beforeAll(async () => {
    mkdirSync(join(root, "bin"));
    symlinkSync(AWS_V2, join(root, "bin", "aws"));
    mkdirSync(join(root, "s3"));
    s3rver = await startS3rver(join(root, "s3"), bucket);
    env = { PATH: `${join(root, "bin")}:/usr/bin:/bin`, HOME: root, LANG: "C.UTF-8", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_DEFAULT_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
    // A WAL database like the application's, backed up on two days with different contents, and two damaged backups.
    sqlite(
      source,
      `PRAGMA journal_mode=WAL;
       CREATE TABLE events (id INTEGER PRIMARY KEY, at REAL, payload BLOB);
       CREATE INDEX events_at ON events (at);
       CREATE TABLE "odd ""name""" (v INTEGER);
       CREATE TABLE settings (k TEXT PRIMARY KEY, v TEXT);
       WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 3000) INSERT INTO events (at, payload) SELECT x, randomblob(100) FROM g;
       INSERT INTO "odd ""name""" VALUES (1), (2);
       INSERT INTO settings VALUES ('a', '1');`,
    );
    expected["2026/11/20"] = { events: 3000, 'odd "name"': 2, settings: 1 };
    writeBackup("2026/11/20", "20261120T020000Z", expected["2026/11/20"]!);
    writeBackup("2026/11/19", "20261119T020000Z", expected["2026/11/20"]!, "object");
    writeBackup("2026/11/18", "20261118T020000Z", expected["2026/11/20"]!, "database");
    sqlite(source, "DELETE FROM events WHERE id > 2500; INSERT INTO settings VALUES ('b', '2');");
    expected["2026/11/21"] = { events: 2500, 'odd "name"': 2, settings: 2 };
    writeBackup("2026/11/21", "20261121T020000Z", expected["2026/11/21"]!);
  }, 120_000);

  afterAll(async () => {
    await s3rver?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("verifies the chosen day's backup (checksum, integrity_check, row counts) and leaves that day's database for the cut-over", () => {
    const r = restore("2026/11/20");
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`restoring from sqlite/${target}/2026/11/20/${target}-20261120T020000Z.sqlite3.gz.manifest.json`);
    expect(r.stdout).toContain("INTEGRITY OK");
    expect(r.stdout).toContain("ROW COUNTS MATCH: 3 tables");
    // The day's data, not the newest: 3000 events (the 21st has 2500).
    expect(sqlite(r.out, "SELECT count(*) FROM events;")).toBe("3000");
    expect(existsSync(r.work), "the runbook cleans its scratch space").toBe(false);
  });

  it("takes the other day's backup when told, with that day's counts", () => {
    const r = restore("2026/11/21");
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(sqlite(r.out, "SELECT count(*) FROM events; SELECT count(*) FROM settings;")).toBe("2500\n2");
  });

  it("stops at the checksum when the object does not match its manifest, leaving no database to cut over to", () => {
    const r = restore("2026/11/19");
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/FAILED/);
    expect(existsSync(r.out)).toBe(false);
  });

  it("stops at integrity_check when the database in a well-formed archive is damaged", () => {
    const r = restore("2026/11/18");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("INTEGRITY CHECK FAILED");
    expect(r.stdout).not.toContain("ROW COUNTS MATCH");
    expect(existsSync(r.out)).toBe(false);
  });

  it("stops when the day has no complete backup", () => {
    const r = restore("2026/11/17");
    expect(r.status).not.toBe(0);
    expect(existsSync(r.out)).toBe(false);
  });
});

describe("runbook: restore a Valkey dataset from a chosen day (redis-server 7, s3rver, AWS CLI v2)", () => {
  // Made in beforeAll, not here: a run that filters this suite out must leave nothing behind.
  let root = "";
  const bucket = "strata-backups";
  const target = "cache";
  let s3rver: S3rver | undefined;
  let server: ChildProcess | undefined;
  let port = 0;
  let env: NodeJS.ProcessEnv = {};

  const cli = (...args: string[]) => run("/usr/bin/redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { env }).trim();
  const aws = (...args: string[]) => run(AWS_V2, ["--endpoint-url", s3rver!.endpoint, ...args], { env });

  /** One backup as the shell scripts wrote it (gzip, which the runbook still restores): the server's RDB (redis-cli --rdb), the object, its manifest. */
  function writeBackup(day: string, stamp: string, counts: Record<string, number>, damage?: "object" | "rdb") {
    const rdb = join(root, `${stamp}.rdb`);
    run("/usr/bin/redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--rdb", rdb], { env });
    const raw = readFileSync(rdb);
    const body = gzipSync(damage === "rdb" ? Buffer.concat([raw.subarray(0, raw.length / 2)]) : raw);
    const sha256 = createHash("sha256").update(body).digest("hex");
    const key = `valkey/${target}/${day}/${target}-${stamp}.rdb.gz`;
    const object = join(root, `${stamp}.rdb.gz`);
    writeFileSync(object, damage === "object" ? Buffer.concat([body.subarray(0, body.length - 8), Buffer.alloc(8)]) : body);
    aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", object, "--metadata", `sha256=${sha256}`, "--output", "text", "--query", "ETag");
    const manifest = { schema: 1, kind: "valkey", target, bucket, key, manifest_key: `${key}.manifest.json`, sha256, size_bytes: body.length, compression: "gzip", format: "valkey-rdb", tool_version: "redis-cli 7.0.15", started_epoch: 1795200000, started_at: "2026-11-20T02:00:00Z", uploaded_epoch: 1795200060, counts };
    const file = join(root, `${stamp}.manifest.json`);
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    aws("s3api", "put-object", "--bucket", bucket, "--key", `${key}.manifest.json`, "--body", file, "--content-type", "application/json", "--output", "text", "--query", "ETag");
  }

  const restore = (day: string) => {
    const out = join(root, `restored-${day.replace(/\//g, "")}.rdb`);
    const work = join(root, `work-${day.replace(/\//g, "")}`);
    mkdirSync(work, { recursive: true });
    const r = runRunbook("restore-valkey.md", "valkey-restore", { ...env, BUCKET: bucket, TARGET: target, DAY: day, WORK: work, OUT: out, S3_ENDPOINT_URL: s3rver!.endpoint }, root);
    return { ...r, out, work };
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "strata-runbook-valkey-"));
    mkdirSync(join(root, "bin"));
    symlinkSync(AWS_V2, join(root, "bin", "aws"));
    mkdirSync(join(root, "s3"));
    mkdirSync(join(root, "data"));
    s3rver = await startS3rver(join(root, "s3"), bucket);
    env = { PATH: `${join(root, "bin")}:/usr/bin:/bin`, HOME: root, LANG: "C.UTF-8", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_DEFAULT_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
    port = await freePort();
    server = spawn("/usr/bin/redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--dir", join(root, "data"), "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      try {
        if (cli("PING") === "PONG") break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    cli("EVAL", "for i = 1, 300 do redis.call('SET', 'k:' .. i, i) end return 1", "0");
    cli("-n", "2", "EVAL", "for i = 1, 7 do redis.call('HSET', 'h:' .. i, 'f', i) end return 1", "0");
    writeBackup("2026/11/20", "20261120T020000Z", { db0: 300, db2: 7 });
    writeBackup("2026/11/19", "20261119T020000Z", { db0: 300, db2: 7 }, "object");
    writeBackup("2026/11/18", "20261118T020000Z", { db0: 300, db2: 7 }, "rdb");
    cli("DEL", "k:1", "k:2");
    writeBackup("2026/11/21", "20261121T020000Z", { db0: 299, db2: 7 });
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
    await s3rver?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("verifies the chosen day's RDB (checksum, a load in a throwaway server, keys per database) and leaves it for the cut-over", () => {
    const r = restore("2026/11/20");
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`restoring from valkey/${target}/2026/11/20/${target}-20261120T020000Z.rdb.gz.manifest.json`);
    expect(r.stdout).toContain("KEY COUNTS MATCH: 2 databases");
    expect(readFileSync(r.out).subarray(0, 5).toString()).toBe("REDIS");
    expect(existsSync(r.work), "the runbook cleans its scratch space").toBe(false);
  });

  it("a manifest whose counts the RDB does not hold is not verified (the 21st's RDB has 298 keys in db0, its manifest says 299)", () => {
    const r = restore("2026/11/21");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("NOT VERIFIED");
    expect(existsSync(r.out)).toBe(false);
  });

  it("stops at the checksum when the object does not match its manifest", () => {
    const r = restore("2026/11/19");
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/FAILED/);
    expect(existsSync(r.out)).toBe(false);
  });

  it("stops when the RDB does not load", () => {
    const r = restore("2026/11/18");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("THE RDB DOES NOT LOAD");
    expect(existsSync(r.out)).toBe(false);
  });
});

describe("runbook: restore RabbitMQ definitions from a chosen day (a real broker, s3rver, AWS CLI v2)", () => {
  // Made in beforeAll, not here: a run that filters this suite out must leave nothing behind.
  let root = "";
  const bucket = "strata-backups";
  const target = "rabbitmq";
  let s3rver: S3rver | undefined;
  let rabbit: RabbitMQ | undefined;
  let env: NodeJS.ProcessEnv = {};
  const aws = (...args: string[]) => run(AWS_V2, ["--endpoint-url", s3rver!.endpoint, ...args], { env });

  /** One backup as the shell scripts wrote it (gzip, which the runbook still restores): the broker's definitions, the object, its manifest. */
  async function writeBackup(day: string, stamp: string, damage?: "object") {
    const raw = Buffer.from(JSON.stringify(await rabbit!.api("GET", "/definitions")));
    const doc = JSON.parse(raw.toString()) as Record<string, unknown[]>;
    const counts = Object.fromEntries(["vhosts", "users", "permissions", "policies", "queues", "exchanges", "bindings"].map((k) => [k, (doc[k] ?? []).length]));
    const body = gzipSync(raw);
    const sha256 = createHash("sha256").update(body).digest("hex");
    const key = `rabbitmq-definitions/${target}/${day}/${target}-${stamp}.json.gz`;
    const object = join(root, `${stamp}.json.gz`);
    writeFileSync(object, damage === "object" ? Buffer.concat([body.subarray(0, body.length - 8), Buffer.alloc(8)]) : body);
    aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", object, "--metadata", `sha256=${sha256}`, "--output", "text", "--query", "ETag");
    const manifest = { schema: 1, kind: "rabbitmq-definitions", target, bucket, key, manifest_key: `${key}.manifest.json`, sha256, size_bytes: body.length, compression: "gzip", format: "rabbitmq-definitions-json", tool_version: "rabbitmq-definitions", started_epoch: 1795200000, started_at: "2026-11-20T02:00:00Z", uploaded_epoch: 1795200060, counts };
    const file = join(root, `${stamp}.manifest.json`);
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    aws("s3api", "put-object", "--bucket", bucket, "--key", `${key}.manifest.json`, "--body", file, "--content-type", "application/json", "--output", "text", "--query", "ETag");
  }

  const restore = (day: string) => {
    const work = join(root, `work-${day.replace(/\//g, "")}`);
    mkdirSync(work, { recursive: true });
    const r = runRunbook(
      "restore-rabbitmq-definitions.md",
      "rabbitmq-restore",
      { ...env, BUCKET: bucket, TARGET: target, DAY: day, WORK: work, S3_ENDPOINT_URL: s3rver!.endpoint, RABBITMQ_URL: rabbit!.url, RABBITMQ_USER: rabbit!.user, RABBITMQ_PASSWORD: rabbit!.password },
      root,
    );
    return { ...r, work };
  };
  const queueExists = async (vhost: string, name: string) => {
    const queues = (await rabbit!.api("GET", `/queues/${encodeURIComponent(vhost)}`)) as { name: string }[];
    return queues.some((q) => q.name === name);
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "strata-runbook-rabbitmq-"));
    mkdirSync(join(root, "bin"));
    symlinkSync(AWS_V2, join(root, "bin", "aws"));
    mkdirSync(join(root, "s3"));
    [s3rver, rabbit] = await Promise.all([startS3rver(join(root, "s3"), bucket), startRabbitMQ()]);
    env = { PATH: `${join(root, "bin")}:/usr/bin:/bin`, HOME: root, LANG: "C.UTF-8", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_DEFAULT_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
    await rabbit.api("PUT", "/vhosts/orders", {});
    await rabbit.api("PUT", "/users/app", { password: "app-pw", tags: "" });
    await rabbit.api("PUT", "/permissions/orders/app", { configure: ".*", write: ".*", read: ".*" });
    await rabbit.api("PUT", "/queues/orders/orders.created", { durable: true, arguments: { "x-queue-type": "quorum" } });
    await rabbit.api("PUT", "/queues/orders/orders.dlq", { durable: true, arguments: {} });
    await rabbit.api("PUT", "/exchanges/orders/orders", { type: "topic", durable: true });
    await rabbit.api("POST", "/bindings/orders/e/orders/q/orders.created", { routing_key: "created" });
    await rabbit.api("PUT", "/policies/orders/dlq-ttl", { pattern: "^orders\\.dlq$", definition: { "message-ttl": 60000 }, "apply-to": "queues" });
    await writeBackup("2026/11/20", "20261120T020000Z");
    await writeBackup("2026/11/19", "20261119T020000Z", "object");
    // What the restore must bring back: a queue, its binding, a policy and a user lost since the backup.
    await rabbit.api("DELETE", "/queues/orders/orders.created");
    await rabbit.api("DELETE", "/policies/orders/dlq-ttl");
    await rabbit.api("DELETE", "/users/app");
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([s3rver?.stop(), rabbit?.stop()]);
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it("stops at the checksum when the object does not match its manifest, importing nothing", async () => {
    const r = restore("2026/11/19");
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/FAILED/);
    expect(r.stdout).not.toContain("IMPORTED");
    expect(await queueExists("orders", "orders.created")).toBe(false);
  }, 120_000);

  it("verifies the chosen day's document, names what the broker lost, imports it and finds every object again", async () => {
    const r = restore("2026/11/20");
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain("DOCUMENT VERIFIED");
    expect(r.stdout).toContain("MISSING queue orders/orders.created");
    expect(r.stdout).toContain("MISSING policy orders/dlq-ttl");
    expect(r.stdout).toContain("MISSING user app");
    expect(r.stdout).toContain("MISSING binding orders/orders->orders.created:created");
    expect(r.stdout).toMatch(/ALL OBJECTS PRESENT: \d+/);
    expect(await queueExists("orders", "orders.created")).toBe(true);
    expect(existsSync(r.work), "the runbook cleans its scratch space").toBe(false);
  }, 120_000);
});

/**
 * The in-pod runtime's own logic, without servers (its integration suites run the bundle against real ones):
 * configuration errors as a user reads them, the count comparison, the pushed exposition, and the bundle as shipped.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BACKUP_METRICS, DRILL_METRICS, EXIT, OFFSITE_COPY_METRICS } from "../../components/backup/contract";
import { OFFSITE_COPY_STATE_PREFIX } from "../../components/archive/offsiteCopySettings";
import { destinationStore, isUnchanged, readOffsiteCopyEnv } from "../../components/backup/runtime/offsiteCopy";
import { runtimeFiles, RUNTIME_LOADER } from "../../components/backup/runtime/bundle";
import { readRunEnv } from "../../components/backup/runtime/config";
import { countDifferences } from "../../components/backup/runtime/drill";
import { exposition, groupUrl } from "../../components/backup/runtime/push";
import { runtimeMount } from "../integration/helpers/runtime";

const GOOD = {
  BACKUP_KIND: "postgresql",
  BACKUP_TARGET: "orders-db",
  WORK_DIR: "/work",
  PHASE_WAIT_SECONDS: "13800",
  S3_BUCKET: "acme-backups",
  AWS_REGION: "eu-central-1",
  PUSHGATEWAY_URL: "http://pushgateway.monitoring:9091",
};

describe("the runtime's environment", () => {
  it("reads what the plan sets, with the defaults a pod leaves out", () => {
    const env = readRunEnv(GOOD);
    expect(env).toMatchObject({ BACKUP_KIND: "postgresql", PHASE_WAIT_SECONDS: 13800, BACKUP_COMPRESSION: "zstd", S3_PREFIX: "", ZSTD_LEVEL: 1, PUSH_TIMEOUT_SECONDS: 15 });
    expect(env.S3_ENDPOINT_URL).toBeUndefined();
    expect(readRunEnv({ ...GOOD, S3_ENDPOINT_URL: "" }).S3_ENDPOINT_URL).toBeUndefined();
  });

  it("names every wrong variable, its value and what is allowed, with the configuration exit status", () => {
    let error: unknown;
    try {
      readRunEnv({ ...GOOD, BACKUP_KIND: "mysql", BACKUP_TARGET: "Orders DB", S3_BUCKET: undefined, AGE_RECIPIENT: "age1short", PHASE_WAIT_SECONDS: "4h" });
    } catch (e) {
      error = e;
    }
    expect((error as { exit: number }).exit).toBe(EXIT.config);
    const message = (error as Error).message;
    expect(message).toContain("BACKUP_KIND 'mysql' must be one of postgresql, mongodb, prometheus-snapshot, rabbitmq-definitions, sqlite, valkey");
    expect(message).toContain("BACKUP_TARGET 'Orders DB' must match ^[a-z0-9][a-z0-9._-]{0,62}$");
    expect(message).toContain("S3_BUCKET (not set) is required");
    expect(message).toContain("AGE_RECIPIENT 'age1short' must be an age X25519 recipient");
    expect(message).toContain("PHASE_WAIT_SECONDS '4h' must be a whole number of seconds");
  });
});

describe("the drill's count comparison", () => {
  it("lists each table that differs, missing on either side included, and nothing when equal", () => {
    expect(countDifferences({ "public.a": 3, "public.b": 1 }, { "public.a": 3, "public.b": 1 })).toEqual([]);
    expect(countDifferences({ "public.a": 3, "public.b": 1 }, { "public.a": 2, "public.c": 5 })).toEqual([
      "public.a: expected 3, restored 2",
      "public.b: expected 1, restored none",
      "public.c: expected none, restored 5",
    ]);
  });
});

describe("the off-site copy's environment and destination", () => {
  const COPY = {
    S3_BUCKET: "acme-backups",
    DEST_BUCKET: "acme-backups-nbg1",
    DEST_REGION: "nbg1",
    DEST_ENDPOINT_URL: "https://nbg1.example.com",
    DEST_AWS_ACCESS_KEY_ID: "DESTKEY",
    DEST_AWS_SECRET_ACCESS_KEY: "dest-secret",
    WORK_DIR: "/work",
    PUSHGATEWAY_URL: "http://pushgateway.monitoring:9091",
  };

  it("reads what the plan sets, with the script's defaults, and names every wrong variable", () => {
    expect(readOffsiteCopyEnv(COPY)).toMatchObject({ OFFSITE_STATE_PREFIX: OFFSITE_COPY_STATE_PREFIX, PUSH_TIMEOUT_SECONDS: 15 });
    expect(() => readOffsiteCopyEnv({ ...COPY, DEST_REGION: "", DEST_ENDPOINT_URL: "nbg1", PUSHGATEWAY_URL: undefined })).toThrow(
      "the run's environment is wrong: DEST_REGION '' is required (the destination bucket's region); DEST_ENDPOINT_URL 'nbg1' must be a URL (http:// or https://); PUSHGATEWAY_URL (not set) is required (e.g. http://pushgateway.monitoring:9091)",
    );
  });

  it("signs for the destination with its own static key, whatever identity the pod's environment gives the source", async () => {
    const source = { AWS_ACCESS_KEY_ID: "SOURCEKEY", AWS_SECRET_ACCESS_KEY: "source-secret", AWS_SESSION_TOKEN: "source-token", AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/source", AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/secrets/token", AWS_PROFILE: "source" };
    const saved = Object.fromEntries(Object.keys(source).map((k) => [k, process.env[k]]));
    Object.assign(process.env, source);
    try {
      const store = destinationStore(readOffsiteCopyEnv(COPY));
      const credentials = await store.client.config.credentials();
      expect(credentials).toMatchObject({ accessKeyId: "DESTKEY", secretAccessKey: "dest-secret" });
      expect(credentials.sessionToken).toBeUndefined();
      expect(await store.client.config.region()).toBe("nbg1");
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("copies again what differs in size or is newer at the source, to the second", () => {
    const src = { key: "k", size: 10, modifiedEpoch: 100 };
    expect(isUnchanged(src, undefined)).toBe(false);
    expect(isUnchanged(src, { ...src, modifiedEpoch: 100 })).toBe(true);
    expect(isUnchanged(src, { ...src, modifiedEpoch: 99 })).toBe(false);
    expect(isUnchanged(src, { ...src, size: 11, modifiedEpoch: 200 })).toBe(false);
  });
});

describe("the Pushgateway push", () => {
  it("carries a HELP line from the contract for every backup and drill metric, and groups by job, kind and target", () => {
    const body = exposition({ [BACKUP_METRICS.lastRunSuccess]: 1, [DRILL_METRICS.lastDecryptSuccess]: 0 });
    expect(body).toBe(
      `# HELP ${BACKUP_METRICS.lastRunSuccess} 1 if the last backup run succeeded, 0 if it failed.\n# TYPE ${BACKUP_METRICS.lastRunSuccess} gauge\n${BACKUP_METRICS.lastRunSuccess} 1\n` +
        `# HELP ${DRILL_METRICS.lastDecryptSuccess} 1 if the last drill of an age-encrypted backup decrypted it, 0 if it could not.\n# TYPE ${DRILL_METRICS.lastDecryptSuccess} gauge\n${DRILL_METRICS.lastDecryptSuccess} 0\n`,
    );
    for (const name of [...Object.values(BACKUP_METRICS), ...Object.values(DRILL_METRICS), ...Object.values(OFFSITE_COPY_METRICS)]) expect(exposition({ [name]: 1 }), name).not.toContain(`# HELP ${name} ${name}\n`);
    expect(groupUrl({ url: "http://pgw:9091/", job: "strata_backup", labels: [["kind", "postgresql"], ["target", "orders-db"]], timeoutSeconds: 1 })).toBe(
      "http://pgw:9091/metrics/job/strata_backup/kind/postgresql/target/orders-db",
    );
  });
});

describe("the bundle the plan ships", () => {
  it("fits a ConfigMap with room for the scripts, and is the same bytes on every build", () => {
    const files = runtimeFiles();
    expect(files.bundle.length + files.loader.length).toBeLessThan(512 * 1024);
    expect(files.bundle.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(files.bundle.readUInt32LE(4)).toBe(0); // gzip's mtime: none, so equal sources give equal bytes
  });

  it("runs from a directory like the ConfigMap's mount: a usage error exits with the configuration status", () => {
    const r = spawnSync(process.execPath, [join(runtimeMount(), RUNTIME_LOADER), "sideways"], { encoding: "utf8", env: { PATH: process.env.PATH } });
    expect(r.status, r.stderr).toBe(EXIT.config);
    expect(r.stderr).toContain("usage: strata-runtime.cjs backup|basebackup|drill|wal-receiver|pitr-restore|offsite-copy");
    const dir = mkdtempSync(join(tmpdir(), "rt-"));
    try {
      const e = spawnSync(process.execPath, [join(runtimeMount(), RUNTIME_LOADER), "backup"], { encoding: "utf8", env: { PATH: process.env.PATH, ...GOOD, WORK_DIR: dir, BACKUP_TARGET: "" } });
      expect(e.status).toBe(EXIT.config);
      const line = JSON.parse(e.stderr.trim().split("\n").pop()!);
      expect(line).toMatchObject({ level: "error", script: "backup", phase: "backup", kind: "postgresql" });
      expect(line.msg).toContain("BACKUP_TARGET '' is required");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the base backup's WAL facts", () => {
  it("reads pg_basebackup -v's start and end points and names the WAL segment replay starts from", async () => {
    const { walFileName, walPoints, lsnBytes } = await import("../../components/backup/kinds/postgresql/baseBackupRuntime");
    const stderr = "pg_basebackup: initiating base backup, waiting for checkpoint to complete\npg_basebackup: checkpoint completed\npg_basebackup: write-ahead log start point: 1/A2000028 on timeline 3\npg_basebackup: write-ahead log end point: 1/A2000100\n";
    expect(walPoints(stderr)).toEqual({ start_lsn: "1/A2000028", timeline: 3, end_lsn: "1/A2000100" });
    expect(walPoints("pg_basebackup: error: could not connect")).toBeUndefined();
    expect(lsnBytes("1/A2000028")).toBe(0x1a2000028n);
    // 16 MiB segments: 0x1A2000028 is in segment 0x1A2, i.e. log 1, segment A2 of timeline 3.
    expect(walFileName(3, "1/A2000028")).toBe("0000000300000001000000A2");
    expect(walFileName(1, "0/2000028")).toBe("000000010000000000000002");
  });
});

describe("the compression stages", () => {
  const roundTrip = async (vars: NodeJS.ProcessEnv) => {
    const { compressor, decompressor } = await import("../../components/backup/runtime/streams");
    const { pipeline } = await import("node:stream/promises");
    const { Readable } = await import("node:stream");
    const input = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `row ${i}\t${(i * 7919) % 1000}\n`).join(""));
    const collect = async (stage: { stream(): NodeJS.ReadWriteStream }, bytes: Buffer) => {
      const out: Buffer[] = [];
      const sink = async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) out.push(c);
      };
      await (pipeline as (...s: unknown[]) => Promise<void>)(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), stage.stream(), sink);
      return Buffer.concat(out);
    };
    const c = compressor("zstd", { zstd: 1, gzip: 1 }, vars);
    const packed = await collect(c, input);
    await c.tool?.exited;
    const d = decompressor("zstd", vars);
    const unpacked = await collect(d, packed);
    await d.tool?.exited;
    return { c, d, input, packed, unpacked };
  };

  it("uses the image's zstd CLI where there is one, Node's zlib otherwise (ZSTD_PROGRAM=node, or no zstd on PATH); each reads the other's frames", async () => {
    const cli = await roundTrip({ PATH: process.env.PATH });
    expect(cli.c.tool).toBeDefined();
    expect(cli.d.tool).toBeDefined();
    expect(cli.unpacked.equals(cli.input)).toBe(true);
    const node = await roundTrip({ PATH: process.env.PATH, ZSTD_PROGRAM: "node" });
    expect(node.c.tool).toBeUndefined();
    expect(node.unpacked.equals(node.input)).toBe(true);
    expect((await roundTrip({ PATH: "/nonexistent" })).c.tool).toBeUndefined();
    // Frames of either are the other's: an object stored by one restores with the other.
    const { zstdDecompressSync } = await import("node:zlib");
    expect(zstdDecompressSync(cli.packed).equals(cli.input)).toBe(true);
    const viaCli = spawnSync("zstd", ["-d", "-q", "-c"], { input: node.packed, maxBuffer: 64 << 20 });
    expect(viaCli.status).toBe(0);
    expect(viaCli.stdout.equals(node.input)).toBe(true);
    // Both write a content checksum: a flipped byte fails to decompress with either.
    for (const packed of [cli.packed, node.packed]) {
      const bad = Buffer.from(packed);
      bad[Math.floor(bad.length / 2)]! ^= 0xff;
      expect(spawnSync("zstd", ["-d", "-q", "-c"], { input: bad, maxBuffer: 64 << 20 }).status).not.toBe(0);
    }
  });

  it("the CLI decompresses straight into a file or into a tool's stdin, the runtime feeding only the compressed bytes; Node's codec leaves that to the caller", async () => {
    const { compressor, decompressor } = await import("../../components/backup/runtime/streams");
    const { startTool } = await import("../../components/backup/runtime/tools");
    const { readFileSync } = await import("node:fs");
    const { createHash } = await import("node:crypto");
    const input = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `line ${i} ${(i * 31) % 977}\n`).join(""));
    const packed = spawnSync("zstd", ["-1", "-q", "-c"], { input, maxBuffer: 64 << 20 }).stdout;
    const dir = mkdtempSync(join(tmpdir(), "strata-codec-"));
    try {
      const feed = async (stage: { tool?: { child: { stdin: NodeJS.WritableStream | null }; exited: Promise<void> } }) => {
        stage.tool!.child.stdin!.end(packed);
        await stage.tool!.exited;
      };
      const file = join(dir, "artifact");
      const intoFile = decompressor("zstd", { PATH: process.env.PATH }, file);
      expect(intoFile.writesItself).toBe(true);
      await feed(intoFile);
      expect(readFileSync(file).equals(input)).toBe(true);
      // Into a tool: the tool sees the end of the data when zstd exits (the runtime's end of its stdin is closed).
      const hasher = startTool("sha256sum", ["-"], { what: "sha256sum" });
      let printed = "";
      hasher.child.stdout!.on("data", (d: Buffer) => (printed += d.toString()));
      const intoTool = decompressor("zstd", { PATH: process.env.PATH }, hasher);
      expect(intoTool.writesItself).toBe(true);
      await feed(intoTool);
      await hasher.exited;
      expect(printed.split(" ")[0]).toBe(createHash("sha256").update(input).digest("hex"));
      // Node's zlib has no process to hand a file to: the caller writes what its stream gives.
      expect(decompressor("zstd", { PATH: process.env.PATH, ZSTD_PROGRAM: "node" }, file).writesItself).toBe(false);
      const c = compressor("zstd", { zstd: 1, gzip: 1 }, { PATH: process.env.PATH });
      expect(c.writesItself).toBe(false);
      c.tool!.stop("SIGKILL");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ZSTD_PROGRAM takes auto or node only, and says so", () => {
    expect(() => readRunEnv({ ...GOOD, ZSTD_PROGRAM: "pigz" })).toThrow(/ZSTD_PROGRAM/);
    expect(readRunEnv(GOOD).ZSTD_PROGRAM).toBe("auto");
  });
});

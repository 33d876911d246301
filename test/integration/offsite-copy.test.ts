/**
 * The off-site copy (components/backup/scripts/offsite-copy.sh, run by components/archive/offsiteCopy.ts's CronJob)
 * between two real s3rver instances on 127.0.0.1, with a real Pushgateway and the AWS CLI v2, the checksum settings
 * an S3-compatible store needs (`when_required`) on both sides, as the job sets them.
 * Faults: a copy corrupted in transit to the destination (a proxy flips a byte of the upload), caught when the copy
 * is read back; a source object that no longer matches the SHA-256 it records, never copied.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, logLines, run, type RunResult } from "./helpers/scripts";
import { Pushgateway, S3, s3Proxy, startPushgateway, startS3, tempDir, type Proxy } from "./helpers/servers";
import { OFFSITE_COPY_JOB, OFFSITE_COPY_METRICS as M } from "../../components/backup/metrics";
import { S3_COMPATIBLE_CHECKSUM_ENV } from "../../components/backup/cronJob";

let source: S3;
let destination: S3;
let pgw: Pushgateway;
let root: string;
let runs = 0;

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const checksumEnv = Object.fromEntries(S3_COMPATIBLE_CHECKSUM_ENV.map((e) => [e.name, e.value]));

function aws(args: string[], endpoint: string): string {
  const r = spawnSync("/usr/bin/aws", ["--endpoint-url", endpoint, ...args], { env: { ...baseEnv(join(root, "home")), ...checksumEnv }, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`aws ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** An object in the source bucket as the backup scripts write it: its SHA-256 recorded as x-amz-meta-sha256. */
function putSource(key: string, body: Buffer | string, recorded: string | undefined = sha(body)): void {
  const file = join(root, `put-${sha(key).slice(0, 8)}`);
  writeFileSync(file, body);
  aws(["s3api", "put-object", "--bucket", source.bucket, "--key", key, "--body", file, "--content-type", "application/zstd", ...(recorded ? ["--metadata", `sha256=${recorded}`] : [])], source.endpoint);
}

const destBytes = (key: string) => readFileSync(destination.objectPath(key));
const destMeta = (key: string) => JSON.parse(aws(["s3api", "head-object", "--bucket", destination.bucket, "--key", key], destination.endpoint)) as { Metadata: Record<string, string>; ContentType: string };

/** One run of the job, as its pod runs it (the destination through `endpoint`, e.g. a proxy). */
function copy(endpoint = destination.endpoint): Promise<RunResult> {
  return run(
    "offsite-copy.sh",
    [],
    {
      ...baseEnv(join(root, "home")),
      ...checksumEnv,
      S3_BUCKET: source.bucket,
      S3_ENDPOINT_URL: source.endpoint,
      DEST_BUCKET: destination.bucket,
      DEST_ENDPOINT_URL: endpoint,
      DEST_REGION: "us-east-1",
      DEST_AWS_ACCESS_KEY_ID: "S3RVER",
      DEST_AWS_SECRET_ACCESS_KEY: "S3RVER",
      WORK_DIR: join(root, `work-${++runs}`),
      PUSHGATEWAY_URL: pgw.url,
    },
    120_000,
  );
}

async function metrics(): Promise<Record<string, number>> {
  const samples = await pgw.samples(OFFSITE_COPY_JOB);
  return Object.fromEntries(Object.entries(samples).filter(([k]) => k.includes(`destination="${destination.bucket}"`)).map(([k, v]) => [k.slice(0, k.indexOf("{")), v]));
}

/** A proxy in front of the destination that flips one byte of every upload whose path contains `needle`. */
async function corruptingProxy(needle: string): Promise<{ endpoint: string; corrupted: () => number; close: () => Promise<void> }> {
  let corrupted = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.method === "PUT" && req.url?.includes(needle) && body.length > 0) {
        body[body.length >> 1] ^= 0xff;
        corrupted++;
      }
      const upstream = request({ host: "127.0.0.1", port: destination.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { endpoint: `http://127.0.0.1:${port}`, corrupted: () => corrupted, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * A proxy in front of the destination that answers GetBucketVersioning as a versioned bucket does (s3rver has no
 * versioning) and passes every other request through.
 */
async function versionedProxy(): Promise<Proxy & { asked: () => number }> {
  let asked = 0;
  const proxy = await s3Proxy(
    () => destination.port,
    (req, res) => {
      if (req.method !== "GET" || !/[?&]versioning(=|&|$)/.test(req.url ?? "")) return false;
      asked++;
      res.writeHead(200, { "content-type": "application/xml" });
      res.end('<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>');
      return true;
    },
  );
  return { ...proxy, asked: () => asked };
}

const DUMP = "postgresql/orders-db/2026/12/05/orders-db-20261205T020000Z.pgdump.zst";
const MANIFEST = `${DUMP}.manifest.json`;
const LATEST = "postgresql/orders-db/latest.json";
const WAL = "postgresql/orders-db/wal/000000010000000000000001.zst";
const dump = Buffer.alloc(3 << 20, 7).fill("backup bytes ", 1000);

beforeAll(async () => {
  root = tempDir("offsite");
  [source, destination, pgw] = await Promise.all([startS3("strata-prod-backups"), startS3("strata-prod-backups-offsite"), startPushgateway()]);
  putSource(DUMP, dump);
  putSource(MANIFEST, '{\n  "sha256": "x"\n}\n');
  putSource(LATEST, '{\n  "key": "first"\n}\n');
  // An object written by something else records no SHA-256: it is copied, checked by the read-back only.
  putSource("postgresql/orders-db/notes.txt", "no recorded checksum", undefined);
  putSource(WAL, Buffer.alloc(4096, 1));
}, 60_000);

afterAll(async () => {
  await Promise.all([source?.stop(), destination?.stop(), pgw?.stop()]);
});

describe("the off-site copy between two S3-compatible stores", () => {
  it("copies every object with its bytes, its SHA-256 and its content type, verified, and reports it", async () => {
    const r = await copy();
    expect(r.code, r.stderr).toBe(0);
    for (const key of [DUMP, MANIFEST, LATEST, WAL]) {
      expect(sha(destBytes(key))).toBe(sha(readFileSync(source.objectPath(key))));
      expect(destMeta(key).Metadata.sha256).toBe(sha(destBytes(key)));
    }
    expect(destMeta(DUMP).ContentType).toBe("application/zstd");
    expect(destMeta("postgresql/orders-db/notes.txt").Metadata.sha256).toBe(sha("no recorded checksum"));
    const m = await metrics();
    expect(m[M.objectsCopied]).toBe(5);
    expect(m[M.sourceObjects]).toBe(5);
    expect(m[M.mismatches]).toBe(0);
    expect(m[M.lastRunSuccess]).toBe(1);
    expect(m[M.bytesCopied]).toBeGreaterThan(dump.length);
    expect(m[M.lastSuccess]).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(logLines(r.stderr).some((l) => l.msg === "OFFSITE COPY OK")).toBe(true);
  });

  it("a second run copies nothing", async () => {
    const r = await copy();
    expect(r.code, r.stderr).toBe(0);
    const m = await metrics();
    expect(m[M.objectsCopied]).toBe(0);
    expect(m[M.mismatches]).toBe(0);
    expect(m[M.lastRunSuccess]).toBe(1);
  });

  it("says when the destination is not versioned (s3rver keeps no versions), and copies anyway", async () => {
    const r = await copy();
    expect(r.code, r.stderr).toBe(0);
    expect((await metrics())[M.destinationVersioned]).toBe(0);
    const line = logLines(r.stderr).find((l) => l.msg.startsWith("DESTINATION NOT VERSIONED"))!;
    expect(line).toMatchObject({ level: "error", bucket: destination.bucket, status: "None" });
  });

  it("reports a versioned destination as such: the bucket's versioning answered Enabled in front of s3rver", async () => {
    const proxy = await versionedProxy();
    try {
      const r = await copy(proxy.endpoint);
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.asked()).toBe(1);
      expect((await metrics())[M.destinationVersioned]).toBe(1);
      expect(logLines(r.stderr).some((l) => l.msg.startsWith("DESTINATION NOT VERSIONED"))).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it("copies an object changed since (latest.json moved on) and nothing else; a source deletion deletes nothing at the destination", async () => {
    // S3 timestamps are to the second: the new version must be written in a later second than the copy.
    await new Promise((r) => setTimeout(r, 1100));
    putSource(LATEST, '{\n  "key": "second"\n}\n');
    aws(["s3api", "delete-object", "--bucket", source.bucket, "--key", "postgresql/orders-db/notes.txt"], source.endpoint);
    const r = await copy();
    expect(r.code, r.stderr).toBe(0);
    expect((await metrics())[M.objectsCopied]).toBe(1);
    expect(destBytes(LATEST).toString()).toContain("second");
    expect(destBytes("postgresql/orders-db/notes.txt").toString()).toBe("no recorded checksum");
  });

  it("a copy corrupted on its way to the destination is caught by its SHA-256: exit 1, the mismatch pushed, the last success kept, copied again next run", async () => {
    const before = (await metrics())[M.lastSuccess];
    const key = "postgresql/orders-db/2026/12/06/orders-db-20261206T020000Z.pgdump.zst";
    putSource(key, Buffer.alloc(200_000, 3));
    const proxy = await corruptingProxy("20261206T020000Z");
    let r: RunResult;
    try {
      r = await copy(proxy.endpoint);
    } finally {
      await proxy.close();
    }
    expect(r.code, r.stderr).toBe(1);
    // Both uploads (the first and the one retry) were corrupted, and both read-backs caught it.
    expect(proxy.corrupted()).toBe(2);
    const mismatch = logLines(r.stderr).filter((l) => l.msg?.startsWith("CHECKSUM MISMATCH: the copy read back"));
    expect(mismatch.map((l) => l.key)).toEqual([key, key]);
    const m = await metrics();
    expect(m[M.mismatches]).toBe(1);
    expect(m[M.lastRunSuccess]).toBe(0);
    expect(m[M.lastSuccess]).toBe(before);
    // The bad copy stays (nothing is deleted there) but is named for the next run, which copies it again.
    expect(destBytes("strata-offsite-copy/unverified.txt").toString()).toBe(`${key}\n`);
    const again = await copy();
    expect(again.code, again.stderr).toBe(0);
    expect((await metrics())[M.objectsCopied]).toBe(1);
    expect(sha(destBytes(key))).toBe(sha(Buffer.alloc(200_000, 3)));
    expect(destBytes("strata-offsite-copy/unverified.txt").toString()).toBe("");
    // And the state prefix is the job's own: never counted, never copied from the source.
    expect((await metrics())[M.sourceObjects]).toBe(5);
  });

  it("a source object that no longer matches its recorded SHA-256 is not copied, and the run fails with the mismatch", async () => {
    const key = "postgresql/orders-db/2026/12/07/orders-db-20261207T020000Z.pgdump.zst";
    putSource(key, "the bytes that were backed up");
    // Damage at rest in the primary store: the same length, other bytes.
    writeFileSync(source.objectPath(key), "THE bytes that were backed up");
    const r = await copy();
    expect(r.code, r.stderr).toBe(1);
    expect(logLines(r.stderr).some((l) => l.msg?.startsWith("CHECKSUM MISMATCH: the source object") && l.key === key)).toBe(true);
    expect(() => destBytes(key)).toThrow();
    const m = await metrics();
    expect(m[M.mismatches]).toBe(1);
    expect(m[M.objectsCopied]).toBe(0);
    expect(m[M.lastRunSuccess]).toBe(0);
  });

  it("refuses to start without a destination", async () => {
    const r = await run("offsite-copy.sh", [], { ...baseEnv(join(root, "home")), S3_BUCKET: source.bucket, WORK_DIR: join(root, "w-config"), PUSHGATEWAY_URL: pgw.url }, 30_000);
    expect(r.code).toBe(2);
    expect(logLines(r.stderr)[0]!.msg).toBe("DEST_BUCKET is required");
  });
});

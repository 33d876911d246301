/**
 * The off-site copy (the runtime's `offsite-copy`, run by components/archive/offsiteCopy.ts's CronJob) between two
 * real s3rver instances on 127.0.0.1, with a real Pushgateway, the bundle the plan ships, and the checksum settings
 * an S3-compatible store needs (`when_required`) on both sides, as the job sets them.
 * Faults: a copy corrupted in transit to the destination (a proxy flips a byte of the upload), caught when the copy
 * is read back; a source object that no longer matches the SHA-256 it records, never copied (a large one's multipart
 * upload aborted); a destination that does not answer; a Pushgateway that does not answer; a missing destination
 * setting. The destination is only ever signed for with its own key, whatever credentials the source has.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, logLines, type RunResult } from "./helpers/scripts";
import { runRuntime } from "./helpers/runtime";
import { freePort, Pushgateway, recordingProxy, S3, s3Proxy, startPushgateway, startS3, tempDir, type Proxy } from "./helpers/servers";
import { OFFSITE_COPY_JOB, OFFSITE_COPY_METRICS as M } from "../../components/backup/metrics";
import { S3_COMPATIBLE_CHECKSUM_ENV } from "../../components/backup/cronJob";
import { EXIT, parseManifest, serializeManifest, type ManifestInput } from "../../components/backup/contract";
import { UPLOAD_PART_BYTES } from "../../components/backup/runtime/s3";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

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

/**
 * An object in the source bucket with its SHA-256 recorded as x-amz-meta-sha256 (as manifests, latest.json and WAL
 * objects are written), or, given `false`, with none (a backup object streamed up in parts, or another writer's).
 */
function putSource(key: string, body: Buffer | string, recorded: string | false = sha(body)): void {
  const file = join(root, `put-${sha(key).slice(0, 8)}`);
  writeFileSync(file, body);
  aws(["s3api", "put-object", "--bucket", source.bucket, "--key", key, "--body", file, "--content-type", "application/zstd", ...(recorded ? ["--metadata", `sha256=${recorded}`] : [])], source.endpoint);
}

const destBytes = (key: string) => readFileSync(destination.objectPath(key));
const destMeta = (key: string) => JSON.parse(aws(["s3api", "head-object", "--bucket", destination.bucket, "--key", key], destination.endpoint)) as { Metadata: Record<string, string>; ContentType: string };

/**
 * The source's identity as a pod has it: the SDK's own settings and a key (IRSA and Pod Identity reach the SDK the
 * same way), and nothing of the scripts' contract environment, which the runtime does not read.
 */
function sourceIdentityEnv(): Record<string, string> {
  const base = baseEnv(join(root, "home"));
  return Object.fromEntries(Object.entries(base).filter(([k]) => k === "PATH" || k.startsWith("AWS_")));
}

/** The job's environment, as the plan sets it (the destination through `endpoint`, e.g. a proxy). */
function jobEnv(endpoint = destination.endpoint): Record<string, string> {
  return {
    ...sourceIdentityEnv(),
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
  };
}

/** One run of the job, as its pod runs it. */
function copy(endpoint = destination.endpoint, over: Record<string, string> = {}): Promise<RunResult> {
  return runRuntime("offsite-copy", { ...jobEnv(endpoint), ...over }, 120_000);
}

/** An address where nothing listens. */
const nowhere = async () => `http://127.0.0.1:${await freePort()}`;

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
  putSource("postgresql/orders-db/notes.txt", "no recorded checksum", false);
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

  it("signs for the destination with its own key only: the source's session token (IRSA, Pod Identity) never reaches it", async () => {
    const key = "postgresql/orders-db/2026/12/05/orders-db-20261205T030000Z.pgdump.zst";
    putSource(key, "a backup copied through the recording proxy");
    const proxy = await recordingProxy(() => destination.port);
    try {
      // What the source's identity would add: a session token and a web identity the SDK's chain would read.
      const r = await copy(proxy.endpoint, { AWS_SESSION_TOKEN: "the-source-session-token", AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/source", AWS_WEB_IDENTITY_TOKEN_FILE: join(root, "no-such-token") });
      expect(r.code, r.stderr).toBe(0);
    } finally {
      await proxy.close();
    }
    expect(proxy.requests.some((q) => q.method === "PUT" && q.path.includes("20261205T030000Z"))).toBe(true);
    for (const q of proxy.requests) {
      expect(q.headers["x-amz-security-token"], `${q.method} ${q.path}`).toBeUndefined();
      expect(String(q.headers.authorization), `${q.method} ${q.path}`).toMatch(/Credential=S3RVER\/\d{8}\/us-east-1\/s3\//);
    }
    // Gone from the source later: the copy stays at the destination, and the source's count is back to 5.
    aws(["s3api", "delete-object", "--bucket", source.bucket, "--key", key], source.endpoint);
  });

  it("a Pushgateway that does not answer: the copy is made, PUSH FAILED said, exit pushFailed", async () => {
    const r = await copy(destination.endpoint, { PUSHGATEWAY_URL: await nowhere(), PUSH_TIMEOUT_SECONDS: "2" });
    expect(r.code, r.stderr).toBe(EXIT.pushFailed);
    const lines = logLines(r.stderr);
    expect(lines.some((l) => l.msg === "OFFSITE COPY OK")).toBe(true);
    expect(lines.find((l) => l.msg.startsWith("PUSH FAILED"))).toMatchObject({ level: "error", job: OFFSITE_COPY_JOB });
  });

  it("a destination that does not answer: nothing copied, the run fails and says so, the last success kept", async () => {
    const before = (await metrics())[M.lastSuccess];
    const r = await copy(await nowhere());
    expect(r.code, r.stderr).toBe(EXIT.failed);
    const lines = logLines(r.stderr);
    expect(lines.find((l) => l.msg === "cannot list the destination bucket")).toMatchObject({ level: "error", bucket: destination.bucket });
    expect(lines.some((l) => l.msg === "OFFSITE COPY FAILED")).toBe(true);
    const m = await metrics();
    expect(m[M.lastRunSuccess]).toBe(0);
    expect(m[M.objectsCopied]).toBe(0);
    expect(m[M.lastSuccess]).toBe(before);
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

  it("large objects go up in parts, streamed; one that does not match its record has its upload aborted: nothing stored", async () => {
    const good = "postgresql/orders-db/2026/12/08/orders-db-20261208T020000Z.pgdump.zst";
    const bad = "postgresql/orders-db/2026/12/09/orders-db-20261209T020000Z.pgdump.zst";
    const big = Buffer.alloc(UPLOAD_PART_BYTES + (1 << 20), "large backup bytes ");
    putSource(good, big);
    putSource(bad, big, sha("other bytes"));
    const proxy = await recordingProxy(() => destination.port);
    let r: RunResult;
    try {
      r = await copy(proxy.endpoint);
    } finally {
      await proxy.close();
    }
    // The source object of the test above still fails its record.
    expect(r.code, r.stderr).toBe(EXIT.failed);
    const to = (needle: string) => proxy.requests.filter((q) => q.path.includes(needle)).map((q) => `${q.method} ${/[?&]partNumber=/.test(q.path) ? "part" : /[?&]uploads/.test(q.path) ? "create" : /[?&]uploadId=/.test(q.path) ? "upload-id" : "object"}`);
    expect(to("20261208T020000Z")).toEqual(["POST create", "PUT part", "PUT part", "POST upload-id", "GET object"]);
    // The bad one's parts went up as they streamed, but the upload was aborted, never completed.
    expect(to("20261209T020000Z")).toEqual(["POST create", "PUT part", "PUT part", "DELETE upload-id"]);
    expect(sha(destBytes(good))).toBe(sha(big));
    expect(destMeta(good).Metadata.sha256).toBe(sha(big));
    expect(() => destBytes(bad)).toThrow();
    expect(logLines(r.stderr).find((l) => l.msg?.startsWith("CHECKSUM MISMATCH: the source object") && l.key === bad)).toMatchObject({ recorded: sha("other bytes"), got: sha(big) });
  });

  it("a backup the runtime streamed up (its SHA-256 in the manifest beside it, none on the object) is checked against that manifest as it streams: damage at rest is not copied, and a manifest that cannot vouch for it is said", async () => {
    const legacy = parseManifest(readFileSync(join(PROJECT_DIR, "test/fixtures/legacy-manifests/logical.manifest.json"), "utf8"));
    const { schema: _schema, ...fields } = legacy;
    const manifestFor = (key: string, bytes: Buffer, over: Partial<ManifestInput> = {}) =>
      serializeManifest({ ...fields, bucket: source.bucket, key, manifest_key: `${key}.manifest.json`, size_bytes: bytes.length, sha256: sha(bytes), ...over });
    const at = (day: number) => `postgresql/orders-db/2026/12/${day}/orders-db-202612${day}T020000Z.pgdump.zst`;
    const [good, damaged, unvouched] = [at(20), at(21), at(22)];
    const big = Buffer.alloc(UPLOAD_PART_BYTES + (1 << 20), "streamed backup bytes ");
    const flipped = Buffer.from(big);
    flipped[1234] = flipped[1234]! ^ 0xff;
    putSource(good, big, false);
    putSource(`${good}.manifest.json`, manifestFor(good, big));
    // Damage at rest: the object no longer the bytes its manifest records.
    putSource(damaged, flipped, false);
    putSource(`${damaged}.manifest.json`, manifestFor(damaged, big));
    // A manifest that names another object vouches for nothing: staged and hashed, as an object with no record.
    putSource(unvouched, big, false);
    putSource(`${unvouched}.manifest.json`, manifestFor(unvouched, big, { key: good }));
    const r = await copy();
    expect(r.code, r.stderr).toBe(EXIT.failed);
    const lines = logLines(r.stderr);
    expect(sha(destBytes(good))).toBe(sha(big));
    expect(destMeta(good).Metadata.sha256).toBe(sha(big));
    expect(lines.some((l) => l.key === good && l.level !== "info")).toBe(false);
    expect(lines.find((l) => l.msg?.startsWith("CHECKSUM MISMATCH: the source object") && l.key === damaged), r.stderr).toMatchObject({ recorded: sha(big), recorded_in: "manifest", got: sha(flipped) });
    expect(() => destBytes(damaged)).toThrow();
    expect(lines.find((l) => l.key === unvouched && l.level === "warn"), r.stderr).toMatchObject({ msg: "the backup's manifest cannot vouch for it: staged and hashed instead" });
    expect(destMeta(unvouched).Metadata.sha256).toBe(sha(big));
  });

  it("refuses to start without a destination, naming what is missing", async () => {
    const r = await runRuntime("offsite-copy", { ...sourceIdentityEnv(), S3_BUCKET: source.bucket, WORK_DIR: join(root, "w-config"), PUSHGATEWAY_URL: pgw.url }, 30_000);
    expect(r.code).toBe(EXIT.config);
    expect(logLines(r.stderr)[0]!.msg).toContain("DEST_BUCKET (not set) is required");
  });

  it("a missing destination key: exit config, the message names the variable", async () => {
    const { DEST_AWS_SECRET_ACCESS_KEY: _secret, ...env } = jobEnv();
    const r = await runRuntime("offsite-copy", env, 30_000);
    expect(r.code).toBe(EXIT.config);
    const [line] = logLines(r.stderr);
    expect(line).toMatchObject({ level: "error", script: "offsite-copy" });
    expect(line!.msg).toBe("the run's environment is wrong: DEST_AWS_SECRET_ACCESS_KEY (not set) is required (the destination's own secret key, from its Secret)");
  });
});

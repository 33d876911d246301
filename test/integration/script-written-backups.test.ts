/**
 * Backups the shell scripts wrote stay drillable now that the runtime replaced them (issue 23: "Manifests already in
 * buckets, written by today's scripts, stay readable"): real objects, manifests and latest.json that backup.sh wrote
 * before it was deleted (test/fixtures/legacy-backups/README.md), put back at their keys in s3rver with the SHA-256
 * metadata the scripts recorded, then drilled by the runtime bundle the plan ships, zstd and gzip alike. The manifests
 * of the other shapes the scripts wrote are read in test/backup/manifest.test.ts.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEnv } from "./helpers/scripts";
import { runRuntime } from "./helpers/runtime";
import { startPushgateway, startS3, tempDir, type Pushgateway, type S3 } from "./helpers/servers";
import { DRILL_JOB, DRILL_METRICS, LAYOUT, parseManifest } from "../../components/backup/contract";
import { ArchiveStore } from "../../components/backup/runtime/s3";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

const FIXTURES = join(PROJECT_DIR, "test", "fixtures", "legacy-backups");
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

let s3: S3;
let pgw: Pushgateway;
let root: string;

beforeAll(async () => {
  root = tempDir("script-written");
  [s3, pgw] = await Promise.all([startS3(), startPushgateway()]);
  const store = new ArchiveStore({ bucket: s3.bucket, region: "us-east-1", endpoint: s3.endpoint, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  for (const path of files(join(FIXTURES, "sqlite"))) {
    const key = relative(FIXTURES, path);
    const bytes = readFileSync(path);
    const json = key.endsWith(LAYOUT.manifestSuffix) || key.endsWith("/latest.json");
    // The scripts stored every object with its SHA-256 as x-amz-meta-sha256.
    await store.putSmall(key, bytes, { contentType: json ? "application/json" : "application/octet-stream", metadata: { sha256: createHash("sha256").update(bytes).digest("hex") } });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.stop(), pgw?.stop()]);
  rmSync(root, { recursive: true, force: true });
});

describe.each([
  ["legacy-app", "zstd"],
  ["legacy-app-gzip", "gzip"],
])("the %s backup backup.sh wrote (%s)", (target, compression) => {
  const latest = () => parseManifest(readFileSync(join(FIXTURES, "sqlite", target, "latest.json"), "utf8"), "the fixture's latest.json");

  it("is a manifest the contract's reader validates, as the scripts wrote it", () => {
    const m = latest();
    expect(m).toMatchObject({ schema: 1, kind: "sqlite", target, compression, format: "sqlite3-database", counts: { items: 250, notes: 1 } });
    expect(m.key.startsWith(`sqlite/${target}/`)).toBe(true);
  });

  it("drills with the runtime: checksum, decompression, integrity_check and every table's rows as the manifest counted", async () => {
    const r = await runRuntime("drill", jobEnv(root, { s3, pushgatewayUrl: pgw.url }, "sqlite", target), 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("counts match");
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, "sqlite", target)).toBe(1);
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastVerifiedBackup, "sqlite", target)).toBe(latest().started_epoch);
  }, 150_000);
});

/**
 * Prometheus TSDB snapshot backup and drill with the runtime's bundle as the pods run it against a real Prometheus
 * (admin API enabled, scraping itself on loopback), a real Pushgateway and s3rver. The drill runs promtool over the
 * snapshot it extracted while downloading, then opens it in a throwaway Prometheus. Faults: the wrong volume, no
 * admin API, PROM_DATA_DIR missing, an archive whose blocks are not the ones its manifest counts.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { zstdDecompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEnv } from "./helpers/scripts";
import { putCraftedBackup, runRuntime } from "./helpers/runtime";
import { freePort, Prometheus, Pushgateway, S3, sleep, startPrometheus, startPushgateway, startS3, tempDir } from "./helpers/servers";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS, EXIT } from "../../components/backup/contract";

const KIND = "prometheus-snapshot";
const TARGET = "prometheus-0";
let prom: Prometheus;
let s3: S3;
let pgw: Pushgateway;
let root: string;

function env(over: Record<string, string> = {}): Record<string, string> {
  return jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, TARGET, { PROMETHEUS_URL: prom.url, PROM_DATA_DIR: prom.dataDir, ...over });
}

beforeAll(async () => {
  root = tempDir("prom-suite");
  [prom, s3, pgw] = await Promise.all([startPrometheus(), startS3(), startPushgateway()]);
  // Let it scrape itself a few times, so the head block holds series and samples.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = (await (await fetch(`${prom.url}/api/v1/query?query=count(up)`)).json()) as { data: { result: unknown[] } };
    if (r.data.result.length > 0) break;
    await sleep(500);
  }
  await sleep(3000);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([prom?.stop(), s3?.stop(), pgw?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("prometheus-snapshot backup and drill (real Prometheus, promtool, Pushgateway, s3rver)", () => {
  let manifest: Record<string, any>;

  it("snapshots through the admin API, archives it, uploads it, and removes the snapshot directory", async () => {
    const r = await runRuntime("backup", env());
    expect(r.code, r.stderr).toBe(0);
    manifest = JSON.parse(readFileSync(s3.objectPath(`${KIND}/${TARGET}/latest.json`), "utf8"));
    expect(manifest.key).toMatch(/^prometheus-snapshot\/prometheus-0\/\d{4}\/\d{2}\/\d{2}\/prometheus-0-\d{8}T\d{6}Z\.tar\.zst$/);
    expect(manifest.format).toBe("prometheus-tsdb-snapshot-tar");
    expect(manifest.counts.blocks).toBeGreaterThanOrEqual(1);
    expect(manifest.counts.series).toBeGreaterThan(10);
    const snaps = join(prom.dataDir, "snapshots");
    expect(existsSync(snaps) ? readdirSync(snaps) : []).toEqual([]);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, TARGET)).toBe(1);
  });

  it("drill: promtool lists and analyzes every block (counts equal the manifest's), then a throwaway Prometheus loads and serves them", async () => {
    const r = await runRuntime("drill", env({ PROM_DRILL_PORT: String(await freePort()) }));
    expect(r.stderr).toContain("the restored Prometheus loaded every block and serves them");
    expect(r.stderr).toContain("snapshot verified");
    expect(r.code, r.stderr).toBe(0);
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, KIND, TARGET)).toBe(1);
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastVerifiedBackup, KIND, TARGET)).toBe(
      manifest.started_epoch,
    );
  });

  it("the wrong volume mounted at PROM_DATA_DIR fails loudly and is pushed as a failure", async () => {
    const elsewhere = join(root, "not-prometheus");
    mkdirSync(elsewhere, { recursive: true });
    const r = await runRuntime("backup", env({ PROM_DATA_DIR: elsewhere }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not under PROM_DATA_DIR/snapshots");
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, TARGET)).toBe(0);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastSuccess, KIND, TARGET)).toBeGreaterThan(0);
    // the real snapshot that call created is Prometheus's; clean it so it does not pin disk in this test either
    rmSync(join(prom.dataDir, "snapshots"), { recursive: true, force: true });
  });

  it("Prometheus without a reachable admin API fails loudly", async () => {
    const r = await runRuntime("backup", env({ PROMETHEUS_URL: "http://127.0.0.1:1" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("snapshot request failed");
  });

  it("an upload that fails still removes the snapshot directory, and is pushed as a failure", async () => {
    const r = await runRuntime("backup", env({ S3_BUCKET: "no-such-bucket" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("BACKUP FAILED");
    const snaps = join(prom.dataDir, "snapshots");
    expect(existsSync(snaps) ? readdirSync(snaps) : []).toEqual([]);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, TARGET)).toBe(0);
  });

  it("PROM_DATA_DIR not a directory here is a configuration error naming it", async () => {
    const r = await runRuntime("backup", env({ PROM_DATA_DIR: join(root, "no-such-dir") }));
    expect(r.code).toBe(EXIT.config);
    expect(r.stderr).toContain("PROM_DATA_DIR '");
    expect(r.stderr).toContain("is not a directory in this container");
  });

  it("an archive whose blocks are not the ones its manifest counts fails the drill before the throwaway Prometheus starts", async () => {
    // The real backup's archive, announced with one block more than it holds.
    const stored = readFileSync(s3.objectPath(manifest.key));
    const tarBytes = manifest.compression === "zstd" ? zstdDecompressSync(stored) : stored;
    const counts = { blocks: manifest.counts.blocks + 1, series: manifest.counts.series };
    await putCraftedBackup(s3, KIND, "miscounted", { bytes: tarBytes, ext: "tar", format: "prometheus-tsdb-snapshot-tar", counts });
    const r = await runRuntime("drill", jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, "miscounted", { PROM_DRILL_PORT: String(await freePort()) }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("RESTORED DATA DIFFERS");
    expect(r.stderr).toContain(`blocks: expected ${counts.blocks}, restored ${manifest.counts.blocks}`);
    expect(r.stderr).not.toContain("the restored Prometheus loaded every block");
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, KIND, "miscounted")).toBe(0);
  });
});

/**
 * Carrying Prometheus history over when Strata replaces a kube-prometheus-stack release (issue 22,
 * docs/runbooks/adopt-existing-estate.md): the old Prometheus's volume is bound to the claim Strata's Prometheus
 * looks for, and both operators keep the TSDB in the same place on it, the subPath `prometheus-db`
 * (prometheus-operator pkg/prometheus/statefulset.go, `subPathForStorage`). Here with real servers: one Prometheus
 * writes (historic blocks made by promtool from OpenMetrics, and its own scrapes in the head/WAL), stops, its
 * volume's directory is handed to a second one, which answers the same queries with the same series and values.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sleep, startPrometheus, tempDir, type Prometheus } from "./helpers/servers";
import { prometheusDataClaimName, KPS_FULLNAME, kpsDefaultFullname } from "../../components/metrics/names";

const SUBPATH = "prometheus-db";
const running: Prometheus[] = [];
const scratch = tempDir("carry-over");
afterAll(async () => {
  for (const p of running) await p.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function query(url: string, path: string): Promise<any> {
  const r = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5000) });
  expect(r.ok).toBe(true);
  const body = (await r.json()) as { status: string; data: any };
  expect(body.status).toBe("success");
  return body.data;
}

describe("Prometheus history carried over to the replacing release's Prometheus (real Prometheus and promtool)", () => {
  it("the claim names both operators use: the old release's and Strata's", () => {
    expect(prometheusDataClaimName(kpsDefaultFullname("prometheus"))).toBe("prometheus-prometheus-kube-prometheus-prometheus-db-prometheus-prometheus-kube-prometheus-prometheus-0");
    expect(prometheusDataClaimName(KPS_FULLNAME)).toBe("prometheus-strata-prometheus-db-prometheus-strata-prometheus-0");
  });

  it("the same series answer the same queries after the directory is handed over", async () => {
    const oldVolume = join(scratch, "old-volume");
    const oldTsdb = join(oldVolume, SUBPATH);
    mkdirSync(oldTsdb, { recursive: true });
    // Two hours of history, one sample a minute, ending an hour ago: what the team's Prometheus already holds.
    const end = Math.floor(Date.now() / 1000 / 60) * 60 - 3600;
    const start = end - 7200;
    const lines = ["# TYPE batchsender_jobs_processed counter"];
    for (let t = start; t <= end; t += 60) lines.push(`batchsender_jobs_processed_total{queue="emails"} ${(t - start) / 60} ${t}`);
    lines.push("# EOF");
    const input = join(scratch, "history.om");
    writeFileSync(input, `${lines.join("\n")}\n`);
    const made = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", input, oldTsdb], { encoding: "utf8", timeout: 60_000 });
    expect(made.status, made.stderr).toBe(0);

    // The old Prometheus: loads the blocks, scrapes itself for a few seconds (head and WAL), stops.
    const old = await startPrometheus({ dataDir: oldTsdb });
    running.push(old);
    const historic = `/api/v1/query_range?query=${encodeURIComponent('batchsender_jobs_processed_total{queue="emails"}')}&start=${start}&end=${end}&step=60`;
    let before: any;
    for (let i = 0; i < 50; i++) {
      before = await query(old.url, historic);
      if (before.result.length === 1) break;
      await sleep(200);
    }
    expect(before.result[0].values.length).toBe(121);
    // Its own scrapes begin once discovery first reports the target (every 5 s): wait for a few, within 30 s.
    let scrapeEnd = 0;
    let live = "";
    let liveBefore: any;
    for (let i = 0; i < 60; i++) {
      await sleep(500);
      scrapeEnd = Math.floor(Date.now() / 1000);
      live = `/api/v1/query_range?query=${encodeURIComponent('up{job="self"}')}&start=${scrapeEnd - 60}&end=${scrapeEnd}&step=1`;
      liveBefore = await query(old.url, live);
      if ((liveBefore.result[0]?.values.length ?? 0) >= 3) break;
    }
    expect(liveBefore.result[0].values.length).toBeGreaterThanOrEqual(3);
    await old.stop();
    running.splice(running.indexOf(old), 1);

    // Handed over: the same volume, now bound to Strata's claim and mounted by its Prometheus at the same subPath.
    const newVolume = join(scratch, "carried-over-volume");
    renameSync(oldVolume, newVolume);
    const replacing = await startPrometheus({ dataDir: join(newVolume, SUBPATH) });
    running.push(replacing);
    const after = await query(replacing.url, historic);
    expect(after.result).toEqual(before.result);
    const liveAfter = await query(replacing.url, live);
    // The old head came back from the WAL: every sample the old one served is served again, the same.
    const afterByTime = new Map(liveAfter.result[0].values.map(([t, v]: [number, string]) => [t, v]));
    for (const [t, v] of liveBefore.result[0].values as [number, string][]) expect(afterByTime.get(t)).toBe(v);
  }, 120_000);
});

import { z } from "zod";
import type { RefinementCtx } from "zod";
import type { RetentionConfig } from "./retention";
import { HCLOUD_VOLUME } from "./storage";
import { metricsAdoption } from "./adoption";

const replicas = (what: string, max = 5) => z.number().int().min(1).max(max).describe(`Replicas of ${what}.`);
const volume = (what: string) => z.number().int().min(1).max(16384).describe(`Volume size of ${what} in GiB.`);

/** Hetzner's CSI driver will not create a volume smaller than this (one fact, kept with the storage section). */
export const HCLOUD_MIN_VOLUME_GIB = HCLOUD_VOLUME.minGiB;
/** Prometheus needs room beside retentionSize for the WAL, the head block and compaction. */
export const TSDB_VOLUME_HEADROOM = 0.85;

export const metricsSection = {
  metrics: z
    .strictObject({
      prometheus: z
        .strictObject({
          replicas: replicas("Prometheus (2 for HA: identical scrapes, deduplicated by Thanos Query)"),
          scrapeInterval: z.string().regex(/^[1-9][0-9]*s$/, "must be whole seconds such as 30s").describe("Default scrape interval."),
        })
        .describe("Prometheus from kube-prometheus-stack."),
      thanos: z
        .strictObject({
          enabled: z.boolean().describe("Run Thanos (sidecar, query, store gateway, compactor, ruler) on the metrics bucket; off, Prometheus keeps only its local TSDB (seed 000)."),
          query: z.strictObject({ replicas: replicas("Thanos Query") }).describe("Thanos Query."),
          queryFrontend: z.strictObject({ replicas: replicas("Thanos Query Frontend") }).describe("Thanos Query Frontend (Grafana's datasource)."),
          storeGateway: z
            .strictObject({
              replicas: replicas("the store gateway"),
              indexCacheGiB: z.number().int().min(1).max(64).describe("In-memory index cache per store gateway."),
              bucketCacheGiB: z.number().int().min(1).max(64).describe("In-memory chunk and bucket cache per store gateway."),
            })
            .describe("Thanos store gateway: serves the bucket's blocks to Query."),
          compactor: z
            .strictObject({
              replicas: z.number().int().describe("Compactor replicas: exactly 1 (Thanos requires a single compactor per bucket)."),
            })
            .describe("Thanos compactor: compaction, downsampling and retention in the bucket."),
          ruler: z.strictObject({ replicas: replicas("the Thanos ruler") }).describe("Thanos ruler for long-range rules."),
        })
        .describe("Long-term metrics in S3 through Thanos."),
      pushgateway: z
        .strictObject({
          replicas: replicas("the Pushgateway (more than 1 runs as a StatefulSet, each with its volume)"),
          volumeSizeGiB: volume("each Pushgateway (its --persistence.file)"),
        })
        .describe("Pushgateway for batch jobs' metrics."),
      adopt: metricsAdoption.optional(),
    })
    .describe("Metrics: Prometheus, Thanos, Alertmanager, Pushgateway, Grafana."),
};

export type MetricsConfig = z.infer<typeof metricsSection.metrics>;

/**
 * Volume sizes of Prometheus, the store gateway and the compactor come from the capacity planner (its estimate, or
 * `strata:capacity.overrides`), so this only checks what the planner cannot: one compactor, a TSDB cap the volume
 * can hold, and the Pushgateway's volume on Hetzner.
 */
export function checkMetrics(metrics: MetricsConfig, retention: RetentionConfig, cloud: "aws" | "hcloud", prometheusVolumeGiB: { gib: number; source: string }, ctx: RefinementCtx): void {
  if (metrics.thanos.compactor.replicas !== 1) {
    ctx.addIssue({
      code: "custom",
      path: ["metrics", "thanos", "compactor", "replicas"],
      input: metrics.thanos.compactor.replicas,
      message: "must be 1: two compactors on one bucket compact and delete the same blocks and corrupt it",
    });
  }
  const usable = Math.floor(prometheusVolumeGiB.gib * TSDB_VOLUME_HEADROOM);
  if (retention.localTsdbSizeGiB > usable) {
    const from = prometheusVolumeGiB.source === "override" ? "capacity.overrides.prometheusVolumeGiB" : "the capacity estimate";
    ctx.addIssue({
      code: "custom",
      path: ["retention", "localTsdbSizeGiB"],
      input: retention.localTsdbSizeGiB,
      message: `must be <= ${usable} (85% of the ${prometheusVolumeGiB.gib} GiB Prometheus volume from ${from}): the WAL and compaction need the rest, and a full volume stops ingestion`,
    });
  }
  if (cloud === "hcloud" && metrics.pushgateway.volumeSizeGiB < HCLOUD_MIN_VOLUME_GIB) {
    ctx.addIssue({ code: "custom", path: ["metrics", "pushgateway", "volumeSizeGiB"], input: metrics.pushgateway.volumeSizeGiB, message: `must be >= ${HCLOUD_MIN_VOLUME_GIB} on hcloud: the Hetzner CSI driver's minimum volume size` });
  }
}

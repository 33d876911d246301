import { z } from "zod";
import type { RefinementCtx } from "zod";
import type { RetentionConfig } from "./retention";
import type { ContainerResources } from "./resources";
import { HCLOUD_VOLUME } from "./storage";
import { checkResources, containerResources, memoryMiB } from "./resources";
import { PROMETHEUS_DURATION, promDurationSeconds } from "./duration";
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
          evaluationInterval: z
            .string()
            .regex(PROMETHEUS_DURATION, "must be a Prometheus duration such as 30s or 1m")
            .refine((d) => !PROMETHEUS_DURATION.test(d) || promDurationSeconds(d) > 0, "must be longer than 0s")
            .optional()
            .describe("How often Prometheus evaluates recording and alerting rules; default the scrape interval (`metrics.prometheus.scrapeInterval`).")
            .meta({ examples: ["30s"] }),
          resources: containerResources("each Prometheus container")
            .optional()
            .describe("Requests and limits of each Prometheus container; when unset, CPU 500m (limit 2) and memory from the capacity estimate (`capacity.overrides.prometheusMemoryGiB`) as both request and limit."),
        })
        .describe("Prometheus from kube-prometheus-stack."),
      thanos: z
        .strictObject({
          enabled: z.boolean().describe("Run Thanos (sidecar, query, store gateway, compactor, ruler) on the metrics bucket; off, Prometheus keeps only its local TSDB (seed 000)."),
          sidecar: z.strictObject({ resources: containerResources("the Thanos sidecar in each Prometheus pod") }).describe("Thanos sidecar (uploads Prometheus' blocks)."),
          query: z.strictObject({ replicas: replicas("Thanos Query"), resources: containerResources("each Thanos Query") }).describe("Thanos Query."),
          queryFrontend: z.strictObject({ replicas: replicas("Thanos Query Frontend"), resources: containerResources("each Thanos Query Frontend") }).describe("Thanos Query Frontend (Grafana's datasource)."),
          storeGateway: z
            .strictObject({
              replicas: replicas("the store gateway"),
              indexCacheGiB: z.number().int().min(1).max(64).describe("In-memory index cache per store gateway."),
              bucketCacheGiB: z.number().int().min(1).max(64).describe("In-memory chunk and bucket cache per store gateway."),
              resources: containerResources("each store gateway")
                .optional()
                .describe("Requests and limits of each store gateway; when unset, CPU 500m (limit 2) and memory for both caches plus 1 GiB as both request and limit. The memory limit must hold both caches."),
            })
            .describe("Thanos store gateway: serves the bucket's blocks to Query."),
          compactor: z
            .strictObject({
              replicas: z.number().int().describe("Compactor replicas: exactly 1 (Thanos requires a single compactor per bucket)."),
              resources: containerResources("the compactor"),
            })
            .describe("Thanos compactor: compaction, downsampling and retention in the bucket."),
          ruler: z.strictObject({ replicas: replicas("the Thanos ruler"), resources: containerResources("each Thanos ruler") }).describe("Thanos ruler for long-range rules."),
        })
        .describe("Long-term metrics in S3 through Thanos."),
      pushgateway: z
        .strictObject({
          enabled: z.boolean().describe("Run the Pushgateway, where batch jobs (Strata's backups and drills among them) push their metrics; required while any backup target exists."),
          replicas: replicas("the Pushgateway (more than 1 runs as a StatefulSet, each with its volume)"),
          volumeSizeGiB: volume("each Pushgateway (its --persistence.file)"),
          resources: containerResources("each Pushgateway"),
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
  const t = metrics.thanos;
  const resources: [ContainerResources | undefined, string[]][] = [
    [metrics.prometheus.resources, ["prometheus"]],
    [t.sidecar.resources, ["thanos", "sidecar"]],
    [t.query.resources, ["thanos", "query"]],
    [t.queryFrontend.resources, ["thanos", "queryFrontend"]],
    [t.storeGateway.resources, ["thanos", "storeGateway"]],
    [t.compactor.resources, ["thanos", "compactor"]],
    [t.ruler.resources, ["thanos", "ruler"]],
    [metrics.pushgateway.resources, ["pushgateway"]],
  ];
  for (const [r, path] of resources) if (r) checkResources(r, ["metrics", ...path, "resources"], ctx);
  const caches = t.storeGateway.indexCacheGiB + t.storeGateway.bucketCacheGiB;
  if (t.storeGateway.resources && memoryMiB(t.storeGateway.resources.limits.memory) <= caches * 1024) {
    ctx.addIssue({
      code: "custom",
      path: ["metrics", "thanos", "storeGateway", "resources", "limits", "memory"],
      input: t.storeGateway.resources.limits.memory,
      message: `must be more than ${caches}Gi: both in-memory caches (indexCacheGiB ${t.storeGateway.indexCacheGiB} + bucketCacheGiB ${t.storeGateway.bucketCacheGiB}) live in the store gateway's heap`,
    });
  }
  const { evaluationInterval, scrapeInterval } = metrics.prometheus;
  if (evaluationInterval !== undefined && promDurationSeconds(evaluationInterval) < promDurationSeconds(scrapeInterval)) {
    ctx.addIssue({ code: "custom", path: ["metrics", "prometheus", "evaluationInterval"], input: evaluationInterval, message: `must be at least the scrape interval (${scrapeInterval}): rules evaluated more often than samples arrive only repeat the same result` });
  }
  if (cloud === "hcloud" && metrics.pushgateway.volumeSizeGiB < HCLOUD_MIN_VOLUME_GIB) {
    ctx.addIssue({ code: "custom", path: ["metrics", "pushgateway", "volumeSizeGiB"], input: metrics.pushgateway.volumeSizeGiB, message: `must be >= ${HCLOUD_MIN_VOLUME_GIB} on hcloud: the Hetzner CSI driver's minimum volume size` });
  }
}

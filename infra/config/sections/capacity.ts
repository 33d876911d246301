import { z } from "zod";

const gib = (what: string) => z.number().int().min(1).max(65536).optional().describe(what);

/**
 * What the platform is sized for (infra/capacity/). The workload inputs drive the estimates; an explicit size under
 * `overrides` always wins over the estimate (and an advisory warning says when it is below it).
 */
export const capacitySection = {
  capacity: z
    .strictObject({
      metrics: z
        .strictObject({
          activeSeries: z.number().int().min(1).max(1e9).describe("Active series per Prometheus replica (`prometheus_tsdb_head_series`)."),
          scrapeIntervalSeconds: z.number().int().min(1).max(3600).describe("Scrape interval in seconds; samples/s = activeSeries / scrapeIntervalSeconds."),
        })
        .describe("Metrics workload: what Prometheus memory, its volume and the metrics bucket are sized from."),
      logs: z
        .strictObject({
          gbPerDay: z.number().min(0).max(1e6).describe("Uncompressed log volume ingested by Loki, in GB (10^9 bytes) per day."),
        })
        .describe("Logs workload: what the logs bucket is sized from."),
      databases: z
        .record(z.string(), z.number().min(0).max(1e6).describe("Size of the data on disk, in GiB."))
        .describe("Size in GiB of the data each backup target protects, by target name (strata:backups.targets, and `telemetry` when the telemetry backend implies it); without an entry a `prometheus-snapshot` target is sized from the Prometheus estimate and the telemetry SQLite file from its claim (`telemetry.sqlite.sizeGiB`, an upper bound). A name that is no target draws an advisory warning."),
      overrides: z
        .strictObject({
          prometheusVolumeGiB: gib("Explicit size of each Prometheus volume; otherwise the planner's estimate."),
          prometheusMemoryGiB: gib("Explicit memory request of each Prometheus replica; otherwise the planner's estimate."),
          storeGatewayVolumeGiB: gib("Explicit size of each Thanos store gateway volume; otherwise the planner's estimate."),
          compactorVolumeGiB: gib("Explicit size of the Thanos compactor's scratch volume; otherwise the planner's estimate."),
        })
        .describe("Explicit sizes; each wins over the planner's estimate for its volume or request."),
    })
    .describe("Capacity and cost planning inputs (infra/capacity/): workload figures and explicit size overrides."),
};

export type CapacityConfig = z.infer<typeof capacitySection.capacity>;

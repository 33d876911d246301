import { z } from "zod";
import { HCLOUD_VOLUME } from "./storage";
import type { RefinementCtx } from "zod";
import { checkResources, containerResources } from "./resources";
import type { RetentionConfig } from "./retention";
import { SAFETY_NET_MARGIN_DAYS } from "./retention";

// A LogQL stream selector: one or more label matchers in braces, e.g. {namespace="dev"}.
const STREAM_SELECTOR = /^\{\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"[^"]*"(\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"[^"]*")*\s*\}$/;

/** The Hetzner CSI driver refuses volumes below 10 GiB (DESIGN §4). */
export const HCLOUD_MIN_VOLUME_GIB = HCLOUD_VOLUME.minGiB;

export const loggingSection = {
  logging: z
    .strictObject({
      enabled: z.boolean().describe("Run Loki, the log collector and the logs bucket (with their identities, Grafana datasource and outputs); off, none of them is declared."),
      loki: z
        .strictObject({
          mode: z
            .enum(["monolithic", "distributed"])
            .describe("`monolithic`: one Loki binary per replica (small installs); `distributed`: Loki's microservices, each scaled on its own. SimpleScalable is deprecated in the chart and not offered."),
          replicas: z.number().int().min(1).max(20).describe("Replicas of the single binary (monolithic) or of each Loki component but the compactor, which is a singleton (distributed)."),
          replicationFactor: z
            .number()
            .int()
            .min(1)
            .max(5)
            .describe("Ingesters that receive every stream; 3 survives the loss of one ingester without losing acknowledged writes. At most `replicas`."),
          volumeSizeGiB: z.number().int().min(1).max(16384).describe("Size of each Loki volume (write-ahead log, index cache, compactor working files) on Strata's StorageClass."),
          retentionDeleteDelayHours: z
            .number()
            .int()
            .min(0)
            .max(8760)
            .describe("Hours the compactor waits between marking expired chunks and deleting them (`retention_delete_delay`); must end before the logs bucket's safety-net expiry."),
          streamRetention: z
            .array(
              z.strictObject({
                selector: z.string().regex(STREAM_SELECTOR, 'must be a LogQL stream selector such as {namespace="dev"}').describe("LogQL stream selector of the streams this retention applies to."),
                days: z.number().int().min(1).max(3650).describe("Days these streams are kept; at most retention.logsDays (the bucket's safety net is derived from that)."),
                priority: z.number().int().min(0).max(1000).describe("When several selectors match, the highest priority wins."),
              }),
            )
            .max(20)
            .describe("Shorter retention for selected streams (`limits_config.retention_stream`)."),
          caches: z
            .strictObject({
              enabled: z.boolean().describe("Run memcached for chunks and query results; off, every query reads from S3."),
              chunksMemoryMiB: z.number().int().min(64).max(65536).describe("Memory of the chunks cache (memcached `allocatedMemory`)."),
              resultsMemoryMiB: z.number().int().min(64).max(65536).describe("Memory of the query results cache (memcached `allocatedMemory`)."),
            })
            .describe("Memcached caches in front of the logs bucket."),
          resources: containerResources("each Loki container"),
        })
        .describe("Loki on the logs bucket (grafana-community chart `loki`)."),
      collector: z
        .strictObject({
          resources: containerResources("the log collector on each node"),
        })
        .describe("The log collector: a Grafana Alloy DaemonSet shipping every pod's logs to Loki."),
    })
    .describe("Logs: Loki and the collector that feeds it."),
};

export type LoggingConfig = z.infer<typeof loggingSection.logging>;

/**
 * Where Loki's own settings could contradict the one retention model. Loki deletes through its compactor at
 * retention.logsDays; the logs bucket expires objects SAFETY_NET_MARGIN_DAYS later as a safety net only. So a
 * stream may be kept shorter than the model (that is what overrides are for) but never longer, and the compactor
 * must finish deleting before the safety net fires, or the bucket, not Loki, decides what is kept.
 */
export function checkLokiRetention(logging: LoggingConfig, retention: RetentionConfig, ctx: RefinementCtx): void {
  logging.loki.streamRetention.forEach((s, i) => {
    if (s.days > retention.logsDays) {
      ctx.addIssue({
        code: "custom",
        path: ["logging", "loki", "streamRetention", i, "days"],
        input: s.days,
        message: `must be <= retention.logsDays (${retention.logsDays}): the logs bucket expires objects at day ${retention.logsDays + SAFETY_NET_MARGIN_DAYS}, derived from retention.logsDays; raise that instead`,
      });
    }
  });
  const marginHours = SAFETY_NET_MARGIN_DAYS * 24;
  if (logging.loki.retentionDeleteDelayHours >= marginHours) {
    ctx.addIssue({
      code: "custom",
      path: ["logging", "loki", "retentionDeleteDelayHours"],
      input: logging.loki.retentionDeleteDelayHours,
      message: `must be < ${marginHours} (the ${SAFETY_NET_MARGIN_DAYS}-day safety-net margin of the logs bucket): a longer delay lets the bucket's expiry delete chunks before Loki's compactor does`,
    });
  }
}

export function checkLokiTopology(logging: LoggingConfig, cloud: "aws" | "hcloud", ctx: RefinementCtx): void {
  const { loki } = logging;
  if (loki.replicationFactor > loki.replicas) {
    ctx.addIssue({ code: "custom", path: ["logging", "loki", "replicationFactor"], input: loki.replicationFactor, message: `must be <= logging.loki.replicas (${loki.replicas}): each stream needs that many ingesters` });
  }
  if (cloud === "hcloud" && loki.volumeSizeGiB < HCLOUD_MIN_VOLUME_GIB) {
    ctx.addIssue({ code: "custom", path: ["logging", "loki", "volumeSizeGiB"], input: loki.volumeSizeGiB, message: `must be >= ${HCLOUD_MIN_VOLUME_GIB} on hcloud: the Hetzner CSI driver's minimum volume size` });
  }
  checkResources(loki.resources, ["logging", "loki", "resources"], ctx);
  checkResources(logging.collector.resources, ["logging", "collector", "resources"], ctx);
}

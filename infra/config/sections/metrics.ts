import { z } from "zod";

export const metricsSection = {
  metrics: z
    .strictObject({
      thanos: z
        .strictObject({
          enabled: z.boolean().describe("Run Thanos (sidecar, query, store gateway, compactor, ruler) on the metrics bucket; off, Prometheus keeps only its local TSDB (seed 000)."),
        })
        .describe("Long-term metrics in S3 through Thanos."),
    })
    .describe("Metrics: Prometheus, Thanos, Alertmanager, Pushgateway, Grafana."),
};

export type MetricsConfig = z.infer<typeof metricsSection.metrics>;

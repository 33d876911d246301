import { z } from "zod";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const namespaceName = (what: string) =>
  z.string().regex(DNS1123_LABEL, "must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)").describe(what);

export const namespacesSection = {
  namespaces: z
    .strictObject({
      monitoring: namespaceName("Namespace of Prometheus, Thanos, Alertmanager, Pushgateway and Grafana."),
      logging: namespaceName("Namespace of Loki and the log collector."),
      backups: namespaceName("Namespace of backup CronJobs and restore drills."),
    })
    .describe("Namespaces Strata creates and owns."),
};

export type NamespacesConfig = z.infer<typeof namespacesSection.namespaces>;

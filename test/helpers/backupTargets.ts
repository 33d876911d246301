import type { JobContext } from "../../components/backup/cronJob";
import type { BackupTarget } from "../../infra/config/sections/backups";

/** A valid sqlite backup target, as a stack would configure it. */
export const SQLITE_TARGET = {
  name: "orders",
  kind: "sqlite",
  namespace: "orders",
  claimName: "orders-data",
  path: "db/orders.sqlite3",
  writerSelector: { matchLabels: { "app.kubernetes.io/name": "orders", tier: "writer" } },
} as const satisfies BackupTarget;

/**
 * Where a prod job on AWS writes and reports, as the plan hands it to a backup CronJob: the suites spread their own
 * identity, ConfigMap and schedule over it.
 */
export const AWS_JOB_CONTEXT = {
  bucket: "strata-prod-backups-1a2b",
  region: "eu-central-1",
  kmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/abc",
  pushgatewayUrl: "http://strata-pushgateway.monitoring.svc.cluster.local:9091",
  labels: { "app.kubernetes.io/part-of": "strata" },
  schedule: "17 2 * * *",
} as const satisfies Partial<JobContext>;

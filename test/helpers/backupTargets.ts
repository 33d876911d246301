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

/**
 * The kinds the in-pod runtime runs (components/backup/runtime/), each from its folder: the runtime's side of the
 * kinds' drivers, kept apart from index.ts so that the bundle carries none of the plan's code. Every kind has one.
 */
import type { BackupKind } from "../contract";
import { mongodbRuntime } from "./mongodb/runtime";
import { postgresqlRuntime } from "./postgresql/runtime";
import { prometheusSnapshotRuntime } from "./prometheus-snapshot/runtime";
import { rabbitmqDefinitionsRuntime } from "./rabbitmq-definitions/runtime";
import { sqliteRuntime } from "./sqlite/runtime";
import { valkeyRuntime } from "./valkey/runtime";
import type { KindRuntime } from "../runtime/kind";

export const KIND_RUNTIMES: Record<BackupKind, KindRuntime> = {
  postgresql: postgresqlRuntime,
  "rabbitmq-definitions": rabbitmqDefinitionsRuntime,
  sqlite: sqliteRuntime,
  valkey: valkeyRuntime,
  mongodb: mongodbRuntime,
  "prometheus-snapshot": prometheusSnapshotRuntime,
};

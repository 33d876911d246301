/**
 * The kinds the runtime runs, each from its folder (issue 23: every logical kind). Whether a target's pods run the
 * runtime or still the scripts is the plan's choice (its kind's driver, kinds/<kind>/index.ts).
 */
import type { BackupKind } from "../contract";
import { mongodbRuntime } from "../kinds/mongodb/runtime";
import { postgresqlRuntime } from "../kinds/postgresql/runtime";
import { prometheusSnapshotRuntime } from "../kinds/prometheus-snapshot/runtime";
import { rabbitmqDefinitionsRuntime } from "../kinds/rabbitmq-definitions/runtime";
import { sqliteRuntime } from "../kinds/sqlite/runtime";
import { valkeyRuntime } from "../kinds/valkey/runtime";
import type { KindRuntime } from "./kind";

export const KIND_RUNTIMES: Partial<Record<BackupKind, KindRuntime>> = {
  postgresql: postgresqlRuntime,
  valkey: valkeyRuntime,
  sqlite: sqliteRuntime,
  "rabbitmq-definitions": rabbitmqDefinitionsRuntime,
  mongodb: mongodbRuntime,
  "prometheus-snapshot": prometheusSnapshotRuntime,
};

/**
 * The kinds the runtime runs, each from its folder. Kinds not here yet still run components/backup/scripts/ (their
 * ports follow PostgreSQL's, issue 23).
 */
import type { BackupKind } from "../contract";
import { mongodbRuntime } from "../kinds/mongodb/runtime";
import { postgresqlRuntime } from "../kinds/postgresql/runtime";
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
};

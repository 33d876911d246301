import type { BackupKind } from "../config/sections/backups";

/**
 * What each backup kind's restore drill does (components/backup/scripts/restore-drill.sh, `restore_<kind>`), and
 * whether that is a restore into a running copy of the store or only a check of the artifact. Typed over every kind,
 * so a new kind does not compile until it says what its drill proves.
 */
export const DRILL_OF_KIND: Record<BackupKind, { restores: string; realRestore: boolean; gap?: string }> = {
  postgresql: { restores: "pg_restore -j into a throwaway PostgreSQL, row counts per table", realRestore: true },
  mongodb: { restores: "mongorestore into a throwaway mongod, documents restored", realRestore: true },
  "prometheus-snapshot": { restores: "promtool checks every block, then a throwaway Prometheus loads them all and answers a query", realRestore: true },
  "rabbitmq-definitions": { restores: "import into a throwaway broker, objects it holds counted", realRestore: true },
  sqlite: { restores: "integrity_check and row counts of the restored file", realRestore: true },
  valkey: { restores: "RDB loaded in a throwaway server, keys per database", realRestore: true },
};

/**
 * Where each kind's backup and drill run for real on a developer machine and in CI: the integration suite, and
 * whether the store there is real. test/restorability.test.ts holds each file to existing and running both scripts
 * with that kind. `stubbed` names why a kind cannot be tested for real here.
 */
export const INTEGRATION_TEST_OF_KIND: Record<BackupKind, { file: string; stubbed?: string }> = {
  postgresql: { file: "test/integration/backup-postgresql.test.ts" },
  mongodb: {
    file: "test/integration/backup-kinds.test.ts",
    stubbed: "MongoDB cannot be installed here: its scripts run against stubbed mongodump/mongod/mongorestore",
  },
  "prometheus-snapshot": { file: "test/integration/backup-prometheus.test.ts" },
  "rabbitmq-definitions": { file: "test/integration/backup-rabbitmq.test.ts" },
  sqlite: { file: "test/integration/backup-sqlite.test.ts" },
  valkey: { file: "test/integration/backup-valkey.test.ts" },
};

/**
 * A postgresql target with `timescaledb: true`: its drill runs the TimescaleDB image and the extension's own restore
 * steps, which no suite here runs, since TimescaleDB is not installed on this machine (only plain PostgreSQL 15 is).
 */
export const TIMESCALEDB_DRILL = {
  restores: "pg_restore into a throwaway TimescaleDB (timescale/timescaledb, docs/versions.md) between timescaledb_pre_restore() and timescaledb_post_restore(), row counts per table",
  notTested: "TimescaleDB is not installed on this machine: the drill's TimescaleDB image and restore steps are not tested for real here (test/integration/backup-postgresql.test.ts runs plain PostgreSQL 15)",
} as const;

/** The restore runbook of a kind: docs/runbooks/restore-<kind>.md, when it exists. */
export const runbookOfKind = (kind: BackupKind) => `docs/runbooks/restore-${kind}.md`;

import type { BackupTarget } from "./config/sections/backups";
import type { TelemetryConfig } from "./config/sections/telemetry";
import type { NamespaceRef } from "./platform";

/** Name of the backup target Strata derives from `telemetry` when its backend keeps data in a database. */
export const TELEMETRY_BACKUP_TARGET = "telemetry";
/** The Secret (in the backups namespace) Strata writes the telemetry role's password to, for that target's dump. */
export const TELEMETRY_BACKUP_SECRET = { name: "strata-telemetry-db", key: "password" } as const;

/**
 * The backup target the telemetry backend implies: a logical dump of the telemetry database for `postgresql` and
 * `timescaledb` (TimescaleDB is PostgreSQL with an extension; pg_dump carries its hypertables), as the telemetry
 * role. Nothing for `memory` (nothing survives a restart), and no dump job for `sqlite`: an online copy must run
 * beside the single writer on its volume's node and namespace. That volume is Retain and protected in prod, and
 * on aws its StorageClass tags it for the daily DLM snapshots.
 */
export function telemetryBackupTargets(telemetry: TelemetryConfig): BackupTarget[] {
  if ((telemetry.backend === "postgresql" || telemetry.backend === "timescaledb") && telemetry.database) {
    const db = telemetry.database;
    return [{ name: TELEMETRY_BACKUP_TARGET, kind: "postgresql", host: db.host, port: db.port, database: db.name, user: db.user, passwordSecret: { ...TELEMETRY_BACKUP_SECRET } }];
  }
  return [];
}

/**
 * Every backup target of the stack: the ones written in `backups.targets`, then the ones derived from other config.
 * Derived at the one place the program enumerates targets (the archive's workloads, and so every job, drill and
 * identity) rather than merged into config at load time, so `backups.targets` always reads as the user wrote it and
 * the plan shows where each target came from.
 */
export function allBackupTargets(config: { backups: { targets: BackupTarget[] }; telemetry: TelemetryConfig }): (BackupTarget & { source: string })[] {
  return [
    ...config.backups.targets.map((t) => ({ ...t, source: "backups.targets" })),
    ...telemetryBackupTargets(config.telemetry).map((t) => ({ ...t, source: "telemetry.backend" })),
  ];
}

/**
 * Where a target's backup job runs: beside its data. A Prometheus snapshot is read from Prometheus's own volume (the
 * monitoring namespace), a SQLite file from the application's claim (in the application's namespace: a pod mounts
 * only claims of its own namespace); every other kind is dumped over the network from the backups namespace. Restore
 * drills always run in the backups namespace: they need only the archive.
 */
export function backupJobNamespace(target: BackupTarget): NamespaceRef {
  switch (target.kind) {
    case "prometheus-snapshot":
      return { role: "monitoring" };
    case "sqlite":
      return { application: target.namespace };
    default:
      return { role: "backups" };
  }
}

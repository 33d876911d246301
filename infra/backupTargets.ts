import type { BackupTarget } from "./config/sections/backups";
import type { TelemetryConfig } from "./config/sections/telemetry";

/** Name of the backup target Strata derives from `telemetry` when its backend keeps data. */
export const TELEMETRY_BACKUP_TARGET = "telemetry";

/**
 * The backup target the telemetry backend implies: nothing for `memory` (nothing survives a restart to back up),
 * the database file for `sqlite`, a logical dump of the telemetry database for `postgresql` and `timescaledb`
 * (TimescaleDB is PostgreSQL with an extension; pg_dump carries its hypertables).
 */
export function telemetryBackupTargets(telemetry: TelemetryConfig): BackupTarget[] {
  switch (telemetry.backend) {
    case "memory":
      return [];
    case "sqlite":
      return [{ name: TELEMETRY_BACKUP_TARGET, kind: "sqlite" }];
    case "postgresql":
    case "timescaledb":
      return [{ name: TELEMETRY_BACKUP_TARGET, kind: "postgresql" }];
  }
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

import { posix } from "node:path";
import { MAX_SCRATCH_GIB, type BackupKind, type BackupTarget } from "./config/sections/backups";
import { claimNameOf, type StorageConfig } from "./config/sections/storage";
import { claimCoverage } from "./restorability/coverage";
import { pitrSettings, type PitrSettings } from "../components/backup/pitr";
import { defaultBackupSchedule, defaultDrillSchedule, intervalHours } from "../components/backup/schedule";
import type { TelemetryConfig } from "./config/sections/telemetry";
import { SQLITE_CLAIM_NAME, TELEMETRY_LABELS } from "../components/telemetry/contract";
import type { NamespaceRef } from "./namespaceRef";
import { kindDriver } from "../components/backup/kinds";
import { targetPrefix, walPrefix } from "../components/backup/contract";

/** Name of the backup target Strata derives from `telemetry` when its backend keeps data in a database. */
export const TELEMETRY_BACKUP_TARGET = "telemetry";
/** The Secret (in the backups namespace) Strata writes the telemetry role's password to, for that target's dump. */
export const TELEMETRY_BACKUP_SECRET = { name: "strata-telemetry-db", key: "password" } as const;

/** The labels of the pod that writes the telemetry SQLite store: config's, or the contract's own. */
export function telemetryWriterLabels(sqlite: NonNullable<TelemetryConfig["sqlite"]>): Record<string, string> {
  return { ...(sqlite.writerSelector?.matchLabels ?? TELEMETRY_LABELS) };
}

/**
 * The backup target the telemetry backend implies: nothing for `memory` (nothing survives a restart); for `sqlite`
 * an online copy of the database file, taken beside its single writer from the claim Strata declares; for
 * `postgresql` and `timescaledb` a logical dump of the telemetry database as the telemetry role (TimescaleDB is
 * PostgreSQL with an extension; pg_dump carries its hypertables).
 */
export function telemetryBackupTargets(telemetry: TelemetryConfig): BackupTarget[] {
  if (telemetry.backend === "sqlite" && telemetry.sqlite) {
    const sqlite = telemetry.sqlite;
    return [
      {
        name: TELEMETRY_BACKUP_TARGET,
        kind: "sqlite",
        namespace: telemetry.namespace,
        claimName: SQLITE_CLAIM_NAME,
        // The application mounts the claim at the database file's directory: the file sits at the claim's root.
        path: posix.basename(sqlite.path),
        writerSelector: { matchLabels: telemetryWriterLabels(sqlite) },
        ...(sqlite.writerFsGroup !== undefined ? { writerFsGroup: sqlite.writerFsGroup } : {}),
        // The copy and its compressed archive (for the drill: the archive and the restored file) are each at most
        // the volume's size.
        scratchSizeGiB: Math.min(2 * sqlite.sizeGiB, MAX_SCRATCH_GIB),
      },
    ];
  }
  if ((telemetry.backend === "postgresql" || telemetry.backend === "timescaledb") && telemetry.database) {
    const db = telemetry.database;
    return [
      {
        name: TELEMETRY_BACKUP_TARGET,
        kind: "postgresql",
        host: db.host,
        port: db.port,
        database: db.name,
        user: db.user,
        passwordSecret: { ...TELEMETRY_BACKUP_SECRET },
        ...(telemetry.backend === "timescaledb" ? { timescaledb: true } : {}),
      },
    ];
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
 * drills always run in the backups namespace: they need only the archive. Each kind's driver says where
 * (components/backup/kinds/<kind>/, `jobNamespace`).
 */
export function backupJobNamespace(target: BackupTarget): NamespaceRef {
  return kindDriver(target.kind).jobNamespace?.(target) ?? { role: "backups" };
}

/** Where a target's backups go in the backups bucket (BACKUP_KEY_LAYOUT, infra/areas/archive.ts); IAM prefixes follow it. */
export const backupPrefix = (kind: BackupKind, target: string) => `${targetPrefix("", kind, target)}/`;

/** One archive identity a backup target's pods run as: its workload key, ServiceAccount, namespace and key prefix. */
export interface TargetWorkload {
  workload: string;
  serviceAccount: string;
  namespace: NamespaceRef;
  prefix: string;
}

/** A backup target with everything the areas derive from it, computed once (resolveBackups). */
export interface ResolvedBackupTarget {
  target: BackupTarget;
  /** Where the target came from: `backups.targets`, or the config that implies it (`telemetry.backend`). */
  source: string;
  /** The schedules, written or derived from the name (components/backup/schedule.ts), and their intervals. */
  schedule: string;
  drillSchedule: string;
  intervalHours: number;
  drillIntervalHours: number;
  /** Where the backup job (and the WAL receiver) runs; drills always run in the backups namespace. */
  jobNamespace: NamespaceRef;
  prefix: string;
  pitr?: PitrSettings;
  /** The archive identities of its backup job, drill and, with PITR, WAL receiver. */
  identities: { backup: TargetWorkload; drill: TargetWorkload; wal?: TargetWorkload };
  /** The claims of strata:storage.claims it protects, as `<namespace>/<claim name>`. */
  protectsClaims: string[];
}

export interface ResolvedBackups {
  targets: readonly ResolvedBackupTarget[];
  /** Application namespaces a backup job runs in (SQLite targets: beside the claim), sorted, once each. */
  applicationNamespaces: string[];
  /** Whether a target snapshots Prometheus (its admin API must be on). */
  prometheusSnapshots: boolean;
}

/**
 * Every backup target resolved once: the program computes this at start and hands it to every area (archive
 * identities, jobs and drills, alerts, network policies, the off-site copy, the restorability matrix), so none
 * rebuilds target lists, schedules, namespaces, prefixes or identity names of its own.
 */
export function resolveBackups(config: { backups: { targets: BackupTarget[] }; telemetry: TelemetryConfig; storage: Pick<StorageConfig, "claims"> }): ResolvedBackups {
  const targets = allBackupTargets(config).map(({ source, ...target }): ResolvedBackupTarget => {
    const schedule = target.schedule ?? defaultBackupSchedule(target.name);
    const drillSchedule = target.drillSchedule ?? defaultDrillSchedule(target.name);
    const jobNamespace = backupJobNamespace(target);
    const prefix = backupPrefix(target.kind, target.name);
    const pitr = pitrSettings(target);
    const workload = (role: "backup" | "drill" | "wal", namespace: NamespaceRef, under = prefix): TargetWorkload => ({ workload: `${role}-${target.name}`, serviceAccount: `strata-${role}-${target.name}`, namespace, prefix: under });
    return {
      target,
      source,
      schedule,
      drillSchedule,
      intervalHours: intervalHours(schedule),
      drillIntervalHours: intervalHours(drillSchedule),
      jobNamespace,
      prefix,
      ...(pitr ? { pitr } : {}),
      identities: {
        backup: workload("backup", jobNamespace),
        drill: workload("drill", { role: "backups" }),
        // The WAL receiver appends under the target's wal/ only.
        ...(pitr ? { wal: workload("wal", jobNamespace, `${walPrefix("", target.name)}/`) } : {}),
      },
      protectsClaims: Object.entries(config.storage.claims)
        .filter(([service, claim]) => claimCoverage(service, claim, [target]).length > 0)
        .map(([service, claim]) => `${claim.namespace}/${claimNameOf(config, service)}`),
    };
  });
  return {
    targets,
    applicationNamespaces: [...new Set(targets.flatMap((r) => ("application" in r.jobNamespace ? [r.jobNamespace.application] : [])))].sort(),
    prometheusSnapshots: targets.some((r) => r.target.kind === "prometheus-snapshot"),
  };
}

/**
 * What a backup target is, as the backup components take it: their contract. The config schema
 * (infra/config/sections/backups.ts) validates stack files into exactly this shape, and a compile-time check there
 * keeps the two equal; nothing here knows about config.
 */
import { BACKUP_KINDS, type BackupKind } from "./contract/layout";

/** Every kind the backup and drill scripts implement: the backup contract's (components/backup/contract/layout.ts). */
export { BACKUP_KINDS, type BackupKind };

/** The largest scratch space (an emptyDir's size limit) a backup or drill job may ask for, in GiB. */
export const MAX_SCRATCH_GIB = 1024;

/** A key of a Kubernetes Secret in the namespace the job runs in. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

interface CommonSpec {
  /** Key prefix in the backups bucket, and the name of the target's jobs and identities. */
  name: string;
  /** Backup schedule (cron, UTC); default daily at 02:MM, staggered per target. */
  schedule?: string | undefined;
  /** Restore-drill schedule (cron, UTC); default monthly, staggered per target. */
  drillSchedule?: string | undefined;
  /** Size limit of the job's scratch space in GiB (default 10). */
  scratchSizeGiB?: number | undefined;
  /** Services of `strata:storage.claims` whose data this target backs up (the restorability matrix reads it). */
  protectsClaims?: string[] | undefined;
}

/** Point-in-time recovery of a postgresql target: a WAL receiver, base backups and point-in-time drills. */
export interface PitrSpec {
  enabled: boolean;
  rpoSeconds?: number | undefined;
  baseBackupSchedule?: string | undefined;
  drillSchedule?: string | undefined;
  targetTimeWindowHours?: number | undefined;
  serverMajorVersion: number;
  receiverVolumeGiB?: number | undefined;
  maxRetainedWalGiB?: number | undefined;
}

export interface PostgresqlTargetSpec extends CommonSpec {
  kind: "postgresql";
  host: string;
  port?: number | undefined;
  database: string;
  user: string;
  passwordSecret: SecretKeyRef;
  pitr?: PitrSpec | undefined;
  /** The database uses the TimescaleDB extension: the drill restores into the TimescaleDB image with its restore hooks. */
  timescaledb?: boolean | undefined;
}

export interface MongodbTargetSpec extends CommonSpec {
  kind: "mongodb";
  uriSecret: SecretKeyRef;
}

export interface PrometheusSnapshotTargetSpec extends CommonSpec {
  kind: "prometheus-snapshot";
}

export interface RabbitmqDefinitionsTargetSpec extends CommonSpec {
  kind: "rabbitmq-definitions";
  url: string;
  user: string;
  passwordSecret: SecretKeyRef;
  drillImage?: string | undefined;
}

export interface ValkeyTargetSpec extends CommonSpec {
  kind: "valkey";
  host: string;
  port?: number | undefined;
  passwordSecret?: SecretKeyRef | undefined;
  memoryGiB?: number | undefined;
  databases?: number | undefined;
  image?: string | undefined;
}

export interface SqliteTargetSpec extends CommonSpec {
  kind: "sqlite";
  /** The application's namespace, where its claim is and where the backup job runs. */
  namespace: string;
  claimName: string;
  /** The database file inside the claim, relative to its root. */
  path: string;
  /** The one pod that writes the database: the job is pinned to its node. */
  writerSelector: { matchLabels: Record<string, string> };
  writerFsGroup?: number | undefined;
}

export type BackupTargetSpec =
  | PostgresqlTargetSpec
  | MongodbTargetSpec
  | PrometheusSnapshotTargetSpec
  | RabbitmqDefinitionsTargetSpec
  | ValkeyTargetSpec
  | SqliteTargetSpec;

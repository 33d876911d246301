import type { BackupTargetSpec as BackupTarget, PitrSpec as PitrConfig } from "./targetSpec";
import { defaultBaseBackupSchedule, defaultPitrDrillSchedule, intervalHours } from "./schedule";
import { pitrSlotName } from "./contract/layout";

type PostgresTarget = Extract<BackupTarget, { kind: "postgresql" }>;

/** A postgresql target's PITR settings with every default applied (config documents the same defaults). */
export interface PitrSettings {
  rpoSeconds: number;
  /** How often the receiver stages and uploads WAL: a quarter of the RPO, so two missed cycles still meet it. */
  uploadIntervalSeconds: number;
  baseBackupSchedule: string;
  drillSchedule: string;
  baseBackupIntervalHours: number;
  drillIntervalHours: number;
  targetTimeWindowHours: number;
  serverMajorVersion: number;
  receiverVolumeGiB: number;
  maxRetainedWalBytes: number;
  /** The physical replication slot on the source server (handed to the WAL receiver as PITR_SLOT). */
  slot: string;
}

export const PITR_DEFAULTS = { rpoSeconds: 60, targetTimeWindowHours: 24, receiverVolumeGiB: 10, maxRetainedWalGiB: 8 } as const;

/** The slot's name is the backup contract's (components/backup/contract/layout.ts). */
export { pitrSlotName };

export function pitrSettings(target: BackupTarget): PitrSettings | undefined {
  if (target.kind !== "postgresql" || !target.pitr?.enabled) return undefined;
  const p: PitrConfig = target.pitr;
  const rpoSeconds = p.rpoSeconds ?? PITR_DEFAULTS.rpoSeconds;
  const baseBackupSchedule = p.baseBackupSchedule ?? defaultBaseBackupSchedule(target.name);
  const drillSchedule = p.drillSchedule ?? defaultPitrDrillSchedule(target.name);
  return {
    rpoSeconds,
    uploadIntervalSeconds: Math.max(5, Math.floor(rpoSeconds / 4)),
    baseBackupSchedule,
    drillSchedule,
    baseBackupIntervalHours: intervalHours(baseBackupSchedule),
    drillIntervalHours: intervalHours(drillSchedule),
    targetTimeWindowHours: p.targetTimeWindowHours ?? PITR_DEFAULTS.targetTimeWindowHours,
    serverMajorVersion: p.serverMajorVersion,
    receiverVolumeGiB: p.receiverVolumeGiB ?? PITR_DEFAULTS.receiverVolumeGiB,
    maxRetainedWalBytes: (p.maxRetainedWalGiB ?? PITR_DEFAULTS.maxRetainedWalGiB) * 2 ** 30,
    slot: pitrSlotName(target.name),
  };
}

export const isPitrTarget = (t: BackupTarget): t is PostgresTarget & { pitr: PitrConfig } => pitrSettings(t) !== undefined;

import { createHash } from "node:crypto";

/** A stable number from a target name, so its stagger never moves between plans. */
function spread(name: string, salt: string, modulo: number): number {
  return parseInt(createHash("sha256").update(`${salt}/${name}`).digest("hex").slice(0, 8), 16) % modulo;
}

/** Daily at 02:MM UTC, MM spread over the hour so that many targets do not start together. */
export function defaultBackupSchedule(target: string): string {
  return `${spread(target, "backup", 60)} 2 * * *`;
}

/** Monthly, on a day 1-7 at 04:MM-06:MM UTC, spread per target, after the night's backups have landed. */
export function defaultDrillSchedule(target: string): string {
  return `${spread(target, "drill-minute", 60)} ${4 + spread(target, "drill-hour", 3)} ${1 + spread(target, "drill-day", 7)} * *`;
}

export { intervalHours } from "./cron";

/** PITR base backups: daily at 01:MM UTC, before the night's logical dumps, spread per target. */
export function defaultBaseBackupSchedule(target: string): string {
  return `${spread(target, "basebackup", 60)} 1 * * *`;
}

/** Point-in-time drills: daily at 05:MM UTC, after the base backup, spread per target. */
export function defaultPitrDrillSchedule(target: string): string {
  return `${spread(target, "pitr-drill", 60)} 5 * * *`;
}

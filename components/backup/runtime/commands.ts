/** The runtime's commands (`strata-runtime.cjs <command>`), which the pods name and main.ts dispatches. */

/** Runs of one backup target: its kind, target, archive and Pushgateway group come from the environment. */
export const BACKUP_RUN_COMMANDS = ["backup", "basebackup", "drill", "wal-receiver", "pitr-restore"] as const;
export type BackupRunCommand = (typeof BACKUP_RUN_COMMANDS)[number];

/** The archive's own jobs, which belong to no backup target. */
export const ARCHIVE_COMMANDS = ["offsite-copy", "bucket-protection"] as const;

export const RUNTIME_COMMANDS = [...BACKUP_RUN_COMMANDS, ...ARCHIVE_COMMANDS] as const;
export type RuntimeCommand = (typeof RUNTIME_COMMANDS)[number];

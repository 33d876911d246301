/** The runtime's commands (`strata-runtime.cjs <command>`), which the pods name and main.ts dispatches. */
export const RUNTIME_COMMANDS = ["backup", "basebackup", "drill", "wal-receiver", "pitr-restore", "offsite-copy"] as const;
export type RuntimeCommand = (typeof RUNTIME_COMMANDS)[number];

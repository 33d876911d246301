import { z } from "zod";

export const BACKUP_KINDS = ["postgresql", "mongodb", "prometheus-snapshot", "rabbitmq-definitions", "sqlite"] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

// Target names become object key prefixes, Kubernetes names and IAM role names: a short DNS label.
const TARGET_NAME = /^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/;

export const backupTarget = z.strictObject({
  name: z.string().regex(TARGET_NAME, "must be a DNS label of at most 32 characters").describe("Target name: its key prefix in the backups bucket and the name of its jobs and identities."),
  kind: z.enum(BACKUP_KINDS).describe("What is backed up and how."),
});

export const backupsSection = {
  backups: z
    .strictObject({
      targets: z.array(backupTarget).max(200).describe("What Strata backs up; each target gets a backup CronJob, a restore drill, alerts and its own identities."),
    })
    .describe("Backups that are proven to restore."),
};

export type BackupTarget = z.infer<typeof backupTarget>;
export type BackupsConfig = z.infer<typeof backupsSection.backups>;

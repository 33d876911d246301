import { z } from "zod";

export const BACKUP_KINDS = ["postgresql", "mongodb", "prometheus-snapshot", "rabbitmq-definitions", "sqlite"] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

// Target names become object key prefixes, Kubernetes names and IAM role names: a short DNS label.
const TARGET_NAME = /^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
// Five cron fields of digits, ranges, lists, steps and *; Kubernetes also takes macros, which hide the stagger.
const CRON = /^([0-9*,/-]+\s+){4}[0-9*,/-]+$/;
// registry/repository:tag, never a bare or `latest` tag.
const PINNED_IMAGE = /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+:(?!latest$)[A-Za-z0-9._-]+$/;

const secretKeyRef = (what: string) =>
  z
    .strictObject({
      name: z.string().regex(DNS_LABEL, "must be a Secret name").describe("Secret in the backups namespace."),
      key: z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key").describe("Key in that Secret."),
    })
    .describe(what);

const common = {
  name: z.string().regex(TARGET_NAME, "must be a DNS label of at most 32 characters").describe("Target name: its key prefix in the backups bucket and the name of its jobs and identities."),
  schedule: z.string().regex(CRON, "must be a five-field cron expression (UTC)").optional().describe("Backup schedule (UTC); default daily at 02:MM with MM staggered per target."),
  drillSchedule: z.string().regex(CRON, "must be a five-field cron expression (UTC)").optional().describe("Restore-drill schedule (UTC); default monthly, staggered per target."),
  scratchSizeGiB: z.number().int().min(1).max(1024).optional().describe("Size limit of the job's scratch space in GiB (default 10)."),
};

export const backupTarget = z.discriminatedUnion("kind", [
  z.strictObject({
    ...common,
    kind: z.literal("postgresql"),
    host: z.string().regex(HOST, "must be a host name").describe("PostgreSQL host (a Service DNS name)."),
    port: z.number().int().min(1).max(65535).optional().describe("PostgreSQL port (default 5432)."),
    database: z.string().min(1).max(63).describe("Database to dump."),
    user: z.string().min(1).max(63).describe("Role the dump connects as (needs read access to every table)."),
    passwordSecret: secretKeyRef("The role's password."),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("mongodb"),
    uriSecret: secretKeyRef("The MongoDB connection URI (with credentials)."),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("prometheus-snapshot"),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("rabbitmq-definitions"),
    url: z.string().url().regex(/^https?:\/\//, "must be an http(s) URL").describe("Management API base URL."),
    user: z.string().min(1).describe("Management API user."),
    passwordSecret: secretKeyRef("The management user's password."),
    drillImage: z
      .string()
      .regex(PINNED_IMAGE, "must be registry/repository:tag with a pinned tag")
      .describe("Image with bash and jq for the definitions drill (no public image pinned here has both)."),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("sqlite"),
  }),
]);

export const backupsSection = {
  backups: z
    .strictObject({
      targets: z.array(backupTarget).max(200).describe("What Strata backs up; each target gets a backup CronJob, a restore drill, alerts and its own identities."),
    })
    .describe("Backups that are proven to restore."),
};

export type BackupTarget = z.infer<typeof backupTarget>;
export type BackupsConfig = z.infer<typeof backupsSection.backups>;

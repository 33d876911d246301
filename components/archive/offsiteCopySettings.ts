/**
 * The off-site copy's fixed names and defaults, apart from the component (offsiteCopy.ts) so that the config schema
 * and the restorability matrix read them without loading the Kubernetes SDK.
 */

/** The CronJob (and its Secret, alerts and identity) in the backups namespace. */
export const OFFSITE_COPY_NAME = "strata-offsite-copy";
/** The archive workload whose identity reads the backups bucket for the copy (infra/areas/archive.ts). */
export const OFFSITE_COPY_WORKLOAD = "offsite-copy";
/** Daily at 03:30 UTC: after the night's backups (02:MM) and PITR base backups (01:MM) have landed. */
export const OFFSITE_COPY_DEFAULT_SCHEDULE = "30 3 * * *";
/** Where the job keeps its own state at the destination (the copies it could not verify); never copied from the source. */
export const OFFSITE_COPY_STATE_PREFIX = "strata-offsite-copy/";
/**
 * Who declares the destination bucket: its owner (`external`), or Strata, creating it or importing it by name, with
 * the backups bucket's guards and expiry (infra/areas/offsiteCopy.ts).
 */
export const OFFSITE_COPY_MANAGE = ["external", "create", "adopt"] as const;
export type OffsiteCopyManage = (typeof OFFSITE_COPY_MANAGE)[number];
/** The Pulumi name of the destination bucket where Strata declares it. */
export const OFFSITE_DESTINATION_RESOURCE = "offsite-copy-destination";

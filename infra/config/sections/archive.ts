import { z } from "zod";
import type { RefinementCtx } from "zod";
import { ARCHIVE_STORAGE_CLASS_NAMES, DIRECTLY_READABLE_CLASSES, transitionProblems, type Transition } from "../../../components/archive/storageClasses";
import { deriveRetention } from "../../retention";
import type { RetentionConfig } from "./retention";
import { archiveAdoption } from "./adoption";

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

const transition = (classes: readonly string[]) =>
  z.strictObject({
    afterDays: z.number().int().min(0).max(3650).describe("Days after creation when objects move to this class."),
    storageClass: z.enum(classes as [string, ...string[]]).describe("Target S3 storage class."),
  });

const tierFields = (classes: readonly string[], what: string) => ({
  transitions: z.array(transition(classes)).max(5).describe(`Lifecycle transitions of current objects in the ${what} bucket, in time order.`),
  noncurrentVersionDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .describe(`Days an overwritten or deleted object version stays recoverable in the ${what} bucket.`),
});

export const archiveSection = {
  archive: z
    .strictObject({
      identity: z
        .enum(["irsa", "pod-identity"])
        .describe("How workloads on `aws` get archive credentials: IRSA (OIDC web identity) or EKS Pod Identity. On `hcloud` Strata always uses per-workload IAM users."),
      credentialGeneration: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .describe("hcloud only: bump to rotate every workload's static access key (a new key is created, the old one deleted)."),
      metrics: z
        .strictObject(tierFields(DIRECTLY_READABLE_CLASSES, "metrics"))
        .describe("Tiers of the Thanos bucket; only classes the store gateway can read directly (no GLACIER/DEEP_ARCHIVE)."),
      logs: z
        .strictObject(tierFields(DIRECTLY_READABLE_CLASSES, "logs"))
        .describe("Tiers of the Loki bucket; only classes Loki can read directly (no GLACIER/DEEP_ARCHIVE)."),
      backups: z
        .strictObject({
          ...tierFields(ARCHIVE_STORAGE_CLASS_NAMES, "backups"),
          objectLock: z
            .strictObject({
              enabled: z.boolean().describe("Write-once retention on every backup object (set at bucket creation)."),
              mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).describe("GOVERNANCE can be lifted with s3:BypassGovernanceRetention; COMPLIANCE by nobody."),
              days: z.number().int().min(1).max(3650).describe("Days each backup object is locked."),
            })
            .describe("S3 Object Lock for the backups bucket."),
        })
        .describe("Tiers of the backups bucket: hot STANDARD for retention.backupDailyDays, then colder classes until retention.backupArchiveDays."),
      abortIncompleteUploadsDays: z.number().int().min(1).max(30).describe("Days after which incomplete multipart uploads are aborted, in every bucket."),
      replication: z
        .strictObject({
          enabled: z.boolean().describe("Replicate the backups bucket to a second region, encrypted with a replica key there."),
          region: z.string().regex(AWS_REGION, "must be an AWS region name such as eu-west-1").describe("Region of the replica bucket and key."),
        })
        .describe("Cross-region replication of the backups bucket."),
      accessLogs: z
        .strictObject({
          enabled: z.boolean().describe("Write S3 server access logs of every archive bucket to a dedicated log bucket."),
          retentionDays: z.number().int().min(1).max(3650).describe("Days access logs are kept."),
        })
        .describe("S3 server access logging."),
      adopt: archiveAdoption.optional(),
    })
    .describe("The S3 archive: one KMS-encrypted, versioned bucket per purpose (metrics, logs, backups)."),
};

export type ArchiveConfig = z.infer<typeof archiveSection.archive>;

/** Lifecycle tiers must obey S3's rules and the retention model; GLACIER classes never reach direct-read buckets. */
export function checkArchiveTiers(archive: ArchiveConfig, retention: RetentionConfig, ctx: RefinementCtx): void {
  const derived = deriveRetention(retention);
  const chains: [keyof ArchiveConfig & ("metrics" | "logs" | "backups"), number][] = [
    ["metrics", derived.s3.metricsSafetyNetExpirationDays],
    ["logs", derived.s3.logsSafetyNetExpirationDays],
    ["backups", derived.s3.backupsArchiveDays],
  ];
  for (const [purpose, expireAfterDays] of chains) {
    const transitions = archive[purpose].transitions as Transition[];
    for (const p of transitionProblems(transitions, expireAfterDays)) {
      const path = p.index === "expiration" ? ["archive", purpose, "transitions", transitions.length - 1] : ["archive", purpose, "transitions", p.index];
      ctx.addIssue({ code: "custom", path, message: p.message, input: p.index === "expiration" ? transitions.at(-1) : transitions[p.index] });
    }
  }
  const firstBackupTransition = archive.backups.transitions[0];
  if (firstBackupTransition && firstBackupTransition.afterDays < retention.backupDailyDays) {
    ctx.addIssue({
      code: "custom",
      path: ["archive", "backups", "transitions", 0, "afterDays"],
      input: firstBackupTransition.afterDays,
      message: `must be >= retention.backupDailyDays (${retention.backupDailyDays}): daily backups stay in STANDARD while they are the hot tier`,
    });
  }
  const lock = archive.backups.objectLock;
  if (lock.enabled && lock.days > retention.backupArchiveDays) {
    ctx.addIssue({ code: "custom", path: ["archive", "backups", "objectLock", "days"], input: lock.days, message: `must be <= retention.backupArchiveDays (${retention.backupArchiveDays}): a lock outliving the archive keeps every backup past its expiry` });
  }
}

export function checkReplicationRegion(archive: ArchiveConfig, region: string, ctx: RefinementCtx): void {
  if (archive.replication.enabled && archive.replication.region === region) {
    ctx.addIssue({ code: "custom", path: ["archive", "replication", "region"], input: archive.replication.region, message: `must differ from strata:region (${region}): a replica in the same region survives no regional outage` });
  }
}

import { z } from "zod";
import type { RefinementCtx } from "zod";
import { ARCHIVE_STORAGE_CLASS_NAMES, DIRECTLY_READABLE_CLASSES, transitionProblems, type Transition } from "../../../components/archive/storageClasses";
import { deriveRetention } from "../../retention";
import { ARCHIVE_CAPABILITIES, ARCHIVE_PROVIDERS, HETZNER_OBJECT_STORAGE_LOCATIONS, missingCapabilities, type ArchiveProvider } from "../../../components/archive/providers";
import type { RetentionConfig } from "./retention";
import { archiveAdoption, type MetricsSseCMode } from "./adoption";
import { cronScheduleProblem } from "../../../components/backup/cron";
import { OFFSITE_COPY_DEFAULT_SCHEDULE, OFFSITE_COPY_MANAGE } from "../../../components/archive/offsiteCopySettings";
import { ageIdentityProblem } from "../../../components/backup/encryption";

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
      provider: z
        .enum(ARCHIVE_PROVIDERS)
        .describe("Where the archive lives: `aws` (S3 with KMS and IAM), `hetzner` (Hetzner Object Storage, no AWS account) or `s3-compatible` (MinIO, Ceph RGW, ...). What each can do is in docs/archive.md; what a store lacks is refused."),
      endpoint: z
        .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://minio.example.com:9000" })
        .optional()
        .describe("S3 endpoint of an `s3-compatible` store (required there); on `hetzner` derived from `archive.region`; not used on `aws`."),
      region: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{1,30}$/, "must be a region or location name such as fsn1 or us-east-1")
        .optional()
        .describe(`Region of a non-aws store: on \`hetzner\` one of ${HETZNER_OBJECT_STORAGE_LOCATIONS.join(", ")} (default: \`hcloud.location\` when it is one); on \`s3-compatible\` what the store expects (default us-east-1). On \`aws\` the archive is in \`strata:region\`.`),
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
      offsiteCopy: z
        .strictObject({
          provider: z.enum(ARCHIVE_PROVIDERS).describe("The store that holds the copy: `aws` (S3 in `region`), `hetzner` (Object Storage in `region`) or `s3-compatible` (at `endpoint`)."),
          endpoint: z
            .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://minio.example.com:9000" })
            .optional()
            .describe("S3 endpoint of an `s3-compatible` destination (required there); derived on `hetzner`; not used on `aws`."),
          region: z
            .string()
            .regex(/^[a-z0-9][a-z0-9-]{1,30}$/, "must be a region or location name such as nbg1 or eu-west-1")
            .optional()
            .describe(`Where the copy lives: on \`hetzner\` one of ${HETZNER_OBJECT_STORAGE_LOCATIONS.join(", ")} and on \`aws\` an AWS region (both required, and another location than the archive's own); on \`s3-compatible\` what the store expects (default us-east-1).`),
          bucket: z
            .string()
            .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 characters: lowercase letters, digits, dots and hyphens)")
            .describe("The destination bucket: the copy writes into it and never deletes there. Who declares it is `manage`'s."),
          manage: z
            .enum(OFFSITE_COPY_MANAGE)
            .optional()
            .describe(
              "Who declares the destination bucket: `external` (default: it exists already, made by its owner with versioning and an expiry of their own; Strata only writes into it), `create` (Strata creates it under this exact name with the backups bucket's guards: versioning, object lock when the archive has it, expiry and noncurrent expiry from the retention model, Hetzner's bucket policy; retained, protected in prod) or `adopt` (the same, for a bucket that exists: imported by name, its objects kept). `create`/`adopt` are for `hetzner` and `s3-compatible` destinations; on `aws`, a managed second copy is archive.replication.",
            ),
          schedule: z.string().optional().describe(`Cron schedule (UTC) of the copy job (default \`${OFFSITE_COPY_DEFAULT_SCHEDULE}\`: daily, after the night's backups).`),
        })
        .optional()
        .describe("A second copy of the backups bucket in another location or at another provider, made by a scheduled job that verifies every object's SHA-256 (where the store has no replication). Credentials: strata:offsiteCopyAccessKeyId / strata:offsiteCopySecretAccessKey."),
      backupEncryption: z
        .enum(["age", "none"])
        .optional()
        .describe("Client-side encryption of backups before they leave the job's pod: `age` (to the recipient of `strata:backupAgeIdentity`; drills decrypt) or `none`. Default: `age` on archive.provider `hetzner` and `s3-compatible` (no KMS), `none` on `aws` (SSE-KMS)."),
      adopt: archiveAdoption.optional(),
    })
    .describe("The archive: one versioned bucket per purpose (metrics, logs, backups), KMS-encrypted on `aws`."),
};

export type ArchiveConfig = z.infer<typeof archiveSection.archive>;

/** The access key of a non-aws store, which every archive workload uses (such stores have no IAM to mint one per workload). */
export const ARCHIVE_CREDENTIAL_KEYS = ["archiveAccessKeyId", "archiveSecretAccessKey"] as const;

/** Secret. Required on archive.provider `hetzner` and `s3-compatible`, refused on `aws`. */
export const archiveCredentialsSection = {
  archiveAccessKeyId: z.string().min(1).optional().describe("Secret. Access key ID of the archive store when archive.provider is `hetzner` or `s3-compatible` (on Hetzner: an Object Storage key of the project that holds the buckets)."),
  archiveSecretAccessKey: z.string().min(1).optional().describe("Secret. Secret access key belonging to archiveAccessKeyId."),
};

/** The destination's access key of archive.offsiteCopy (another store, or another account, than the archive's). */
export const OFFSITE_COPY_CREDENTIAL_KEYS = ["offsiteCopyAccessKeyId", "offsiteCopySecretAccessKey"] as const;

/** Secret. Required while archive.offsiteCopy is set, refused otherwise. */
export const offsiteCopyCredentialsSection = {
  offsiteCopyAccessKeyId: z.string().min(1).optional().describe("Secret. Access key ID the off-site copy writes the destination bucket (archive.offsiteCopy.bucket) with."),
  offsiteCopySecretAccessKey: z.string().min(1).optional().describe("Secret. Secret access key belonging to offsiteCopyAccessKeyId."),
};

/** Secret. The age identity backups are encrypted to (its recipient is derived); required when they are. */
export const backupEncryptionSection = {
  backupAgeIdentity: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const problem = ageIdentityProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional()
    .describe("Secret. The age identity (`AGE-SECRET-KEY-1...`, from `age-keygen`) whose recipient backups are encrypted to when archive.backupEncryption is `age`; only drills get it. Keep a copy offline: without it no encrypted backup can be restored."),
};

/** The bytes of an SSE-C key (AES-256), as S3 takes it: base64 of exactly 32 bytes. */
export const SSE_C_KEY_BYTES = 32;

/** Secret. The SSE-C key an adopted metrics bucket's blocks were written with (archive.adopt.metricsSseC: existing). */
export const thanosSseCKeySection = {
  thanosSseCKey: z
    .string()
    .superRefine((value, ctx) => {
      const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value.trim()) ? Buffer.from(value.trim(), "base64") : undefined;
      if (bytes?.length !== SSE_C_KEY_BYTES) {
        ctx.addIssue({ code: "custom", message: `must be the base64 of a ${SSE_C_KEY_BYTES}-byte SSE-C key (44 characters ending in '='): \`base64 -w0 sse-c.key\`, where sse-c.key is the raw key file Thanos reads` });
      }
    })
    .optional()
    .describe("Secret. archive.adopt.metricsSseC `existing` only: the base64 of the 32-byte SSE-C key the adopted metrics bucket's Thanos blocks were written with; it goes into the Secret strata-thanos-sse-c instead of a generated key."),
};

/**
 * How Thanos encrypts the metrics bucket on a store without KMS, or undefined where no SSE-C applies (a store with
 * KMS, or Thanos off). A bucket Strata creates gets a generated key; an adopted one says how its blocks were written.
 */
export function metricsSseCMode(c: { archive: Pick<ArchiveConfig, "provider" | "adopt">; metrics: { thanos: { enabled: boolean } } }): MetricsSseCMode | undefined {
  if (ARCHIVE_CAPABILITIES[c.archive.provider].kms || !c.metrics.thanos.enabled) return undefined;
  return c.archive.adopt?.metricsSseC ?? "generate";
}

/**
 * archive.adopt.metricsSseC: required for an adopted metrics bucket on a store without KMS (a generated key cannot
 * read blocks written under another key or without one, so Strata never guesses), refused where it means nothing;
 * strata:thanosSseCKey exactly when the mode is `existing`.
 */
export function checkMetricsSseC(
  c: { archive: ArchiveConfig; metrics: { thanos: { enabled: boolean } }; thanosSseCKey?: string | undefined },
  ctx: RefinementCtx,
): void {
  const written = c.archive.adopt?.metricsSseC;
  const adoptedBucket = c.archive.adopt?.buckets?.metrics;
  const path = ["archive", "adopt", "metricsSseC"];
  const noKms = !ARCHIVE_CAPABILITIES[c.archive.provider].kms;
  if (written !== undefined && !noKms) {
    ctx.addIssue({ code: "custom", path, input: written, message: `is only for a store without KMS: on archive.provider \`${c.archive.provider}\` Thanos writes the metrics bucket with SSE-KMS; remove it` });
  } else if (written !== undefined && !c.metrics.thanos.enabled) {
    ctx.addIssue({ code: "custom", path, input: written, message: "is only used while Thanos writes the metrics bucket, and metrics.thanos.enabled is false; remove it" });
  } else if (written !== undefined && adoptedBucket === undefined) {
    ctx.addIssue({ code: "custom", path, input: written, message: "is only for an adopted metrics bucket (archive.adopt.buckets.metrics): a bucket Strata creates gets a generated key; remove it" });
  } else if (written === undefined && noKms && c.metrics.thanos.enabled && adoptedBucket !== undefined) {
    ctx.addIssue({
      code: "custom",
      path,
      input: undefined,
      message: `is required for the adopted metrics bucket ${adoptedBucket} on archive.provider \`${c.archive.provider}\`: Thanos can read its blocks only as they were written, and Strata cannot tell how. Write \`existing\` if they were written with SSE-C (and set that key: \`base64 -w0 sse-c.key | pulumi config set --secret strata:thanosSseCKey\`), \`none\` if they were written without SSE-C (Thanos then keeps writing without it), or \`generate\` if the bucket holds no blocks yet`,
    });
  }
  const needsKey = metricsSseCMode(c) === "existing";
  if (needsKey && c.thanosSseCKey === undefined) {
    ctx.addIssue({ code: "custom", path: ["thanosSseCKey"], input: undefined, message: "is required while archive.adopt.metricsSseC is `existing`: the base64 of the key the bucket's blocks were written with (`base64 -w0 sse-c.key | pulumi config set --secret strata:thanosSseCKey`)" });
  } else if (!needsKey && c.thanosSseCKey !== undefined) {
    ctx.addIssue({ code: "custom", path: ["thanosSseCKey"], input: undefined, message: "is only used while archive.adopt.metricsSseC is `existing` (and Thanos runs on a store without KMS); remove it" });
  }
}

export type BackupEncryption = "age" | "none";

/** Whether backups are encrypted: archive.backupEncryption, else `age` where the store has no KMS ("defaults follow the stack"). */
export const effectiveBackupEncryption = (archive: Pick<ArchiveConfig, "provider" | "backupEncryption">): BackupEncryption =>
  archive.backupEncryption ?? (ARCHIVE_CAPABILITIES[archive.provider].kms ? "none" : "age");

/** What to write when the identity is missing: the commands that make one and put it in the stack. */
export const AGE_IDENTITY_HOWTO =
  "create one with `age-keygen -o backup-age.key` (keep that file offline: every encrypted backup needs it to restore) and set its AGE-SECRET-KEY-1 line with `grep AGE-SECRET-KEY backup-age.key | pulumi config set --secret strata:backupAgeIdentity` (without the Pulumi CLI: `grep AGE-SECRET-KEY backup-age.key | npm run seal-secret -- --write Pulumi.<stack>.yaml strata:backupAgeIdentity`)";

export function checkBackupEncryption(c: { archive: Pick<ArchiveConfig, "provider" | "backupEncryption">; backupAgeIdentity?: string | undefined }, ctx: RefinementCtx): void {
  const encryption = effectiveBackupEncryption(c.archive);
  // The profile defaults have set archive.backupEncryption by now (infra/config/defaults.ts): say where `age` comes from.
  const why = ARCHIVE_CAPABILITIES[c.archive.provider].kms ? "archive.backupEncryption is `age`" : `archive.backupEncryption is \`age\`, the default on archive.provider \`${c.archive.provider}\`, which has no KMS`;
  if (encryption === "age" && c.backupAgeIdentity === undefined) {
    ctx.addIssue({ code: "custom", path: ["backupAgeIdentity"], input: undefined, message: `is required: backups are encrypted with age (${why}); ${AGE_IDENTITY_HOWTO}; or write archive.backupEncryption: none` });
  } else if (encryption === "none" && c.backupAgeIdentity !== undefined) {
    ctx.addIssue({ code: "custom", path: ["backupAgeIdentity"], input: undefined, message: "is only used when archive.backupEncryption is `age`; remove it or write archive.backupEncryption: age" });
  }
}

export function checkArchiveCredentials(c: { archive: Pick<ArchiveConfig, "provider"> } & Partial<Record<(typeof ARCHIVE_CREDENTIAL_KEYS)[number], string>>, ctx: RefinementCtx): void {
  const needed = !ARCHIVE_CAPABILITIES[c.archive.provider].iam;
  for (const key of ARCHIVE_CREDENTIAL_KEYS) {
    if (needed && c[key] === undefined) {
      ctx.addIssue({ code: "custom", path: [key], input: undefined, message: `is required when archive.provider is \`${c.archive.provider}\`: the store's access key (set it with \`pulumi config set --secret strata:${key}\`)` });
    } else if (!needed && c[key] !== undefined) {
      ctx.addIssue({ code: "custom", path: [key], input: undefined, message: "is only for archive.provider `hetzner` or `s3-compatible`: on `aws` each workload gets its own IAM identity; remove it" });
    }
  }
}

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

/**
 * The archive's store against the capability table (components/archive/providers.ts): every value that needs what
 * the store lacks is refused at its own key, and the store's own settings must be complete.
 */
export function checkArchiveProvider(archive: ArchiveConfig, hcloudLocation: string | undefined, ctx: RefinementCtx): void {
  const provider: ArchiveProvider = archive.provider;
  for (const need of missingCapabilities(provider, archive)) {
    ctx.addIssue({ code: "custom", path: [...need.path], input: undefined, message: `is not available on archive.provider \`${provider}\`: the store ${need.refusal}` });
  }
  if (provider === "aws") {
    for (const key of ["endpoint", "region"] as const) {
      if (archive[key] !== undefined) ctx.addIssue({ code: "custom", path: ["archive", key], input: archive[key], message: "is only for archive.provider `hetzner` or `s3-compatible`: on `aws` the archive is in strata:region; remove it" });
    }
    return;
  }
  if (provider === "hetzner") {
    if (archive.endpoint !== undefined) {
      ctx.addIssue({ code: "custom", path: ["archive", "endpoint"], input: archive.endpoint, message: "is derived on archive.provider `hetzner` from archive.region (https://<region>.your-objectstorage.com); remove it" });
    }
    const region = hetznerArchiveRegion(archive, hcloudLocation);
    if (region === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["archive", "region"],
        input: archive.region,
        message: `must be one of ${HETZNER_OBJECT_STORAGE_LOCATIONS.join(", ")} on archive.provider \`hetzner\` (Hetzner Object Storage's locations)${archive.region === undefined ? `; hcloud.location (${hcloudLocation}) has none, so write one` : ""}`,
      });
    }
  }
  if (provider === "s3-compatible" && archive.endpoint === undefined) {
    ctx.addIssue({ code: "custom", path: ["archive", "endpoint"], input: undefined, message: "is required when archive.provider is `s3-compatible` (e.g. https://minio.example.com:9000)" });
  }
}

/** The Hetzner location of the archive: archive.region, else the cluster's location when it has Object Storage. */
export function hetznerArchiveRegion(archive: Pick<ArchiveConfig, "region">, hcloudLocation: string | undefined): string | undefined {
  const region = archive.region ?? hcloudLocation;
  return (HETZNER_OBJECT_STORAGE_LOCATIONS as readonly string[]).includes(region ?? "") ? region : undefined;
}

/**
 * On a store without KMS Thanos writes the metrics bucket with SSE-C (components/metrics/thanos.ts), and S3 stores
 * accept a customer key only over TLS (AWS S3 and MinIO refuse SSE-C requests on plain HTTP): an `http://` endpoint
 * would fail every upload, so it is refused while Thanos runs.
 */
export function checkSseCustomerKeyTransport(archive: ArchiveConfig, thanosEnabled: boolean, ctx: RefinementCtx): void {
  if (ARCHIVE_CAPABILITIES[archive.provider].kms || !thanosEnabled || !archive.endpoint?.startsWith("http:")) return;
  ctx.addIssue({
    code: "custom",
    path: ["archive", "endpoint"],
    input: archive.endpoint,
    message: "is plain HTTP, but Thanos writes the metrics bucket with SSE-C there, which S3 stores accept only over TLS: use an https endpoint, or set metrics.thanos.enabled to false",
  });
}

/**
 * archive.offsiteCopy: a schedule Kubernetes accepts, a destination that is complete for its store and lies
 * elsewhere than the archive itself, and the destination's key set exactly while the copy is.
 */
export function checkOffsiteCopy(
  c: { archive: ArchiveConfig; region: string; hcloud: { location?: string | undefined } } & Partial<Record<(typeof OFFSITE_COPY_CREDENTIAL_KEYS)[number], string>>,
  ctx: RefinementCtx,
): void {
  const copy = c.archive.offsiteCopy;
  for (const key of OFFSITE_COPY_CREDENTIAL_KEYS) {
    if (copy && c[key] === undefined) {
      ctx.addIssue({ code: "custom", path: [key], input: undefined, message: `is required while archive.offsiteCopy is set: the destination's access key (set it with \`pulumi config set --secret strata:${key}\`)` });
    } else if (!copy && c[key] !== undefined) {
      ctx.addIssue({ code: "custom", path: [key], input: undefined, message: "is only for archive.offsiteCopy, which is not set; remove it" });
    }
  }
  if (!copy) return;
  const at = (key: string) => ["archive", "offsiteCopy", key];
  if (copy.schedule !== undefined) {
    const problem = cronScheduleProblem(copy.schedule);
    if (problem) ctx.addIssue({ code: "custom", path: at("schedule"), input: copy.schedule, message: problem });
  }
  if (copy.provider !== "s3-compatible" && copy.endpoint !== undefined) {
    ctx.addIssue({ code: "custom", path: at("endpoint"), input: copy.endpoint, message: `is only for offsiteCopy.provider \`s3-compatible\`: on \`${copy.provider}\` the endpoint follows from offsiteCopy.region; remove it` });
  }
  if (copy.provider === "s3-compatible" && copy.endpoint === undefined) {
    ctx.addIssue({ code: "custom", path: at("endpoint"), input: undefined, message: "is required when offsiteCopy.provider is `s3-compatible` (e.g. https://minio.example.com:9000)" });
  }
  if (copy.provider === "hetzner" && !(HETZNER_OBJECT_STORAGE_LOCATIONS as readonly string[]).includes(copy.region ?? "")) {
    ctx.addIssue({ code: "custom", path: at("region"), input: copy.region, message: `must be one of ${HETZNER_OBJECT_STORAGE_LOCATIONS.join(", ")} when offsiteCopy.provider is \`hetzner\` (Hetzner Object Storage's locations)` });
  }
  if (copy.provider === "aws" && copy.manage !== undefined && copy.manage !== "external") {
    ctx.addIssue({
      code: "custom",
      path: at("manage"),
      input: copy.manage,
      message: "is `external` only when offsiteCopy.provider is `aws`: Strata declares AWS buckets with the stack's own account, not the destination's key; create the destination bucket in its account, or keep a managed copy on AWS with archive.replication",
    });
  }
  if (copy.provider === "aws" && !AWS_REGION.test(copy.region ?? "")) {
    ctx.addIssue({ code: "custom", path: at("region"), input: copy.region, message: "must be an AWS region name such as eu-west-1 when offsiteCopy.provider is `aws`" });
  }
  // The archive's own location: the copy must survive the loss of it.
  const source = c.archive.provider === "aws" ? c.region : c.archive.provider === "hetzner" ? hetznerArchiveRegion(c.archive, c.hcloud.location) : c.archive.endpoint;
  const destination = copy.provider === "s3-compatible" ? copy.endpoint : copy.region;
  if (copy.provider === c.archive.provider && source !== undefined && destination === source) {
    const key = copy.provider === "s3-compatible" ? "endpoint" : "region";
    ctx.addIssue({ code: "custom", path: at(key), input: destination, message: `must differ from the archive's own ${key} (${source}): a copy in the same place survives no outage or loss of it` });
  }
}

/**
 * A bucket's own protection — versioning, default encryption, lifecycle, object lock — as one definition: ArchiveBucket
 * declares its S3 resources from it, and the bucket protection check (protectionCheck.ts) compares what S3 reports
 * against checks generated from it, so what is declared and what is checked cannot drift apart.
 *
 * The transition minimum object size is declared here but not checked: S3 returns it in a response header, not in
 * the lifecycle configuration the check projects, and it decides cost, not protection.
 *
 * Each check is an S3 API call, a JMESPath projection of its response onto the fields Strata declares, and the JSON
 * that projection must equal. The runtime (protectionCheckRuntime.ts) evaluates the projection on the response's JSON
 * and compares it deeply with the expected value. A response S3 answers with a "not configured" error compares as
 * `null`. The operations keep the AWS CLI's names, which the checks file has always carried.
 */
import type { LifecycleRule } from "./lifecycle";
import { TRANSITION_MINIMUM_OBJECT_SIZE } from "./lifecycle";

export interface BucketProtection {
  versioning: "Enabled";
  /** null on a store without default encryption (Hetzner, most S3-compatible stores): writers encrypt instead. */
  encryption: { sseAlgorithm: "aws:kms"; kmsMasterKeyId: string; bucketKeyEnabled: true } | { sseAlgorithm: "AES256"; bucketKeyEnabled: false } | null;
  /** The transition minimum only where the store has storage classes to transition to. */
  lifecycle: { rules: LifecycleRule[]; transitionDefaultMinimumObjectSize?: string };
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
}

export interface BucketProtectionInput {
  /** SSE-KMS with this key and a bucket key; SSE-S3 without one (the access-log bucket: S3 log delivery needs it). */
  kmsKeyArn?: string;
  lifecycle: LifecycleRule[];
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
  /** What the store can do (components/archive/providers.ts); default AWS S3. */
  defaultEncryption?: boolean;
  storageClasses?: boolean;
}

export function bucketProtection(input: BucketProtectionInput): BucketProtection {
  return {
    versioning: "Enabled",
    encryption:
      input.defaultEncryption === false
        ? null
        : input.kmsKeyArn
          ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: input.kmsKeyArn, bucketKeyEnabled: true }
          : { sseAlgorithm: "AES256", bucketKeyEnabled: false },
    lifecycle: { rules: input.lifecycle, ...(input.storageClasses === false ? {} : { transitionDefaultMinimumObjectSize: TRANSITION_MINIMUM_OBJECT_SIZE }) },
    ...(input.objectLock ? { objectLock: input.objectLock } : {}),
  };
}

export type ProtectionCheckName = "versioning" | "encryption" | "lifecycle" | "object_lock";

export interface ProtectionCheck {
  bucket: string;
  check: ProtectionCheckName;
  /** `aws s3api` subcommand. */
  operation: string;
  /** JMESPath projection of the response onto what Strata declares. */
  query: string;
  /** What the projection must equal, as JSON; `null` when the setting must not be configured. */
  expected: unknown;
}

/**
 * The projections. Lifecycle rules are sorted by ID (S3 does not promise their order) and reduced to the fields
 * Strata sets; a filter that narrows a rule (prefix, tag, size) counts as a difference, the empty filter S3 may echo
 * as `{}` or `{"Prefix": ""}` does not. `BucketKeyEnabled` compares as a boolean whether S3 omits it or not.
 */
export const PROTECTION_QUERIES: Record<ProtectionCheckName, { operation: string; query: string }> = {
  versioning: { operation: "get-bucket-versioning", query: "{Status: Status}" },
  encryption: {
    operation: "get-bucket-encryption",
    query:
      "ServerSideEncryptionConfiguration.Rules[0].{SSEAlgorithm: ApplyServerSideEncryptionByDefault.SSEAlgorithm, KMSMasterKeyID: ApplyServerSideEncryptionByDefault.KMSMasterKeyID, BucketKeyEnabled: BucketKeyEnabled == `true`}",
  },
  lifecycle: {
    operation: "get-bucket-lifecycle-configuration",
    query:
      "sort_by(Rules, &ID)[].{ID: ID, Status: Status, Narrowed: (Filter.Prefix || Prefix || Filter.Tag || Filter.And || Filter.ObjectSizeGreaterThan || Filter.ObjectSizeLessThan) != null, Transitions: Transitions[].{Days: Days, StorageClass: StorageClass}, ExpirationDays: Expiration.Days, ExpiredObjectDeleteMarker: Expiration.ExpiredObjectDeleteMarker, NoncurrentDays: NoncurrentVersionExpiration.NoncurrentDays, AbortDays: AbortIncompleteMultipartUpload.DaysAfterInitiation}",
  },
  object_lock: {
    operation: "get-object-lock-configuration",
    query: "ObjectLockConfiguration.{Enabled: ObjectLockEnabled, Mode: Rule.DefaultRetention.Mode, Days: Rule.DefaultRetention.Days, Years: Rule.DefaultRetention.Years}",
  },
};

/** What each projection evaluates to on a bucket that has exactly this protection. */
export function expectedProjections(p: BucketProtection): Record<ProtectionCheckName, unknown> {
  const n = <T>(v: T | undefined) => (v === undefined ? null : v);
  return {
    versioning: { Status: p.versioning },
    encryption: p.encryption
      ? { SSEAlgorithm: p.encryption.sseAlgorithm, KMSMasterKeyID: p.encryption.sseAlgorithm === "aws:kms" ? p.encryption.kmsMasterKeyId : null, BucketKeyEnabled: p.encryption.bucketKeyEnabled }
      : null,
    lifecycle: [...p.lifecycle.rules]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => ({
        ID: r.id,
        Status: r.status,
        Narrowed: false,
        Transitions: r.transitions ? r.transitions.map((t) => ({ Days: t.days, StorageClass: t.storageClass })) : null,
        ExpirationDays: n(r.expiration?.days),
        ExpiredObjectDeleteMarker: n(r.expiration?.expiredObjectDeleteMarker),
        NoncurrentDays: n(r.noncurrentVersionExpiration?.noncurrentDays),
        AbortDays: n(r.abortIncompleteMultipartUpload?.daysAfterInitiation),
      })),
    object_lock: p.objectLock ? { Enabled: "Enabled", Mode: p.objectLock.mode, Days: p.objectLock.days, Years: null } : null,
  };
}

export function protectionChecks(bucket: string, p: BucketProtection): ProtectionCheck[] {
  const expected = expectedProjections(p);
  return (Object.keys(PROTECTION_QUERIES) as ProtectionCheckName[]).map((check) => ({ bucket, check, ...PROTECTION_QUERIES[check], expected: expected[check] }));
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The check script's input: one check per line, tab-separated `bucket check operation query expected-JSON`. */
export function checksFile(checks: ProtectionCheck[]): string {
  for (const c of checks) {
    if (!BUCKET_NAME.test(c.bucket)) throw new Error(`bucket protection check: ${JSON.stringify(c.bucket)} is not an S3 bucket name`);
    const json = JSON.stringify(c.expected);
    // A backtick in the expected JSON would end the JMESPath literal; tabs and newlines would break the line format.
    if (/[`\t\n]/.test(json) || /[\t\n]/.test(c.query)) throw new Error(`bucket protection check ${c.bucket}/${c.check}: expected value holds a backtick, or a field a tab or newline`);
  }
  return checks.map((c) => [c.bucket, c.check, c.operation, c.query, JSON.stringify(c.expected)].join("\t")).join("\n") + "\n";
}

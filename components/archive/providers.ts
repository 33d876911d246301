/**
 * Where the archive lives, and what each store can do. This table is the one place those facts are kept: the config
 * check refuses what a store lacks (infra/config/sections/archive.ts), the profile defaults drop what a stack never
 * asked for (infra/config/defaults.ts), the lifecycle and bucket components declare only what the store supports,
 * and docs/archive.md prints it.
 *
 * Hetzner Object Storage (https://docs.hetzner.com/storage/object-storage/): S3 API with versioning, object lock (set
 * at bucket creation) and lifecycle expiration; no SSE-KMS (SSE-C only), no storage classes or transitions, no
 * replication, no server access logs, no ownership controls, no bucket tagging; noncurrent versions expire by days
 * only; one access key reaches every bucket of its project ("By default, you can use each access key & secret key
 * pair to access every Bucket within the same project", https://docs.hetzner.com/storage/object-storage/faq/buckets-objects,
 * 2024-12-18). It has bucket policies (Ceph RGW's): a policy can name a key as principal
 * (`arn:aws:iam:::user/p<project id>:<access key>`, as Hetzner users report it; Hetzner's own page was not at hand)
 * and narrow it with Deny statements, but Strata's workloads all sign with the stack's one key, so a policy cannot
 * tell them apart: it can only forbid, for everyone, what no workload needs (version deletion, lock bypass, plain
 * HTTP). A generic S3-compatible store (MinIO, Ceph RGW, ...) is assumed to offer no more than that: what varies
 * between them is refused rather than guessed (no bucket policy at all).
 */
import type { BucketGuard } from "./bucketPolicy";

export const ARCHIVE_PROVIDERS = ["aws", "hetzner", "s3-compatible"] as const;
export type ArchiveProvider = (typeof ARCHIVE_PROVIDERS)[number];

export interface ArchiveCapabilities {
  /** SSE-KMS with a customer-managed key (and the bucket policy that demands it). */
  kms: boolean;
  /** Storage classes other than STANDARD, hence lifecycle transitions. */
  storageClasses: boolean;
  /** Bucket replication to a second region. */
  replication: boolean;
  /** Server access logging to a log bucket. */
  accessLogs: boolean;
  /** Object ownership controls (ACLs disabled, BucketOwnerEnforced). */
  ownershipControls: boolean;
  /** Bucket tags (`strata:purpose`). */
  bucketTagging: boolean;
  /** The public access block (a bucket on these stores is private unless made public, and stays so). */
  publicAccessBlock: boolean;
  /** Object lock, which must be chosen when the bucket is created. */
  objectLock: boolean;
  /** IAM principals per workload; without it every workload shares the one access key of the stack. */
  iam: boolean;
  /** Bucket policies; a store without them is guarded only by its own endpoint. */
  bucketPolicy: boolean;
  /** What Strata's bucket policy guards on this store (components/archive/bucketPolicy.ts); empty without bucket policies. */
  bucketGuards: readonly BucketGuard[];
  /** What a bucket policy cannot restrict on this store, said in the plan; absent where IAM scopes each workload. */
  policyLimits?: string;
  /** Server-side CopyObject; where it may fail, writers upload every object whole instead of copying. */
  copyObject: boolean;
  /** The S3 store's own storage metrics (CloudWatch), read by the cost dashboard. */
  storageMetrics: boolean;
  /** The AWS CLI and SDKs must only send and check checksums when the operation requires them (2025 defaults). */
  checksumsWhenRequired: boolean;
  /** Noncurrent-version expiry: after days, or also by count of newer versions. Strata uses days everywhere. */
  noncurrentExpiry: "days" | "days-or-count";
  /** Where workloads' credentials reach: one bucket's prefix (IAM) or every bucket of the key's project. */
  credentialScope: string;
  /** The Pulumi provider that declares the buckets, and why. */
  declaredBy: string;
}

export const ARCHIVE_CAPABILITIES: Readonly<Record<ArchiveProvider, ArchiveCapabilities>> = {
  aws: {
    kms: true,
    storageClasses: true,
    replication: true,
    accessLogs: true,
    ownershipControls: true,
    bucketTagging: true,
    publicAccessBlock: true,
    objectLock: true,
    iam: true,
    bucketPolicy: true,
    bucketGuards: ["deny-insecure-transport", "deny-tls-below-1.2", "require-sse-kms"],
    copyObject: true,
    storageMetrics: true,
    checksumsWhenRequired: false,
    noncurrentExpiry: "days-or-count",
    credentialScope: "one IAM principal per workload, limited to its bucket and prefix",
    declaredBy: "@pulumi/aws (the stack's aws provider)",
  },
  hetzner: {
    kms: false,
    storageClasses: false,
    replication: false,
    accessLogs: false,
    ownershipControls: false,
    bucketTagging: false,
    publicAccessBlock: false,
    objectLock: true,
    iam: false,
    bucketPolicy: true,
    bucketGuards: ["deny-insecure-transport", "deny-version-deletion", "deny-governance-bypass"],
    policyLimits:
      "a Hetzner project key reaches every bucket of its project, and every workload signs with the stack's one key: no policy can limit one workload to its bucket, its prefix or reads only (use a Hetzner project of its own for the archive)",
    copyObject: false,
    storageMetrics: false,
    checksumsWhenRequired: true,
    noncurrentExpiry: "days",
    credentialScope: "the stack's one Hetzner access key, which reaches every bucket of its Hetzner project",
    declaredBy: "@pulumi/aws with its S3 endpoint set to the Hetzner location (a provider of its own, no AWS account)",
  },
  "s3-compatible": {
    kms: false,
    storageClasses: false,
    replication: false,
    accessLogs: false,
    ownershipControls: false,
    bucketTagging: false,
    publicAccessBlock: false,
    objectLock: true,
    iam: false,
    bucketPolicy: false,
    bucketGuards: [],
    policyLimits: "the store's own access control decides what the stack's one key reaches; Strata declares no bucket policy there",
    copyObject: false,
    storageMetrics: false,
    checksumsWhenRequired: true,
    noncurrentExpiry: "days",
    credentialScope: "the stack's one access key, which reaches whatever the store grants that key",
    declaredBy: "@pulumi/aws with its S3 endpoint set to strata:archive.endpoint (a provider of its own, no AWS account)",
  },
};

/** Hetzner Object Storage locations (its S3 endpoints are https://<location>.your-objectstorage.com). */
export const HETZNER_OBJECT_STORAGE_LOCATIONS = ["fsn1", "nbg1", "hel1"] as const;
export const hetznerEndpoint = (location: string) => `https://${location}.your-objectstorage.com`;

/** An S3 client's `endpoint` (host[:port]) and whether it speaks plain HTTP, from the store's endpoint URL. */
export function s3ClientEndpoint(endpointUrl: string): { host: string; insecure: boolean } {
  const url = new URL(endpointUrl);
  return { host: url.host, insecure: url.protocol === "http:" };
}

/**
 * A config value that needs a capability, the key it is set at and what to write instead. Checked against the
 * provider's row: each one the provider lacks is refused (exit 2, naming the key), and when it is only a profile's
 * default the default is dropped instead (infra/config/defaults.ts).
 */
export interface CapabilityNeed {
  capability: keyof ArchiveCapabilities;
  path: readonly (string | number)[];
  /** Whether this config needs the capability. */
  needs: (archive: ArchiveNeedsInput) => boolean;
  /** What the provider lacks, in words, and what to write instead. */
  refusal: string;
  /** The value a profile default takes when the provider lacks it. */
  off: unknown;
}

export interface ArchiveNeedsInput {
  metrics: { transitions: readonly unknown[] };
  logs: { transitions: readonly unknown[] };
  backups: { transitions: readonly unknown[] };
  replication: { enabled: boolean };
  accessLogs: { enabled: boolean };
  adopt?: { kmsKey?: unknown };
}

export const CAPABILITY_NEEDS: readonly CapabilityNeed[] = [
  ...(["metrics", "logs", "backups"] as const).map(
    (purpose): CapabilityNeed => ({
      capability: "storageClasses",
      path: ["archive", purpose, "transitions"],
      needs: (a) => a[purpose].transitions.length > 0,
      refusal: "has no storage classes, so no lifecycle transitions: objects stay in one class until they expire (write `[]`)",
      off: [],
    }),
  ),
  {
    capability: "replication",
    path: ["archive", "replication", "enabled"],
    needs: (a) => a.replication.enabled,
    refusal: "has no bucket replication: set it to false (docs/archive.md says how to keep a second copy without it), or keep the archive on `aws`",
    off: false,
  },
  {
    capability: "accessLogs",
    path: ["archive", "accessLogs", "enabled"],
    needs: (a) => a.accessLogs.enabled,
    refusal: "has no server access logs: set it to false",
    off: false,
  },
  {
    capability: "kms",
    path: ["archive", "adopt", "kmsKey"],
    needs: (a) => a.adopt?.kmsKey !== undefined,
    refusal: "has no SSE-KMS, so there is no KMS key to adopt: remove it (docs/archive.md says how the archive is encrypted there)",
    off: undefined,
  },
];

/** Why a provider cannot serve this config: one entry per need it lacks. */
export function missingCapabilities(provider: ArchiveProvider, archive: ArchiveNeedsInput): CapabilityNeed[] {
  const row = ARCHIVE_CAPABILITIES[provider];
  return CAPABILITY_NEEDS.filter((n) => n.needs(archive) && !row[n.capability]);
}

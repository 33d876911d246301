import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { bucketGuardStatements, policyDocument, type PolicyStatement } from "./bucketPolicy";
import type { LifecycleRule } from "./lifecycle";
import { PURPOSE_TAG } from "./storageClasses";
import { bucketProtection, type BucketProtection } from "./protection";
import { ARCHIVE_CAPABILITIES, type ArchiveCapabilities } from "./providers";

export interface ArchiveBucketArgs {
  /** Tagged on the bucket (`strata:purpose`); policies and readers rely on it. */
  purpose: string;
  /** Bucket name prefix; a random suffix makes it globally unique. */
  namePrefix: string;
  /** The bucket's exact name instead (one its owner chose, such as an off-site copy's destination): created as it is. */
  exactName?: string;
  /** SSE-KMS with this CMK and a bucket key; absent only for the access-log bucket, which S3 logging requires SSE-S3 for. */
  kmsKeyArn?: pulumi.Input<string>;
  lifecycle: LifecycleRule[];
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
  accessLogs?: { bucket: pulumi.Input<string>; prefix: string };
  /** Extra bucket policy statements (e.g. letting the log service write), built from the bucket ARN. */
  extraStatements?: (bucketArn: string) => PolicyStatement[];
  /** Region when not the provider's (a replica). */
  region?: pulumi.Input<string>;
  tags?: Record<string, string>;
  /**
   * What the store can do (components/archive/providers.ts): on a store without them the bucket gets no tags, no
   * default encryption, no public access block, no ownership controls, no bucket policy and no access logging, and
   * its lifecycle has no transitions. Default: AWS S3.
   */
  capabilities?: ArchiveCapabilities;
  /** For the bucket: it holds the data, so it is retained and (in prod) protected. */
  bucketOptions: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;
  /**
   * An existing bucket of this name, imported (Pulumi's `import`, by name) instead of created: it keeps its name and
   * its objects; versioning, encryption, the public-access block, ownership, policy and lifecycle are then applied to it.
   */
  adoptName?: string;
}

/**
 * One archive bucket with every guard on: versioning, SSE-KMS with a bucket key, all public access blocked, ACLs
 * disabled, a deny policy for insecure or unencrypted access, lifecycle tiers (applied after versioning, which the
 * noncurrent-version rules need), and optionally object lock and access logging. On a store that lacks some of
 * these (Hetzner, other S3-compatible stores) only what the store supports is declared.
 */
export class ArchiveBucket extends pulumi.ComponentResource {
  readonly bucket: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;
  /** What the bucket's versioning, encryption, lifecycle and object lock are declared as (the protection check reads it). */
  readonly protection: pulumi.Output<BucketProtection>;

  constructor(name: string, args: ArchiveBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:archive:ArchiveBucket", name, {}, opts);
    const child = { parent: this };
    const regional = args.region ? { region: args.region } : {};
    const can = args.capabilities ?? ARCHIVE_CAPABILITIES.aws;

    // An adopted bucket has its name already; only a new one needs a random suffix to be globally unique.
    const bucketName = args.adoptName ?? args.exactName ?? new random.RandomString(`${name}-suffix`, { length: 8, special: false, upper: false }, child).result.apply((s) => `${args.namePrefix}-${s}`);
    const bucket = new aws.s3.Bucket(
      name,
      {
        bucket: bucketName,
        forceDestroy: false,
        ...(args.objectLock ? { objectLockEnabled: true } : {}),
        ...(can.bucketTagging ? { tags: { ...args.tags, [PURPOSE_TAG]: args.purpose } } : {}),
        ...regional,
      },
      { ...child, ...args.bucketOptions, ...(args.adoptName ? { import: args.adoptName } : {}) },
    );
    const ref = { bucket: bucket.id, ...regional };

    // One definition of the bucket's protection: the resources below are declared from it, and the protection check
    // compares S3's answers with it. What the store cannot do (no default encryption, no storage classes) is absent
    // from both.
    const storeCan = { defaultEncryption: can.kms, storageClasses: can.storageClasses };
    if (args.kmsKeyArn !== undefined && !can.kms) throw new Error(`bucket ${name}: a KMS key was given for a store without SSE-KMS`);
    const protection = pulumi
      .output(args.kmsKeyArn)
      .apply((kmsKeyArn) => bucketProtection({ lifecycle: args.lifecycle, ...storeCan, ...(kmsKeyArn ? { kmsKeyArn } : {}), ...(args.objectLock ? { objectLock: args.objectLock } : {}) }));
    const declared = bucketProtection({ lifecycle: args.lifecycle, ...storeCan, ...(args.objectLock ? { objectLock: args.objectLock } : {}) });

    const versioning = new aws.s3.BucketVersioning(name, { ...ref, versioningConfiguration: { status: declared.versioning } }, child);
    // Stores without SSE-KMS get no default encryption either: what they hold is encrypted by its writer (docs/archive.md).
    if (can.kms) {
      new aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        {
          ...ref,
          rules: protection.apply(({ encryption: e }) => [
            e?.sseAlgorithm === "aws:kms"
              ? { applyServerSideEncryptionByDefault: { sseAlgorithm: e.sseAlgorithm, kmsMasterKeyId: e.kmsMasterKeyId }, bucketKeyEnabled: e.bucketKeyEnabled }
              : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
          ]),
        },
        child,
      );
    }
    const publicAccess = can.publicAccessBlock
      ? new aws.s3.BucketPublicAccessBlock(name, { ...ref, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, child)
      : undefined;
    if (can.ownershipControls) new aws.s3.BucketOwnershipControls(name, { ...ref, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
    if (can.bucketPolicy) {
      new aws.s3.BucketPolicy(
        name,
        {
          ...ref,
          policy: pulumi.all([bucket.arn, args.kmsKeyArn]).apply(([arn, key]) =>
            JSON.stringify(policyDocument([...bucketGuardStatements(arn, can.bucketGuards, key), ...(args.extraStatements?.(arn) ?? [])])),
          ),
        },
        // A policy put before the public-access block could briefly be evaluated as public; order them.
        { ...child, ...(publicAccess ? { dependsOn: [publicAccess] } : {}) },
      );
    }
    new aws.s3.BucketLifecycleConfiguration(
      name,
      { ...ref, rules: declared.lifecycle.rules, ...(declared.lifecycle.transitionDefaultMinimumObjectSize ? { transitionDefaultMinimumObjectSize: declared.lifecycle.transitionDefaultMinimumObjectSize } : {}) },
      { ...child, dependsOn: [versioning] },
    );
    if (declared.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        name,
        { ...ref, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: declared.objectLock.mode, days: declared.objectLock.days } } },
        { ...child, dependsOn: [versioning] },
      );
    }
    if (args.accessLogs && can.accessLogs) {
      new aws.s3.BucketLogging(name, { ...ref, targetBucket: args.accessLogs.bucket, targetPrefix: args.accessLogs.prefix }, child);
    }

    this.bucket = bucket.bucket;
    this.arn = bucket.arn;
    this.region = bucket.region;
    this.protection = protection;
    this.registerOutputs({ bucket: this.bucket, arn: this.arn, region: this.region });
  }
}

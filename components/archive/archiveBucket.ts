import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { bucketGuardStatements, policyDocument, type PolicyStatement } from "./bucketPolicy";
import { TRANSITION_MINIMUM_OBJECT_SIZE, type LifecycleRule } from "./lifecycle";
import { PURPOSE_TAG } from "./storageClasses";
import { ARCHIVE_CAPABILITIES, type ArchiveCapabilities } from "./providers";

export interface ArchiveBucketArgs {
  /** Tagged on the bucket (`strata:purpose`); policies and readers rely on it. */
  purpose: string;
  /** Bucket name prefix; a random suffix makes it globally unique. */
  namePrefix: string;
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

  constructor(name: string, args: ArchiveBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:archive:ArchiveBucket", name, {}, opts);
    const child = { parent: this };
    const regional = args.region ? { region: args.region } : {};
    const can = args.capabilities ?? ARCHIVE_CAPABILITIES.aws;

    const suffix = new random.RandomString(`${name}-suffix`, { length: 8, special: false, upper: false }, child);
    const bucket = new aws.s3.Bucket(
      name,
      {
        bucket: pulumi.interpolate`${args.namePrefix}-${suffix.result}`,
        forceDestroy: false,
        ...(args.objectLock ? { objectLockEnabled: true } : {}),
        ...(can.bucketTagging ? { tags: { ...args.tags, [PURPOSE_TAG]: args.purpose } } : {}),
        ...regional,
      },
      { ...child, ...args.bucketOptions },
    );
    const ref = { bucket: bucket.id, ...regional };

    const versioning = new aws.s3.BucketVersioning(name, { ...ref, versioningConfiguration: { status: "Enabled" } }, child);
    if (args.kmsKeyArn !== undefined && !can.kms) throw new Error(`bucket ${name}: a KMS key was given for a store without SSE-KMS`);
    // Stores without SSE-KMS get no default encryption either: what they hold is encrypted by its writer (age for
    // backups, SSE-C for Thanos and Loki; docs/archive.md).
    if (can.kms) {
      new aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        {
          ...ref,
          rules: [
            args.kmsKeyArn
              ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
              : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
          ],
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
            JSON.stringify(policyDocument([...bucketGuardStatements(arn, key), ...(args.extraStatements?.(arn) ?? [])])),
          ),
        },
        // A policy put before the public-access block could briefly be evaluated as public; order them.
        { ...child, ...(publicAccess ? { dependsOn: [publicAccess] } : {}) },
      );
    }
    new aws.s3.BucketLifecycleConfiguration(
      name,
      { ...ref, rules: args.lifecycle, ...(can.storageClasses ? { transitionDefaultMinimumObjectSize: TRANSITION_MINIMUM_OBJECT_SIZE } : {}) },
      { ...child, dependsOn: [versioning] },
    );
    if (args.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        name,
        { ...ref, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
        { ...child, dependsOn: [versioning] },
      );
    }
    if (args.accessLogs && can.accessLogs) {
      new aws.s3.BucketLogging(name, { ...ref, targetBucket: args.accessLogs.bucket, targetPrefix: args.accessLogs.prefix }, child);
    }

    this.bucket = bucket.bucket;
    this.arn = bucket.arn;
    this.region = bucket.region;
    this.registerOutputs({ bucket: this.bucket, arn: this.arn, region: this.region });
  }
}

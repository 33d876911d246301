import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface BucketReplicationArgs {
  source: { bucket: pulumi.Input<string>; arn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string>; region: string };
  destination: { arn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string>; region: string };
  /** IAM role name (under the given path); the KMS key policies name it before it exists, so it is fixed. */
  roleName: string;
  rolePath: string;
}

/**
 * Replicates every version of a KMS-encrypted bucket to another region with S3's least-privilege replication role.
 * Delete markers are not replicated: a deletion in the source must never reach the disaster-recovery copy.
 */
export class BucketReplication extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: BucketReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:archive:BucketReplication", name, {}, opts);
    const child = { parent: this };
    const role = new aws.iam.Role(
      name,
      {
        name: args.roleName,
        path: args.rolePath,
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        tags: { "strata:workload": name },
      },
      child,
    );
    const { source: src, destination: dst } = args;
    new aws.iam.RolePolicy(
      name,
      {
        role: role.name,
        name: "replicate",
        policy: pulumi.all([src.arn, dst.arn, src.kmsKeyArn, dst.kmsKeyArn]).apply(([srcArn, dstArn, srcKey, dstKey]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "ReadReplicationConfig", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: srcArn },
              { Sid: "ReadSourceVersions", Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"], Resource: `${srcArn}/*` },
              { Sid: "WriteReplicas", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateTags"], Resource: `${dstArn}/*` },
              { Sid: "DecryptSource", Effect: "Allow", Action: "kms:Decrypt", Resource: srcKey, Condition: { StringEquals: { "kms:ViaService": `s3.${src.region}.amazonaws.com` } } },
              { Sid: "EncryptReplica", Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: dstKey, Condition: { StringEquals: { "kms:ViaService": `s3.${dst.region}.amazonaws.com` } } },
            ],
          }),
        ),
      },
      child,
    );
    new aws.s3.BucketReplicationConfig(
      name,
      {
        bucket: src.bucket,
        role: role.arn,
        rules: [
          {
            id: `to-${dst.region}`,
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Disabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: { bucket: dst.arn, encryptionConfiguration: { replicaKmsKeyId: dst.kmsKeyArn } },
          },
        ],
      },
      child,
    );
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}

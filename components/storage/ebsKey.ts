import * as pulumi from "@pulumi/pulumi";
import type { DataResourceOptions } from "./options";
import * as aws from "@pulumi/aws";

export interface EbsKeyArgs {
  /** Without `alias/`; e.g. `strata-prod-ebs`. */
  aliasName: pulumi.Input<string>;
  description: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** The key's region: volume roles may use it only through EC2 there (`kms:ViaService`). */
  region: pulumi.Input<string>;
  /** The other side of a cross-region snapshot copy: a copy involves EC2 in both regions, so copy roles get both. */
  copyPeerRegions: pulumi.Input<string>[];
  /** Roles that create and attach volumes encrypted with this key (the EBS CSI driver). */
  volumeRoleArns: pulumi.Input<string>[];
  /** Roles that copy snapshots out of this key's region (read side of a cross-region copy). */
  copySourceRoleArns: pulumi.Input<string>[];
  /** Roles that write snapshot copies encrypted with this key (write side of a cross-region copy). */
  copyTargetRoleArns: pulumi.Input<string>[];
  resourceOptions: DataResourceOptions;
}

// Key administration only: with these the account can manage and re-policy the key, but no IAM policy in the
// account can be used to read data through it. Data use is granted below, by name, to the roles that need it.
const ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
];

/**
 * Data actions per role. EC2 uses the key on the caller's behalf, so every data statement is limited to calls that
 * come through EC2, and grants only to grants EC2 itself holds (`kms:GrantIsForAWSResource`).
 * `kms:ReEncrypt*` is left out of the volume role: EBS needs it only to re-key a snapshot from another key, which the
 * CSI driver never does with this class; the cross-region copy gets just the half (From/To) its side needs.
 */
const ROLE_ACTIONS = {
  volume: ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
  copySource: ["kms:Decrypt", "kms:ReEncryptFrom", "kms:DescribeKey"],
  copyTarget: ["kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo", "kms:Encrypt", "kms:DescribeKey"],
} as const;

/** A customer-managed KMS key for EBS volumes and snapshots, with rotation and a least-privilege key policy. */
export class EbsEncryptionKey extends pulumi.ComponentResource {
  readonly keyArn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly aliasArn: pulumi.Output<string>;

  constructor(name: string, args: EbsKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:EbsEncryptionKey", name, {}, opts);

    const viaEc2 = (regions: pulumi.Input<string>[]) => ({
      "kms:ViaService": regions.map((r) => pulumi.interpolate`ec2.${r}.amazonaws.com`),
      "kms:CallerAccount": args.accountId,
    });
    const statements: pulumi.Input<Record<string, unknown>>[] = [
      {
        Sid: "AccountAdministersKey",
        Effect: "Allow",
        Principal: { AWS: pulumi.interpolate`arn:${args.partition}:iam::${args.accountId}:root` },
        Action: ADMIN_ACTIONS,
        // In a key policy "*" means this key and nothing else.
        Resource: "*",
      },
    ];
    const roles: [keyof typeof ROLE_ACTIONS, string, pulumi.Input<string>[]][] = [
      ["volume", "Volume", args.volumeRoleArns],
      ["copySource", "CopySource", args.copySourceRoleArns],
      ["copyTarget", "CopyTarget", args.copyTargetRoleArns],
    ];
    for (const [kind, sid, arns] of roles) {
      if (arns.length === 0) continue;
      const via = viaEc2(kind === "volume" ? [args.region] : [args.region, ...args.copyPeerRegions]);
      statements.push(
        { Sid: `${sid}UseThroughEc2`, Effect: "Allow", Principal: { AWS: arns }, Action: ROLE_ACTIONS[kind], Resource: "*", Condition: { StringEquals: via } },
        {
          Sid: `${sid}GrantsToEc2`,
          Effect: "Allow",
          Principal: { AWS: arns },
          Action: "kms:CreateGrant",
          Resource: "*",
          Condition: { StringEquals: via, Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
      );
    }
    const policy = pulumi.jsonStringify({ Version: "2012-10-17", Id: "strata-ebs", Statement: statements });

    const key = new aws.kms.Key(
      name,
      {
        description: args.description,
        enableKeyRotation: true,
        // The longest window AWS allows: a scheduled deletion can be cancelled for a month.
        deletionWindowInDays: 30,
        keyUsage: "ENCRYPT_DECRYPT",
        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        policy,
      },
      { parent: this, ...args.resourceOptions },
    );
    const alias = new aws.kms.Alias(name, { name: pulumi.interpolate`alias/${args.aliasName}`, targetKeyId: key.keyId }, { parent: this });

    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.aliasArn = alias.arn;
    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, aliasArn: this.aliasArn });
  }
}

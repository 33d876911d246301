import * as pulumi from "@pulumi/pulumi";
import { accountAdministersKey } from "../security/customerManagedKey";

export interface EbsKeyPolicyArgs {
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
}

/**
 * Data actions per role. `kms:ReEncrypt*` is left out of the volume role: EBS needs it only to re-key a snapshot
 * from another key, which the CSI driver never does with this class; each side of a cross-region copy gets just the
 * half (From/To) it needs.
 */
const ROLE_ACTIONS = {
  volume: ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
  copySource: ["kms:Decrypt", "kms:ReEncryptFrom", "kms:DescribeKey"],
  copyTarget: ["kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo", "kms:Encrypt", "kms:DescribeKey"],
} as const;

/**
 * The key policy of an EBS key. Unlike the archive's keys, the roles are named as principals: the EBS CSI driver's
 * role belongs to the cluster stack, which cannot grant itself a key that does not exist yet, so the key policy
 * alone must let it in. EC2 uses the key on the role's behalf, so every data statement holds only for calls through
 * EC2 (`kms:ViaService`), and grants only for grants EC2 itself holds (`kms:GrantIsForAWSResource`).
 */
export function ebsKeyPolicy(args: EbsKeyPolicyArgs): pulumi.Output<string> {
  const viaEc2 = (regions: pulumi.Input<string>[]) => ({
    "kms:ViaService": regions.map((r) => pulumi.interpolate`ec2.${r}.amazonaws.com`),
    "kms:CallerAccount": args.accountId,
  });
  const statements: pulumi.Input<object>[] = [accountAdministersKey(pulumi.interpolate`arn:${args.partition}:iam::${args.accountId}:root`)];
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
  return pulumi.jsonStringify({ Version: "2012-10-17", Id: "strata-ebs", Statement: statements });
}

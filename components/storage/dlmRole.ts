import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface DlmExecutionRoleArgs {
  roleName: pulumi.Input<string>;
  /** IAM path, so Strata's roles can be told apart (and permission-bounded) as a group. */
  rolePath: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** The region the volumes live in, and the regions snapshots are copied to. */
  sourceRegion: pulumi.Input<string>;
  copyRegions: pulumi.Input<string>[];
  /** The one tag the policy targets: volumes and snapshots without it are out of the role's reach. */
  targetTag: { key: string; value: string };
}

/**
 * The role Data Lifecycle Manager assumes, written out action by action instead of the AWS managed
 * AWSDataLifecycleManagerServiceRole policy, which allows snapshot deletion and EventBridge rules on every resource.
 * KMS permissions are not here: the key policies name this role (components/storage/ebsKey.ts).
 */
export class DlmExecutionRole extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: DlmExecutionRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:DlmExecutionRole", name, {}, opts);

    const role = new aws.iam.Role(
      name,
      {
        name: args.roleName,
        path: args.rolePath,
        description: "Assumed by Data Lifecycle Manager to snapshot, copy and expire Strata's EBS volumes",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "dlm.amazonaws.com" },
              // No aws:SourceAccount guard: AWS's own DLM roles trust the service without one, and a condition DLM
              // does not send would silently stop every snapshot.
              Action: "sts:AssumeRole",
            },
          ],
        }),
      },
      { parent: this },
    );

    const regions = [args.sourceRegion, ...args.copyRegions];
    const snapshotArns = regions.map((r) => pulumi.interpolate`arn:${args.partition}:ec2:${r}::snapshot/*`);
    const taggedByPolicy = { StringEquals: { [`aws:ResourceTag/${args.targetTag.key}`]: args.targetTag.value } };
    const statements: pulumi.Input<Record<string, unknown>>[] = [
      {
        Sid: "DescribeVolumesAndSnapshots",
        Effect: "Allow",
        Action: ["ec2:DescribeVolumes", "ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute"],
        // EC2 Describe* actions support no resource-level permissions: AWS only accepts "*" for them.
        Resource: "*",
      },
      {
        Sid: "SnapshotTargetedVolumes",
        Effect: "Allow",
        Action: "ec2:CreateSnapshot",
        Resource: pulumi.interpolate`arn:${args.partition}:ec2:${args.sourceRegion}:${args.accountId}:volume/*`,
        Condition: taggedByPolicy,
      },
      {
        Sid: "CreateAndTagSnapshots",
        Effect: "Allow",
        Action: ["ec2:CreateSnapshot", "ec2:CreateTags"],
        Resource: snapshotArns,
      },
      {
        // Snapshots inherit the volume's tags (copyTags), so this reaches only what the policy itself made.
        Sid: "ExpireAndCopyOwnSnapshots",
        Effect: "Allow",
        Action: ["ec2:DeleteSnapshot", "ec2:CopySnapshot"],
        Resource: snapshotArns,
        Condition: taggedByPolicy,
      },
    ];
    if (args.copyRegions.length > 0) {
      // The copy being created carries no tags until it exists, so CopySnapshot on the new snapshot is unconditioned.
      statements.push({ Sid: "CreateCopies", Effect: "Allow", Action: "ec2:CopySnapshot", Resource: args.copyRegions.map((r) => pulumi.interpolate`arn:${args.partition}:ec2:${r}::snapshot/*`) });
    }
    new aws.iam.RolePolicy(
      name,
      { role: role.name, name: "snapshot-lifecycle", policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
      { parent: this },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}

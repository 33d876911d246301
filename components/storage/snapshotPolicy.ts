import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface EbsSnapshotPolicyArgs {
  description: string;
  executionRoleArn: pulumi.Input<string>;
  /** The one tag that selects volumes; the StorageClass writes the same tag on every volume it creates. */
  targetTag: { key: string; value: string };
  /** UTC `HH:MM`. */
  dailyTime: string;
  retainCount: number;
  /** Tags added to every snapshot on top of the volume's own (which `copyTags` carries over). */
  snapshotTags: Record<string, string>;
  crossRegionCopy?: { region: string; kmsKeyArn: pulumi.Input<string>; retainDays: number };
  alarmTopicName: string;
}

// DLM publishes per-policy failure counts; each metric here is an alarm, and the copy one only exists with copies.
const FAILURE_METRICS = { create: "SnapshotsCreateFailed", copy: "SnapshotsCopiedRegionFailed" } as const;

/**
 * Daily EBS snapshots of every volume carrying the target tag, kept by count, optionally copied to a second region
 * under a key there, and an alarm on the SNS topic when DLM fails to take or copy one.
 */
export class EbsSnapshotPolicy extends pulumi.ComponentResource {
  readonly policyId: pulumi.Output<string>;
  readonly policyArn: pulumi.Output<string>;
  readonly alarmTopicArn: pulumi.Output<string>;

  constructor(name: string, args: EbsSnapshotPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:EbsSnapshotPolicy", name, {}, opts);
    const copy = args.crossRegionCopy;

    const policy = new aws.dlm.LifecyclePolicy(
      name,
      {
        description: args.description,
        executionRoleArn: args.executionRoleArn,
        state: "ENABLED",
        policyDetails: {
          policyType: "EBS_SNAPSHOT_MANAGEMENT",
          resourceTypes: ["VOLUME"],
          targetTags: { [args.targetTag.key]: args.targetTag.value },
          schedules: [
            {
              name: "daily",
              createRule: { interval: 24, intervalUnit: "HOURS", times: args.dailyTime },
              retainRule: { count: args.retainCount },
              copyTags: true,
              tagsToAdd: args.snapshotTags,
              ...(copy
                ? {
                    crossRegionCopyRules: [
                      {
                        target: copy.region,
                        encrypted: true,
                        cmkArn: copy.kmsKeyArn,
                        copyTags: true,
                        // DLM keeps cross-region copies by age only; it has no count for them.
                        retainRule: { interval: copy.retainDays, intervalUnit: "DAYS" },
                      },
                    ],
                  }
                : {}),
            },
          ],
        },
      },
      { parent: this },
    );

    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, so the topic is left on
    // SNS's default encryption; alarm messages carry no data.
    const topic = new aws.sns.Topic(name, { name: args.alarmTopicName }, { parent: this });

    const metrics: string[] = [FAILURE_METRICS.create, ...(copy ? [FAILURE_METRICS.copy] : [])];
    for (const metric of metrics) {
      new aws.cloudwatch.MetricAlarm(
        `${name}-${metric}`,
        {
          alarmDescription: pulumi.interpolate`DLM policy ${policy.id} (${args.description}): ${metric} > 0. Volumes go without a restorable snapshot until fixed.`,
          namespace: "AWS/DataLifecycleManager",
          metricName: metric,
          dimensions: { DlmPolicyId: policy.id },
          statistic: "Sum",
          period: 3600,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: "GreaterThanThreshold",
          // DLM emits nothing between runs; silence is not a failure.
          treatMissingData: "notBreaching",
          alarmActions: [topic.arn],
          okActions: [topic.arn],
        },
        { parent: this },
      );
    }

    this.policyId = policy.id;
    this.policyArn = policy.arn;
    this.alarmTopicArn = topic.arn;
    this.registerOutputs({ policyId: this.policyId, policyArn: this.policyArn, alarmTopicArn: this.alarmTopicArn });
  }
}

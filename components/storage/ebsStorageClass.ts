import * as pulumi from "@pulumi/pulumi";
import type { DataResourceOptions } from "./options";
import { retainedStorageClass } from "./storageClass";

export interface EbsStorageClassArgs {
  name: string;
  iops: number;
  throughputMiBps: number;
  fsType: string;
  kmsKeyArn: pulumi.Input<string>;
  /** Tags every volume the class creates carries; must include the tag the snapshot policy targets. */
  volumeTags: Record<string, string>;
  isDefault: boolean;
  labels: Record<string, string>;
  resourceOptions: DataResourceOptions;
  /** Import the existing class named `name` (its provisioner, parameters and reclaim policy must already be these). */
  importExisting?: boolean;
}

/**
 * The EBS CSI driver's `tagSpecification_N` parameters: one `key=value` per tag. The driver splits each at its
 * first `=`, so a value may contain `=`, but a key may not.
 */
export function tagSpecifications(tags: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .forEach(([key, value], i) => {
      if (key.includes("=")) throw new Error(`EBS volume tag key ${JSON.stringify(key)} contains '=', which tagSpecification cannot carry`);
      params[`tagSpecification_${i + 1}`] = `${key}=${value}`;
    });
  return params;
}

/** gp3 volumes through the EBS CSI driver, encrypted with a customer-managed key and tagged for snapshots. */
export class EbsStorageClass extends pulumi.ComponentResource {
  readonly storageClassName: pulumi.Output<string>;

  constructor(name: string, args: EbsStorageClassArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:EbsStorageClass", name, {}, opts);
    const storageClass = retainedStorageClass(
      name,
      {
        name: args.name,
        provisioner: "ebs.csi.aws.com",
        fsType: args.fsType,
        isDefault: args.isDefault,
        labels: args.labels,
        resourceOptions: args.resourceOptions,
        ...(args.importExisting ? { importId: args.name } : {}),
        parameters: pulumi.output(args.kmsKeyArn).apply((kmsKeyId) => ({
          type: "gp3",
          iops: String(args.iops),
          throughput: String(args.throughputMiBps),
          encrypted: "true",
          kmsKeyId,
          ...tagSpecifications(args.volumeTags),
        })),
      },
      { parent: this },
    );
    this.storageClassName = storageClass.metadata.name;
    this.registerOutputs({ storageClassName: this.storageClassName });
  }
}

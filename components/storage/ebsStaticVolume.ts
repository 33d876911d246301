import * as pulumi from "@pulumi/pulumi";
import type { DataResourceOptions } from "./options";
import * as k8s from "@pulumi/kubernetes";

export const EBS_CSI_DRIVER = "ebs.csi.aws.com";
/** The zone label the EBS CSI driver's node plugin publishes (the driver's static-provisioning example uses it). */
export const EBS_ZONE_TOPOLOGY_KEY = "topology.ebs.csi.aws.com/zone";

export interface EbsStaticVolumeArgs {
  /** Name of the PersistentVolume. */
  name: string;
  volumeId: string;
  availabilityZone: string;
  sizeGiB: number;
  fsType: string;
  storageClassName: pulumi.Input<string>;
  /** The claim this volume is reserved for. */
  claim: { name: string; namespace: pulumi.Input<string> };
  labels: Record<string, string>;
  resourceOptions: DataResourceOptions;
}

/**
 * An EBS volume that already holds data, offered to one claim through a statically provisioned PersistentVolume
 * (reclaim Retain). The volume itself stays outside Pulumi: nothing here can delete or resize it, and deleting the
 * PersistentVolume leaves it as it is.
 */
export class EbsStaticVolume extends pulumi.ComponentResource {
  readonly persistentVolumeName: pulumi.Output<string>;

  constructor(name: string, args: EbsStaticVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:EbsStaticVolume", name, {}, opts);
    const pv = new k8s.core.v1.PersistentVolume(
      name,
      {
        metadata: { name: args.name, labels: args.labels },
        spec: {
          capacity: { storage: `${args.sizeGiB}Gi` },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: args.storageClassName,
          volumeMode: "Filesystem",
          claimRef: { name: args.claim.name, namespace: args.claim.namespace },
          csi: { driver: EBS_CSI_DRIVER, volumeHandle: args.volumeId, fsType: args.fsType },
          nodeAffinity: {
            required: { nodeSelectorTerms: [{ matchExpressions: [{ key: EBS_ZONE_TOPOLOGY_KEY, operator: "In", values: [args.availabilityZone] }] }] },
          },
        },
      },
      { parent: this, ...args.resourceOptions },
    );
    this.persistentVolumeName = pv.metadata.name;
    this.registerOutputs({ persistentVolumeName: this.persistentVolumeName });
  }
}

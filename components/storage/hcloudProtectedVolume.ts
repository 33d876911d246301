import * as pulumi from "@pulumi/pulumi";
import type { DataResourceOptions } from "./options";
import * as hcloud from "@pulumi/hcloud";
import * as k8s from "@pulumi/kubernetes";
import { HCLOUD_CSI_DRIVER, HCLOUD_LOCATION_TOPOLOGY_KEY, type SecretRef } from "./hcloudStorageClass";

export interface HcloudProtectedVolumeArgs {
  /** Name of the Hetzner volume and of the PersistentVolume. */
  volumeName: string;
  sizeGiB: number;
  location: string;
  fsType: string;
  storageClassName: pulumi.Input<string>;
  /** The claim this volume is reserved for. */
  claim: { name: string; namespace: pulumi.Input<string> };
  labels: Record<string, string>;
  /** The LUKS passphrase Secret of the StorageClass, when volumes are encrypted. */
  encryptionSecret?: SecretRef;
  resourceOptions: DataResourceOptions;
  /** Import this existing Hetzner volume (its id) instead of creating one; Strata then turns on its delete protection. */
  importVolumeId?: string;
}

/**
 * A Hetzner volume created outside the cluster's lifecycle and bound statically: Hetzner refuses to delete it
 * (`deleteProtection`), the PersistentVolume retains it, and a rebuilt cluster gets the same data by declaring the
 * same PersistentVolume again. Hetzner has no snapshots; this plus backups to S3 is what protection means there.
 */
export class HcloudProtectedVolume extends pulumi.ComponentResource {
  readonly volumeId: pulumi.Output<string>;
  readonly persistentVolumeName: pulumi.Output<string>;

  constructor(name: string, args: HcloudProtectedVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:HcloudProtectedVolume", name, {}, opts);
    const volume = new hcloud.Volume(
      name,
      {
        name: args.volumeName,
        size: args.sizeGiB,
        location: args.location,
        deleteProtection: true,
        // No `format`: the CSI driver formats (and, with a passphrase, LUKS-formats) a blank volume on first mount;
        // a filesystem made by Hetzner would sit where the LUKS header must go.
        automount: false,
        // Hetzner labels follow Kubernetes label syntax, so the same labels find the volume in both consoles.
        labels: args.labels,
      },
      { parent: this, ...args.resourceOptions, ...(args.importVolumeId ? { import: args.importVolumeId } : {}) },
    );
    const pv = new k8s.core.v1.PersistentVolume(
      name,
      {
        metadata: { name: args.volumeName, labels: args.labels },
        spec: {
          capacity: { storage: `${args.sizeGiB}Gi` },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: args.storageClassName,
          volumeMode: "Filesystem",
          claimRef: { name: args.claim.name, namespace: args.claim.namespace },
          csi: {
            driver: HCLOUD_CSI_DRIVER,
            volumeHandle: volume.id,
            fsType: args.fsType,
            ...(args.encryptionSecret ? { nodePublishSecretRef: { name: args.encryptionSecret.name, namespace: args.encryptionSecret.namespace } } : {}),
          },
          nodeAffinity: {
            required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HCLOUD_LOCATION_TOPOLOGY_KEY, operator: "In", values: [args.location] }] }] },
          },
        },
      },
      { parent: this, ...args.resourceOptions },
    );
    this.volumeId = volume.id;
    this.persistentVolumeName = pv.metadata.name;
    this.registerOutputs({ volumeId: this.volumeId, persistentVolumeName: this.persistentVolumeName });
  }
}

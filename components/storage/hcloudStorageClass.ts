import * as pulumi from "@pulumi/pulumi";
import type { DataResourceOptions } from "./options";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { retainedStorageClass } from "./storageClass";

export const HCLOUD_CSI_DRIVER = "csi.hetzner.cloud";
/** The node label the Hetzner CSI driver publishes; a volume attaches only to servers in its location. */
export const HCLOUD_LOCATION_TOPOLOGY_KEY = "csi.hetzner.cloud/location";

export interface HcloudStorageClassArgs {
  name: string;
  fsType: string;
  location: string;
  isDefault: boolean;
  labels: Record<string, string>;
  /** When set, volumes are LUKS-encrypted with a generated passphrase kept in this Secret. */
  encryption?: { secretName: string; secretNamespace: pulumi.Input<string> };
  resourceOptions: DataResourceOptions;
  /** Import the existing class named `name` (its provisioner, parameters and reclaim policy must already be these). */
  importExisting?: boolean;
}

/** Where a CSI PersistentVolume finds the LUKS passphrase (`nodePublishSecretRef`). */
export interface SecretRef {
  name: pulumi.Output<string>;
  namespace: pulumi.Output<string>;
}

/** Hetzner Cloud volumes through the hcloud CSI driver, optionally LUKS-encrypted on the node. */
export class HcloudStorageClass extends pulumi.ComponentResource {
  readonly storageClassName: pulumi.Output<string>;
  readonly encryptionSecret?: SecretRef;

  constructor(name: string, args: HcloudStorageClassArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:HcloudStorageClass", name, {}, opts);

    let parameters: pulumi.Input<Record<string, pulumi.Input<string>>> = {};
    if (args.encryption) {
      // The passphrase is the only way into every encrypted volume: it is generated once, never rotated by Pulumi,
      // and both it and its Secret are kept like data (a lost passphrase is lost data).
      const passphrase = new random.RandomPassword(`${name}-luks`, { length: 64, special: false }, { parent: this, ...args.resourceOptions });
      const secret = new k8s.core.v1.Secret(
        `${name}-luks`,
        {
          metadata: { name: args.encryption.secretName, namespace: args.encryption.secretNamespace, labels: args.labels },
          type: "Opaque",
          stringData: { "encryption-passphrase": passphrase.result },
        },
        { parent: this, ...args.resourceOptions, additionalSecretOutputs: ["data", "stringData"] },
      );
      this.encryptionSecret = { name: secret.metadata.name, namespace: secret.metadata.namespace };
      parameters = {
        "csi.storage.k8s.io/node-publish-secret-name": secret.metadata.name,
        "csi.storage.k8s.io/node-publish-secret-namespace": secret.metadata.namespace,
      };
    }

    const storageClass = retainedStorageClass(
      name,
      {
        name: args.name,
        provisioner: HCLOUD_CSI_DRIVER,
        fsType: args.fsType,
        isDefault: args.isDefault,
        labels: args.labels,
        parameters,
        allowedTopologies: [{ key: HCLOUD_LOCATION_TOPOLOGY_KEY, values: [args.location] }],
        resourceOptions: args.resourceOptions,
        ...(args.importExisting ? { importId: args.name } : {}),
      },
      { parent: this },
    );
    this.storageClassName = storageClass.metadata.name;
    this.registerOutputs({ storageClassName: this.storageClassName });
  }
}

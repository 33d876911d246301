import * as pulumi from "@pulumi/pulumi";
import type { DataResourceOptions } from "./options";
import * as k8s from "@pulumi/kubernetes";

export interface PersistentClaimArgs {
  name: string;
  namespace: pulumi.Input<string>;
  /** Whole Gi, e.g. `10Gi`. */
  size: string;
  storageClassName: pulumi.Input<string>;
  labels: Record<string, string>;
  /** Pre-binds the claim to this PersistentVolume instead of letting the driver create one. */
  volumeName?: pulumi.Input<string>;
  resourceOptions: DataResourceOptions;
  /** Import the existing claim (`<namespace>/<name>`) instead of creating it. */
  importId?: string;
}

/** A claim a stateful service mounts by name (`existingClaim`), owned here so it outlives the service's release. */
export class PersistentClaim extends pulumi.ComponentResource {
  readonly claimName: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: PersistentClaimArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:PersistentClaim", name, {}, opts);
    const claim = new k8s.core.v1.PersistentVolumeClaim(
      name,
      {
        metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: args.storageClassName,
          resources: { requests: { storage: args.size } },
          ...(args.volumeName ? { volumeName: args.volumeName } : {}),
        },
      },
      { parent: this, ...args.resourceOptions, ...(args.importId ? { import: args.importId } : {}) },
    );
    this.claimName = claim.metadata.name;
    this.namespace = claim.metadata.namespace;
    this.registerOutputs({ claimName: this.claimName, namespace: this.namespace });
  }
}

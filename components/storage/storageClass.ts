import * as pulumi from "@pulumi/pulumi";
import type { DataResourceOptions } from "./options";
import * as k8s from "@pulumi/kubernetes";

/** The annotation that makes a StorageClass the cluster default (claims that name no class get it). */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/** The parts every Strata StorageClass shares, whatever the cloud: data outlives its claim, volumes grow in place. */
export interface RetainedStorageClassArgs {
  name: string;
  provisioner: string;
  parameters: pulumi.Input<Record<string, pulumi.Input<string>>>;
  fsType: string;
  isDefault: boolean;
  labels: Record<string, string>;
  /** Node labels a volume is reachable from (e.g. a Hetzner location); omitted when any node can attach. */
  allowedTopologies?: { key: string; values: string[] }[];
  resourceOptions: DataResourceOptions;
  /** Import the existing class of this name (Pulumi's `import`) instead of creating it. */
  importId?: string;
}

/**
 * Declares the StorageClass object itself. Retain keeps the volume when its claim goes (the runbook
 * docs/runbooks/reattach-retained-volume.md binds it again); WaitForFirstConsumer creates the volume in the zone
 * of the pod that first mounts it, so it is never stranded in a zone the pod cannot reach.
 */
export function retainedStorageClass(resourceName: string, args: RetainedStorageClassArgs, opts: pulumi.CustomResourceOptions): k8s.storage.v1.StorageClass {
  return new k8s.storage.v1.StorageClass(
    resourceName,
    {
      metadata: {
        name: args.name,
        labels: args.labels,
        annotations: { [DEFAULT_CLASS_ANNOTATION]: String(args.isDefault) },
      },
      provisioner: args.provisioner,
      parameters: pulumi.output(args.parameters).apply((p) => ({ ...p, "csi.storage.k8s.io/fstype": args.fsType })),
      reclaimPolicy: "Retain",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      ...(args.allowedTopologies ? { allowedTopologies: [{ matchLabelExpressions: args.allowedTopologies }] } : {}),
    },
    { ...opts, ...args.resourceOptions, ...(args.importId ? { import: args.importId } : {}) },
  );
}

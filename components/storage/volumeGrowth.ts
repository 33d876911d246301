import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface GrownClaim {
  namespace: string;
  /** The namespace as the resource that creates it gives it, so the patch waits for it; `namespace` when none does. */
  namespaceRef?: pulumi.Input<string>;
  /** The claim's name (components/storage/claimNames.ts computes the names StatefulSets give their claims). */
  name: string;
  /** Whole Gi, e.g. `80Gi`. */
  size: string;
}

export interface VolumeGrowthArgs {
  /** Every claim to grow, with its new size. */
  claims: GrownClaim[];
}

/**
 * Grows claims that a StatefulSet made from its `volumeClaimTemplates`: changing the template never resizes an
 * existing claim (prometheus-community/helm-charts#3746), so each claim gets a server-side-apply patch of
 * `spec.resources.requests.storage` alone, and the CSI driver expands the volume online (Strata's classes set
 * `allowVolumeExpansion: true`, components/storage/storageClass.ts). Each patch carries `pulumi.com/patchForce`,
 * since the StatefulSet controller that created the claim owns the field and a patch without it fails on the
 * conflict, and `retainOnDelete`, since deleting a patch gives up its fields and a size request left without an
 * owner would be removed: a grown volume stays grown when its patch leaves the program. The claims must exist, so
 * infra/volumeGrowth.ts declares a patch only for a volume the stack records as deployed.
 */
export class VolumeGrowth extends pulumi.ComponentResource {
  /** `<namespace>/<claim>` of every claim patched. */
  readonly patched: string[];

  constructor(name: string, args: VolumeGrowthArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:storage:VolumeGrowth", name, {}, opts);
    for (const claim of args.claims) {
      new k8s.core.v1.PersistentVolumeClaimPatch(
        `${name}-${claim.namespace}-${claim.name}`,
        {
          metadata: { name: claim.name, namespace: claim.namespaceRef ?? claim.namespace, annotations: { "pulumi.com/patchForce": "true" } },
          spec: { resources: { requests: { storage: claim.size } } },
        },
        { parent: this, retainOnDelete: true },
      );
    }
    this.patched = args.claims.map((c) => `${c.namespace}/${c.name}`);
    this.registerOutputs({ patched: this.patched });
  }
}

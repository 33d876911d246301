import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface OwnedNamespace {
  name: string;
  /** Pod Security Admission level enforced; audit and warn are always `restricted` so drift shows up. */
  enforce: PodSecurityLevel;
  purpose: string;
  /** The namespace exists already (it holds what the stack adopts): imported by name and protected, never created. */
  adopt?: boolean;
}

export interface NamespacesArgs {
  namespaces: Record<string, OwnedNamespace>;
  labels: Record<string, string>;
  /** Applied to every namespace: deleting a namespace deletes every claim and secret in it. */
  resourceOptions: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;
}

/** The namespaces Strata owns, labelled for Pod Security Admission and for NetworkPolicy selectors. */
export class Namespaces extends pulumi.ComponentResource {
  readonly names: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: NamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:platform:Namespaces", name, {}, opts);
    for (const [role, ns] of Object.entries(args.namespaces)) {
      const created = new k8s.core.v1.Namespace(
        `${name}-${role}`,
        {
          metadata: {
            name: ns.name,
            labels: {
              ...args.labels,
              "kubernetes.io/metadata.name": ns.name,
              "strata.io/role": role,
              "pod-security.kubernetes.io/enforce": ns.enforce,
              "pod-security.kubernetes.io/audit": "restricted",
              "pod-security.kubernetes.io/warn": "restricted",
            },
            annotations: { "strata.io/purpose": ns.purpose },
          },
        },
        { parent: this, ...args.resourceOptions, ...(ns.adopt ? { import: ns.name, protect: true } : {}) },
      );
      this.names[role] = created.metadata.name;
    }
    this.registerOutputs({ names: this.names });
  }
}

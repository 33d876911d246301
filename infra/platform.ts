import type * as pulumi from "@pulumi/pulumi";
import type { LoadedConfig } from "./config/load";
import type { ClusterInfo } from "./cluster";
import type { Providers } from "./providers";
import type { DerivedRetention } from "./retention";

export type NamespaceRole = "monitoring" | "logging" | "backups";

/**
 * Everything an area of the program (infra/areas/*.ts) needs to declare its components: validated config, the
 * cluster, explicit providers, Strata's namespaces and the derived retention. Areas receive this and nothing global.
 */
export interface Platform {
  config: LoadedConfig["config"];
  secrets: LoadedConfig["secrets"];
  cluster: ClusterInfo;
  providers: Providers;
  namespaces: Record<NamespaceRole, pulumi.Output<string>>;
  /** Labels every Kubernetes object Strata creates carries. */
  labels: Record<string, string>;
  /** Options for every resource that holds data (infra/protection.ts). */
  stateful: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;
  retention: DerivedRetention;
  /**
   * Options for components: they carry every explicit provider (aws, kubernetes, random, hcloud), and each child
   * picks the one for its package. The two names are the same map, kept so call sites say what they declare.
   */
  k8sOpts: pulumi.ComponentResourceOptions;
  awsOpts: pulumi.ComponentResourceOptions;
}

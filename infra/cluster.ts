import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_CLUSTER_OUTPUTS } from "./config/sections/cluster";
import type { LoadedConfig } from "./config/load";

/** What Strata needs to know about the cluster it serves; it never creates the cluster itself. */
export interface ClusterInfo {
  name: pulumi.Output<string>;
  kubeconfig: pulumi.Output<string>;
  /** Present on aws when IRSA is possible. */
  oidcProviderArn: pulumi.Output<string | undefined>;
  oidcIssuerUrl: pulumi.Output<string | undefined>;
  ebsCsiRoleArn: pulumi.Output<string | undefined>;
  /** What the cluster runs, when the cluster stack or config says (infra/kubernetesVersion.ts checks it). */
  kubernetesVersion: pulumi.Output<string | undefined>;
}

const asOptionalString = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

export function resolveCluster({ config, secrets }: LoadedConfig): ClusterInfo {
  const cluster = config.cluster;
  if (cluster.source === "stack") {
    const names = { ...DEFAULT_CLUSTER_OUTPUTS, ...cluster.outputs };
    const ref = new pulumi.StackReference("cluster", { name: cluster.stack });
    return {
      name: ref.requireOutput(names.clusterName).apply(String),
      // The kubeconfig is a secret whether or not the cluster stack remembered to mark it one.
      kubeconfig: pulumi.secret(ref.requireOutput(names.kubeconfig).apply(String)),
      oidcProviderArn: ref.getOutput(names.oidcProviderArn).apply(asOptionalString),
      oidcIssuerUrl: ref.getOutput(names.oidcIssuerUrl).apply(asOptionalString),
      ebsCsiRoleArn: ref.getOutput(names.ebsCsiRoleArn).apply(asOptionalString),
      kubernetesVersion: ref.getOutput(names.kubernetesVersion).apply(asOptionalString),
    };
  }
  if (!secrets.kubeconfig) {
    // Unreachable after validation; kept so the type system proves the kubeconfig exists.
    throw new Error("strata:kubeconfig is required when strata:cluster.source is `config`");
  }
  return {
    name: pulumi.output(cluster.name),
    kubeconfig: secrets.kubeconfig,
    oidcProviderArn: pulumi.output(cluster.oidcProviderArn),
    oidcIssuerUrl: pulumi.output(cluster.oidcIssuerUrl),
    ebsCsiRoleArn: pulumi.output(cluster.ebsCsiRoleArn),
    kubernetesVersion: pulumi.output(cluster.kubernetesVersion),
  };
}

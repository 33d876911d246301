import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as hcloud from "@pulumi/hcloud";
import * as random from "@pulumi/random";
import type { LoadedConfig } from "./config/load";
import type { ClusterInfo } from "./cluster";
import { requireSupportedKubernetes } from "./kubernetesVersion";

/** Explicit providers only: no resource in Strata may fall back to an ambient default provider or credentials. */
export interface Providers {
  aws: aws.Provider;
  k8s: k8s.Provider;
  /** No credentials, but explicit too: stacks set `pulumi:disable-default-providers: ["*"]`. */
  random: random.Provider;
  /** Only on `cloud: hcloud`. */
  hcloud?: hcloud.Provider;
}

/**
 * Tags every AWS resource carries, so cost reports and DLM/IAM conditions can tell Strata's resources apart. The
 * policy pack reads `strata:environment` and `strata:cloud` from them under `pulumi preview` (policies/README.md).
 */
export function baseTags(config: LoadedConfig["config"]): Record<string, string> {
  return { ...config.tags, "strata:environment": config.environment, "strata:cloud": config.cloud, "strata:managed-by": "pulumi", product: "strata" };
}

export function createProviders(loaded: LoadedConfig, cluster: ClusterInfo): Providers {
  const { config, secrets } = loaded;
  const providers: Providers = {
    aws: new aws.Provider("aws", {
      region: config.region as aws.Region,
      defaultTags: { tags: baseTags(config) },
    }),
    k8s: new k8s.Provider("cluster", {
      // Every Kubernetes resource goes through this provider, so a cluster older than Strata supports fails the
      // deployment here, before anything is created on it (the version from config is already checked at start-up).
      kubeconfig: pulumi.all([cluster.kubeconfig, cluster.kubernetesVersion]).apply(([kubeconfig, version]) => {
        requireSupportedKubernetes(version, "the cluster's Kubernetes version (cluster stack output or strata:cluster.kubernetesVersion)");
        return kubeconfig;
      }),
      enableServerSideApply: true,
      // Never let an unreachable cluster turn into "delete everything from state".
      deleteUnreachable: false,
    }),
    random: new random.Provider("random"),
  };
  if (config.cloud === "hcloud") {
    const args: hcloud.ProviderArgs = {};
    if (secrets.hcloudToken) args.token = secrets.hcloudToken;
    providers.hcloud = new hcloud.Provider("hcloud", args);
  }
  return providers;
}

/** Component options carrying every explicit provider; each child resource picks the one for its package. */
export function providerMap(providers: Providers): pulumi.ComponentResourceOptions {
  return { providers: { aws: providers.aws, kubernetes: providers.k8s, random: providers.random, ...(providers.hcloud ? { hcloud: providers.hcloud } : {}) } };
}

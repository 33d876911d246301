import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as hcloud from "@pulumi/hcloud";
import * as random from "@pulumi/random";
import type { LoadedConfig } from "./config/load";
import type { ClusterInfo } from "./cluster";
import { requireSupportedKubernetes } from "./kubernetesVersion";
import { hetznerEndpoint, type ArchiveProvider } from "../components/archive/providers";
import { destinationEndpoint } from "../components/archive/offsiteCopy";
import { offsiteCopyManaged, offsiteCopyPlan } from "./offsiteCopyPlan";
import { hetznerArchiveRegion } from "./config/sections/archive";

/** Explicit providers only: no resource in Strata may fall back to an ambient default provider or credentials. */
export interface Providers {
  /** Only when something lives in AWS: the cluster's volumes and snapshots (`cloud: aws`) or the archive (`archive.provider: aws`). */
  aws?: aws.Provider;
  /**
   * The archive's store when it is not AWS S3 (Hetzner Object Storage, MinIO, ...): the same S3 resources, sent to
   * that endpoint with the store's access key, with every AWS-only call (STS, IMDS, account lookup) switched off.
   */
  archiveStore?: aws.Provider;
  /**
   * The off-site copy's destination store, with the destination's own key, when Strata declares the destination
   * bucket (archive.offsiteCopy.manage `create` or `adopt`: `hetzner` or `s3-compatible` only).
   */
  offsiteStore?: aws.Provider;
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
  const needsAws = config.cloud === "aws" || config.archive.provider === "aws";
  const providers: Providers = {
    ...(needsAws ? { aws: new aws.Provider("aws", { region: config.region as aws.Region, defaultTags: { tags: baseTags(config) } }) } : {}),
    ...(config.archive.provider === "aws" ? {} : { archiveStore: archiveStoreProvider(loaded) }),
    ...(offsiteCopyManaged(config) ? { offsiteStore: offsiteStoreProvider(loaded) } : {}),
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

/** The archive store's S3 endpoint and signing region (`archive.provider` `hetzner` or `s3-compatible`). */
export function archiveStoreEndpoint(config: LoadedConfig["config"]): { endpoint: string; region: string } | undefined {
  const archive = config.archive;
  if (archive.provider === "aws") return undefined;
  if (archive.provider === "hetzner") {
    const region = hetznerArchiveRegion(archive, config.hcloud.location);
    if (!region) throw new Error("archive.provider is `hetzner` but no Object Storage location was validated");
    return { endpoint: hetznerEndpoint(region), region };
  }
  return { endpoint: archive.endpoint!, region: archive.region ?? "us-east-1" };
}

function archiveStoreProvider(loaded: LoadedConfig): aws.Provider {
  const { config, secrets } = loaded;
  const store = archiveStoreEndpoint(config)!;
  if (!secrets.archiveAccessKeyId || !secrets.archiveSecretAccessKey) throw new Error("archive store credentials were not validated");
  return s3StoreProvider("archive-store", { ...store, provider: config.archive.provider, accessKey: secrets.archiveAccessKeyId, secretKey: secrets.archiveSecretAccessKey });
}

function offsiteStoreProvider(loaded: LoadedConfig): aws.Provider {
  const { config, secrets } = loaded;
  const plan = offsiteCopyPlan(config);
  const endpoint = plan && destinationEndpoint(plan.destination);
  if (!plan || !endpoint) throw new Error("archive.offsiteCopy.manage was validated for a destination with an endpoint only");
  if (!secrets.offsiteCopyAccessKeyId || !secrets.offsiteCopySecretAccessKey) throw new Error("off-site copy credentials were not validated");
  return s3StoreProvider("offsite-store", { endpoint, region: plan.destination.region, provider: plan.destination.provider, accessKey: secrets.offsiteCopyAccessKeyId, secretKey: secrets.offsiteCopySecretAccessKey });
}

/** An aws provider that speaks only S3, to a store that is not AWS, with every AWS-only call switched off. */
function s3StoreProvider(name: string, store: { endpoint: string; region: string; provider: ArchiveProvider; accessKey: pulumi.Input<string>; secretKey: pulumi.Input<string> }): aws.Provider {
  return new aws.Provider(name, {
    region: store.region as aws.Region,
    accessKey: store.accessKey,
    secretKey: store.secretKey,
    endpoints: [{ s3: store.endpoint }],
    // Path-style requests work on every S3-compatible store; virtual-hosted ones need wildcard DNS the store may not have.
    s3UsePathStyle: store.provider === "s3-compatible",
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipRegionValidation: true,
  });
}

/** Component options carrying every explicit provider; each child resource picks the one for its package. */
export function providerMap(providers: Providers): pulumi.ComponentResourceOptions {
  return {
    providers: {
      ...(providers.aws ? { aws: providers.aws } : {}),
      kubernetes: providers.k8s,
      random: providers.random,
      ...(providers.hcloud ? { hcloud: providers.hcloud } : {}),
    },
  };
}

/** The same, with the archive's store as the `aws` package's provider: what the archive area declares goes there. */
export function archiveProviderMap(providers: Providers): pulumi.ComponentResourceOptions {
  const map = providerMap(providers);
  return providers.archiveStore ? { providers: { ...(map.providers as Record<string, pulumi.ProviderResource>), aws: providers.archiveStore } } : map;
}

/** The same, with the off-site copy's destination store as the `aws` package's provider. */
export function offsiteProviderMap(providers: Providers): pulumi.ComponentResourceOptions {
  if (!providers.offsiteStore) throw new Error("no offsite-store provider, but the off-site copy's destination bucket needs one");
  return { providers: { ...(providerMap(providers).providers as Record<string, pulumi.ProviderResource>), aws: providers.offsiteStore } };
}

/** The aws provider, where the caller's config guarantees there is one (see createProviders). */
export function awsProvider(providers: Providers, why: string): aws.Provider {
  if (!providers.aws) throw new Error(`no aws provider, but ${why} needs one`);
  return providers.aws;
}

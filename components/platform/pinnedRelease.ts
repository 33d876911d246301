import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface ChartPin {
  chart: string;
  version: string;
  repo: string;
}

export interface PinnedReleaseArgs {
  pin: ChartPin;
  namespace: pulumi.Input<string>;
  values: pulumi.Input<Record<string, unknown>>;
  /** The Helm release name when it is not the resource name (an adopted release keeps its own). */
  releaseName?: string;
}

/**
 * A Helm release of an exactly pinned chart. Failed upgrades roll back (`atomic`) rather than leave a half-applied
 * release, and history is bounded. OCI charts are addressed by URL, classic repositories by `repositoryOpts`.
 */
export function pinnedRelease(name: string, args: PinnedReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
  const oci = args.pin.repo.startsWith("oci://");
  return new k8s.helm.v3.Release(
    name,
    {
      name: args.releaseName ?? name,
      namespace: args.namespace,
      chart: oci ? `${args.pin.repo}/${args.pin.chart}` : args.pin.chart,
      version: args.pin.version,
      ...(oci ? {} : { repositoryOpts: { repo: args.pin.repo } }),
      values: args.values,
      atomic: true,
      cleanupOnFail: true,
      maxHistory: 10,
      timeout: 900,
      createNamespace: false,
    },
    opts,
  );
}

/**
 * The oldest Kubernetes minor Strata runs on, and why: the highest floor among what it deploys. The cluster stack
 * (output `kubernetesVersion`) or `strata:cluster.kubernetesVersion` says what the cluster runs; when neither does,
 * nothing can be checked and README's "Cluster prerequisites" is the whole contract.
 */
export const MIN_KUBERNETES_MINOR = 30;
export const MIN_KUBERNETES_REASONS = [
  "loki 18.11.0 declares kubeVersion >= 1.30.0-0 (Chart.yaml)",
  "kube-prometheus-stack 88.5.3 and thanos 0.38.0 declare >= 1.25.0-0",
  "backup Jobs set podFailurePolicy (on by default from 1.26, GA in 1.31) and CronJobs timeZone (GA in 1.27)",
] as const;

/** `1.31`, `v1.31.4`, `v1.31.4-eks-2f7b2c1` → 31; anything else → undefined. */
export function kubernetesMinor(version: string): number | undefined {
  const m = /^v?1\.(\d+)(\.\d+)?([-+][0-9A-Za-z.-]+)?$/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

/** Why a cluster version is refused, or undefined when Strata runs on it. */
export function unsupportedKubernetes(version: string): string | undefined {
  const minor = kubernetesMinor(version);
  if (minor === undefined) return `is not a Kubernetes version (expected 1.<minor>, e.g. 1.31 or v1.31.4-eks-...)`;
  if (minor < MIN_KUBERNETES_MINOR) return `is older than 1.${MIN_KUBERNETES_MINOR}, the oldest Strata runs on: ${MIN_KUBERNETES_REASONS.join("; ")}`;
  return undefined;
}

/** For the cluster stack's output, which arrives at run time: fails the deployment before any Kubernetes resource. */
export function requireSupportedKubernetes(version: string | undefined, source: string): void {
  if (version === undefined) return;
  const why = unsupportedKubernetes(version);
  if (why) throw new Error(`${source} \`${version}\` ${why}`);
}

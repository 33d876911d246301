import type { Platform } from "../platform";
import type { Archive } from "./archive";
import { BucketProtectionCheck } from "../../components/archive/protectionCheck";
import { serviceAlerts } from "./alerting";

/**
 * The archive's own protection, watched: the check runs in the backups namespace (whose pods may push to the
 * Pushgateway, components/platform/networkPolicies.ts) as the archive's `bucket-protection` identity.
 */
export function declareBucketProtectionCheck(platform: Platform, archive: Archive & { protection: NonNullable<Archive["protection"]> }, pushgatewayUrl: string) {
  const p = archive.protection;
  return new BucketProtectionCheck(
    "bucket-protection",
    {
      namespace: platform.namespaces.backups!,
      labels: platform.labels,
      buckets: p.buckets,
      region: platform.config.region,
      pushgatewayUrl,
      serviceAccountName: p.serviceAccountName,
      ...(p.credentialsSecretName ? { credentialsSecretName: p.credentialsSecretName } : {}),
      dependsOn: [p.identity],
      alerts: serviceAlerts(platform, platform.config.namespaces.backups),
    },
    platform.k8sOpts,
  );
}

import { loadConfig } from "./config/load";
import { resolveCluster } from "./cluster";
import { createProviders, providerMap } from "./providers";
import { statefulOptions } from "./protection";
import { deriveRetention, retentionTable } from "./retention";
import type { Platform } from "./platform";
import { Namespaces } from "../components/platform/namespaces";
import { BACKUP_KEY_LAYOUT, declareArchive } from "./areas/archive";
import { declareMetrics } from "./areas/metrics";
import { declareAlerting } from "./areas/alerting";

export const CONTRACT_VERSION = "1";

/**
 * The whole Strata program. Config is loaded and validated first, so invalid input fails before any resource is
 * declared. Both `pulumi up` (infra/index.ts) and the offline plan (infra/plan/) run exactly this function.
 * Each area (infra/areas/) declares its components from the shared platform context and returns its outputs.
 */
export async function strata() {
  const loaded = loadConfig();
  const { config } = loaded;

  const cluster = resolveCluster(loaded);
  const providers = createProviders(loaded, cluster);
  // Components receive every provider; each child resource picks the one for its package.
  const componentOpts = providerMap(providers);
  const labels = { "app.kubernetes.io/part-of": "strata", "strata.io/environment": config.environment };
  const stateful = statefulOptions(config.profile);

  const namespaces = new Namespaces(
    "strata",
    {
      labels,
      resourceOptions: stateful,
      namespaces: {
        // node-exporter needs host namespaces and hostPath mounts, which only `privileged` admits.
        monitoring: { name: config.namespaces.monitoring, enforce: "privileged", purpose: "metrics, alerting and dashboards" },
        // The log collector reads /var/log from every node through hostPath.
        logging: { name: config.namespaces.logging, enforce: "privileged", purpose: "log storage and collection" },
        backups: { name: config.namespaces.backups, enforce: "restricted", purpose: "backup jobs and restore drills" },
      },
    },
    componentOpts,
  );

  const platform: Platform = {
    config,
    secrets: loaded.secrets,
    cluster,
    providers,
    namespaces: { monitoring: namespaces.names.monitoring!, logging: namespaces.names.logging!, backups: namespaces.names.backups! },
    labels,
    stateful,
    retention: deriveRetention(config.retention),
    k8sOpts: componentOpts,
    awsOpts: componentOpts,
  };
  // Areas, in dependency order (infra/areas/*.ts).
  const alerting = declareAlerting(platform);
  const archive = declareArchive(platform);
  const storageClassName = config.cloud === "aws" ? "ebs-gp3" : "hcloud-volumes";
  const metrics = declareMetrics(platform, {
    archive,
    storageClassName,
    extraDatasources: [],
    alertmanager: alerting.alertmanagerValues.alertmanager,
    // The receivers Secret must exist before Alertmanager mounts it.
    dependsOn: [alerting.alerting],
  });

  return {
    contractVersion: CONTRACT_VERSION,
    environment: config.environment,
    profile: config.profile,
    cloud: config.cloud,
    region: config.region,
    clusterName: cluster.name,
    namespaces: namespaces.names,
    retention: retentionTable(config.retention),
    archive: {
      kmsKeyArn: archive.kmsKeyArn,
      buckets: archive.buckets,
      replica: archive.replica,
      accessLogBucket: archive.accessLogBucket,
      identities: archive.identities,
      backupKeyLayout: BACKUP_KEY_LAYOUT,
      tiers: archive.tiers,
    },
    metrics,
  };
}

export type StrataOutputs = Awaited<ReturnType<typeof strata>>;

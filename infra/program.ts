import { loadConfig } from "./config/load";
import { resolveCluster } from "./cluster";
import { createProviders } from "./providers";
import { statefulOptions } from "./protection";
import { retentionTable } from "./retention";
import { Namespaces } from "../components/platform/namespaces";

export const CONTRACT_VERSION = "1";

/**
 * The whole Strata program. Config is loaded and validated first, so invalid input fails before any resource is
 * declared. Both `pulumi up` (infra/index.ts) and the offline plan (infra/plan/) run exactly this function.
 */
export async function strata() {
  const loaded = loadConfig();
  const { config } = loaded;

  const cluster = resolveCluster(loaded);
  const providers = createProviders(loaded, cluster);
  const k8sOpts = { providers: { kubernetes: providers.k8s } };
  const commonLabels = { "app.kubernetes.io/part-of": "strata", "strata.io/environment": config.environment };

  const namespaces = new Namespaces(
    "strata",
    {
      labels: commonLabels,
      resourceOptions: statefulOptions(config.profile),
      namespaces: {
        // node-exporter needs host namespaces and hostPath mounts, which only `privileged` admits.
        monitoring: { name: config.namespaces.monitoring, enforce: "privileged", purpose: "metrics, alerting and dashboards" },
        // The log collector reads /var/log from every node through hostPath.
        logging: { name: config.namespaces.logging, enforce: "privileged", purpose: "log storage and collection" },
        backups: { name: config.namespaces.backups, enforce: "restricted", purpose: "backup jobs and restore drills" },
      },
    },
    k8sOpts,
  );

  return {
    contractVersion: CONTRACT_VERSION,
    environment: config.environment,
    profile: config.profile,
    cloud: config.cloud,
    region: config.region,
    clusterName: cluster.name,
    namespaces: namespaces.names,
    retention: retentionTable(config.retention),
  };
}

export type StrataOutputs = Awaited<ReturnType<typeof strata>>;

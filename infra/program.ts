import { loadConfig } from "./config/load";
import { resolveCluster } from "./cluster";
import { createProviders, providerMap } from "./providers";
import { statefulOptions } from "./protection";
import { deriveRetention, retentionTable } from "./retention";
import type { Platform } from "./platform";
import { Namespaces } from "../components/platform/namespaces";
import { BACKUP_KEY_LAYOUT, declareArchive } from "./areas/archive";
import { claimPatches } from "./volumeGrowth";
import { VolumeGrowth } from "../components/storage/volumeGrowth";
import { declareMetrics } from "./areas/metrics";
import { declareBackups } from "./areas/backups";
import { declareBucketProtectionCheck } from "./areas/bucketProtection";
import { declareOffsiteCopy } from "./areas/offsiteCopy";
import { declareAlerting } from "./areas/alerting";
import { capacityPlan } from "./capacity/plan";
import { CONTRACT_VERSION } from "../stacks/contract";
import { declareLogging } from "./areas/logging";
import { declareTelemetry } from "./areas/telemetry";
import { resolveBackups } from "./backupTargets";
import { declareStorage } from "./areas/storage";
import { strataStorageClassName } from "./adoption";
import { PrometheusOperatorCrds } from "../components/metrics/prometheusOperatorCrds";
import { restorabilityMatrix } from "./restorability/matrix";
import { declareArchiveCostView } from "./areas/archiveCost";
import { capabilitiesOf } from "./capabilities";

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
  const on = capabilitiesOf(config);
  // Every backup target resolved once, handed to every area through the platform (infra/backupTargets.ts).
  const backupTargets = resolveBackups(config);

  const namespaces = new Namespaces(
    "strata",
    {
      labels,
      resourceOptions: stateful,
      namespaces: {
        // node-exporter needs host namespaces and hostPath mounts, which only `privileged` admits.
        monitoring: { name: config.namespaces.monitoring, enforce: "privileged", purpose: "metrics, alerting and dashboards", adopt: config.metrics.adopt?.namespace === config.namespaces.monitoring },
        // Loki and the collector run non-root with no host access: the collector tails logs through the API.
        ...(on.logging ? { logging: { name: config.namespaces.logging, enforce: "restricted" as const, purpose: "log storage and collection" } } : {}),
        ...(on.backups ? { backups: { name: config.namespaces.backups, enforce: "restricted" as const, purpose: "backup jobs and restore drills" } } : {}),
      },
    },
    componentOpts,
  );

  // First and on its own: the monitoring.coreos.com CRDs. Whatever renders a PrometheusRule or ServiceMonitor waits
  // for this release, and it waits for nothing but the namespace Helm records it in (test/deployOrder.test.ts).
  const monitoringCrds = new PrometheusOperatorCrds("prometheus-operator-crds", { namespace: namespaces.names.monitoring!, resourceOptions: stateful }, componentOpts);

  const platform: Platform = {
    config,
    secrets: loaded.secrets,
    cluster,
    providers,
    namespaces: { monitoring: namespaces.names.monitoring!, ...(namespaces.names.logging ? { logging: namespaces.names.logging } : {}), ...(namespaces.names.backups ? { backups: namespaces.names.backups } : {}) },
    labels,
    stateful,
    retention: deriveRetention(config.retention),
    monitoringCrds: monitoringCrds.release,
    backups: backupTargets,
    k8sOpts: componentOpts,
    awsOpts: componentOpts,
  };
  // Areas, in dependency order (infra/areas/*.ts).
  const { outputs: storage, storageClass } = declareStorage(platform);
  const alerting = declareAlerting(platform);
  const archive = declareArchive(platform);
  const logging = on.logging ? declareLogging(platform, archive, storageClass) : undefined;
  const telemetryArea = on.telemetry ? declareTelemetry(platform, storageClass) : undefined;
  const archiveCost = declareArchiveCostView(platform, archive);
  // The class name is fixed by config (infra/adoption.ts), so Helm values can name it as a plain string.
  const storageClassName = strataStorageClassName(config);
  const { outputs: metrics, kubePrometheusStack } = declareMetrics(platform, {
    archive,
    storageClassName,
    storageClass,
    extraDatasources: [...(logging ? [logging.grafanaDatasource] : []), ...archiveCost.datasources],
    ...(archiveCost.grafanaServiceAccountName ? { grafanaServiceAccountName: archiveCost.grafanaServiceAccountName } : {}),
    alertmanager: alerting.alertmanagerValues.alertmanager,
    // The receivers Secret must exist before Alertmanager mounts it. Only the Secret: the alerting component's
    // PrometheusRule waits for the CRDs, which the release must not wait behind. Grafana's CloudWatch identity too.
    dependsOn: [...(alerting.receiversSecret ? [alerting.receiversSecret] : []), ...archiveCost.dependsOn],
  });
  // Volumes above their recorded size grow in place: the claims StatefulSets made are patched (infra/volumeGrowth.ts).
  // Each patch waits for its namespace through the Namespace's own output.
  const namespaceRef = (name: string) => (name === config.namespaces.monitoring ? platform.namespaces.monitoring : name === config.namespaces.logging ? platform.namespaces.logging : undefined);
  const grown = claimPatches(config).map((c) => ({ ...c, ...(namespaceRef(c.namespace) ? { namespaceRef: namespaceRef(c.namespace) } : {}) }));
  if (grown.length > 0) new VolumeGrowth("volume-growth", { claims: grown }, platform.k8sOpts);
  // The check runs in the backups namespace and pushes its result: it needs both, and buckets to read.
  if (archive.protection && metrics.pushgatewayUrl && on.backups) declareBucketProtectionCheck(platform, { ...archive, protection: archive.protection }, metrics.pushgatewayUrl);
  const backups = !on.backups ? undefined : declareBackups(platform, {
    archive,
    pushgatewayUrl: metrics.pushgatewayUrl!,
    // What a backup job mounts that another area creates: the telemetry store's claim (sqlite) or credentials
    // Secret; Prometheus's data claim, which the operator makes once kube-prometheus-stack is up (snapshots).
    prerequisitesOf: (t) => [...(telemetryArea?.outputs.backupTargets.includes(t.name) ? [telemetryArea.store] : []), ...(t.kind === "prometheus-snapshot" ? [kubePrometheusStack] : [])],
    // An output of the StorageClass: the WAL receivers' claims (PITR) wait for the class through it.
    storageClassName: storage.storageClass,
    // The dashboard's volume panel: Strata's claims, and the applications' SQLite claims it backs up.
    pvcNamespaces: [
      ...new Set([
        ...Object.values(config.storage.claims).map((c) => c.namespace),
        ...backupTargets.applicationNamespaces,
        config.namespaces.monitoring,
        ...(on.logging ? [config.namespaces.logging] : []),
      ]),
    ],
  });
  if (backups) {
    declareOffsiteCopy(platform, { archive, scriptsConfigMap: backups.scripts.configMapName, scripts: backups.scripts.resource, pushgatewayUrl: metrics.pushgatewayUrl! });
  }

  return {
    contractVersion: CONTRACT_VERSION,
    environment: config.environment,
    profile: config.profile,
    cloud: config.cloud,
    region: config.region,
    clusterName: cluster.name,
    namespaces: namespaces.names,
    retention: retentionTable(config.retention, { capabilities: on, snapshotCopies: config.storage.snapshots.crossRegionCopy.enabled, logging: config.logging, telemetry: config.telemetry }),
    capacity: capacityPlan(config),
    restorability: restorabilityMatrix(config, backupTargets),
    archive: {
      ...(archive.kmsKeyArn ? { kmsKeyArn: archive.kmsKeyArn } : {}),
      store: archive.store,
      buckets: archive.buckets,
      replica: archive.replica,
      accessLogBucket: archive.accessLogBucket,
      identities: archive.identities,
      backupKeyLayout: BACKUP_KEY_LAYOUT,
      tiers: archive.tiers,
    },
    metrics,
    endpoints: {
      // kube-prometheus-stack selects every ServiceMonitor (infra/areas/metrics.ts): no label is needed.
      serviceMonitorLabels: {},
      prometheusUrl: metrics.prometheusUrl,
      ...(metrics.thanosQueryUrl ? { thanosQueryUrl: metrics.thanosQueryUrl } : {}),
      ...(metrics.pushgatewayUrl ? { pushgatewayUrl: metrics.pushgatewayUrl } : {}),
      ...(logging ? { lokiPushUrl: logging.loki.pushUrl } : {}),
      alertmanagerUrl: metrics.alertmanagerUrl,
    },
    ...(backups ? { backups: { bucket: backups.bucket, targets: backups.targets } } : {}),
    ...(logging ? { logging: { loki: logging.loki, grafanaDatasource: logging.grafanaDatasource } } : {}),
    ...(telemetryArea ? { telemetry: telemetryArea.outputs } : {}),
    storage,
    claims: Object.fromEntries(
      Object.entries(storage.claims).map(([service, c]) => [service, { namespace: c.namespace, claimName: c.claimName, storageClass: config.storage.claims[service]?.storageClass ?? storageClassName, sizeGiB: Number.parseInt(c.size, 10) }]),
    ),
  };
}

export type StrataOutputs = Awaited<ReturnType<typeof strata>>;

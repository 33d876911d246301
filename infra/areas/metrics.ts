import * as pulumi from "@pulumi/pulumi";
import { resolveNamespace, type Platform } from "../platform";
import { allBackupTargets, backupJobNamespace } from "../backupTargets";
import { phasePodLabels } from "../../components/backup/cronJob";
import { effectiveSizes } from "../capacity/plan";
import type { Archive } from "./archive";
import { KubePrometheusStack } from "../../components/metrics/kubePrometheusStack";
import { Thanos } from "../../components/metrics/thanos";
import { Pushgateway } from "../../components/metrics/pushgateway";
import { NetworkPolicies } from "../../components/platform/networkPolicies";
import { longRangeRuleFiles } from "../../components/metrics/longRangeRules";
import { DEDUP_LABELS } from "../../components/metrics/thanosValues";
import { PROMETHEUS_REPLICA_LABEL, serviceUrls } from "../../components/metrics/names";
import type { GrafanaDatasource } from "../../components/metrics/kubePrometheusStackValues";
import type { AlertmanagerChartValues } from "../../components/alerting/alertmanagerValues";

export const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";

export interface MetricsInputs {
  archive: Archive;
  /** The `alertmanager` values section (alerting area). */
  alertmanager: AlertmanagerChartValues["alertmanager"];
  /** Datasources other areas add to Grafana (e.g. Loki). */
  extraDatasources: pulumi.Input<GrafanaDatasource>[];
  storageClassName: string;
  /** The StorageClass resource behind `storageClassName`: every release that claims volumes waits for it. */
  storageClass: pulumi.Resource;
  /** Resources kube-prometheus-stack needs first (e.g. the Alertmanager receivers Secret). */
  dependsOn: pulumi.Resource[];
  /** Grafana's own ServiceAccount, when another area gave it an identity (infra/areas/archiveCost.ts). */
  grafanaServiceAccountName?: string;
}

export function declareMetrics(platform: Platform, inputs: MetricsInputs) {
  const { config, retention } = platform;
  const m = config.metrics;
  // Sizes come from the capacity planner: its estimate, or strata:capacity.overrides when a stack sets one.
  const sizes = effectiveSizes(config);
  const ns = config.namespaces.monitoring;
  const urls = serviceUrls(ns);
  const identities = inputs.archive.identities;
  // Static or store keys (hcloud, or an archive outside AWS): each workload reads its keys from its own Secret.
  const secretOf = (workload: string) => {
    const secret = identities[workload]?.credentialsSecret;
    return secret ? { credentialsSecretName: secret } : {};
  };
  // Workload identities create the ServiceAccounts the charts are told to use; releases wait for them.
  const identityOf = (...workloads: string[]) => workloads.map((w) => inputs.archive.identityComponents[w]!);
  // Every release here renders monitoring.coreos.com objects and claims volumes of Strata's class: Helm fails an
  // install whose kinds are unknown, so each waits for the CRDs' own release and for the StorageClass.
  const clusterPrerequisites = [platform.monitoringCrds, inputs.storageClass];

  let thanos: Thanos | undefined;
  if (m.thanos.enabled) {
    const bucket = inputs.archive.buckets.metrics!;
    thanos = new Thanos(
      "thanos",
      {
        namespace: platform.namespaces.monitoring,
        labels: platform.labels,
        objstore: {
          bucket: bucket.name,
          region: bucket.region,
          ...(inputs.archive.kmsKeyArn ? { kmsKeyArn: inputs.archive.kmsKeyArn } : {}),
          ...(inputs.archive.store.endpoint ? { endpoint: inputs.archive.store.endpoint } : {}),
        },
        values: {
          storageClassName: inputs.storageClassName,
          sidecarEndpoint: urls.thanosSidecarDiscovery,
          alertmanagerUrl: urls.alertmanager,
          query: m.thanos.query,
          queryFrontend: m.thanos.queryFrontend,
          storeGateway: { ...m.thanos.storeGateway, volumeSizeGiB: sizes.storeGatewayVolumeGiB.gib, serviceAccountName: "strata-thanos-storegateway", ...secretOf("thanos-storegateway") },
          compactor: { volumeSizeGiB: sizes.compactorVolumeGiB.gib, raw: retention.thanosCompactor.raw, fiveMinutes: retention.thanosCompactor.fiveMinutes, oneHour: retention.thanosCompactor.oneHour, serviceAccountName: "strata-thanos-compactor", ...secretOf("thanos-compactor") },
          ruler: { replicas: m.thanos.ruler.replicas, rules: longRangeRuleFiles(), serviceAccountName: "strata-thanos-ruler", ...secretOf("thanos-ruler") },
        },
        dependsOn: [...clusterPrerequisites, ...identityOf("thanos-storegateway", "thanos-compactor", "thanos-ruler")],
      },
      platform.k8sOpts,
    );
  }

  const datasources: pulumi.Input<GrafanaDatasource>[] = [
    m.thanos.enabled
      ? { name: "Thanos", type: "prometheus", uid: "thanos", url: urls.thanosQueryFrontend, access: "proxy", isDefault: true, jsonData: { timeInterval: m.prometheus.scrapeInterval, prometheusType: "Thanos" } }
      : { name: "Prometheus", type: "prometheus", uid: "prometheus", url: urls.prometheus, access: "proxy", isDefault: true, jsonData: { timeInterval: m.prometheus.scrapeInterval } },
    ...inputs.extraDatasources,
  ];

  const stack = new KubePrometheusStack(
    "kube-prometheus-stack",
    {
      namespace: platform.namespaces.monitoring,
      labels: platform.labels,
      values: {
        externalLabels: { cluster: platform.cluster.name, region: config.region, environment: config.environment },
        storageClassName: inputs.storageClassName,
        prometheus: {
          replicas: m.prometheus.replicas,
          volumeSizeGiB: sizes.prometheusVolumeGiB.gib,
          retention: retention.prometheus.retention,
          retentionSize: retention.prometheus.retentionSize,
          scrapeInterval: m.prometheus.scrapeInterval,
          serviceAccountName: "strata-prometheus",
          // With Thanos the `prometheus` workload identity creates it (for the sidecar's bucket access); without, the chart does.
          createServiceAccount: inputs.archive.identityComponents.prometheus === undefined,
          enableAdminAPI: config.backups.targets.some((t) => t.kind === "prometheus-snapshot"),
          memory: `${sizes.prometheusMemoryGiB.gib}Gi`,
        },
        ...(thanos ? { thanos: { objstoreSecret: thanos.objstoreSecretRef, ...secretOf("prometheus") } } : {}),
        grafana: { datasources, dashboardLabel: GRAFANA_DASHBOARD_LABEL, ...(inputs.grafanaServiceAccountName ? { serviceAccountName: inputs.grafanaServiceAccountName } : {}) },
        alertmanager: inputs.alertmanager,
      },
      dependsOn: [...clusterPrerequisites, ...inputs.dependsOn, ...(thanos ? [thanos.objstoreSecret, ...identityOf("prometheus")] : [])],
    },
    platform.k8sOpts,
  );

  new Pushgateway(
    "pushgateway",
    { namespace: platform.namespaces.monitoring, replicas: m.pushgateway.replicas, volumeSizeGiB: m.pushgateway.volumeSizeGiB, storageClassName: inputs.storageClassName, dependsOn: clusterPrerequisites },
    platform.k8sOpts,
  );

  // Backup jobs that run beside their data outside Strata's namespaces (SQLite targets) push from there.
  const backupJobNamespaces = allBackupTargets(config)
    .map((t) => resolveNamespace(platform, backupJobNamespace(t)))
    .filter((ns) => ns.role !== "backups" && ns.role !== "monitoring")
    .map((ns) => ns.name);
  new NetworkPolicies(
    "strata",
    {
      namespaces: platform.namespaces,
      namespaceNames: config.namespaces,
      pushgatewayClients: { namespaces: [...new Set(backupJobNamespaces)].sort(), podLabels: phasePodLabels("backup") },
      labels: platform.labels,
    },
    platform.k8sOpts,
  );

  const outputs = {
    prometheusUrl: urls.prometheus,
    alertmanagerUrl: urls.alertmanager,
    pushgatewayUrl: urls.pushgateway,
    ...(thanos ? { thanosQueryUrl: urls.thanosQuery, thanosQueryFrontendUrl: urls.thanosQueryFrontend, thanosObjstoreConfig: thanos.objstoreConfig } : {}),
    grafanaAdminSecret: stack.grafanaAdminSecretName,
    replicaLabel: PROMETHEUS_REPLICA_LABEL,
    dedupLabels: m.thanos.enabled ? DEDUP_LABELS : [],
    datasources: pulumi.all(datasources).apply((ds) => ds.map((d) => d.name)),
  };
  // The stack's outputs, and the release whose operator makes Prometheus's data claims (snapshot backups mount one).
  return { outputs, kubePrometheusStack: stack };
}

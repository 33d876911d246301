import { resources } from "../../components/platform/containerDefaults";
import * as pulumi from "@pulumi/pulumi";
import { resolveNamespace, type Platform } from "../platform";
import { phasePodLabels } from "../../components/backup/cronJob";
import { effectiveSizes } from "../capacity/plan";
import type { Archive } from "./archive";
import { KubePrometheusStack } from "../../components/metrics/kubePrometheusStack";
import { Thanos } from "../../components/metrics/thanos";
import { Pushgateway } from "../../components/metrics/pushgateway";
import { NetworkPolicies } from "../../components/platform/networkPolicies";
import { longRangeRuleFiles } from "../../components/metrics/longRangeRules";
import { DEDUP_LABELS } from "../../components/metrics/thanosValues";
import { KPS_FULLNAME, kpsDefaultFullname, PROMETHEUS_REPLICA_LABEL, prometheusDataClaimName, serviceUrls } from "../../components/metrics/names";
import { PersistentClaim } from "../../components/storage/persistentClaim";
import { importIds } from "../adoption";
import type { GrafanaDatasource } from "../../components/metrics/kubePrometheusStackValues";
import type { AlertmanagerChartValues } from "../../components/alerting/alertmanagerValues";
import { serviceAlerts } from "./alerting";
import { metricsSseCMode } from "../config/sections/archive";
import { SSE_C_SECRET_NAME } from "../../components/metrics/thanos";

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

/** Thanos' SSE-C key on a store without KMS: generated, the adopted bucket's own (a Pulumi secret), or none. */
function thanosSseCustomerKey(platform: Platform): { sseCustomerKey?: { resourceOptions: Platform["stateful"]; existingKeyBase64?: pulumi.Output<string> } } {
  const mode = metricsSseCMode(platform.config);
  if (mode === undefined || mode === "none") return {};
  if (mode === "generate") return { sseCustomerKey: { resourceOptions: platform.stateful } };
  const existingKeyBase64 = platform.secrets.thanosSseCKey;
  if (!existingKeyBase64) throw new Error("strata:thanosSseCKey was not validated");
  return { sseCustomerKey: { resourceOptions: platform.stateful, existingKeyBase64 } };
}

export function declareMetrics(platform: Platform, inputs: MetricsInputs) {
  const { config, retention } = platform;
  const m = config.metrics;
  // Sizes come from the capacity planner: its estimate, or strata:capacity.overrides when a stack sets one.
  const sizes = effectiveSizes(config);
  const ns = config.namespaces.monitoring;
  // An adopted kube-prometheus-stack keeps its release, namespace and object names (so its Prometheus keeps its
  // claims); everything that addresses it is built from them.
  const adopted = m.adopt?.mode === "adopt" ? m.adopt : undefined;
  const kps = { fullname: adopted ? kpsDefaultFullname(adopted.release) : KPS_FULLNAME, namespace: ns };
  const urls = serviceUrls(ns, undefined, kps);
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
        // A store without KMS: blocks are written with SSE-C, the key kept like data (retained, protected in prod);
        // an adopted bucket's blocks are read as they were written (archive.adopt.metricsSseC).
        ...thanosSseCustomerKey(platform),
        values: {
          storageClassName: inputs.storageClassName,
          sidecarEndpoint: urls.thanosSidecarDiscovery,
          alertmanagerUrl: urls.alertmanager,
          query: m.thanos.query,
          queryFrontend: m.thanos.queryFrontend,
          storeGateway: { ...m.thanos.storeGateway, volumeSizeGiB: sizes.storeGatewayVolumeGiB.gib, serviceAccountName: "strata-thanos-storegateway", ...secretOf("thanos-storegateway") },
          compactor: { volumeSizeGiB: sizes.compactorVolumeGiB.gib, raw: retention.thanosCompactor.raw, fiveMinutes: retention.thanosCompactor.fiveMinutes, oneHour: retention.thanosCompactor.oneHour, resources: m.thanos.compactor.resources, serviceAccountName: "strata-thanos-compactor", ...secretOf("thanos-compactor") },
          ruler: { replicas: m.thanos.ruler.replicas, resources: m.thanos.ruler.resources, rules: longRangeRuleFiles(), serviceAccountName: "strata-thanos-ruler", ...secretOf("thanos-ruler") },
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

  // Replacing a release: the old Prometheus's volume is bound to the claim Strata's Prometheus looks for first
  // (replica 0), before the operator would create it empty.
  const carriedOver = m.adopt?.mode === "replace" && m.adopt.persistentVolume
    ? new PersistentClaim(
        "prometheus-data-carried-over",
        {
          name: prometheusDataClaimName(KPS_FULLNAME, 0),
          namespace: platform.namespaces.monitoring,
          size: `${sizes.prometheusVolumeGiB.gib}Gi`,
          storageClassName: inputs.storageClassName,
          labels: { ...platform.labels, "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/component": "data" },
          volumeName: m.adopt.persistentVolume,
          resourceOptions: { ...platform.stateful, protect: m.adopt.protect ?? true },
        },
        { ...platform.k8sOpts, dependsOn: [inputs.storageClass] },
      )
    : undefined;

  const stack = new KubePrometheusStack(
    "kube-prometheus-stack",
    {
      namespace: platform.namespaces.monitoring,
      labels: platform.labels,
      ...(adopted ? { adopt: { release: adopted.release, importId: importIds.helmRelease(adopted.namespace, adopted.release), protect: adopted.protect ?? true } } : {}),
      values: {
        ...(adopted ? { fullname: kps.fullname } : {}),
        externalLabels: { cluster: platform.cluster.name, region: config.region, environment: config.environment },
        storageClassName: inputs.storageClassName,
        prometheus: {
          replicas: m.prometheus.replicas,
          volumeSizeGiB: sizes.prometheusVolumeGiB.gib,
          retention: retention.prometheus.retention,
          retentionSize: retention.prometheus.retentionSize,
          scrapeInterval: m.prometheus.scrapeInterval,
          evaluationInterval: m.prometheus.evaluationInterval ?? m.prometheus.scrapeInterval,
          serviceAccountName: "strata-prometheus",
          // With Thanos the `prometheus` workload identity creates it (for the sidecar's bucket access); without, the chart does.
          createServiceAccount: inputs.archive.identityComponents.prometheus === undefined,
          enableAdminAPI: platform.backups.prometheusSnapshots,
          // Unset, memory follows the capacity estimate, as both request and limit.
          resources: m.prometheus.resources ?? resources("500m", `${sizes.prometheusMemoryGiB.gib}Gi`, "2"),
        },
        ...(thanos
          ? { thanos: { objstoreSecret: thanos.objstoreSecretRef, sidecarResources: m.thanos.sidecar.resources, ...secretOf("prometheus"), ...(thanos.sseCustomerKeySecret ? { sseCustomerKeySecret: SSE_C_SECRET_NAME } : {}) } }
          : {}),
        grafana: { datasources, dashboardLabel: GRAFANA_DASHBOARD_LABEL, ...(inputs.grafanaServiceAccountName ? { serviceAccountName: inputs.grafanaServiceAccountName } : {}) },
        alertmanager: inputs.alertmanager,
      },
      dependsOn: [...clusterPrerequisites, ...inputs.dependsOn, ...(thanos ? [thanos.objstoreSecret, ...(thanos.sseCustomerKeySecret ? [thanos.sseCustomerKeySecret] : []), ...identityOf("prometheus")] : []), ...(carriedOver ? [carriedOver] : [])],
    },
    platform.k8sOpts,
  );

  if (m.pushgateway.enabled) {
    new Pushgateway(
      "pushgateway",
      {
        namespace: platform.namespaces.monitoring,
        replicas: m.pushgateway.replicas,
        volumeSizeGiB: m.pushgateway.volumeSizeGiB,
        resources: m.pushgateway.resources,
        storageClassName: inputs.storageClassName,
        dependsOn: clusterPrerequisites,
        alerts: serviceAlerts(platform, ns),
      },
      platform.k8sOpts,
    );
  }

  // Backup jobs that run beside their data outside Strata's namespaces (SQLite targets) push from there.
  const backupJobNamespaces = platform.backups.targets
    .map((r) => resolveNamespace(platform, r.jobNamespace))
    .filter((ns) => ns.role !== "backups" && ns.role !== "monitoring")
    .map((ns) => ns.name);
  new NetworkPolicies(
    "strata",
    {
      namespaces: platform.namespaces,
      namespaceNames: config.namespaces,
      ...(m.pushgateway.enabled ? { pushgatewayClients: { namespaces: [...new Set(backupJobNamespaces)].sort(), podLabels: phasePodLabels("backup") } } : {}),
      labels: platform.labels,
    },
    platform.k8sOpts,
  );

  const outputs = {
    prometheusUrl: urls.prometheus,
    alertmanagerUrl: urls.alertmanager,
    ...(m.pushgateway.enabled ? { pushgatewayUrl: urls.pushgateway } : {}),
    ...(thanos ? { thanosQueryUrl: urls.thanosQuery, thanosQueryFrontendUrl: urls.thanosQueryFrontend, thanosObjstoreConfig: thanos.objstoreConfig } : {}),
    grafanaAdminSecret: stack.grafanaAdminSecretName,
    replicaLabel: PROMETHEUS_REPLICA_LABEL,
    dedupLabels: m.thanos.enabled ? DEDUP_LABELS : [],
    datasources: pulumi.all(datasources).apply((ds) => ds.map((d) => d.name)),
  };
  // The stack's outputs, and the release whose operator makes Prometheus's data claims (snapshot backups mount one).
  return { outputs, kubePrometheusStack: stack };
}

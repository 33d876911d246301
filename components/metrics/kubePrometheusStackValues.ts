import type * as pulumi from "@pulumi/pulumi";
import { IMAGES, imageRef } from "../versions";
import { KPS_FULLNAME, PROMETHEUS_REPLICA_LABEL } from "./names";
import { resources, type ContainerResources } from "../platform/containerDefaults";
import type { AlertmanagerChartValues } from "../alerting/alertmanagerValues";
import { sseCustomerKeyVolume } from "./objstore";

export interface GrafanaDatasource {
  name: string;
  type: string;
  uid: string;
  /** Absent for datasources that are not reached at a URL (CloudWatch). */
  url?: string;
  access: string;
  isDefault: boolean;
  jsonData?: Record<string, unknown>;
}

export interface KubePrometheusStackValuesInput {
  /** cluster, region, environment: what tells this Prometheus apart from every other in the bucket. */
  externalLabels: Record<string, pulumi.Input<string>>;
  storageClassName: string;
  prometheus: {
    replicas: number;
    volumeSizeGiB: number;
    retention: string;
    retentionSize: string;
    scrapeInterval: string;
    /** How often rules are evaluated (`prometheusSpec.evaluationInterval`). */
    evaluationInterval: string;
    resources: ContainerResources;
    serviceAccountName: string;
    /** False when a workload identity (infra/areas/archive.ts) creates the ServiceAccount; then the chart must not. */
    createServiceAccount: boolean;
    /** The TSDB snapshot API, for Prometheus snapshot backups. */
    enableAdminAPI: boolean;
  };
  thanos?: {
    objstoreSecret: { name: string; key: string };
    sidecarResources: ContainerResources;
    /** hcloud: the sidecar's static credentials, injected as env into the operator-made `thanos-sidecar` container. */
    credentialsSecretName?: pulumi.Input<string>;
    /** A store without KMS: the Secret with the SSE-C key the sidecar uploads blocks with (components/metrics/objstore.ts). */
    sseCustomerKeySecret?: string;
  };
  /** The chart's fullname, which every object name starts with; Strata's own unless an adopted release keeps its names. */
  fullname?: string;
  grafana: {
    adminSecretName: pulumi.Input<string>;
    datasources: pulumi.Input<GrafanaDatasource>[];
    dashboardLabel: string;
    /** A ServiceAccount made for Grafana elsewhere (its workload identity, infra/areas/archiveCost.ts); else the chart's. */
    serviceAccountName?: string;
  };
  /** The `alertmanager` section, built by the alerting area (config, replicas, receivers' Secret). */
  alertmanager: AlertmanagerChartValues["alertmanager"];
}

/**
 * kube-prometheus-stack values. Every key here exists in the chart's defaults (test/metrics.test.ts checks them
 * against ../shared/charts/kube-prometheus-stack-88.5.3/values.yaml).
 */
export function kubePrometheusStackValues(input: KubePrometheusStackValuesInput): Record<string, unknown> {
  const p = input.prometheus;
  // The operator makes the `thanos-sidecar` container; `containers` entries of that name are merged into it.
  const sse = input.thanos?.sseCustomerKeySecret ? sseCustomerKeyVolume(input.thanos.sseCustomerKeySecret) : undefined;
  const sidecarPatch = {
    ...(input.thanos?.credentialsSecretName ? { envFrom: [{ secretRef: { name: input.thanos.credentialsSecretName } }] } : {}),
    ...(sse ? { volumeMounts: [sse.mount] } : {}),
  };
  const sidecarEnv = Object.keys(sidecarPatch).length > 0 ? [{ name: "thanos-sidecar", ...sidecarPatch }] : [];
  return {
    fullnameOverride: input.fullname ?? KPS_FULLNAME,
    // The CRDs come from their own release (components/metrics/prometheusOperatorCrds.ts), installed before every
    // object that uses them and upgraded with their chart; this chart's copy sits in a crds/ directory Helm never upgrades.
    crds: { enabled: false },
    prometheusOperator: { resources: resources("100m", "256Mi", "500m") },
    prometheus: {
      serviceAccount: { create: p.createServiceAccount, name: p.serviceAccountName },
      // The headless service Thanos Query discovers sidecars through (gRPC 10901).
      thanosService: { enabled: Boolean(input.thanos) },
      prometheusSpec: {
        image: { registry: IMAGES.prometheus.registry, repository: IMAGES.prometheus.repository, tag: IMAGES.prometheus.tag },
        replicas: p.replicas,
        // Two replicas on one node are one failure away from none.
        podAntiAffinity: p.replicas > 1 ? "hard" : "soft",
        podAntiAffinityTopologyKey: "kubernetes.io/hostname",
        retention: p.retention,
        retentionSize: p.retentionSize,
        scrapeInterval: p.scrapeInterval,
        evaluationInterval: p.evaluationInterval,
        walCompression: true,
        externalLabels: input.externalLabels,
        replicaExternalLabelName: PROMETHEUS_REPLICA_LABEL,
        enableAdminAPI: p.enableAdminAPI,
        // Select every ServiceMonitor, PodMonitor, rule, probe and scrape config in the cluster, Strata's own
        // included, instead of only those labelled with this release.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
        resources: p.resources,
        storageSpec: {
          volumeClaimTemplate: {
            spec: { storageClassName: input.storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${p.volumeSizeGiB}Gi` } } },
          },
        },
        ...(input.thanos
          ? {
              // The sidecar uploads 2h blocks; local compaction would make blocks the sidecar must not upload.
              disableCompaction: true,
              thanos: { image: imageRef(IMAGES.thanos), objectStorageConfig: { existingSecret: input.thanos.objstoreSecret }, resources: input.thanos.sidecarResources },
              containers: sidecarEnv,
              ...(sse ? { volumes: [sse.volume] } : {}),
            }
          : {}),
      },
    },
    // Subcharts: their own values.yaml files have top-level `resources: {}` (kube-prometheus-stack's defaults do not
    // repeat it, so test/metrics.test.ts allows exactly these paths).
    "kube-state-metrics": { resources: resources("50m", "256Mi", "500m") },
    "prometheus-node-exporter": { resources: resources("50m", "64Mi", "250m") },
    grafana: {
      resources: resources("100m", "256Mi", "1"),
      admin: { existingSecret: input.grafana.adminSecretName, userKey: "admin-user", passwordKey: "admin-password" },
      sidecar: {
        // Strata supplies the datasources itself: Thanos Query Frontend (or Prometheus without Thanos), Loki.
        datasources: { defaultDatasourceEnabled: false },
        dashboards: { enabled: true, label: input.grafana.dashboardLabel, labelValue: "1", searchNamespace: "ALL" },
      },
      additionalDataSources: input.grafana.datasources,
      ...(input.grafana.serviceAccountName ? { serviceAccount: { create: false, name: input.grafana.serviceAccountName } } : {}),
    },
    alertmanager: {
      ...input.alertmanager,
      alertmanagerSpec: {
        ...input.alertmanager.alertmanagerSpec,
        image: { registry: IMAGES.alertmanager.registry, repository: IMAGES.alertmanager.repository, tag: IMAGES.alertmanager.tag },
      },
    },
  };
}

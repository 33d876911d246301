import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { Platform } from "../platform";
import { awsProvider } from "../providers";
import { ARCHIVE_CAPABILITIES } from "../../components/archive/providers";
import type { Archive } from "./archive";
import { capacityPlan } from "../capacity/plan";
import { WorkloadIdentity } from "../../components/identity/workloadIdentity";
import { PRICE_TABLE } from "../capacity/prices";
import { buildArchiveCostDashboardConfigMap, cloudwatchDatasource, cloudwatchReadPolicy } from "../../components/archive/costDashboard";
import type { BucketPurpose } from "../../components/archive/storageClasses";
import type { GrafanaDatasource } from "../../components/metrics/kubePrometheusStackValues";

/** Grafana's ServiceAccount when Strata gives it an identity (the chart is told to use it instead of its own). */
export const GRAFANA_SERVICE_ACCOUNT = "strata-grafana";

export interface ArchiveCostView {
  datasources: GrafanaDatasource[];
  grafanaServiceAccountName?: string;
  /** What kube-prometheus-stack must wait for (Grafana's identity). */
  dependsOn: pulumi.Resource[];
}

/** The capacity plan's monthly estimate of one bucket's storage: its S3 lines, priced from the same table. */
export function bucketEstimate(capacity: ReturnType<typeof capacityPlan>, purpose: BucketPurpose) {
  const rows = capacity.rows.filter((r) => r.area === purpose && r.medium !== "ebs-gp3" && r.medium !== "hcloud-volume");
  return {
    monthly: rows.reduce((n, r) => n + r.monthly, 0),
    currency: rows[0]?.currency ?? "USD",
    gib: rows.reduce((n, r) => n + r.sizeGiB * r.count, 0),
  };
}

/**
 * The archive's storage and cost view (aws): a read-only CloudWatch identity for Grafana, the CloudWatch datasource,
 * and the dashboard (components/archive/costDashboard.ts). On hcloud there is nothing to read: Hetzner Object Storage
 * publishes no storage metrics, and the capacity plan's table stays the only figure.
 */
export function declareArchiveCostView(platform: Platform, archive: Archive): ArchiveCostView {
  const { config } = platform;
  // Nothing to read unless both the cluster (an AWS identity for Grafana) and the archive's store (CloudWatch) are AWS.
  if (config.cloud !== "aws" || !ARCHIVE_CAPABILITIES[config.archive.provider].storageMetrics) return { datasources: [], dependsOn: [] };
  const mode = config.archive.identity;
  const ns = platform.namespaces.monitoring;
  const requireOutput = (value: pulumi.Output<string | undefined>, what: string) =>
    value.apply((v) => {
      if (!v) throw new Error(`strata:archive.identity is \`irsa\` but the cluster provides no ${what}; set it on the cluster stack or use \`pod-identity\``);
      return v;
    });
  const identity = new WorkloadIdentity(
    "grafana",
    {
      mode,
      namespace: ns,
      serviceAccountName: GRAFANA_SERVICE_ACCOUNT,
      principalName: `strata-${config.environment}-grafana`,
      policy: cloudwatchReadPolicy(),
      // Grafana's sidecars watch ConfigMaps (dashboards) through the Kubernetes API.
      automountServiceAccountToken: true,
      labels: { ...platform.labels, "strata.io/workload": "grafana" },
      tags: { "strata:workload": "grafana", "strata:access": "cloudwatch-read" },
      ...(mode === "irsa" ? { irsa: { oidcProviderArn: requireOutput(platform.cluster.oidcProviderArn, "oidcProviderArn"), oidcIssuerUrl: requireOutput(platform.cluster.oidcIssuerUrl, "oidcIssuerUrl") } } : {}),
      ...(mode === "pod-identity" ? { podIdentity: { clusterName: platform.cluster.name, accountId: aws.getCallerIdentityOutput({}, { provider: awsProvider(platform.providers, "Grafana's CloudWatch identity") }).accountId } } : {}),
    },
    platform.awsOpts,
  );

  const capacity = capacityPlan(config);
  const purposes = (Object.keys(archive.buckets) as BucketPurpose[]).sort();
  const names = pulumi.all(purposes.map((p) => archive.buckets[p]!.name));
  const dashboard = names.apply((bucketNames) =>
    buildArchiveCostDashboardConfigMap({
      region: config.region,
      prices: PRICE_TABLE,
      buckets: purposes.map((purpose, i) => ({ purpose, name: bucketNames[i]!, estimate: bucketEstimate(capacity, purpose) })),
      name: "strata-archive-cost-dashboard",
      namespace: ns,
      labels: platform.labels,
    }),
  );
  new k8s.core.v1.ConfigMap(
    "archive-cost-dashboard",
    { metadata: { name: "strata-archive-cost-dashboard", namespace: ns, labels: dashboard.metadata.labels }, data: dashboard.data },
    { provider: platform.providers.k8s },
  );
  return { datasources: [cloudwatchDatasource(config.region)], grafanaServiceAccountName: GRAFANA_SERVICE_ACCOUNT, dependsOn: [identity] };
}

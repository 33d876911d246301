import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { Platform } from "../platform";
import { awsProvider } from "../providers";
import { ARCHIVE_CAPABILITIES } from "../../components/archive/providers";
import type { Archive } from "./archive";
import { capacityPlan } from "../capacity/plan";
import { WorkloadIdentity } from "../../components/identity/workloadIdentity";
import { HETZNER_OBJECT_STORAGE, PRICE_TABLE } from "../capacity/prices";
import { buildArchiveCostDashboardConfigMap, buildArchiveEstimateDashboardConfigMap, cloudwatchDatasource, cloudwatchReadPolicy } from "../../components/archive/costDashboard";
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

/** The capacity plan's monthly estimate of one bucket's storage: its bucket lines, priced from the same table. */
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
 * and the dashboard (components/archive/costDashboard.ts). On a store without storage metrics (Hetzner, another
 * S3-compatible store) there is nothing to read: the same dashboard then says so and shows the capacity plan's
 * estimate and the backup jobs' pushed sizes instead, with no AWS identity.
 */
export function declareArchiveCostView(platform: Platform, archive: Archive): ArchiveCostView {
  const { config } = platform;
  if (!ARCHIVE_CAPABILITIES[config.archive.provider].storageMetrics) {
    declareEstimateView(platform, archive);
    return { datasources: [], dependsOn: [] };
  }
  // CloudWatch needs an AWS identity for Grafana, which only an EKS cluster gives it.
  if (config.cloud !== "aws") return { datasources: [], dependsOn: [] };
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
  declareDashboardConfigMap(platform, ns, dashboard.metadata.labels, dashboard.data);
  return { datasources: [cloudwatchDatasource(config.region)], grafanaServiceAccountName: GRAFANA_SERVICE_ACCOUNT, dependsOn: [identity] };
}

/** The dashboard on a store without storage metrics: what it cannot read, and the estimate and pushed sizes instead. */
function declareEstimateView(platform: Platform, archive: Archive): void {
  const { config } = platform;
  const purposes = (Object.keys(archive.buckets) as BucketPurpose[]).sort();
  if (purposes.length === 0) return;
  const ns = platform.namespaces.monitoring;
  const capacity = capacityPlan(config);
  const base = capacity.rows.find((r) => r.area === "archive");
  const hetzner = config.archive.provider === "hetzner";
  const names = pulumi.all(purposes.map((p) => archive.buckets[p]!.name));
  const dashboard = names.apply((bucketNames) =>
    buildArchiveEstimateDashboardConfigMap({
      provider: config.archive.provider,
      buckets: purposes.map((purpose, i) => ({ purpose, name: bucketNames[i]!, estimate: bucketEstimate(capacity, purpose) })),
      ...(base ? { accountCharge: { monthly: base.monthly, currency: base.currency, what: `${base.item}: billed per account, not per bucket.` } } : {}),
      pricesFrom: hetzner ? `${HETZNER_OBJECT_STORAGE.source}, ${HETZNER_OBJECT_STORAGE.date}` : "the store's price is not known to Strata, so sizes only",
      name: "strata-archive-cost-dashboard",
      namespace: ns,
      labels: platform.labels,
    }),
  );
  declareDashboardConfigMap(platform, ns, dashboard.metadata.labels, dashboard.data);
}

/** The dashboard's ConfigMap, which Grafana's sidecar loads; one name whichever view the store allows. */
function declareDashboardConfigMap(platform: Platform, namespace: pulumi.Input<string>, labels: pulumi.Input<{ [key: string]: pulumi.Input<string> }>, data: pulumi.Input<{ [file: string]: pulumi.Input<string> }>): void {
  new k8s.core.v1.ConfigMap(
    "archive-cost-dashboard",
    { metadata: { name: "strata-archive-cost-dashboard", namespace, labels }, data },
    { provider: platform.providers.k8s },
  );
}

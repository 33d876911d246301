import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { servicePrometheusRule, type ServiceAlertsArgs } from "../alerting/serviceRule";
import { buildLokiRuleGroups } from "./lokiRules";
import { LOKI_CHART, LOKI_RELEASE, lokiDatasource, lokiUrls, lokiValues, type LokiSettings } from "./lokiValues";

export interface LokiArgs {
  namespace: pulumi.Input<string>;
  /** Everything but the outputs that are only known at deploy time. */
  settings: Omit<LokiSettings, "bucket" | "kmsKeyArn" | "store" | "serviceAccountName" | "credentialsSecret">;
  bucket: { name: pulumi.Input<string>; region: pulumi.Input<string> };
  kmsKeyArn?: pulumi.Input<string>;
  store?: LokiSettings["store"];
  serviceAccountName: pulumi.Input<string>;
  credentialsSecret?: pulumi.Input<string>;
  /** Resources the release needs first: the identity it runs as, the StorageClass its volumes claim. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Loki's alerts (lokiRules.ts); the chart renders its ServiceMonitor, so the release also waits for `alerts.crds`. */
  alerts: ServiceAlertsArgs;
}

/** Loki from the grafana-community chart, on an S3 bucket, as one Helm release. */
export class Loki extends pulumi.ComponentResource {
  readonly pushUrl: pulumi.Output<string>;
  readonly queryUrl: pulumi.Output<string>;
  /** A Grafana datasource (for kube-prometheus-stack's `grafana.additionalDataSources`). */
  readonly datasource: pulumi.Output<ReturnType<typeof lokiDatasource>>;
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: LokiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:logging:Loki", name, {}, opts);
    const values = pulumi
      .all([args.bucket.name, args.bucket.region, args.kmsKeyArn, args.serviceAccountName, args.credentialsSecret])
      .apply(([bucketName, region, kmsKeyArn, serviceAccountName, credentialsSecret]) =>
        lokiValues({
          ...args.settings,
          bucket: { name: bucketName, region },
          ...(kmsKeyArn ? { kmsKeyArn } : {}),
          ...(args.store ? { store: args.store } : {}),
          serviceAccountName,
          ...(credentialsSecret ? { credentialsSecret } : {}),
        }),
      );
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: LOKI_RELEASE,
        chart: LOKI_CHART.name,
        version: LOKI_CHART.version,
        repositoryOpts: { repo: LOKI_CHART.repo },
        namespace: args.namespace,
        values,
        // Ingesters flush their write-ahead log on shutdown; give a rollout time to finish before failing it.
        timeout: 900,
        atomic: false,
      },
      { parent: this, dependsOn: [...(args.dependsOn ?? []), ...args.alerts.crds] },
    );
    servicePrometheusRule(`${name}-alerts`, args.namespace, args.alerts, buildLokiRuleGroups({ namespace: args.alerts.namespaceName, runbookBaseUrl: args.alerts.runbookBaseUrl }), this);
    const namespace = pulumi.output(args.namespace);
    this.pushUrl = namespace.apply((ns) => lokiUrls(args.settings.mode, ns).pushUrl);
    this.queryUrl = namespace.apply((ns) => lokiUrls(args.settings.mode, ns).queryUrl);
    this.datasource = namespace.apply((ns) => lokiDatasource(args.settings.mode, ns));
    this.registerOutputs({ pushUrl: this.pushUrl, queryUrl: this.queryUrl, datasource: this.datasource });
  }
}

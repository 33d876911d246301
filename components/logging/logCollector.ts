import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { servicePrometheusRule, type ServiceAlertsArgs } from "../alerting/serviceRule";
import { buildCollectorRuleGroups } from "./collectorRules";
import { alloyLogConfig } from "./alloyConfig";
import { ALLOY_CHART, ALLOY_RELEASE, alloyValues } from "./alloyValues";
import type { Resources } from "./lokiValues";

export interface LogCollectorArgs {
  namespace: pulumi.Input<string>;
  pushUrl: pulumi.Input<string>;
  externalLabels: Record<string, string>;
  resources: Resources;
  /** Resources the collector starts after (Loki), so its first pushes do not meet a missing distributor. */
  startAfter?: pulumi.Resource[];
  /** The collector's alerts (collectorRules.ts); the chart renders its ServiceMonitor, so the release waits for `alerts.crds`. */
  alerts: ServiceAlertsArgs;
}

/** A Grafana Alloy DaemonSet that ships every pod's logs to Loki. */
export class LogCollector extends pulumi.ComponentResource {
  readonly config: pulumi.Output<string>;

  constructor(name: string, args: LogCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:logging:LogCollector", name, {}, opts);
    // The chart injects the node name as HOSTNAME (fieldRef spec.nodeName) into the alloy container.
    this.config = pulumi.output(args.pushUrl).apply((pushUrl) => alloyLogConfig({ pushUrl, externalLabels: args.externalLabels, nodeNameEnv: "HOSTNAME" }));
    new k8s.helm.v3.Release(
      name,
      {
        name: ALLOY_RELEASE,
        chart: ALLOY_CHART.name,
        version: ALLOY_CHART.version,
        repositoryOpts: { repo: ALLOY_CHART.repo },
        namespace: args.namespace,
        values: this.config.apply((config) => alloyValues({ config, resources: args.resources })),
      },
      { parent: this, dependsOn: [...(args.startAfter ?? []), ...args.alerts.crds] },
    );
    servicePrometheusRule(`${name}-alerts`, args.namespace, args.alerts, buildCollectorRuleGroups({ namespace: args.alerts.namespaceName, runbookBaseUrl: args.alerts.runbookBaseUrl }), this);
    this.registerOutputs({ config: this.config });
  }
}

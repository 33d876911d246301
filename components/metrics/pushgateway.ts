import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../versions";
import { pinnedRelease } from "../platform/pinnedRelease";
import { servicePrometheusRule, type ServiceAlertsArgs } from "../alerting/serviceRule";
import { buildPushgatewayRuleGroups } from "./pushgatewayRules";
import { pushgatewayValues, type PushgatewayValuesInput } from "./pushgatewayValues";

export interface PushgatewayArgs extends PushgatewayValuesInput {
  namespace: pulumi.Input<string>;
  /** Resources the release needs first (the CRDs of the ServiceMonitor it renders, the StorageClass it claims). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** The Pushgateway's alerts (pushgatewayRules.ts), owned here so that no Pushgateway means no alert on it. */
  alerts: ServiceAlertsArgs;
}

/** The Pushgateway batch jobs (backups, restore drills) report to. */
export class Pushgateway extends pulumi.ComponentResource {
  constructor(name: string, args: PushgatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:metrics:Pushgateway", name, {}, opts);
    const { namespace, dependsOn, alerts, ...values } = args;
    pinnedRelease(name, { pin: CHARTS.pushgateway, namespace, values: pushgatewayValues(values) }, { parent: this, dependsOn: dependsOn ?? [] });
    servicePrometheusRule(`${name}-alerts`, namespace, alerts, buildPushgatewayRuleGroups({ namespace: alerts.namespaceName, runbookBaseUrl: alerts.runbookBaseUrl }), this);
    this.registerOutputs({});
  }
}

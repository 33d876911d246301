import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { prometheusRuleObject, type RuleGroup } from "./platformRules";

/**
 * What a component that deploys a service needs to watch it: its alerts go into a PrometheusRule that the component
 * itself owns, so switching the service off removes its alerts too.
 */
export interface ServiceAlertsArgs {
  /** The service's namespace, by name: the rules select its series by it. */
  namespaceName: string;
  /** `strata:alerting.runbookBaseUrl`. */
  runbookBaseUrl?: string;
  /** Labels Prometheus's ruleSelector matches (infra/areas/alerting.ts PLATFORM_RULE_LABELS) and the platform labels. */
  ruleLabels: Record<string, string>;
  /** The monitoring.coreos.com CRDs' release. */
  crds: pulumi.Input<pulumi.Resource>[];
}

export function servicePrometheusRule(name: string, namespace: pulumi.Input<string>, args: ServiceAlertsArgs, groups: RuleGroup[], parent: pulumi.Resource) {
  return new k8s.apiextensions.CustomResource(name, prometheusRuleObject({ name, namespace, labels: args.ruleLabels }, groups), { parent, dependsOn: args.crds });
}

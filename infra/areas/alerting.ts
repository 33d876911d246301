import type * as pulumi from "@pulumi/pulumi";
import { Alerting } from "../../components/alerting/alerting";
import { RECEIVER_SECRET_KEYS, type ReceiversInput, type ReceiverSecretKey } from "../../components/alerting/alertmanagerConfig";
import { alertmanagerChartValues, type AlertmanagerChartValues } from "../../components/alerting/alertmanagerValues";
import type { AlertingConfig } from "../config/sections/alerting";
import type { Platform } from "../platform";
import type { ServiceAlertsArgs } from "../../components/alerting/serviceRule";

/** Secret holding the receivers' credentials, beside Alertmanager in the monitoring namespace. */
export const ALERTMANAGER_RECEIVERS_SECRET = "strata-alertmanager-receivers";

/**
 * kube-prometheus-stack's Prometheus selects PrometheusRules labelled `release: <its release name>` unless its
 * `ruleSelector` is changed; the observability area must install the chart under this release name (or select
 * these labels) for Strata's platform alerts to be evaluated.
 */
export const KUBE_PROMETHEUS_STACK_RELEASE = "kube-prometheus-stack";
export const PLATFORM_RULE_LABELS = { release: KUBE_PROMETHEUS_STACK_RELEASE };

/**
 * What a component needs to own the alerts on the service it deploys (components/alerting/serviceRule.ts): the
 * service's namespace by name, the runbook base, the labels Prometheus selects rules by, and the CRDs.
 */
export function serviceAlerts(platform: Platform, namespaceName: string): ServiceAlertsArgs {
  return {
    namespaceName,
    runbookBaseUrl: platform.config.alerting.runbookBaseUrl,
    ruleLabels: { ...platform.labels, ...PLATFORM_RULE_LABELS },
    crds: [platform.monitoringCrds],
  };
}

/** The receivers the validated config enables (the schema has already checked each has what it needs). */
export function receiversFromConfig(a: AlertingConfig): ReceiversInput {
  const receivers: ReceiversInput = {};
  if (a.pagerduty.enabled) receivers.pagerduty = {};
  if (a.slack.enabled) receivers.slack = a.slack.channel !== undefined ? { channel: a.slack.channel } : {};
  if (a.email.enabled) {
    if (a.email.from === undefined || a.email.smarthost === undefined) throw new Error("alerting.email is enabled without from/smarthost; config validation should have refused it");
    receivers.email = {
      to: a.email.to,
      from: a.email.from,
      smarthost: a.email.smarthost,
      repeatInterval: a.email.repeatInterval,
      ...(a.email.authUsername !== undefined ? { authUsername: a.email.authUsername } : {}),
    };
  }
  return receivers;
}

/** kube-prometheus-stack's `alertmanager` values for this config (what `declareAlerting` hands the release). */
export function alertmanagerValuesFor(a: AlertingConfig): AlertmanagerChartValues {
  return alertmanagerChartValues({ receivers: receiversFromConfig(a), replicas: a.alertmanagerReplicas, resources: a.alertmanagerResources, secretName: ALERTMANAGER_RECEIVERS_SECRET });
}

/** Alertmanager receivers, their credentials Secret and Strata's platform alert rules. */
export function declareAlerting(platform: Platform) {
  const { config, secrets } = platform;
  const credentials: Partial<Record<ReceiverSecretKey, pulumi.Output<string>>> = {
    [RECEIVER_SECRET_KEYS.pagerduty]: secrets.pagerdutyRoutingKey,
    [RECEIVER_SECRET_KEYS.slack]: secrets.slackWebhookUrl,
    [RECEIVER_SECRET_KEYS.smtp]: secrets.smtpPassword,
  };
  const alerting = new Alerting(
    "strata-alerting",
    {
      namespace: platform.namespaces.monitoring,
      labels: platform.labels,
      receivers: receiversFromConfig(config.alerting),
      credentials,
      secretName: ALERTMANAGER_RECEIVERS_SECRET,
      replicas: config.alerting.alertmanagerReplicas,
      resources: config.alerting.alertmanagerResources,
      rules: {
        prometheusRetentionSizeBytes: platform.retention.prometheus.retentionSizeBytes,
        alertmanagerReplicas: config.alerting.alertmanagerReplicas,
        runbookBaseUrl: config.alerting.runbookBaseUrl,
      },
      ruleLabels: PLATFORM_RULE_LABELS,
      ruleDependsOn: [platform.monitoringCrds],
    },
    platform.k8sOpts,
  );
  return { alerting, alertmanagerValues: alerting.alertmanagerValues, receiversSecret: alerting.receiversSecret };
}

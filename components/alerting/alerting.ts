import type { ContainerResources } from "../platform/containerDefaults";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { receiverSecretKeys, type ReceiversInput, type ReceiverSecretKey } from "./alertmanagerConfig";
import { alertmanagerChartValues, type AlertmanagerChartValues } from "./alertmanagerValues";
import { buildPlatformPrometheusRule, type PlatformRulesInput } from "./platformRules";

export interface AlertingArgs {
  /** Namespace of Prometheus and Alertmanager: the Secret must sit beside Alertmanager to be mounted. */
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  receivers: ReceiversInput;
  /** Credential of each enabled receiver, by Secret key; only ever Pulumi secrets. */
  credentials: Partial<Record<ReceiverSecretKey, pulumi.Input<string>>>;
  /** Name of the receivers Secret (fixed, because the Alertmanager values name it). */
  secretName: string;
  replicas: number;
  /** Requests and limits of each Alertmanager container. */
  resources: ContainerResources;
  rules: PlatformRulesInput;
  /** Extra labels on the PrometheusRule, e.g. the one Prometheus's ruleSelector matches. */
  ruleLabels: Record<string, string>;
  /** What the PrometheusRule needs first: the release that installs its CRD. */
  ruleDependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Alerting for Strata's own platform: the Kubernetes Secret holding the receivers' credentials, the PrometheusRule
 * with the platform alerts, and (as a plain value, for the kube-prometheus-stack release) the Alertmanager values
 * that mount that Secret and route to those receivers.
 */
export class Alerting extends pulumi.ComponentResource {
  /** The `alertmanager` values for kube-prometheus-stack; the release must depend on `receiversSecret`. */
  readonly alertmanagerValues: AlertmanagerChartValues;
  readonly secretName: pulumi.Output<string> | undefined;
  /**
   * The Secret Alertmanager mounts (none without receivers). kube-prometheus-stack waits for it, and only for it: the
   * component also holds a PrometheusRule, which waits for the CRDs and must not hold the release back.
   */
  readonly receiversSecret: k8s.core.v1.Secret | undefined;
  readonly ruleName: pulumi.Output<string>;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:alerting:Alerting", name, {}, opts);
    this.alertmanagerValues = alertmanagerChartValues({ receivers: args.receivers, replicas: args.replicas, resources: args.resources, secretName: args.secretName });

    const keys = receiverSecretKeys(args.receivers);
    const missing = keys.filter((k) => args.credentials[k] === undefined);
    if (missing.length > 0) throw new Error(`Alerting ${name}: no credential for ${missing.join(", ")}, which the enabled receivers read`);
    if (keys.length > 0) {
      const secret = new k8s.core.v1.Secret(
        `${name}-receivers`,
        {
          metadata: { name: args.secretName, namespace: args.namespace, labels: { ...args.labels, "app.kubernetes.io/component": "alertmanager" } },
          type: "Opaque",
          // pulumi.secret even if a caller passes plain text: these values must never show in state or a plan.
          stringData: Object.fromEntries(keys.map((k) => [k, pulumi.secret(args.credentials[k]!)])),
        },
        { parent: this },
      );
      this.receiversSecret = secret;
      this.secretName = secret.metadata.name;
    }

    const rule = new k8s.apiextensions.CustomResource(
      `${name}-platform-rules`,
      buildPlatformPrometheusRule({ ...args.rules, name: `${name}-platform`, namespace: args.namespace, labels: { ...args.labels, ...args.ruleLabels } }),
      { parent: this, dependsOn: args.ruleDependsOn },
    );
    this.ruleName = rule.metadata.name;
    this.registerOutputs({ secretName: this.secretName, ruleName: this.ruleName });
  }
}

import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { CHARTS } from "../versions";
import { pinnedRelease } from "../platform/pinnedRelease";

export interface PrometheusOperatorCrdsArgs {
  /** Where Helm keeps the release's record; the CRDs themselves are cluster-scoped. */
  namespace: pulumi.Input<string>;
  /** Kept like data (infra/protection.ts): deleting a CRD deletes every object of its kind in the cluster. */
  resourceOptions: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;
}

/**
 * The chart's values: every CRD stays on (its default), and each carries Helm's keep policy, so neither
 * `helm uninstall` nor deleting the release deletes a CRD and with it every PrometheusRule and ServiceMonitor in the
 * cluster, applications' included. (`crds.annotations` is the chart's one free map; upstream values.yaml,
 * recorded in test/fixtures/prometheus-operator-crds-values.json.)
 */
export const PROMETHEUS_OPERATOR_CRDS_VALUES = { crds: { annotations: { "helm.sh/resource-policy": "keep" } } } as const;

/**
 * The `monitoring.coreos.com` CRDs, installed first and on their own, at the operator version kube-prometheus-stack
 * runs (components/versions.ts). Every PrometheusRule, ServiceMonitor and every release that renders one depends on
 * this, and this depends on nothing that uses them. The chart ships the CRDs as templates, so a chart upgrade
 * upgrades them; kube-prometheus-stack's own copy (`crds.enabled`, a `crds/` directory) would be installed once and
 * never upgraded by Helm, leaving a newer operator on older CRDs.
 */
export class PrometheusOperatorCrds extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: PrometheusOperatorCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:metrics:PrometheusOperatorCrds", name, {}, opts);
    this.release = pinnedRelease(name, { pin: CHARTS.prometheusOperatorCrds, namespace: args.namespace, values: PROMETHEUS_OPERATOR_CRDS_VALUES }, { parent: this, ...args.resourceOptions });
    this.registerOutputs({ releaseName: this.release.name });
  }
}

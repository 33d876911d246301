import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { CHARTS } from "../versions";
import { pinnedRelease } from "../platform/pinnedRelease";

export interface PrometheusOperatorCrdsArgs {
  /** Where Helm keeps the release's record; the CRDs themselves are cluster-scoped. */
  namespace: pulumi.Input<string>;
}

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
    // No values: every CRD of the chart is on by default, and Strata uses Prometheus, Alertmanager, PrometheusRule
    // and ServiceMonitor (the charts) as well as whatever an application stack declares.
    this.release = pinnedRelease(name, { pin: CHARTS.prometheusOperatorCrds, namespace: args.namespace, values: {} }, { parent: this });
    this.registerOutputs({ releaseName: this.release.name });
  }
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { buildBackupPrometheusRule, type BackupAlertTarget } from "./alerts";
import { buildBackupDashboardConfigMap } from "./dashboard";

export interface BackupMonitoringArgs {
  namespace: pulumi.Input<string>;
  targets: BackupAlertTarget[];
  runbookBaseUrl: string;
  /** Namespaces whose claims the dashboard's usage panel shows. */
  pvcNamespaces: string[];
  labels: Record<string, string>;
  ruleLabels: Record<string, string>;
  /** What the PrometheusRule needs first: the release that installs its CRD. */
  ruleDependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The alerts on every target's backups and drills, and the Grafana dashboard that shows them (monitoring namespace). */
export class BackupMonitoring extends pulumi.ComponentResource {
  constructor(name: string, args: BackupMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:backup:BackupMonitoring", name, {}, opts);
    new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      buildBackupPrometheusRule({ targets: args.targets, runbookBaseUrl: args.runbookBaseUrl, name: "strata-backups", namespace: args.namespace, labels: { ...args.labels, ...args.ruleLabels } }),
      { parent: this, dependsOn: args.ruleDependsOn },
    );
    const dashboard = buildBackupDashboardConfigMap({ targets: args.targets, pvcNamespaces: args.pvcNamespaces, name: "strata-backups-dashboard", namespace: args.namespace, labels: args.labels });
    new k8s.core.v1.ConfigMap(`${name}-dashboard`, { metadata: dashboard.metadata, data: dashboard.data }, { parent: this });
    this.registerOutputs({});
  }
}

import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../platform";
import type { Archive } from "./archive";
import { backupPrefix } from "./archive";
import { BackupScripts } from "../../components/backup/backupScripts";
import { BackupTargetJobs } from "../../components/backup/backupTarget";
import { defaultBackupSchedule, defaultDrillSchedule, intervalHours } from "../../components/backup/schedule";
import { ACTIVE_DEADLINE_SECONDS, type JobContext } from "../../components/backup/cronJob";
import { BackupMonitoring } from "../../components/backup/backupMonitoring";
import { backupRunbookBaseUrl } from "../../components/backup/alerts";
import { PLATFORM_RULE_LABELS } from "./alerting";
import type { BackupTarget } from "../config/sections/backups";

export interface ScheduledTarget {
  target: BackupTarget;
  schedule: string;
  drillSchedule: string;
  intervalHours: number;
  drillIntervalHours: number;
}

export function scheduledTargets(targets: readonly BackupTarget[]): ScheduledTarget[] {
  return targets.map((target) => {
    const schedule = target.schedule ?? defaultBackupSchedule(target.name);
    const drillSchedule = target.drillSchedule ?? defaultDrillSchedule(target.name);
    return { target, schedule, drillSchedule, intervalHours: intervalHours(schedule), drillIntervalHours: intervalHours(drillSchedule) };
  });
}

/** Where a target's backup job runs: beside its data. Prometheus snapshots need Prometheus's own volume. */
export const backupNamespaceRole = (t: BackupTarget) => (t.kind === "prometheus-snapshot" ? "monitoring" : "backups");

export function declareBackups(platform: Platform, inputs: { archive: Archive; targets: readonly BackupTarget[]; pushgatewayUrl: string; pvcNamespaces: string[] }) {
  const { config } = platform;
  const bucket = inputs.archive.buckets.backups!;
  const scheduled = scheduledTargets(inputs.targets);
  const scripts = {
    backups: new BackupScripts("backup-scripts", { namespace: platform.namespaces.backups, labels: platform.labels }, platform.k8sOpts),
    ...(scheduled.some((s) => backupNamespaceRole(s.target) === "monitoring")
      ? { monitoring: new BackupScripts("backup-scripts-monitoring", { namespace: platform.namespaces.monitoring, labels: platform.labels }, platform.k8sOpts) }
      : {}),
  };

  for (const s of scheduled) {
    const t = s.target;
    const contextFor = (workload: string, schedule: string, role: "backups" | "monitoring"): pulumi.Output<JobContext> => {
      const identity = inputs.archive.identities[workload];
      if (!identity) throw new Error(`backup target ${t.name}: no workload identity ${workload}`);
      return pulumi
        .all([bucket.name, bucket.region, inputs.archive.kmsKeyArn, identity.serviceAccount, identity.credentialsSecret, scripts[role]!.configMapName])
        .apply(([bucketName, region, kmsKeyArn, serviceAccountName, credentialsSecretName, scriptsConfigMap]) => ({
          bucket: bucketName,
          region,
          kmsKeyArn,
          pushgatewayUrl: inputs.pushgatewayUrl,
          serviceAccountName,
          ...(credentialsSecretName ? { credentialsSecretName } : {}),
          scriptsConfigMap,
          labels: platform.labels,
          schedule,
        }));
    };
    const role = backupNamespaceRole(t);
    new BackupTargetJobs(
      t.name,
      {
        target: t,
        backup: { namespace: platform.namespaces[role], context: contextFor(`backup-${t.name}`, s.schedule, role) },
        drill: { namespace: platform.namespaces.backups, context: contextFor(`drill-${t.name}`, s.drillSchedule, "backups") },
        monitoringNamespace: config.namespaces.monitoring,
      },
      { ...platform.k8sOpts, dependsOn: [inputs.archive.identityComponents[`backup-${t.name}`]!, inputs.archive.identityComponents[`drill-${t.name}`]!] },
    );
  }

  new BackupMonitoring(
    "backups",
    {
      namespace: platform.namespaces.monitoring,
      runbookBaseUrl: backupRunbookBaseUrl(config.alerting.runbookBaseUrl),
      pvcNamespaces: inputs.pvcNamespaces,
      labels: platform.labels,
      ruleLabels: PLATFORM_RULE_LABELS,
      targets: scheduled.map((s) => ({
        name: s.target.name,
        kind: s.target.kind,
        intervalHours: s.intervalHours,
        drillIntervalHours: s.drillIntervalHours,
        // A run that ends without any push (the pod was killed before its report, a NetworkPolicy dropped it) is
        // caught through the jobs' schedule in kube-state-metrics, each CronJob in the namespace it runs in.
        cronJobs: {
          backup: { namespace: config.namespaces[backupNamespaceRole(s.target)], name: `strata-backup-${s.target.name}` },
          drill: { namespace: config.namespaces.backups, name: `strata-drill-${s.target.name}` },
          reportWithinSeconds: ACTIVE_DEADLINE_SECONDS,
        },
      })),
    },
    platform.k8sOpts,
  );

  return {
    bucket: bucket.name,
    targets: Object.fromEntries(
      scheduled.map((s) => [
        s.target.name,
        {
          kind: s.target.kind,
          prefix: backupPrefix(s.target.kind, s.target.name),
          writerIdentity: inputs.archive.identities[`backup-${s.target.name}`]!.principalArn,
          schedule: s.schedule,
          drillSchedule: s.drillSchedule,
        },
      ]),
    ),
    scheduled,
  };
}

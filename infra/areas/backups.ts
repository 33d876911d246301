import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../platform";
import type { Archive } from "./archive";
import { backupPrefix } from "./archive";
import { BackupScripts } from "../../components/backup/backupScripts";
import { BackupTargetJobs } from "../../components/backup/backupTarget";
import { defaultBackupSchedule, defaultDrillSchedule, intervalHours } from "../../components/backup/schedule";
import type { JobContext } from "../../components/backup/cronJob";
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

export function declareBackups(platform: Platform, inputs: { archive: Archive; targets: readonly BackupTarget[]; pushgatewayUrl: string }) {
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

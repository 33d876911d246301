import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { resolveNamespace, type Platform, type ResolvedNamespace } from "../platform";
import type { Archive, IdentityOutputs } from "./archive";
import { backupPrefix } from "./archive";
import { BackupScripts } from "../../components/backup/backupScripts";
import { BackupTargetJobs } from "../../components/backup/backupTarget";
import { defaultBackupSchedule, defaultDrillSchedule, intervalHours } from "../../components/backup/schedule";
import { ACTIVE_DEADLINE_SECONDS, cronJobName, type JobContext } from "../../components/backup/cronJob";
import { BackupMonitoring } from "../../components/backup/backupMonitoring";
import { backupRunbookBaseUrl } from "../../components/backup/alerts";
import { PLATFORM_RULE_LABELS } from "./alerting";
import type { BackupTarget } from "../config/sections/backups";
import { backupJobNamespace } from "../backupTargets";
import { claimCoverage } from "../restorability/coverage";
import { pitrSettings } from "../../components/backup/pitr";
import { WalReceiver } from "../../components/backup/walReceiver";
import { claimNameOf } from "../adoption";
import { ageRecipientOf, IDENTITY_KEY, identitySecretName, RECIPIENT_KEY, recipientSecretName } from "../../components/backup/encryption";
import { effectiveBackupEncryption } from "../config/sections/archive";
import { UNDECRYPTED_SECRET } from "../config/undecrypted";

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

/** The resource name of the scripts' ConfigMap in one namespace (Strata's keep the names they have always had). */
const scriptsResourceName = (ns: ResolvedNamespace) => (ns.role === "backups" ? "backup-scripts" : ns.role ? `backup-scripts-${ns.role}` : `backup-scripts-app-${ns.name}`);

/** The PITR alert thresholds of a target with PITR on. */
function pitrAlerts(target: BackupTarget) {
  const p = pitrSettings(target);
  if (!p) return {};
  const { rpoSeconds, uploadIntervalSeconds, maxRetainedWalBytes, baseBackupIntervalHours, drillIntervalHours } = p;
  return { pitr: { rpoSeconds, uploadIntervalSeconds, maxRetainedWalBytes, baseBackupIntervalHours, drillIntervalHours } };
}

export interface BackupsInputs {
  archive: Archive;
  targets: readonly BackupTarget[];
  pushgatewayUrl: string;
  pvcNamespaces: string[];
  /** What a target's backup job mounts that another area creates (the telemetry store's claim and Secrets). */
  prerequisitesOf: (target: BackupTarget) => pulumi.Resource[];
  /** The class of the WAL receivers' claims (PITR targets): an output of the class, so the claims wait for it. */
  storageClassName: pulumi.Input<string>;
}

/** Who writes a target's backups: its IAM principal, or on a store without IAM the Secret with the shared key. */
function writerIdentity(identity: IdentityOutputs): pulumi.Output<string> {
  return identity.principalArn ?? pulumi.interpolate`${identity.namespace}/${identity.credentialsSecret!}`;
}

export function declareBackups(platform: Platform, inputs: BackupsInputs) {
  const { config } = platform;
  const bucket = inputs.archive.buckets.backups!;
  const scheduled = scheduledTargets(inputs.targets);
  // A pod mounts only ConfigMaps of its own namespace: one copy of the scripts in every namespace a job runs in.
  const scripts = new Map<string, BackupScripts>();
  const scriptsIn = (ns: ResolvedNamespace) => {
    if (!scripts.has(ns.name)) scripts.set(ns.name, new BackupScripts(scriptsResourceName(ns), { namespace: ns.input, labels: platform.labels }, platform.k8sOpts));
    return scripts.get(ns.name)!;
  };
  const drillNamespace = resolveNamespace(platform, { role: "backups" });
  // What every job in one namespace shares, combined once per namespace rather than once per job: a stack may have
  // hundreds of targets.
  const store = inputs.archive.store;
  const archiveTarget = pulumi.all([bucket.name, store.endpoint ? store.region : bucket.region, inputs.archive.kmsKeyArn]);
  const sharedContexts = new Map<string, pulumi.Output<Omit<JobContext, "serviceAccountName" | "credentialsSecretName" | "schedule">>>();
  const sharedContextIn = (ns: ResolvedNamespace) => {
    if (!sharedContexts.has(ns.name)) {
      sharedContexts.set(
        ns.name,
        pulumi.all([archiveTarget, scriptsIn(ns).configMapName]).apply(([[bucketName, region, kmsKeyArn], scriptsConfigMap]) => ({
          bucket: bucketName,
          region,
          ...(kmsKeyArn ? { kmsKeyArn } : {}),
          ...(store.endpoint ? { endpoint: store.endpoint } : {}),
          ...(store.checksumsWhenRequired ? { checksumsWhenRequired: true } : {}),
          ...(store.copyObject ? {} : { serverSideCopy: false }),
          pushgatewayUrl: inputs.pushgatewayUrl,
          scriptsConfigMap,
          labels: platform.labels,
        })),
      );
    }
    return sharedContexts.get(ns.name)!;
  };

  // Client-side encryption (archive.backupEncryption): the recipient, derived from the identity, in every namespace
  // where backup jobs run; the identity only in the drills' namespace. Both are Secrets from the Pulumi secret.
  const ageIdentity = effectiveBackupEncryption(config.archive) === "age" ? platform.secrets.backupAgeIdentity : undefined;
  if (effectiveBackupEncryption(config.archive) === "age" && !ageIdentity) throw new Error("strata:backupAgeIdentity was not validated");
  const encryptionSecrets = new Map<string, k8s.core.v1.Secret>();
  const encryptionSecretIn = (ns: ResolvedNamespace, which: "recipient" | "identity"): k8s.core.v1.Secret => {
    const id = `${scriptsResourceName(ns)}-age-${which}`;
    if (!encryptionSecrets.has(id)) {
      // Offline without the passphrase the identity is not known; `pulumi up` always has it.
      const value = which === "identity" ? ageIdentity! : ageIdentity!.apply((v) => (v === UNDECRYPTED_SECRET ? v : ageRecipientOf(v)));
      const secret = new k8s.core.v1.Secret(
        id,
        {
          metadata: { name: which === "identity" ? identitySecretName : recipientSecretName, namespace: ns.input, labels: platform.labels },
          type: "Opaque",
          stringData: pulumi.secret(pulumi.output(value).apply((v) => ({ [which === "identity" ? IDENTITY_KEY : RECIPIENT_KEY]: v }))),
        },
        { provider: platform.providers.k8s },
      );
      encryptionSecrets.set(id, secret);
    }
    return encryptionSecrets.get(id)!;
  };
  const encryptionContext = ageIdentity ? { encryption: { recipientSecretName, identitySecretName } } : {};

  const jobs = scheduled.map((s) => {
    const t = s.target;
    // The identity's names are fixed by config; the jobs wait for its resources through dependsOn below.
    const contextFor = (workload: string, schedule: string, ns: ResolvedNamespace): pulumi.Output<JobContext> => {
      const identity = inputs.archive.identityNames[workload];
      if (!identity) throw new Error(`backup target ${t.name}: no workload identity ${workload}`);
      return sharedContextIn(ns).apply((shared) => ({
        ...shared,
        serviceAccountName: identity.serviceAccountName,
        ...(identity.credentialsSecretName ? { credentialsSecretName: identity.credentialsSecretName } : {}),
        ...encryptionContext,
        schedule,
      }));
    };
    const backupNamespace = resolveNamespace(platform, backupJobNamespace(t));
    const pitr = pitrSettings(t);
    if (pitr) {
      new WalReceiver(
        `${t.name}-wal`,
        {
          target: t,
          namespace: backupNamespace.input,
          context: contextFor(`wal-${t.name}`, pitr.baseBackupSchedule, backupNamespace),
          storageClassName: inputs.storageClassName,
          labels: platform.labels,
          claimOptions: platform.stateful,
          dependsOn: { statefulSet: [inputs.archive.identityComponents[`wal-${t.name}`]!, ...(ageIdentity ? [encryptionSecretIn(backupNamespace, "recipient")] : [])] },
        },
        platform.k8sOpts,
      );
    }
    new BackupTargetJobs(
      t.name,
      {
        target: t,
        // Each job runs as its identity's ServiceAccount (and on hcloud mounts its keys' Secret): both exist first.
        backup: {
          namespace: backupNamespace.input,
          context: contextFor(`backup-${t.name}`, s.schedule, backupNamespace),
          dependsOn: [inputs.archive.identityComponents[`backup-${t.name}`]!, ...inputs.prerequisitesOf(t), ...(ageIdentity ? [encryptionSecretIn(backupNamespace, "recipient")] : [])],
        },
        drill: {
          namespace: drillNamespace.input,
          context: contextFor(`drill-${t.name}`, s.drillSchedule, drillNamespace),
          dependsOn: [inputs.archive.identityComponents[`drill-${t.name}`]!, ...(ageIdentity ? [encryptionSecretIn(drillNamespace, "identity")] : [])],
        },
        ...(pitr
          ? {
              basebackup: { namespace: backupNamespace.input, context: contextFor(`backup-${t.name}`, pitr.baseBackupSchedule, backupNamespace), dependsOn: [inputs.archive.identityComponents[`backup-${t.name}`]!, ...(ageIdentity ? [encryptionSecretIn(backupNamespace, "recipient")] : [])] },
              "pitr-drill": { namespace: drillNamespace.input, context: contextFor(`drill-${t.name}`, pitr.drillSchedule, drillNamespace), dependsOn: [inputs.archive.identityComponents[`drill-${t.name}`]!, ...(ageIdentity ? [encryptionSecretIn(drillNamespace, "identity")] : [])] },
            }
          : {}),
        monitoringNamespace: config.namespaces.monitoring,
        labels: platform.labels,
        protectsClaims: Object.entries(config.storage.claims)
          .filter(([service, claim]) => claimCoverage(service, claim, [t]).length > 0)
          .map(([service, claim]) => `${claim.namespace}/${claimNameOf(config, service)}`),
      },
      platform.k8sOpts,
    );
    return { scheduled: s, backup: { namespace: backupNamespace.name, name: cronJobName(t, "backup") }, drill: { namespace: drillNamespace.name, name: cronJobName(t, "drill") } };
  });

  new BackupMonitoring(
    "backups",
    {
      namespace: platform.namespaces.monitoring,
      runbookBaseUrl: backupRunbookBaseUrl(config.alerting.runbookBaseUrl),
      pvcNamespaces: inputs.pvcNamespaces,
      labels: platform.labels,
      ruleLabels: PLATFORM_RULE_LABELS,
      ruleDependsOn: [platform.monitoringCrds],
      targets: jobs.map(({ scheduled: s, backup, drill }) => ({
        name: s.target.name,
        kind: s.target.kind,
        intervalHours: s.intervalHours,
        drillIntervalHours: s.drillIntervalHours,
        // A run that ends without any push (the pod was killed before its report, a NetworkPolicy dropped it) is
        // caught through the jobs' schedule in kube-state-metrics.
        cronJobs: { backup, drill, reportWithinSeconds: ACTIVE_DEADLINE_SECONDS },
        ...pitrAlerts(s.target),
      })),
    },
    platform.k8sOpts,
  );

  // The backups namespace's copy of the scripts (every drill runs there): the off-site copy runs from it too.
  const backupsNamespaceScripts = scriptsIn(drillNamespace);
  return {
    scripts: { configMapName: backupsNamespaceScripts.configMapName, resource: backupsNamespaceScripts },
    bucket: bucket.name,
    targets: Object.fromEntries(
      scheduled.map((s) => [
        s.target.name,
        {
          kind: s.target.kind,
          prefix: backupPrefix(s.target.kind, s.target.name),
          writerIdentity: writerIdentity(inputs.archive.identities[`backup-${s.target.name}`]!),
          schedule: s.schedule,
          drillSchedule: s.drillSchedule,
        },
      ]),
    ),
    scheduled,
  };
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { resolveNamespace, type Platform, type ResolvedNamespace } from "../platform";
import type { Archive, ArchiveIdentity, IdentityOutputs } from "./archive";
import { BackupScripts } from "../../components/backup/backupScripts";
import { BackupTargetJobs } from "../../components/backup/backupTarget";
import { ACTIVE_DEADLINE_SECONDS, cronJobName, type JobContext } from "../../components/backup/cronJob";
import { BackupMonitoring } from "../../components/backup/backupMonitoring";
import { backupRunbookBaseUrl } from "../../components/backup/alerts";
import { PLATFORM_RULE_LABELS } from "./alerting";
import type { BackupTarget } from "../config/sections/backups";
import type { PitrSettings } from "../../components/backup/pitr";
import { WalReceiver } from "../../components/backup/walReceiver";
import { ageRecipientOf, IDENTITY_KEY, identitySecretName, RECIPIENT_KEY, recipientSecretName } from "../../components/backup/encryption";
import { effectiveBackupEncryption } from "../config/sections/archive";
import { UNDECRYPTED_SECRET } from "../config/undecrypted";

/** The resource name of the backup ConfigMap in one namespace (Strata's keep the names they have always had). */
const scriptsResourceName = (ns: ResolvedNamespace) => (ns.role === "backups" ? "backup-scripts" : ns.role ? `backup-scripts-${ns.role}` : `backup-scripts-app-${ns.name}`);

/** The PITR alert thresholds of a target with PITR on. */
function pitrAlerts(p: PitrSettings | undefined) {
  if (!p) return {};
  const { rpoSeconds, uploadIntervalSeconds, maxRetainedWalBytes, baseBackupIntervalHours, drillIntervalHours } = p;
  return { pitr: { rpoSeconds, uploadIntervalSeconds, maxRetainedWalBytes, baseBackupIntervalHours, drillIntervalHours } };
}

export interface BackupsInputs {
  archive: Archive;
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
  // Resolved once by the program (infra/backupTargets.ts): schedules, namespaces, prefixes, identities, claims.
  const scheduled = platform.backups.targets;
  // A pod mounts only ConfigMaps of its own namespace: one copy of the runtime's ConfigMap in every namespace a job runs in.
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
    const identities = inputs.archive.targetIdentities[t.name];
    if (!identities) throw new Error(`backup target ${t.name}: the archive declared no identities for it`);
    // The identity's names are fixed by config; the jobs wait for its resources through dependsOn below.
    const contextFor = ({ names: identity }: ArchiveIdentity, schedule: string, ns: ResolvedNamespace): pulumi.Output<JobContext> => {
      return sharedContextIn(ns).apply((shared) => ({
        ...shared,
        serviceAccountName: identity.serviceAccountName,
        ...(identity.credentialsSecretName ? { credentialsSecretName: identity.credentialsSecretName } : {}),
        ...encryptionContext,
        schedule,
      }));
    };
    const backupNamespace = resolveNamespace(platform, s.jobNamespace);
    const pitr = s.pitr;
    if (pitr && identities.wal) {
      new WalReceiver(
        `${t.name}-wal`,
        {
          target: t,
          namespace: backupNamespace.input,
          context: contextFor(identities.wal, pitr.baseBackupSchedule, backupNamespace),
          storageClassName: inputs.storageClassName,
          labels: platform.labels,
          claimOptions: platform.stateful,
          dependsOn: { statefulSet: [identities.wal.component, ...(ageIdentity ? [encryptionSecretIn(backupNamespace, "recipient")] : [])] },
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
          context: contextFor(identities.backup, s.schedule, backupNamespace),
          dependsOn: [identities.backup.component, ...inputs.prerequisitesOf(t), ...(ageIdentity ? [encryptionSecretIn(backupNamespace, "recipient")] : [])],
        },
        drill: {
          namespace: drillNamespace.input,
          context: contextFor(identities.drill, s.drillSchedule, drillNamespace),
          dependsOn: [identities.drill.component, ...(ageIdentity ? [encryptionSecretIn(drillNamespace, "identity")] : [])],
        },
        ...(pitr
          ? {
              basebackup: { namespace: backupNamespace.input, context: contextFor(identities.backup, pitr.baseBackupSchedule, backupNamespace), dependsOn: [identities.backup.component, ...(ageIdentity ? [encryptionSecretIn(backupNamespace, "recipient")] : [])] },
              "pitr-drill": { namespace: drillNamespace.input, context: contextFor(identities.drill, pitr.drillSchedule, drillNamespace), dependsOn: [identities.drill.component, ...(ageIdentity ? [encryptionSecretIn(drillNamespace, "identity")] : [])] },
            }
          : {}),
        monitoringNamespace: config.namespaces.monitoring,
        labels: platform.labels,
        protectsClaims: s.protectsClaims,
      },
      platform.k8sOpts,
    );
    return { scheduled: s, writer: identities.backup.outputs, backup: { namespace: backupNamespace.name, name: cronJobName(t, "backup") }, drill: { namespace: drillNamespace.name, name: cronJobName(t, "drill") } };
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
        ...pitrAlerts(s.pitr),
      })),
    },
    platform.k8sOpts,
  );

  // The backups namespace's copy of the ConfigMap (every drill runs there): the off-site copy runs from it too.
  const backupsNamespaceScripts = scriptsIn(drillNamespace);
  return {
    scripts: { configMapName: backupsNamespaceScripts.configMapName, resource: backupsNamespaceScripts },
    bucket: bucket.name,
    targets: Object.fromEntries(
      jobs.map(({ scheduled: s, writer }) => [
        s.target.name,
        {
          kind: s.target.kind,
          prefix: s.prefix,
          writerIdentity: writerIdentity(writer),
          schedule: s.schedule,
          drillSchedule: s.drillSchedule,
        },
      ]),
    ),
    scheduled,
  };
}

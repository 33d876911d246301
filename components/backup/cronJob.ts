import { scheduledJobSpec } from "../platform/scheduledJob";
import type { BackupTargetSpec as BackupTarget } from "./targetSpec";
import { IMAGES, imageRef } from "../versions";
import { IDENTITY_KEY, IDENTITY_MOUNT, RECIPIENT_KEY } from "./encryption";
import { BACKUP_CONTRACT_ENV, EXIT, NOT_RETRIED, phaseEnv, SCHEDULED_JOB_DEADLINE_SECONDS, SCHEDULED_PHASE_WAIT_SECONDS } from "./contract";
import { archiveEnv, env, NODE_BINARY, resources, runtimeNode, secretEnv, TOOLS_BIN, WORK_DIR, type ArchiveContext, type BinaryCopy, type Container, type Recipe } from "./containers";
import { backupPodSpec, RUNTIME_BINARIES_MIB, type BackupContainer, type WorkVolume } from "./podSpec";
import { kindDriver, type ExtraPhase } from "./kinds";
import { pitrRequired } from "./kinds/postgresql/pitr";

// Where these lived before the kinds' drivers (components/backup/kinds/); their importers keep importing them here.
export { archiveEnv, env, S3_COMPATIBLE_CHECKSUM_ENV, SCRIPTS_MOUNT, WORK_DIR } from "./containers";
export { pitrPostgresImage } from "./kinds/postgresql";
export { PROMETHEUS_SNAPSHOT_SOURCE } from "./kinds/prometheus-snapshot";
export { SQLITE_SOURCE } from "./kinds/sqlite";

/** Everything a job needs that is not the target itself: where to write, how to report, who it runs as. */
export interface JobContext extends ArchiveContext {
  serviceAccountName: string;
  /** hcloud: the job's own static S3 credentials. */
  credentialsSecretName?: string;
  scriptsConfigMap: string;
  labels: Record<string, string>;
  schedule: string;
  /**
   * Client-side age encryption (components/backup/encryption.ts): the Secrets, in the job's namespace, holding the
   * recipient (given to backup jobs only) and the identity (mounted in drills only).
   */
  encryption?: { recipientSecretName: string; identitySecretName: string };
}

/** The exit statuses that a retry cannot change (the backup contract's, components/backup/contract/exitCodes.ts). */
export const SCRIPT_EXIT = { config: EXIT.config, pushFailed: EXIT.pushFailed, decrypt: EXIT.decrypt } as const;

/** A Job's hard limit; each phase gives up and reports 10 minutes earlier so the failure is always pushed (contract/phases.ts). */
export const ACTIVE_DEADLINE_SECONDS = SCHEDULED_JOB_DEADLINE_SECONDS;

/**
 * age and age-keygen, static binaries copied from a pinned image that ships FiloSottile's release builds
 * (components/versions.ts, IMAGES.age) by an init container, like promtool: Strata publishes no image of its own.
 */
const AGE_BINARIES: BinaryCopy = { name: "age", image: IMAGES.age, copies: ["/usr/local/bin/age", "/usr/local/bin/age-keygen"], resources: resources("50m", "64Mi", "200m"), runAsUser: 65534 };

/** The init container that copies age into `binDir`, for the pods outside a recipe (the WAL receiver, the restore Job). */
export function ageInitContainer(runAsUser: number, binDir: string): BackupContainer {
  return { name: AGE_BINARIES.name, image: imageRef(IMAGES.age), run: { copies: AGE_BINARIES.copies, binDir }, resources: AGE_BINARIES.resources, runAsUser };
}

/** The init container that copies node into `binDir`, for the runtime's pods outside a recipe (the WAL receiver, the restore Job). */
export function nodeInitContainer(runAsUser: number, binDir: string): BackupContainer {
  return { name: NODE_BINARY.name, image: imageRef(IMAGES.node), run: { copies: NODE_BINARY.copies, binDir }, resources: NODE_BINARY.resources, runAsUser };
}

/** What a pod that encrypts needs: the recipient (public) from its Secret. */
export const ageRecipientEnv = (recipientSecretName: string) => secretEnv("AGE_RECIPIENT", { name: recipientSecretName, key: RECIPIENT_KEY });

const IDENTITY_VOLUME = "age-identity";
/**
 * What a pod that decrypts needs: the identity's Secret as a volume readable by the pod's fsGroup only (every pod that
 * decrypts sets one), its mount, and the file's path for the runtime.
 */
export const ageIdentity = (identitySecretName: string) => ({
  env: env("AGE_IDENTITY_FILE", `${IDENTITY_MOUNT}/${IDENTITY_KEY}`),
  volumeMount: { name: IDENTITY_VOLUME, mountPath: IDENTITY_MOUNT, readOnly: true },
  volume: { name: IDENTITY_VOLUME, secret: { secretName: identitySecretName, defaultMode: 0o440 } },
});

/** The backup contract (components/backup/contract/) as every backup, drill, WAL receiver and restore container's environment. */
export const backupContractEnv = () => Object.entries(BACKUP_CONTRACT_ENV).map(([k, v]) => env(k, v));

/**
 * The recipe with client-side encryption where the stack has it: backup jobs (the base backup's too) get the recipient,
 * drills (the point-in-time drill's too) the identity file; both get age copied beside the runtime.
 */
function withEncryption(recipe: Recipe, phase: JobPhase, ctx: JobContext): Recipe {
  const enc = ctx.encryption;
  if (!enc) return recipe;
  const role = POD_ROLE[phase];
  const identity = ageIdentity(enc.identitySecretName);
  const add: Partial<Container> = role === "backup" ? { env: [ageRecipientEnv(enc.recipientSecretName)] } : { env: [identity.env], volumeMounts: [identity.volumeMount] };
  return {
    ...recipe,
    initContainers: [...(recipe.initContainers ?? []), { ...AGE_BINARIES, runAsUser: recipe.containers[0]!.runAsUser }],
    containers: recipe.containers.map((c) => ({ ...c, env: [...(c.env ?? []), ...add.env!], volumeMounts: [...(c.volumeMounts ?? []), ...(add.volumeMounts ?? [])] })),
    volumes: [...(recipe.volumes ?? []), ...(role === "drill" ? [identity.volume] : [])],
  };
}

/** A recipe's container for the pod builder (components/backup/podSpec.ts): the runtime's command and its environment. */
function backupContainer(c: Container, base: Record<string, unknown>[], ctx: JobContext): BackupContainer {
  return {
    name: c.name,
    image: typeof c.image === "string" ? c.image : imageRef(c.image),
    run: { runtime: c.runtime, node: runtimeNode(c) },
    // The runtime finds the binaries init containers copied (age, promtool) through TOOLS_DIR.
    env: [...base, ...archiveEnv(ctx, "runtime"), env("TOOLS_DIR", TOOLS_BIN), ...(c.env ?? [])],
    ...(ctx.credentialsSecretName ? { envFromSecret: ctx.credentialsSecretName } : {}),
    resources: c.resources,
    runAsUser: c.runAsUser,
    ...(c.volumeMounts ? { volumeMounts: c.volumeMounts } : {}),
  };
}

/** A recipe's init container for the pod builder: its binaries copied into TOOLS_BIN. */
const binaryCopy = (c: BinaryCopy): BackupContainer => ({ name: c.name, image: imageRef(c.image), run: { copies: c.copies, binDir: TOOLS_BIN }, resources: c.resources, runAsUser: c.runAsUser });

/** `basebackup` and `pitr-drill` are a PITR target's physical backup and point-in-time drill. */
export type JobPhase = "backup" | "drill" | ExtraPhase;

/** The pod of one phase of one target, as its kind's driver (components/backup/kinds/) describes it. */
function phaseRecipe(target: BackupTarget, phase: JobPhase, monitoringNamespace: string): Recipe {
  const driver = kindDriver(target.kind);
  if (phase === "backup") return driver.backup(target, monitoringNamespace);
  if (phase === "drill") return driver.drill(target);
  if (!driver.phase) throw new Error(pitrRequired(target.name));
  return driver.phase(phase, target);
}

/** The CronJob of one phase of one target (alerts find it under this name in kube-state-metrics). */
export const cronJobName = (target: Pick<BackupTarget, "name">, phase: JobPhase) => `strata-${phase}-${target.name}`;

/** Which network role a phase's pods play: a base backup is a backup, a point-in-time drill is a drill. */
const POD_ROLE: Record<JobPhase, "backup" | "drill"> = { backup: "backup", drill: "drill", basebackup: "backup", "pitr-drill": "drill" };

/** The label every pod of one phase carries, whatever its target (NetworkPolicies select backup pods by it). */
export const phasePodLabels = (phase: JobPhase) => ({ "app.kubernetes.io/name": `strata-${POD_ROLE[phase]}` });

/** The labels of a phase's CronJob, its Jobs and their pods. */
function jobLabels(target: BackupTarget, phase: JobPhase, platformLabels: Record<string, string>): Record<string, string> {
  return {
    ...platformLabels,
    ...phasePodLabels(phase),
    "app.kubernetes.io/instance": target.name,
    "strata.io/backup-target": target.name,
    "strata.io/backup-kind": target.kind,
    ...(phase === "basebackup" || phase === "pitr-drill" ? { "app.kubernetes.io/component": phase } : {}),
  };
}

/**
 * The CronJob's metadata. Generic in the namespace so that a component can pass the Namespace resource's output
 * through as it is (and with it the dependency on that resource).
 */
export function backupCronJobMetadata<N>(target: BackupTarget, phase: JobPhase, namespace: N, platformLabels: Record<string, string>, protectsClaims: readonly string[] = []) {
  return {
    name: cronJobName(target, phase),
    namespace,
    labels: jobLabels(target, phase, platformLabels),
    // The claims whose data this backup protects, `<namespace>/<claim>` (infra/restorability/coverage.ts decides):
    // what strata-pvc-require-backup-target reads, since a dump over the network shows no link to the claim itself.
    ...(phase === "backup" && protectsClaims.length > 0 ? { annotations: { [PROTECTS_CLAIMS_ANNOTATION]: protectsClaims.join(",") } } : {}),
  };
}

/** The backup CronJob's annotation listing the claims it protects (see backupCronJobMetadata). */
export const PROTECTS_CLAIMS_ANNOTATION = "strata.io/protects-claims";

/**
 * A hardened CronJob for one phase of one target: Forbid overlap, deadlines so a hung run is killed and reported,
 * bounded history, non-root read-only containers with every capability dropped, bounded scratch space, pinned
 * images, and the target's own ServiceAccount (its workload identity).
 */
export function backupCronJob(target: BackupTarget, phase: JobPhase, namespace: string, monitoringNamespace: string, ctx: JobContext): Record<string, unknown> {
  return { apiVersion: "batch/v1", kind: "CronJob", metadata: backupCronJobMetadata(target, phase, namespace, ctx.labels), spec: backupCronJobSpec(target, phase, monitoringNamespace, ctx) };
}

/** The CronJob's spec (see backupCronJob). */
export function backupCronJobSpec(target: BackupTarget, phase: JobPhase, monitoringNamespace: string, ctx: JobContext): Record<string, any> {
  const recipe = withEncryption(phaseRecipe(target, phase, monitoringNamespace), phase, ctx);
  // The runtime bundles the backup contract (components/backup/contract/): the environment says only which run this is.
  const base = [
    env("BACKUP_KIND", target.kind),
    env("BACKUP_TARGET", target.name),
    env("WORK_DIR", WORK_DIR),
    env("BACKUP_COMPRESSION", recipe.compression),
    ...Object.entries(phaseEnv(SCHEDULED_PHASE_WAIT_SECONDS)).map(([k, v]) => env(k, v)),
    env("TMPDIR", "/tmp"),
    ...(recipe.env ?? []),
  ];
  const labels = jobLabels(target, phase, ctx.labels);
  const scratchGiB = target.scratchSizeGiB ?? 10;
  // A runtime pod copies node (and age) into the scratch volume (TOOLS_BIN): room for them on top, so that the dump or
  // the drill's throwaway server keeps all of the target's scratch space.
  const work: WorkVolume = { name: "work", mountPath: WORK_DIR, sizeLimit: `${scratchGiB * 1024 + RUNTIME_BINARIES_MIB}Mi` };
  return scheduledJobSpec({
    schedule: ctx.schedule,
    labels,
    activeDeadlineSeconds: ACTIVE_DEADLINE_SECONDS,
    serviceAccountName: ctx.serviceAccountName,
    // A configuration error fails the same way again; a failed push follows a good backup or drill (already in the
    // bucket and logged) that a retry would only repeat; a drill that cannot decrypt has the wrong identity or none,
    // which a retry does not change. A run whose push failed cannot report itself, so StrataBackupRunNotReported
    // (alerts.ts) catches it.
    failJobExitCodes: [...NOT_RETRIED],
    pod: backupPodSpec({
      security: {
        ...(recipe.runAsGroup !== undefined ? { runAsGroup: recipe.runAsGroup } : {}),
        ...(recipe.fsGroup !== undefined ? { fsGroup: recipe.fsGroup } : {}),
        ...(recipe.supplementalGroups ? { supplementalGroups: recipe.supplementalGroups } : {}),
      },
      ...(recipe.affinity ? { extra: { affinity: recipe.affinity } } : {}),
      scriptsConfigMap: ctx.scriptsConfigMap,
      work,
      ...(recipe.initContainers ? { initContainers: recipe.initContainers.map(binaryCopy) } : {}),
      containers: recipe.containers.map((c) => backupContainer(c, base, ctx)),
      ...(recipe.volumes ? { volumes: recipe.volumes } : {}),
    }),
  });
}

import type { BackupTargetSpec as BackupTarget } from "./targetSpec";
import { resources } from "../platform/containerDefaults";
import { imageRef } from "../versions";
import { ageIdentity, ageInitContainer, nodeInitContainer, pitrPostgresImage, S3_COMPATIBLE_CHECKSUM_ENV } from "./cronJob";
import { pitrSettings } from "./pitr";
import { backupPodSpec, env, IMAGE_UID, type BackupContainer, type WorkVolume } from "./podSpec";
import { phaseEnv, RESTORE_JOB_DEADLINE_SECONDS, RESTORE_PHASE_WAIT_SECONDS } from "./contract";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "./runtime/bundle";

/** Where the restore container mounts the new claim; the data directory is a subdirectory (the root may hold lost+found). */
export const RESTORE_CLAIM_MOUNT = "/var/lib/strata-restore";
export const RESTORE_DATA_DIR = `${RESTORE_CLAIM_MOUNT}/pgdata`;
const WORK = "/work";

/** The runtime the Job runs, the same loader and bundle as the CronJobs' ConfigMap holds (components/backup/runtime/bundle.ts). */
function restoreRuntime(): { data: Record<string, string>; binaryData: Record<string, string> } {
  const files = runtimeFiles();
  return { data: { [RUNTIME_LOADER]: files.loader }, binaryData: { [RUNTIME_BUNDLE]: files.bundle.toString("base64") } };
}

export interface PointInTimeRestoreInput {
  target: BackupTarget;
  /** An ISO-8601 time, or `latest`. */
  time: string;
  /** The backups namespace: the drill's read-only identity lives there, and so the Job and the new claim do. */
  namespace: string;
  bucket: string;
  region: string;
  storageClassName: string;
  claimSize: string;
  /** The name of the new claim (and of the Job and its ConfigMap of scripts). */
  name: string;
  serviceAccountName: string;
  /** hcloud: the drill identity's static S3 credentials Secret. */
  credentialsSecretName?: string;
  s3EndpointUrl?: string;
  /** An S3-compatible store: the AWS CLI sends and checks checksums only where an operation requires them. */
  checksumsWhenRequired?: boolean;
  /**
   * Client-side age encryption (archive.backupEncryption): the Secret in `namespace` holding the identity (the drills'
   * one), mounted in the fetch container only, which decrypts the base backup and the WAL as it downloads them.
   */
  encryption?: { identitySecretName: string };
  labels: Record<string, string>;
}

/** Why a restore of `target` to `time` cannot be rendered, or undefined. */
export function pointInTimeRestoreProblem(target: BackupTarget | undefined, time: string, claimSize: string): string | undefined {
  if (!target) return "no such backup target";
  if (!pitrSettings(target)) return `target ${target.name} has no PITR (set backups.targets[].pitr.enabled on a postgresql target)`;
  if (time !== "latest" && (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(time) || Number.isNaN(Date.parse(time)))) {
    return `--time '${time}' must be an ISO-8601 time with a zone (e.g. 2026-12-03T08:10:00Z) or latest`;
  }
  if (!/^[1-9]\d*Gi$/.test(claimSize)) return `--size '${claimSize}' must be whole GiB such as 50Gi (room for the whole database)`;
  return undefined;
}

/**
 * The objects of one point-in-time restore: a ConfigMap with the runtime, the new claim, and a Job whose one container
 * runs the runtime's pitr-restore (components/backup/kinds/postgresql/pitrRestoreRuntime.ts) in the postgres image of
 * the server's major version, with PITR_TARGET=<time> and PITR_DATA_DIR on the claim; node (and, for an encrypted
 * archive, age) copied in by init containers. The restored data directory is left stopped cleanly, ready for a
 * PostgreSQL of the same major version to start on it. Nothing is pushed (PUSHGATEWAY_URL is not set).
 */
export function pointInTimeRestoreObjects(input: PointInTimeRestoreInput): Record<string, any>[] {
  const problem = pointInTimeRestoreProblem(input.target, input.time, input.claimSize);
  if (problem) throw new Error(problem);
  const settings = pitrSettings(input.target)!;
  const labels = { ...input.labels, "app.kubernetes.io/name": "strata-restore", "app.kubernetes.io/instance": input.target.name, "strata.io/backup-target": input.target.name };
  const identity = input.encryption ? ageIdentity(input.encryption.identitySecretName) : undefined;
  // The postgres image's user, which must own the restored data directory.
  const uid = IMAGE_UID.debianServiceUser;
  // The base backup's WAL since it, compressed, and the copied binaries: sized like the new claim.
  const work: WorkVolume = { name: "work", mountPath: WORK, sizeLimit: input.claimSize };
  const tools = `${WORK}/bin`;
  const restore: BackupContainer = {
    name: "restore",
    image: imageRef(pitrPostgresImage(settings)),
    run: { runtime: "pitr-restore", node: `${tools}/node` },
    env: [
      env("BACKUP_KIND", "postgresql"),
      env("BACKUP_TARGET", input.target.name),
      env("WORK_DIR", WORK),
      env("PITR_TARGET", input.time),
      env("PITR_DATA_DIR", RESTORE_DATA_DIR),
      env("PITR_AMCHECK", 0),
      ...Object.entries(phaseEnv(RESTORE_PHASE_WAIT_SECONDS)).map(([k, v]) => env(k, v)),
      env("TMPDIR", "/tmp"),
      env("TOOLS_DIR", tools),
      env("S3_BUCKET", input.bucket),
      env("AWS_REGION", input.region),
      ...(input.s3EndpointUrl ? [env("S3_ENDPOINT_URL", input.s3EndpointUrl)] : []),
      ...(input.checksumsWhenRequired ? S3_COMPATIBLE_CHECKSUM_ENV : []),
      ...(identity ? [identity.env] : []),
    ],
    ...(input.credentialsSecretName ? { envFromSecret: input.credentialsSecretName } : {}),
    // The recovering server's 2 GiB and the runtime's 256 MiB.
    resources: resources("1", "2304Mi", "2"),
    runAsUser: uid,
    volumeMounts: [{ name: "restored", mountPath: RESTORE_CLAIM_MOUNT }, ...(identity ? [identity.volumeMount] : [])],
  };
  return [
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: input.name, namespace: input.namespace, labels }, ...restoreRuntime() },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: input.name, namespace: input.namespace, labels },
      spec: { accessModes: ["ReadWriteOnce"], storageClassName: input.storageClassName, resources: { requests: { storage: input.claimSize } } },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: input.name, namespace: input.namespace, labels },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: RESTORE_JOB_DEADLINE_SECONDS,
        template: {
          metadata: { labels },
          spec: backupPodSpec({
            extra: { serviceAccountName: input.serviceAccountName, automountServiceAccountToken: false, restartPolicy: "Never" },
            security: { runAsUser: uid, runAsGroup: uid, fsGroup: uid },
            scriptsConfigMap: input.name,
            work,
            // node, and age and age-keygen for an encrypted archive, copied into the work volume as the CronJobs' init containers do.
            initContainers: [nodeInitContainer(uid, tools), ...(identity ? [ageInitContainer(uid, tools)] : [])],
            containers: [restore],
            volumes: [
              { name: "restored", persistentVolumeClaim: { claimName: input.name } },
              ...(identity ? [identity.volume] : []),
            ],
          }),
        },
      },
    },
  ];
}

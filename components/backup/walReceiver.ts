import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { BackupTargetSpec as BackupTarget } from "./targetSpec";
import { resources } from "../platform/containerDefaults";
import { PersistentClaim } from "../storage/persistentClaim";
import type { DataResourceOptions } from "../storage/options";
import { imageRef, IMAGES } from "../versions";
import { ageInitContainer, ageRecipientEnv, archiveEnv, backupContractEnv, env, phasePodLabels, pitrPostgresImage, type JobContext } from "./cronJob";
import { backupPodSpec, IMAGE_UID, pathWith, type BackupContainer, type WorkVolume } from "./podSpec";
import { secretEnv } from "./containers";
import { pitrSettings } from "./pitr";
import { PHASES } from "./contract";

/** Where the receiver's claim is mounted: WORK_DIR of wal-receiver.sh (the WAL, the outbox, the status files). */
export const WAL_RECEIVER_MOUNT = "/var/lib/strata-wal";

/** Where the receiver's init container puts age (client-side encryption): the pod builder's tools directory, on the receive container's PATH. */
const AGE_BIN_DIR = "/opt/strata-age";

export const walReceiverName = (target: Pick<BackupTarget, "name">) => `strata-wal-${target.name}`;

/** The receiver's own pod labels: a backup-role pod (it pushes to the Pushgateway), told apart by its component. */
export function walReceiverLabels(target: BackupTarget, platformLabels: Record<string, string>): Record<string, string> {
  return {
    ...platformLabels,
    ...phasePodLabels("backup"),
    "app.kubernetes.io/instance": target.name,
    "app.kubernetes.io/component": "wal-receiver",
    "strata.io/backup-target": target.name,
    "strata.io/backup-kind": target.kind,
  };
}


/**
 * The WAL receiver of one PITR target as plain data: one replica (two receivers on one slot would fight over it),
 * never two at once during an update (OrderedReady, and the slot refuses a second consumer anyway), the claim named
 * by `claimName` as its WORK_DIR. Two containers: `receive` (postgres image: pg_receivewal on the slot, zstd staging)
 * and `upload` (AWS CLI: the outbox to S3, the state to the Pushgateway). With client-side encryption
 * (`ctx.encryption`) the receive container gets the recipient, never the identity, and age from an init container: it
 * encrypts each compressed segment before it is staged, so neither the claim's outbox nor the bucket holds plaintext.
 */
export function walReceiverStatefulSetSpec(target: BackupTarget, claimName: string, ctx: Omit<JobContext, "schedule">): Record<string, any> {
  const settings = pitrSettings(target);
  if (!settings || target.kind !== "postgresql") throw new Error(`backup target ${target.name}: the WAL receiver needs kind postgresql with pitr.enabled`);
  const labels = walReceiverLabels(target, ctx.labels);
  const selector = { "app.kubernetes.io/instance": target.name, "app.kubernetes.io/component": "wal-receiver" };
  const common = [
    env("BACKUP_KIND", target.kind),
    env("BACKUP_TARGET", target.name),
    env("WORK_DIR", WAL_RECEIVER_MOUNT),
    env("PITR_SLOT", settings.slot),
    env("PITR_UPLOAD_INTERVAL_SECONDS", settings.uploadIntervalSeconds),
    env("TMPDIR", "/tmp"),
    ...backupContractEnv(),
  ];
  // Both containers run as the postgres image's user: pg_receivewal writes the claim, the uploader reads it.
  const uid = IMAGE_UID.debianServiceUser;
  const work: WorkVolume = { name: "wal", mountPath: WAL_RECEIVER_MOUNT, claimName };
  const enc = ctx.encryption;
  const ageEnv = enc
    ? [
        ageRecipientEnv(enc.recipientSecretName),
        // The postgres image's own PATH plus age: its binaries live in /usr/lib/postgresql/<major>/bin.
        pathWith(AGE_BIN_DIR, `/usr/lib/postgresql/${settings.serverMajorVersion}/bin`),
      ]
    : [];
  const container = (name: string, image: string, phase: string, extraEnv: Record<string, unknown>[], res: ReturnType<typeof resources>, more: Partial<BackupContainer> = {}): BackupContainer => ({
    name,
    image,
    run: { script: "wal-receiver.sh", args: [phase] },
    env: [...common, ...extraEnv],
    resources: res,
    runAsUser: uid,
    ...more,
  });
  return {
    replicas: 1,
    serviceName: walReceiverName(target),
    podManagementPolicy: "OrderedReady",
    updateStrategy: { type: "RollingUpdate" },
    selector: { matchLabels: selector },
    template: {
      metadata: { labels },
      spec: backupPodSpec({
        extra: {
          serviceAccountName: ctx.serviceAccountName,
          automountServiceAccountToken: false,
          // SIGTERM: the uploader runs one last cycle; the receiver stops pg_receivewal (the slot keeps the rest).
          terminationGracePeriodSeconds: 60,
        },
        security: { runAsUser: uid, runAsGroup: uid, fsGroup: uid },
        scriptsConfigMap: ctx.scriptsConfigMap,
        work,
        ...(enc ? { toolsDir: AGE_BIN_DIR, initContainers: [ageInitContainer(uid, AGE_BIN_DIR)] } : {}),
        containers: [
          container(
            "receive",
            imageRef(pitrPostgresImage(settings)),
            PHASES.walReceiver.receive,
            [env("PGHOST", target.host), env("PGPORT", target.port ?? 5432), env("PGUSER", target.user), secretEnv("PGPASSWORD", target.passwordSecret), ...ageEnv],
            resources("100m", "256Mi", "1"),
          ),
          container("upload", imageRef(IMAGES.awsCli), PHASES.walReceiver.upload, archiveEnv(ctx), resources("100m", "256Mi", "1"), ctx.credentialsSecretName ? { envFromSecret: ctx.credentialsSecretName } : {}),
        ],
      }),
    },
  };
}

export interface WalReceiverArgs {
  target: BackupTarget;
  namespace: pulumi.Input<string>;
  context: pulumi.Output<Omit<JobContext, "schedule">>;
  /** An output of the StorageClass resource, so the claim waits for the class. */
  storageClassName: pulumi.Input<string>;
  labels: Record<string, string>;
  /** Retain and protect: the claim holds WAL not yet in S3 while S3 is unreachable. */
  claimOptions: DataResourceOptions;
  /**
   * What the StatefulSet waits for (a component's own dependsOn does not reach its children): its identity (the
   * ServiceAccount its pods run as, and on hcloud the keys' Secret). The claim waits for its StorageClass through
   * `storageClassName`, an output of the class.
   */
  dependsOn: { statefulSet: pulumi.Input<pulumi.Resource>[] };
}

/** One PITR target's WAL receiver: its Retain claim and its single-replica StatefulSet. */
export class WalReceiver extends pulumi.ComponentResource {
  constructor(name: string, args: WalReceiverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:backup:WalReceiver", name, {}, opts);
    const settings = pitrSettings(args.target);
    if (!settings) throw new Error(`backup target ${args.target.name}: PITR is not enabled`);
    const labels = walReceiverLabels(args.target, args.labels);
    const claim = new PersistentClaim(
      `${name}-claim`,
      { name: walReceiverName(args.target), namespace: args.namespace, size: `${settings.receiverVolumeGiB}Gi`, storageClassName: args.storageClassName, labels, resourceOptions: args.claimOptions },
      { parent: this },
    );
    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { name: walReceiverName(args.target), namespace: args.namespace, labels },
        spec: pulumi.all([args.context, claim.claimName]).apply(([context, claimName]) => walReceiverStatefulSetSpec(args.target, claimName, context) as k8s.types.input.apps.v1.StatefulSetSpec),
      },
      { parent: this, dependsOn: [...args.dependsOn.statefulSet, claim] },
    );
    this.registerOutputs({});
  }
}

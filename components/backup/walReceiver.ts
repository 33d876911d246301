import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { BackupTargetSpec as BackupTarget } from "./targetSpec";
import { resources } from "../platform/containerDefaults";
import { PersistentClaim } from "../storage/persistentClaim";
import type { DataResourceOptions } from "../storage/options";
import { imageRef } from "../versions";
import { ageInitContainer, ageRecipientEnv, archiveEnv, env, nodeInitContainer, phasePodLabels, pitrPostgresImage, type JobContext } from "./cronJob";
import { backupPodSpec, IMAGE_UID, type BackupContainer, type WorkVolume } from "./podSpec";
import { secretEnv } from "./containers";
import { pitrSettings } from "./pitr";

/** Where the receiver's claim is mounted: its WORK_DIR (the WAL, the outbox, archived.status). */
export const WAL_RECEIVER_MOUNT = "/var/lib/strata-wal";

/** Where the receiver's init containers put node and age: the pod builder's tools directory (never the claim). */
const TOOLS_DIR = "/opt/strata-tools";

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
 * by `claimName` as its WORK_DIR. One container, the postgres image of the server's major version running the
 * runtime's wal-receiver (components/backup/kinds/postgresql/walReceiverRuntime.ts): pg_receivewal on the slot,
 * staging, the uploads and the Pushgateway, with node (and, with client-side encryption, age) copied in by init
 * containers into a tools directory, never onto the claim. It gets the recipient, never the identity.
 */
export function walReceiverStatefulSetSpec(target: BackupTarget, claimName: string, ctx: Omit<JobContext, "schedule">): Record<string, any> {
  const settings = pitrSettings(target);
  if (!settings || target.kind !== "postgresql") throw new Error(`backup target ${target.name}: the WAL receiver needs kind postgresql with pitr.enabled`);
  const labels = walReceiverLabels(target, ctx.labels);
  const selector = { "app.kubernetes.io/instance": target.name, "app.kubernetes.io/component": "wal-receiver" };
  // The postgres image's own user: pg_receivewal writes the claim.
  const uid = IMAGE_UID.debianServiceUser;
  const work: WorkVolume = { name: "wal", mountPath: WAL_RECEIVER_MOUNT, claimName };
  const enc = ctx.encryption;
  const receiver: BackupContainer = {
    name: "wal-receiver",
    image: imageRef(pitrPostgresImage(settings)),
    run: { runtime: "wal-receiver", node: `${TOOLS_DIR}/node` },
    env: [
      env("BACKUP_KIND", target.kind),
      env("BACKUP_TARGET", target.name),
      env("WORK_DIR", WAL_RECEIVER_MOUNT),
      env("PITR_SLOT", settings.slot),
      env("PITR_UPLOAD_INTERVAL_SECONDS", settings.uploadIntervalSeconds),
      env("TMPDIR", "/tmp"),
      env("TOOLS_DIR", TOOLS_DIR),
      ...archiveEnv(ctx, "runtime"),
      env("PGHOST", target.host),
      env("PGPORT", target.port ?? 5432),
      env("PGUSER", target.user),
      secretEnv("PGPASSWORD", target.passwordSecret),
      ...(enc ? [ageRecipientEnv(enc.recipientSecretName)] : []),
    ],
    ...(ctx.credentialsSecretName ? { envFromSecret: ctx.credentialsSecretName } : {}),
    // pg_receivewal's and node's (up to 256 MiB); each WAL segment is staged whole in memory, 16 MiB.
    resources: resources("150m", "512Mi", "1"),
    runAsUser: uid,
  };
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
          // SIGTERM: the receiver stops pg_receivewal (the slot keeps the rest) and runs one last upload cycle.
          terminationGracePeriodSeconds: 60,
        },
        security: { runAsUser: uid, runAsGroup: uid, fsGroup: uid },
        scriptsConfigMap: ctx.scriptsConfigMap,
        work,
        toolsDir: TOOLS_DIR,
        initContainers: [nodeInitContainer(uid, TOOLS_DIR), ...(enc ? [ageInitContainer(uid, TOOLS_DIR)] : [])],
        containers: [receiver],
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

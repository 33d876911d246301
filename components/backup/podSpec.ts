/**
 * The one pod builder of Strata's backup pods: the backup phases' CronJobs (cronJob.ts, through
 * components/platform/scheduledJob.ts), the WAL receiver's StatefulSet (walReceiver.ts) and the restore Job
 * (restoreJob.ts). Security context, the runtime/work/tmp volumes and their mounts, the init containers that copy
 * static binaries, and the environment layout are defined here once; callers say only what differs (images, uids,
 * phases, extra volumes).
 */
import type { ContainerResources } from "../platform/containerDefaults";
import { RUNTIME_LOADER } from "./runtime/bundle";
import type { RuntimeCommand } from "./runtime/commands";
import { RESTRICTED_CONTAINER } from "../platform/containerDefaults";

/**
 * The uids the stock images run their tools as. Strata publishes no image of its own, so each pod runs as the user
 * its image already has (and, through fsGroup, shares the scratch volume between containers of different users).
 */
export const IMAGE_UID = {
  /** postgres (Debian), mongo, rabbitmq and valkey images: their service user is uid/gid 999. */
  debianServiceUser: 999,
  /** postgres and timescaledb Alpine images: the postgres user. */
  alpinePostgres: 70,
  /** nobody: static binaries that need no user of their own (promtool, age). */
  nobody: 65534,
} as const;

/** Where every backup pod mounts the backup ConfigMap, and its temporary directory. */
export const SCRIPTS_MOUNT = "/opt/strata";
const TMP_MOUNT = "/tmp";
const TMP_SIZE = "256Mi";
const TOOLS_VOLUME = "tools";
/**
 * Room for the runtime's copied binaries: node (121 MiB in the pinned image) and, with encryption, age and age-keygen
 * (about 10 MiB together), with some to spare for a larger node. The tools volume's size where a pod has one, and what
 * a runtime pod's scratch volume holds beside its target's own scratch space where it has none (cronJob.ts).
 */
export const RUNTIME_BINARIES_MIB = 192;
const TOOLS_SIZE = `${RUNTIME_BINARIES_MIB}Mi`;

export type EnvVar = Record<string, unknown>;
export const env = (name: string, value: string | number) => ({ name, value: String(value) });

/** The pod's scratch: an emptyDir of a size, or a claim (the WAL receiver's, the restore's own). */
export type WorkVolume = { name: string; mountPath: string } & ({ sizeLimit: string } | { claimName: string });

export interface BackupContainer {
  name: string;
  image: string;
  /**
   * The runtime's command, run by the node binary given (the image's own, or the copy an init container made:
   * components/backup/runtime/); or, for a binary copy, the files copied into binDir.
   */
  run: { runtime: RuntimeCommand; node: string } | { copies: string[]; binDir: string };
  env?: EnvVar[];
  /** A Secret whose keys become the environment (the archive's static or store keys). */
  envFromSecret?: string;
  resources: ContainerResources;
  runAsUser: number;
  volumeMounts?: Record<string, unknown>[];
}

export interface BackupPod {
  /** Pod-level identity of the pod's files: fsGroup owns the scratch volumes; runAsUser/Group when all share one. */
  security: { runAsUser?: number; runAsGroup?: number; fsGroup?: number; supplementalGroups?: number[] };
  scriptsConfigMap: string;
  work: WorkVolume;
  initContainers?: BackupContainer[];
  containers: BackupContainer[];
  /**
   * Where init containers copy static binaries when the work volume is not the place (the WAL receiver's work is its
   * claim, which must not carry them): an emptyDir the init containers write and the containers read.
   */
  toolsDir?: string;
  /** Volumes beyond scripts, work and tmp (a source claim, a Secret). */
  volumes?: Record<string, unknown>[];
  /** Fields of the pod spec beyond the builder's (serviceAccountName, affinity, terminationGracePeriodSeconds, ...). */
  extra?: Record<string, unknown>;
}

/** One container: restricted (non-root, read-only root, no capabilities, RuntimeDefault seccomp), the shared mounts. */
export function backupContainerSpec(c: BackupContainer, work: WorkVolume, tools?: { dir: string; writable: boolean }): Record<string, unknown> {
  const { run } = c;
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: "IfNotPresent",
    command: "copies" in run ? ["sh", "-c", `mkdir -p ${run.binDir} && cp ${run.copies.join(" ")} ${run.binDir}/`] : [run.node, `${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`, run.runtime],
    env: c.env ?? [],
    ...(c.envFromSecret ? { envFrom: [{ secretRef: { name: c.envFromSecret } }] } : {}),
    resources: c.resources,
    securityContext: { ...RESTRICTED_CONTAINER, runAsUser: c.runAsUser },
    volumeMounts: [
      { name: "scripts", mountPath: SCRIPTS_MOUNT, readOnly: true },
      { name: work.name, mountPath: work.mountPath },
      { name: "tmp", mountPath: TMP_MOUNT },
      ...(tools ? [{ name: TOOLS_VOLUME, mountPath: tools.dir, ...(tools.writable ? {} : { readOnly: true }) }] : []),
      ...(c.volumeMounts ?? []),
    ],
  };
}

/** The pod spec: security context, init containers, containers and the runtime/work/tmp volumes. */
export function backupPodSpec(pod: BackupPod): Record<string, unknown> {
  const s = pod.security;
  return {
    ...(pod.extra ?? {}),
    securityContext: {
      runAsNonRoot: true,
      ...(s.runAsUser !== undefined ? { runAsUser: s.runAsUser } : {}),
      ...(s.runAsGroup !== undefined ? { runAsGroup: s.runAsGroup } : {}),
      ...(s.fsGroup !== undefined ? { fsGroup: s.fsGroup } : {}),
      ...(s.supplementalGroups ? { supplementalGroups: s.supplementalGroups } : {}),
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...(pod.initContainers?.length ? { initContainers: pod.initContainers.map((c) => backupContainerSpec(c, pod.work, pod.toolsDir ? { dir: pod.toolsDir, writable: true } : undefined)) } : {}),
    containers: pod.containers.map((c) => backupContainerSpec(c, pod.work, pod.toolsDir ? { dir: pod.toolsDir, writable: false } : undefined)),
    volumes: [
      { name: "scripts", configMap: { name: pod.scriptsConfigMap, defaultMode: 0o555 } },
      "claimName" in pod.work ? { name: pod.work.name, persistentVolumeClaim: { claimName: pod.work.claimName } } : { name: pod.work.name, emptyDir: { sizeLimit: pod.work.sizeLimit } },
      { name: "tmp", emptyDir: { sizeLimit: TMP_SIZE } },
      ...(pod.toolsDir ? [{ name: TOOLS_VOLUME, emptyDir: { sizeLimit: TOOLS_SIZE } }] : []),
      ...(pod.volumes ?? []),
    ],
  };
}

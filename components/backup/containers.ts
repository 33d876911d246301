/**
 * The container helpers every backup pod shares, whatever its kind: environment entries, resources, the runtime's
 * container and the binaries copied beside it, the archive's environment and the scratch paths. The kinds' drivers
 * (components/backup/kinds/) build their recipes from these; cronJob.ts turns a recipe into a pod.
 */
import { IMAGES, type ImagePin } from "../versions";
import { resources, type ContainerResources } from "../platform/containerDefaults";
import type { SecretKeyRef } from "./targetSpec";
import type { RuntimeCommand } from "./runtime/commands";

export { resources, type ContainerResources };

export { env, SCRIPTS_MOUNT } from "./podSpec";
import { env } from "./podSpec";
export const WORK_DIR = "/work";

export const secretEnv = (name: string, ref: SecretKeyRef) => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

/** The AWS CLI/SDK settings an S3-compatible store needs (one definition for jobs, the WAL receiver and restores). */
export const S3_COMPATIBLE_CHECKSUM_ENV = [env("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"), env("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")];

/** Where a job writes and reports: the archive's store and the Pushgateway (part of cronJob.ts's JobContext). */
export interface ArchiveContext {
  bucket: string;
  region: string;
  /** Absent where the store has no SSE-KMS; present on AWS, where the bucket policy demands it. */
  kmsKeyArn?: string;
  /** The store's S3 endpoint when it is not AWS S3 (components/archive/providers.ts). */
  endpoint?: string;
  /** The store needs the AWS CLI to send and check checksums only where an operation requires them. */
  checksumsWhenRequired?: boolean;
  /** False on a store where server-side CopyObject may fail (the runtime downloads and uploads again). */
  serverSideCopy?: boolean;
  pushgatewayUrl: string;
}

/**
 * Who talks to the archive: a shell script through the AWS CLI (the off-site copy until it is the runtime's), or the
 * runtime (components/backup/runtime/), through the AWS SDK it bundles.
 */
export type ArchiveClient = "aws-cli" | "runtime";

/**
 * What a container that talks to the archive and the Pushgateway needs in its environment (runtime/README.md). The
 * runtime gets the same but the AWS CLI's own settings (AWS_CLI, HOME for its caches), which nothing in it reads.
 */
export function archiveEnv(ctx: ArchiveContext, client: ArchiveClient = "aws-cli"): { name: string; value: string }[] {
  const awsCli = client === "aws-cli";
  return [
    env("S3_BUCKET", ctx.bucket),
    ...(ctx.kmsKeyArn ? [env("S3_SSE_KMS_KEY_ID", ctx.kmsKeyArn)] : []),
    ...(ctx.endpoint ? [env("S3_ENDPOINT_URL", ctx.endpoint)] : []),
    // Since early 2025 the AWS CLI and SDKs send CRC checksums on every upload and check them on every download by
    // default; S3-compatible stores that do not implement them refuse the upload or fail the check. Both read these.
    ...(ctx.checksumsWhenRequired ? S3_COMPATIBLE_CHECKSUM_ENV : []),
    ...(ctx.serverSideCopy === false ? [env("S3_SERVER_SIDE_COPY", "false")] : []),
    env("AWS_REGION", ctx.region),
    ...(awsCli ? [env("AWS_CLI", "aws")] : []),
    env("PUSHGATEWAY_URL", ctx.pushgatewayUrl),
    // The AWS CLI keeps its caches under HOME; the root filesystem is read-only.
    ...(awsCli ? [env("HOME", "/tmp")] : []),
  ];
}

/**
 * The one container of a backup or drill pod: the tool's own image running the runtime's `runtime` command, before
 * cronJob.ts adds the common and the archive's environment, the mounts and the security context.
 */
export interface Container {
  name: string;
  image: ImagePin | string;
  env?: Record<string, unknown>[];
  resources: ContainerResources;
  runAsUser: number;
  /** Mounts of the recipe's own volumes, for this container only. */
  volumeMounts?: Record<string, unknown>[];
  /** The runtime's command this container runs (components/backup/runtime/). */
  runtime: RuntimeCommand;
}

/** An init container that copies static binaries from its image into TOOLS_BIN, where the runtime finds them (TOOLS_DIR). */
export interface BinaryCopy {
  name: string;
  image: ImagePin;
  copies: string[];
  resources: ContainerResources;
  runAsUser: number;
}

/** A pod of one phase of one target, as a kind's driver describes it. */
export interface Recipe {
  containers: Container[];
  initContainers?: BinaryCopy[];
  compression: "zstd" | "gzip" | "none";
  /** Pod securityContext: the group that owns the scratch volumes, so that containers of different users share them. */
  fsGroup?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  volumes?: Record<string, unknown>[];
  affinity?: Record<string, unknown>;
  /** Environment of every container of the pod, beside the common one (a phase's variant of a command). */
  env?: Record<string, unknown>[];
}

/** Required co-location with the pods these labels select: the node where their ReadWriteOnce volume is mounted. */
export const besidePods = (matchLabels: Record<string, string>) => ({
  podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels }, topologyKey: "kubernetes.io/hostname" }] },
});

/** The tool's own container, as a kind's driver gives it to runtimeJob: everything but its name, command and user. */
export type ToolContainer = Omit<Container, "name" | "runAsUser" | "runtime">;

/** Where a job's init containers copy binaries (node, age, promtool): the scratch volume, which every container mounts. */
export const TOOLS_BIN = `${WORK_DIR}/bin`;

/** Where the official node image keeps its binary. */
const NODE_IN_ITS_IMAGE = "/usr/local/bin/node";

/** The pinned Node.js binary the runtime runs with, copied from the official image (components/versions.ts). */
export const NODE_BINARY: Omit<BinaryCopy, "runAsUser"> = { name: "node", image: IMAGES.node, copies: [NODE_IN_ITS_IMAGE], resources: resources("50m", "64Mi", "500m") };

/** The same node, built for musl: copied into Alpine images (IMAGES' libc). */
const NODE_MUSL_BINARY: Omit<BinaryCopy, "runAsUser"> = { ...NODE_BINARY, image: IMAGES.nodeMusl };

/** The node binary an image can run: glibc's, or musl's where the image says it is Alpine. */
const nodeBinaryFor = (image: Container["image"]) => (typeof image !== "string" && "libc" in image && image.libc === "musl" ? NODE_MUSL_BINARY : NODE_BINARY);

/** Whether a runtime container runs in the node image itself, which needs no copy of its own binary. */
const isNodeImage = (image: Container["image"]) => image === IMAGES.node;

/** The node binary a runtime container runs: its image's own, or the copy in TOOLS_BIN. */
export const runtimeNode = (c: Pick<Container, "image">) => (isNodeImage(c.image) ? NODE_IN_ITS_IMAGE : `${TOOLS_BIN}/node`);

/**
 * A pod of one container that runs the runtime's `command` in the tool's own image (`tool`), as `uid`: an init
 * container copies node in first, unless that image is node's own (a kind whose tools are an HTTP API or copied
 * static binaries). The runtime supervises the tool's binaries and speaks S3 and the Pushgateway itself,
 * so the container gets the archive's environment (usesS3) and, where encryption is on, age.
 */
export const runtimeJob = (uid: number, command: RuntimeCommand, tool: ToolContainer, pod: Omit<Recipe, "containers">): Recipe => ({
  ...pod,
  ...(isNodeImage(tool.image) ? {} : { initContainers: [...(pod.initContainers ?? []), { ...nodeBinaryFor(tool.image), runAsUser: uid }] }),
  containers: [{ name: command, ...tool, runtime: command, runAsUser: uid }],
});

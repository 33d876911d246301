import { scheduledJobSpec } from "../platform/scheduledJob";
import type { BackupTargetSpec as BackupTarget } from "./targetSpec";
import { KPS_FULLNAME, prometheusDataClaimName } from "../metrics/names";
import { IMAGES, imageRef, type ImagePin } from "../versions";
import { RESTRICTED_CONTAINER, resources, type ContainerResources } from "../platform/containerDefaults";
import { pitrSettings, type PitrSettings } from "./pitr";
import { ENCRYPTION_CONTRACT_ENV, EXIT_DECRYPT, IDENTITY_KEY, IDENTITY_MOUNT, RECIPIENT_KEY } from "./encryption";

export const SCRIPTS_MOUNT = "/opt/strata";
export const WORK_DIR = "/work";

/** Everything a job needs that is not the target itself: where to write, how to report, who it runs as. */
export interface JobContext {
  bucket: string;
  region: string;
  /** Absent where the store has no SSE-KMS; present on AWS, where the bucket policy demands it. */
  kmsKeyArn?: string;
  /** The store's S3 endpoint when it is not AWS S3 (components/archive/providers.ts). */
  endpoint?: string;
  /** The store needs the AWS CLI to send and check checksums only where an operation requires them. */
  checksumsWhenRequired?: boolean;
  /** False on a store where server-side CopyObject may fail (the scripts download and upload again). */
  serverSideCopy?: boolean;
  pushgatewayUrl: string;
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

interface Container {
  name: string;
  image: ImagePin | string;
  args: string[];
  env?: Record<string, unknown>[];
  resources: ContainerResources;
  runAsUser: number;
  usesS3?: boolean;
  /** Mounts of the recipe's own volumes, for this container only. */
  volumeMounts?: Record<string, unknown>[];
  /** An init container's static binaries, copied into WORK_DIR/bin (on the other containers' PATH). */
  copies?: string[];
}

interface Recipe {
  containers: Container[];
  initContainers?: Container[];
  compression: "zstd" | "gzip" | "none";
  /** Pod securityContext: the group that owns the scratch volumes, so that containers of different users share them. */
  fsGroup?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  volumes?: Record<string, unknown>[];
  affinity?: Record<string, unknown>;
  extraPath?: string;
  /** Environment of every container of the pod, beside the common one (a phase's variant of a script). */
  env?: Record<string, unknown>[];
}

/** The scripts' exit statuses that a retry cannot change (scripts/lib.sh defines them; a test keeps these equal). */
export const SCRIPT_EXIT = { config: 2, pushFailed: 3, decrypt: EXIT_DECRYPT } as const;

/** A Job's hard limit; each phase gives up and reports 10 minutes earlier so the failure is always pushed. */
export const ACTIVE_DEADLINE_SECONDS = 4 * 3600;
const PHASE_WAIT_SECONDS = ACTIVE_DEADLINE_SECONDS - 600;

const secretEnv = (name: string, ref: { name: string; key: string }) => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
export const env = (name: string, value: string | number) => ({ name, value: String(value) });

/** The AWS CLI/SDK settings an S3-compatible store needs (one definition for jobs, the WAL receiver and restores). */
export const S3_COMPATIBLE_CHECKSUM_ENV = [env("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"), env("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")];

/** What a container that talks to the archive and the Pushgateway needs in its environment (scripts/README.md). */
export function archiveEnv(ctx: Pick<JobContext, "bucket" | "kmsKeyArn" | "region" | "pushgatewayUrl" | "endpoint" | "checksumsWhenRequired" | "serverSideCopy">): { name: string; value: string }[] {
  return [
    env("S3_BUCKET", ctx.bucket),
    ...(ctx.kmsKeyArn ? [env("S3_SSE_KMS_KEY_ID", ctx.kmsKeyArn)] : []),
    ...(ctx.endpoint ? [env("S3_ENDPOINT_URL", ctx.endpoint)] : []),
    // Since early 2025 the AWS CLI sends CRC checksums on every upload and checks them on every download by default;
    // S3-compatible stores that do not implement them refuse the upload or fail the check.
    ...(ctx.checksumsWhenRequired ? S3_COMPATIBLE_CHECKSUM_ENV : []),
    ...(ctx.serverSideCopy === false ? [env("S3_SERVER_SIDE_COPY", "false")] : []),
    env("AWS_REGION", ctx.region),
    env("AWS_CLI", "aws"),
    env("PUSHGATEWAY_URL", ctx.pushgatewayUrl),
    // The AWS CLI keeps its caches under HOME; the root filesystem is read-only.
    env("HOME", "/tmp"),
  ];
}

/** Prometheus's replica 0: its pod, its data volume (named by the operator) and its API. */
export const PROMETHEUS_SNAPSHOT_SOURCE = {
  pod: "prometheus-strata-prometheus-0",
  claim: prometheusDataClaimName(KPS_FULLNAME),
  url: (namespace: string) => `http://prometheus-strata-prometheus-0.prometheus-operated.${namespace}.svc.cluster.local:9090`,
  // The operator mounts the claim at /prometheus with subPath prometheus-db; files belong to 1000:2000.
  dataDir: "/prometheus/prometheus-db",
  uid: 1000,
  gid: 2000,
};

const S3 = (name: string, args: string[], uid: number): Container => ({ name, image: IMAGES.awsCli, args, resources: resources("100m", "256Mi", "1"), runAsUser: uid, usesS3: true });

/** Required co-location with the pods these labels select: the node where their ReadWriteOnce volume is mounted. */
const besidePods = (matchLabels: Record<string, string>) => ({
  podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels }, topologyKey: "kubernetes.io/hostname" }] },
});

/** The sqlite kind's containers: Python's sqlite3 module (the SQLite steps), bash and gzip; the image has no zstd. */
export const SQLITE_SOURCE = {
  /** Where the application's claim is mounted (read-only) in the dump container. */
  mountPath: "/var/lib/strata/sqlite-source",
  uid: 65532,
  // The python image keeps no bytecode cache, and the root filesystem is read-only: do not try to write one.
  env: [env("PYTHONDONTWRITEBYTECODE", 1)],
};

/** The rabbitmq image's own user (the broker refuses nothing as another uid, but its files expect this one). */
const RABBITMQ_UID = 999;
/** The valkey image's own user. */
const VALKEY_UID = 999;

type ValkeyTarget = Extract<BackupTarget, { kind: "valkey" }>;

const valkeyEnv = (t: ValkeyTarget) => [
  env("VALKEY_HOST", t.host),
  env("VALKEY_PORT", t.port ?? 6379),
  env("VALKEY_DATABASES", t.databases ?? 16),
  ...(t.passwordSecret ? [secretEnv("VALKEY_PASSWORD", t.passwordSecret)] : []),
];

/** The throwaway server that loads the RDB holds the whole dataset: the target says how much memory that takes. */
const valkeyResources = (t: ValkeyTarget) => resources("250m", `${t.memoryGiB ?? 2}Gi`, "1");

function backupRecipe(t: BackupTarget, monitoringNamespace: string): Recipe {
  switch (t.kind) {
    case "postgresql":
      return {
        // The TimescaleDB drill image has no zstd; gzip is in every image both sides use.
        compression: t.timescaledb ? "gzip" : "zstd",
        fsGroup: 999,
        containers: [
          {
            name: "dump",
            image: IMAGES.postgres15,
            args: ["backup.sh", "dump"],
            env: [env("PGHOST", t.host), env("PGPORT", t.port ?? 5432), env("PGDATABASE", t.database), env("PGUSER", t.user), secretEnv("PGPASSWORD", t.passwordSecret)],
            resources: resources("500m", "512Mi", "2"),
            runAsUser: 999,
          },
          S3("upload", ["backup.sh", "upload"], 999),
        ],
      };
    case "mongodb":
      return {
        compression: "gzip",
        fsGroup: 999,
        containers: [
          { name: "dump", image: IMAGES.mongo, args: ["backup.sh", "dump"], env: [secretEnv("MONGODB_URI", t.uriSecret)], resources: resources("500m", "1Gi", "2"), runAsUser: 999 },
          S3("upload", ["backup.sh", "upload"], 999),
        ],
      };
    case "rabbitmq-definitions":
      // The export and its object counts run in Python (rabbitmq_tool.py: urllib and json); no image with the AWS
      // CLI has a JSON parser the shell can use.
      return {
        compression: "gzip",
        fsGroup: 1000,
        containers: [
          {
            name: "dump",
            image: IMAGES.python,
            args: ["backup.sh", "dump"],
            env: [...SQLITE_SOURCE.env, env("RABBITMQ_URL", t.url), env("RABBITMQ_USER", t.user), secretEnv("RABBITMQ_PASSWORD", t.passwordSecret)],
            resources: resources("100m", "256Mi", "1"),
            runAsUser: 1000,
          },
          S3("upload", ["backup.sh", "upload"], 1000),
        ],
      };
    case "valkey":
      // The dump container keeps the RDB in scratch space and loads it once in a throwaway server for its key
      // counts: scratchSizeGiB and memoryGiB must hold the dataset.
      return {
        compression: "gzip",
        fsGroup: VALKEY_UID,
        containers: [
          { name: "dump", image: t.image ?? IMAGES.valkey, args: ["backup.sh", "dump"], env: valkeyEnv(t), resources: valkeyResources(t), runAsUser: VALKEY_UID },
          S3("upload", ["backup.sh", "upload"], VALKEY_UID),
        ],
      };
    case "prometheus-snapshot": {
      const src = PROMETHEUS_SNAPSHOT_SOURCE;
      // The snapshot lands on Prometheus's own ReadWriteOnce volume, which pods on the same node can mount: the
      // job is pinned beside replica 0, reads the snapshot there and removes it after upload. TSDB chunks are
      // already compressed, so the archive is not compressed again.
      return {
        compression: "none",
        fsGroup: src.gid,
        containers: [
          {
            ...S3("backup", ["backup.sh", "all"], src.uid),
            env: [env("PROMETHEUS_URL", src.url(monitoringNamespace)), env("PROM_DATA_DIR", src.dataDir)],
            volumeMounts: [{ name: "prometheus-data", mountPath: "/prometheus" }],
          },
        ],
        volumes: [{ name: "prometheus-data", persistentVolumeClaim: { claimName: src.claim } }],
        affinity: besidePods({ "statefulset.kubernetes.io/pod-name": src.pod }),
      };
    }
    case "sqlite": {
      const src = SQLITE_SOURCE;
      // The claim is ReadWriteOnce: only pods on the node where the writer runs can mount it, and the scheduler
      // does not place us there by itself, hence the required affinity to the writer's pod. SQLite's locks and
      // the -shm file's shared memory also only work between processes of one host.
      //
      // Read-only, in the volume source (not just the mount): the job can never change the application's files,
      // and Kubernetes skips its fsGroup ownership change on read-only volumes, which would otherwise re-own the
      // application's files. SQLite needs write access to the -shm file to take part in WAL locking, unless it
      // may open that file read-only: since 3.22 a reader opened with mode=ro reads a WAL database from read-only
      // files, mapping the -shm read-only and taking only shared locks, as long as the -wal and -shm files exist,
      // which they do while the writer has the database open (sqlite_tool.py waits for that, then says why not).
      // Both containers run as one uid, so the scratch volumes need no shared group (no fsGroup at all).
      return {
        compression: "gzip",
        runAsGroup: src.uid,
        ...(t.writerFsGroup !== undefined ? { supplementalGroups: [t.writerFsGroup] } : {}),
        containers: [
          {
            name: "dump",
            image: IMAGES.python,
            args: ["backup.sh", "dump"],
            env: [...src.env, env("SQLITE_PATH", `${src.mountPath}/${t.path}`)],
            resources: resources("250m", "512Mi", "1"),
            runAsUser: src.uid,
            volumeMounts: [{ name: "sqlite-source", mountPath: src.mountPath, readOnly: true }],
          },
          S3("upload", ["backup.sh", "upload"], src.uid),
        ],
        volumes: [{ name: "sqlite-source", persistentVolumeClaim: { claimName: t.claimName, readOnly: true } }],
        affinity: besidePods(t.writerSelector.matchLabels),
      };
    }
  }
}

function drillRecipe(t: BackupTarget): Recipe {
  switch (t.kind) {
    case "postgresql":
      if (t.timescaledb) {
        // TimescaleDB's own restore steps around a single-job pg_restore (its catalog is restored in dump order); the
        // Alpine image's postgres user is uid 70, sharing the scratch volume through the pod's fsGroup.
        return {
          compression: "gzip",
          fsGroup: 999,
          containers: [
            S3("fetch", ["restore-drill.sh", "fetch"], 999),
            { name: "restore", image: IMAGES.timescaledb15, args: ["restore-drill.sh", "restore"], env: [env("RESTORE_JOBS", 1), env("PG_TIMESCALEDB", 1)], resources: resources("1", "2Gi", "2"), runAsUser: 70 },
          ],
        };
      }
      return {
        compression: "zstd",
        fsGroup: 999,
        containers: [
          S3("fetch", ["restore-drill.sh", "fetch"], 999),
          { name: "restore", image: IMAGES.postgres15, args: ["restore-drill.sh", "restore"], env: [env("RESTORE_JOBS", 2)], resources: resources("1", "2Gi", "2"), runAsUser: 999 },
        ],
      };
    case "mongodb":
      return {
        compression: "gzip",
        fsGroup: 999,
        containers: [S3("fetch", ["restore-drill.sh", "fetch"], 999), { name: "restore", image: IMAGES.mongo, args: ["restore-drill.sh", "restore"], resources: resources("1", "2Gi", "2"), runAsUser: 999 }],
      };
    case "rabbitmq-definitions":
      return {
        compression: "gzip",
        fsGroup: RABBITMQ_UID,
        containers: [
          S3("fetch", ["restore-drill.sh", "fetch"], RABBITMQ_UID),
          // The throwaway broker: Erlang wants about 256 MiB before it holds anything.
          { name: "restore", image: t.drillImage ?? IMAGES.rabbitmq, args: ["restore-drill.sh", "restore"], resources: resources("250m", "768Mi", "1"), runAsUser: RABBITMQ_UID },
        ],
      };
    case "valkey":
      return {
        compression: "gzip",
        fsGroup: VALKEY_UID,
        containers: [
          S3("fetch", ["restore-drill.sh", "fetch"], VALKEY_UID),
          { name: "restore", image: t.image ?? IMAGES.valkey, args: ["restore-drill.sh", "restore"], env: [env("VALKEY_DATABASES", t.databases ?? 16)], resources: valkeyResources(t), runAsUser: VALKEY_UID },
        ],
      };
    case "prometheus-snapshot":
      // promtool and prometheus are static binaries: an init container copies them from the Prometheus image into
      // the scratch volume, and the AWS CLI image (which has bash) runs the whole drill, the throwaway Prometheus
      // that opens the snapshot included (memory for its index reads).
      return {
        compression: "none",
        fsGroup: 65534,
        initContainers: [{ name: "promtool", image: IMAGES.promtool, args: [], copies: ["/bin/promtool", "/bin/prometheus"], resources: resources("50m", "64Mi", "200m"), runAsUser: 65534 }],
        containers: [{ ...S3("drill", ["restore-drill.sh", "all"], 65534), resources: resources("500m", "2Gi", "2") }],
        extraPath: `${WORK_DIR}/bin`,
      };
    case "sqlite":
      // Only the archive is needed: the drill runs in the backups namespace like the others, on any node.
      return {
        compression: "gzip",
        fsGroup: SQLITE_SOURCE.uid,
        containers: [
          S3("fetch", ["restore-drill.sh", "fetch"], SQLITE_SOURCE.uid),
          { name: "restore", image: IMAGES.python, args: ["restore-drill.sh", "restore"], env: SQLITE_SOURCE.env, resources: resources("500m", "512Mi", "2"), runAsUser: SQLITE_SOURCE.uid },
        ],
      };
  }
}

/** The pinned postgres image of a PITR target's server major version (physical backups need the same major). */
export function pitrPostgresImage(settings: PitrSettings): ImagePin {
  switch (settings.serverMajorVersion) {
    case 15:
      return IMAGES.postgres15;
    default:
      throw new Error(`no pinned postgres image for major version ${settings.serverMajorVersion}`);
  }
}

function requirePitr(t: BackupTarget): PitrSettings {
  const settings = pitrSettings(t);
  if (!settings) throw new Error(`backup target ${t.name}: PITR jobs need kind postgresql with pitr.enabled`);
  return settings;
}

/** Libpq settings of a postgresql target (the role needs REPLICATION for the physical phases). */
const libpqEnv = (t: Extract<BackupTarget, { kind: "postgresql" }>) => [
  env("PGHOST", t.host),
  env("PGPORT", t.port ?? 5432),
  env("PGDATABASE", t.database),
  env("PGUSER", t.user),
  secretEnv("PGPASSWORD", t.passwordSecret),
];

/** backup.sh with PG_BACKUP_METHOD=basebackup: pg_basebackup streamed, verified by pg_verifybackup, uploaded. */
function baseBackupRecipe(t: BackupTarget): Recipe {
  const settings = requirePitr(t);
  if (t.kind !== "postgresql") throw new Error("unreachable");
  return {
    compression: "zstd",
    fsGroup: 999,
    env: [env("PG_BACKUP_METHOD", "basebackup")],
    containers: [
      { name: "dump", image: pitrPostgresImage(settings), args: ["backup.sh", "dump"], env: libpqEnv(t), resources: resources("500m", "512Mi", "2"), runAsUser: 999 },
      S3("upload", ["backup.sh", "upload"], 999),
    ],
  };
}

/** pitr-restore.sh with PITR_TARGET=drill: the newest base backup replayed to a commit inside the window. */
function pitrDrillRecipe(t: BackupTarget): Recipe {
  const settings = requirePitr(t);
  return {
    compression: "zstd",
    fsGroup: 999,
    env: [env("PITR_TARGET", "drill"), env("PITR_DRILL_WINDOW_SECONDS", settings.targetTimeWindowHours * 3600)],
    containers: [
      S3("fetch", ["pitr-restore.sh", "fetch"], 999),
      { name: "restore", image: pitrPostgresImage(settings), args: ["pitr-restore.sh", "restore"], resources: resources("1", "2Gi", "2"), runAsUser: 999 },
    ],
  };
}

/**
 * age and age-keygen, static binaries copied from a pinned image that ships FiloSottile's release builds
 * (components/versions.ts, IMAGES.age) by an init container, like promtool: Strata publishes no image of its own.
 */
export const AGE_BINARY_FILES = ["/usr/local/bin/age", "/usr/local/bin/age-keygen"];
const AGE_BINARIES: Container = { name: "age", image: IMAGES.age, args: [], copies: AGE_BINARY_FILES, resources: resources("50m", "64Mi", "200m"), runAsUser: 65534 };
const IDENTITY_VOLUME = "age-identity";

/**
 * The recipe with client-side encryption where the stack has it: backup jobs' S3 containers (the base backup's too)
 * get the recipient, drills' S3 containers (the point-in-time drill's fetch too) the identity file; both get age on
 * PATH.
 */
function withEncryption(recipe: Recipe, phase: JobPhase, ctx: JobContext): Recipe {
  const enc = ctx.encryption;
  if (!enc) return recipe;
  const role = POD_ROLE[phase];
  const add: Partial<Container> =
    role === "backup"
      ? { env: [secretEnv("AGE_RECIPIENT", { name: enc.recipientSecretName, key: RECIPIENT_KEY })] }
      : { env: [env("AGE_IDENTITY_FILE", `${IDENTITY_MOUNT}/${IDENTITY_KEY}`)], volumeMounts: [{ name: IDENTITY_VOLUME, mountPath: IDENTITY_MOUNT, readOnly: true }] };
  return {
    ...recipe,
    initContainers: [...(recipe.initContainers ?? []), { ...AGE_BINARIES, runAsUser: recipe.containers[0]!.runAsUser }],
    containers: recipe.containers.map((c) => (c.usesS3 ? { ...c, env: [...(c.env ?? []), ...add.env!], volumeMounts: [...(c.volumeMounts ?? []), ...(add.volumeMounts ?? [])] } : c)),
    // Readable by the pod's fsGroup only (every drill recipe sets one).
    volumes: [...(recipe.volumes ?? []), ...(role === "drill" ? [{ name: IDENTITY_VOLUME, secret: { secretName: enc.identitySecretName, defaultMode: 0o440 } }] : [])],
    extraPath: `${WORK_DIR}/bin`,
  };
}

function containerSpec(c: Container, base: Record<string, unknown>[], ctx: JobContext, recipe: Recipe, init = false): Record<string, unknown> {
  const s3Env = c.usesS3 ? archiveEnv(ctx) : [];
  // Only the S3 containers run the copied binaries (age, promtool); the others keep their image's own PATH (the
  // rabbitmq image's /opt/rabbitmq/sbin, the postgres image's /usr/lib/postgresql/<major>/bin).
  const path = recipe.extraPath && c.usesS3 ? [env("PATH", `${recipe.extraPath}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`)] : [];
  return {
    name: c.name,
    image: typeof c.image === "string" ? c.image : imageRef(c.image),
    imagePullPolicy: "IfNotPresent",
    ...(init
      ? { command: ["sh", "-c", `mkdir -p ${WORK_DIR}/bin && cp ${(c.copies ?? []).join(" ")} ${WORK_DIR}/bin/`] }
      : { command: ["bash", `${SCRIPTS_MOUNT}/${c.args[0]}`], args: c.args.slice(1) }),
    env: init ? [] : [...base, ...s3Env, ...path, ...(c.env ?? [])],
    ...(c.usesS3 && ctx.credentialsSecretName ? { envFrom: [{ secretRef: { name: ctx.credentialsSecretName } }] } : {}),
    resources: c.resources,
    securityContext: { ...RESTRICTED_CONTAINER, runAsUser: c.runAsUser },
    volumeMounts: [
      { name: "scripts", mountPath: SCRIPTS_MOUNT, readOnly: true },
      { name: "work", mountPath: WORK_DIR },
      { name: "tmp", mountPath: "/tmp" },
      ...(c.volumeMounts ?? []),
    ],
  };
}

/** `basebackup` and `pitr-drill` are a PITR target's physical backup and point-in-time drill. */
export type JobPhase = "backup" | "drill" | "basebackup" | "pitr-drill";

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
  const plain = { backup: () => backupRecipe(target, monitoringNamespace), drill: () => drillRecipe(target), basebackup: () => baseBackupRecipe(target), "pitr-drill": () => pitrDrillRecipe(target) }[phase]();
  const recipe = withEncryption(plain, phase, ctx);
  const base = [
    env("BACKUP_KIND", target.kind),
    env("BACKUP_TARGET", target.name),
    env("WORK_DIR", WORK_DIR),
    env("BACKUP_COMPRESSION", recipe.compression),
    env("PHASE_WAIT_SECONDS", PHASE_WAIT_SECONDS),
    env("TMPDIR", "/tmp"),
    ...Object.entries(ENCRYPTION_CONTRACT_ENV).map(([k, v]) => env(k, v)),
    ...(recipe.env ?? []),
  ];
  const labels = jobLabels(target, phase, ctx.labels);
  return scheduledJobSpec({
    schedule: ctx.schedule,
    labels,
    activeDeadlineSeconds: ACTIVE_DEADLINE_SECONDS,
    serviceAccountName: ctx.serviceAccountName,
    // A configuration error fails the same way again; a failed push follows a good backup or drill (already in the
    // bucket and logged) that a retry would only repeat; a drill that cannot decrypt has the wrong identity or none,
    // which a retry does not change. A run whose push failed cannot report itself, so StrataBackupRunNotReported
    // (alerts.ts) catches it.
    failJobExitCodes: [SCRIPT_EXIT.config, SCRIPT_EXIT.pushFailed, SCRIPT_EXIT.decrypt],
    pod: {
      securityContext: {
        runAsNonRoot: true,
        ...(recipe.runAsGroup !== undefined ? { runAsGroup: recipe.runAsGroup } : {}),
        ...(recipe.fsGroup !== undefined ? { fsGroup: recipe.fsGroup } : {}),
        ...(recipe.supplementalGroups ? { supplementalGroups: recipe.supplementalGroups } : {}),
        seccompProfile: { type: "RuntimeDefault" },
      },
      ...(recipe.affinity ? { affinity: recipe.affinity } : {}),
      ...(recipe.initContainers ? { initContainers: recipe.initContainers.map((c) => containerSpec(c, base, ctx, recipe, true)) } : {}),
      containers: recipe.containers.map((c) => containerSpec(c, base, ctx, recipe)),
      volumes: [
        { name: "scripts", configMap: { name: ctx.scriptsConfigMap, defaultMode: 0o555 } },
        { name: "work", emptyDir: { sizeLimit: `${target.scratchSizeGiB ?? 10}Gi` } },
        { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
        ...(recipe.volumes ?? []),
      ],
    },
  });
}

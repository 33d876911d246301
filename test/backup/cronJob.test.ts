import { describe, expect, it } from "vitest";
import { backupCronJob, SCRIPTS_MOUNT, SQLITE_SOURCE, type JobContext, type JobPhase } from "../../components/backup/cronJob";
import { RUNTIME_LOADER } from "../../components/backup/runtime/bundle";
import { RUNTIME_BINARIES_MIB } from "../../components/backup/podSpec";
import { IMAGES, imageRef } from "../../components/versions";
import { EXIT, NOT_RETRIED, SCHEDULED_JOB_DEADLINE_SECONDS } from "../../components/backup/contract";
import type { BackupTarget } from "../../infra/config/sections/backups";
import { validateK8sObject } from "../helpers/k8sValidate";
import { SQLITE_TARGET } from "../helpers/backupTargets";
import { AWS_JOB_CONTEXT } from "../helpers/backupTargets";

type Any = Record<string, any>;

const CONTEXT: JobContext = { ...AWS_JOB_CONTEXT, serviceAccountName: "strata-backup-orders", scriptsConfigMap: "backup-scripts-app-orders-1234" };

const SQLITE: BackupTarget = SQLITE_TARGET;

const TARGETS: BackupTarget[] = [
  { name: "app-db", kind: "postgresql", host: "postgresql.data.svc.cluster.local", database: "app", user: "strata_backup", passwordSecret: { name: "pg", key: "password" } },
  { name: "mongo", kind: "mongodb", uriSecret: { name: "mongo", key: "uri" } },
  { name: "rabbitmq", kind: "rabbitmq-definitions", url: "http://rabbitmq.rabbitmq:15672", user: "admin", passwordSecret: { name: "rmq", key: "password" } },
  { name: "cache", kind: "valkey", host: "valkey.cache.svc.cluster.local", passwordSecret: { name: "valkey", key: "password" } },
  { name: "prometheus", kind: "prometheus-snapshot" },
  SQLITE,
];

const job = (target: BackupTarget, phase: JobPhase, namespace: string, ctx: Partial<JobContext> = {}) => backupCronJob(target, phase, namespace, "monitoring", { ...CONTEXT, ...ctx }) as Any;
const podOf = (cronJob: Any) => cronJob.spec.jobTemplate.spec.template.spec as Any;
const container = (cronJob: Any, name: string) => podOf(cronJob).containers.find((c: Any) => c.name === name) as Any;
const envOf = (c: Any) => Object.fromEntries((c.env as Any[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe.each(TARGETS.map((t) => [t.kind, t] as const))("%s CronJobs", (_kind, target) => {
  it.each(["backup", "drill"] as const)("%s: a valid Kubernetes object, hardened and bounded", (phase) => {
    const cronJob = job(target, phase, "strata-backups");
    expect(() => validateK8sObject(cronJob)).not.toThrow();
    expect(cronJob.spec).toMatchObject({ concurrencyPolicy: "Forbid", startingDeadlineSeconds: 3600, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 5, timeZone: "Etc/UTC" });
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: SCHEDULED_JOB_DEADLINE_SECONDS });
    // A retry cannot fix a config error, and must not re-run a good backup whose push failed; evictions don't count.
    expect(cronJob.spec.jobTemplate.spec.podFailurePolicy.rules).toEqual([
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] },
      { action: "FailJob", onExitCodes: { operator: "In", values: [...NOT_RETRIED] } },
    ]);
    const pod = podOf(cronJob);
    expect(pod).toMatchObject({ serviceAccountName: CONTEXT.serviceAccountName, automountServiceAccountToken: false, restartPolicy: "Never" });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect(c.securityContext, c.name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
      expect(c.securityContext.runAsUser, c.name).toBeGreaterThan(0);
      expect(c.resources.limits.memory, c.name).toBe(c.resources.requests.memory);
      expect(c.image, c.name).toMatch(/^[a-z0-9.-]+\/[a-z0-9._/-]+:[A-Za-z0-9._-]+$/);
      expect(c.image, c.name).not.toMatch(/:latest$/);
    }
    const emptyDirs = (pod.volumes as Any[]).filter((v) => v.emptyDir);
    expect(emptyDirs.length).toBeGreaterThan(0);
    for (const v of emptyDirs) expect(v.emptyDir.sizeLimit, v.name).toMatch(/^\d+(Mi|Gi)$/);
  });
});

describe("the sqlite backup CronJob", () => {
  const cronJob = job(SQLITE, "backup", "orders");
  const pod = podOf(cronJob);
  const backup = container(cronJob, "backup");

  it("runs in the application's namespace, as the identity made for it there", () => {
    expect(cronJob.metadata).toMatchObject({ name: "strata-backup-orders", namespace: "orders" });
    expect(cronJob.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "strata-backup", "strata.io/backup-target": "orders", "strata.io/backup-kind": "sqlite" });
    expect(pod.serviceAccountName).toBe("strata-backup-orders");
    expect(pod.volumes).toContainEqual({ name: "scripts", configMap: { name: CONTEXT.scriptsConfigMap, defaultMode: 0o555 } });
  });

  it("is scheduled only on the writer's node: required pod affinity on the writer's labels, per host", () => {
    expect(pod.affinity).toEqual({
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { "app.kubernetes.io/name": "orders", tier: "writer" } }, topologyKey: "kubernetes.io/hostname" }],
      },
    });
  });

  it("mounts the claim read-only, in the volume source and in its one container, and points SQLITE_PATH into it", () => {
    expect(pod.volumes).toContainEqual({ name: "sqlite-source", persistentVolumeClaim: { claimName: "orders-data", readOnly: true } });
    expect(pod.containers).toHaveLength(1);
    expect(backup.volumeMounts).toContainEqual({ name: "sqlite-source", mountPath: SQLITE_SOURCE.mountPath, readOnly: true });
    expect(envOf(backup)).toMatchObject({ BACKUP_KIND: "sqlite", BACKUP_TARGET: "orders", SQLITE_PATH: `${SQLITE_SOURCE.mountPath}/db/orders.sqlite3`, BACKUP_COMPRESSION: "zstd" });
  });

  it("copies, checks and uploads with the runtime in the pinned node image (its own SQLite), over SSE-KMS", () => {
    expect(backup.image).toBe(imageRef(IMAGES.node));
    expect(backup.command).toEqual(["/usr/local/bin/node", `${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`, "backup"]);
    expect(pod.initContainers).toBeUndefined();
    expect(envOf(backup)).toMatchObject({ S3_BUCKET: CONTEXT.bucket, S3_SSE_KMS_KEY_ID: CONTEXT.kmsKeyArn, PUSHGATEWAY_URL: CONTEXT.pushgatewayUrl });
  });

  it("sets no fsGroup, so Kubernetes never re-owns the application's files; joins the writer's group only when told", () => {
    expect(pod.securityContext).not.toHaveProperty("fsGroup");
    expect(pod.securityContext).not.toHaveProperty("supplementalGroups");
    expect(pod.securityContext.runAsGroup).toBe(SQLITE_SOURCE.uid);
    expect(backup.securityContext.runAsUser).toBe(SQLITE_SOURCE.uid);
    const grouped = podOf(job({ ...SQLITE, writerFsGroup: 2000 }, "backup", "orders"));
    expect(grouped.securityContext.supplementalGroups).toEqual([2000]);
  });

  it("bounds its scratch space by the target's scratchSizeGiB (default 10Gi), plus the room the copied runtime binaries take", () => {
    expect(pod.volumes).toContainEqual({ name: "work", emptyDir: { sizeLimit: `${10 * 1024 + RUNTIME_BINARIES_MIB}Mi` } });
    expect(podOf(job({ ...SQLITE, scratchSizeGiB: 40 }, "backup", "orders")).volumes).toContainEqual({ name: "work", emptyDir: { sizeLimit: `${40 * 1024 + RUNTIME_BINARIES_MIB}Mi` } });
  });
});

describe("the sqlite restore drill CronJob", () => {
  const cronJob = job(SQLITE, "drill", "strata-backups", { serviceAccountName: "strata-drill-orders" });
  const pod = podOf(cronJob);

  it("needs only the archive: no claim, no affinity, one container running the runtime's drill in the node image", () => {
    expect(cronJob.metadata).toMatchObject({ name: "strata-drill-orders", namespace: "strata-backups" });
    expect(pod.affinity).toBeUndefined();
    expect((pod.volumes as Any[]).some((v) => v.persistentVolumeClaim)).toBe(false);
    expect(pod.containers).toHaveLength(1);
    expect(container(cronJob, "drill").image).toBe(imageRef(IMAGES.node));
    expect(container(cronJob, "drill").command.slice(1)).toEqual([`${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`, "drill"]);
  });
});

describe("the exit statuses the CronJobs act on", () => {
  it("are the contract's: a configuration error, a failed push and a failed decryption, which a retry cannot change", () => {
    expect(NOT_RETRIED).toEqual([EXIT.config, EXIT.pushFailed, EXIT.decrypt]);
  });
});

describe("the rabbitmq-definitions and valkey CronJobs", () => {
  const rabbit = TARGETS.find((t) => t.kind === "rabbitmq-definitions")!;
  const valkey = TARGETS.find((t) => t.kind === "valkey")!;

  it("rabbitmq: the runtime exports in the node image, and runs the drill's throwaway broker in the pinned rabbitmq image unless drillImage says otherwise", () => {
    expect(container(job(rabbit, "backup", "strata-backups"), "backup").image).toBe(imageRef(IMAGES.node));
    expect(envOf(container(job(rabbit, "backup", "strata-backups"), "backup")).RABBITMQ_PASSWORD).toEqual({ secretKeyRef: { name: "rmq", key: "password" } });
    expect(container(job(rabbit, "drill", "strata-backups"), "drill").image).toBe(imageRef(IMAGES.rabbitmq));
    const own = { ...rabbit, drillImage: "docker.io/library/rabbitmq:3.13.7" } as BackupTarget;
    expect(container(job(own, "drill", "strata-backups"), "drill").image).toBe("docker.io/library/rabbitmq:3.13.7");
  });

  it("valkey: backup and drill run the runtime in the pinned valkey image, the password only from its Secret, and none when the target has none", () => {
    const backup = container(job(valkey, "backup", "strata-backups"), "backup");
    expect(backup.image).toBe(imageRef(IMAGES.valkey));
    expect(backup.command.slice(1)).toEqual([`${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`, "backup"]);
    expect(envOf(backup)).toMatchObject({ VALKEY_HOST: "valkey.cache.svc.cluster.local", VALKEY_PORT: "6379", VALKEY_PASSWORD: { secretKeyRef: { name: "valkey", key: "password" } } });
    expect(container(job(valkey, "drill", "strata-backups"), "drill").image).toBe(imageRef(IMAGES.valkey));
    const open = { ...valkey, passwordSecret: undefined } as BackupTarget;
    expect(envOf(container(job(open, "backup", "strata-backups"), "backup"))).not.toHaveProperty("VALKEY_PASSWORD");
  });
});

/**
 * The plan side of the backup runtime (components/backup/runtime/) for PostgreSQL's logical backups and drills: each
 * pod is one container of the postgres image running the bundle with the node binary an init container copied from
 * the pinned node image, and the scripts' ConfigMap ships exactly the bytes runtimeFiles() builds, within a
 * ConfigMap's 1 MiB; a pod whose image is node's own copies nothing, and an Alpine image (TimescaleDB's) gets node's
 * musl build.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { backupCronJob, type JobContext, type JobPhase } from "../../components/backup/cronJob";
import { RUNTIME_BINARIES_MIB, SCRIPTS_MOUNT } from "../../components/backup/podSpec";
import { TOOLS_BIN } from "../../components/backup/containers";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "../../components/backup/runtime/bundle";
import { RESTRICTED_CONTAINER } from "../../components/platform/containerDefaults";
import { IMAGES, imageRef } from "../../components/versions";
import type { BackupTarget } from "../../infra/config/sections/backups";
import { PROMETHEUS_SNAPSHOT_SOURCE } from "../../components/backup/kinds/prometheus-snapshot";
import { TIMESCALEDB_UID } from "../../components/backup/kinds/postgresql/timescaledb";
import { validateK8sObject } from "../helpers/k8sValidate";
import { inputsOf, plan, resourcesOfType, STACKS } from "../helpers/plan";
import { AWS_JOB_CONTEXT } from "../helpers/backupTargets";

type Any = Record<string, any>;

const CONTEXT: JobContext = { ...AWS_JOB_CONTEXT, serviceAccountName: "strata-backup-app-db", credentialsSecretName: "strata-backup-app-db-keys", scriptsConfigMap: "backup-scripts-1234" };
const ENCRYPTION = { recipientSecretName: "age-recipient", identitySecretName: "age-identity" };
const PG: BackupTarget = { name: "app-db", kind: "postgresql", host: "postgresql.data.svc.cluster.local", database: "app", user: "strata_backup", passwordSecret: { name: "pg", key: "password" } };
const TIMESCALE: BackupTarget = { ...PG, name: "metrics-db", timescaledb: true } as BackupTarget;

const podOf = (t: BackupTarget, phase: JobPhase, ctx: Partial<JobContext> = {}) => {
  const cronJob = backupCronJob(t, phase, "strata-backups", "monitoring", { ...CONTEXT, ...ctx }) as Any;
  expect(() => validateK8sObject(cronJob)).not.toThrow();
  return cronJob.spec.jobTemplate.spec.template.spec as Any;
};
const envOf = (c: Any) => Object.fromEntries((c.env as Any[]).map((e) => [e.name, e.value ?? e.valueFrom]));
const runtimeCommand = (command: string) => [`${TOOLS_BIN}/node`, `${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`, command];
const NODE_COPY = { name: "node", image: imageRef(IMAGES.node), command: ["sh", "-c", `mkdir -p ${TOOLS_BIN} && cp /usr/local/bin/node ${TOOLS_BIN}/`] };
/** The scripts' settings the runtime does without: the AWS CLI's (it speaks S3 through the SDK) and the contract (bundled). */
const SCRIPTS_ONLY_ENV = ["AWS_CLI", "HOME", "PATH", "BACKUP_CONTRACT_NAMES", "EXIT_CONFIG", "LAYOUT_LATEST", "METRIC_BACKUP_LAST_SUCCESS"];

describe.each([
  ["backup", "backup", { PGHOST: PG.host, PGPORT: "5432", PGUSER: "strata_backup", PGPASSWORD: { secretKeyRef: { name: "pg", key: "password" } } }, "768Mi"],
  ["drill", "drill", { RESTORE_JOBS: "2" }, "2304Mi"],
] as const)("the postgresql %s pod", (phase, command, toolEnv, memory) => {
  const pod = podOf(PG, phase);

  it(`is one container of the postgres image running the runtime's ${command}, node copied in first by a restricted init container`, () => {
    expect(pod.containers).toHaveLength(1);
    const [c] = pod.containers;
    expect(c).toMatchObject({ name: command, image: imageRef(IMAGES.postgres15), command: runtimeCommand(command) });
    expect(c).not.toHaveProperty("args");
    expect(pod.initContainers).toEqual([expect.objectContaining(NODE_COPY)]);
    const [init] = pod.initContainers;
    expect(init.securityContext).toEqual({ ...RESTRICTED_CONTAINER, runAsUser: c.securityContext.runAsUser });
    expect(init.volumeMounts).toContainEqual({ name: "work", mountPath: "/work" });
  });

  it("gets the archive's and the tool's environment and TOOLS_DIR, none of the scripts' own settings; the archive keys from their Secret", () => {
    const [c] = pod.containers;
    expect(envOf(c)).toMatchObject({
      BACKUP_KIND: "postgresql",
      BACKUP_TARGET: PG.name,
      WORK_DIR: "/work",
      BACKUP_COMPRESSION: "zstd",
      PHASE_WAIT_SECONDS: expect.any(String),
      S3_BUCKET: CONTEXT.bucket,
      S3_SSE_KMS_KEY_ID: CONTEXT.kmsKeyArn,
      AWS_REGION: CONTEXT.region,
      PUSHGATEWAY_URL: CONTEXT.pushgatewayUrl,
      TOOLS_DIR: TOOLS_BIN,
      ...toolEnv,
    });
    for (const name of SCRIPTS_ONLY_ENV) expect(envOf(c), name).not.toHaveProperty(name);
    expect(c.envFrom).toEqual([{ secretRef: { name: CONTEXT.credentialsSecretName } }]);
  });

  it(`has the larger of the two containers it replaces plus node's 256 MiB (${memory}), and room in its scratch for node beside the target's`, () => {
    expect(pod.containers[0].resources.limits.memory).toBe(memory);
    expect(pod.volumes).toContainEqual({ name: "work", emptyDir: { sizeLimit: `${10 * 1024 + RUNTIME_BINARIES_MIB}Mi` } });
  });

  it("with encryption, gets age copied beside node and the recipient (backup) or the identity (drill), as the scripts' S3 containers did", () => {
    const encrypted = podOf(PG, phase, { encryption: ENCRYPTION });
    expect(encrypted.initContainers.map((i: Any) => [i.name, i.image])).toEqual([
      ["node", imageRef(IMAGES.node)],
      ["age", imageRef(IMAGES.age)],
    ]);
    const [c] = encrypted.containers;
    if (phase === "backup") {
      expect(c.env).toContainEqual({ name: "AGE_RECIPIENT", valueFrom: { secretKeyRef: { name: ENCRYPTION.recipientSecretName, key: "recipient" } } });
      expect(envOf(c)).not.toHaveProperty("AGE_IDENTITY_FILE");
    } else {
      expect(envOf(c)).toMatchObject({ AGE_IDENTITY_FILE: expect.any(String) });
      expect(c.volumeMounts).toContainEqual(expect.objectContaining({ name: "age-identity", readOnly: true }));
      expect(envOf(c)).not.toHaveProperty("AGE_RECIPIENT");
    }
  });
});

describe("a TimescaleDB target", () => {
  it("backs up as any postgresql target: the runtime in the postgres image, zstd", () => {
    const pod = podOf(TIMESCALE, "backup");
    expect(pod.containers.map((c: Any) => [c.name, c.image, c.command])).toEqual([["backup", imageRef(IMAGES.postgres15), runtimeCommand("backup")]]);
    expect(envOf(pod.containers[0]).BACKUP_COMPRESSION).toBe("zstd");
  });

  it("drills with the runtime in the TimescaleDB image as its postgres user (70), node's musl build copied in (the image is Alpine)", () => {
    const pod = podOf(TIMESCALE, "drill");
    expect(IMAGES.timescaledb15.libc).toBe("musl");
    expect(pod.initContainers.map((i: Any) => [i.name, i.image, i.command])).toEqual([["node", imageRef(IMAGES.nodeMusl), NODE_COPY.command]]);
    expect(pod.containers).toHaveLength(1);
    const [c] = pod.containers;
    expect(c).toMatchObject({ name: "drill", image: imageRef(IMAGES.timescaledb15), command: runtimeCommand("drill") });
    expect(c.securityContext.runAsUser).toBe(TIMESCALEDB_UID);
    expect(pod.securityContext.fsGroup).toBe(TIMESCALEDB_UID);
    expect(envOf(c)).toMatchObject({ PG_TIMESCALEDB: "1", RESTORE_JOBS: "1", TOOLS_DIR: TOOLS_BIN });
    for (const name of SCRIPTS_ONLY_ENV) expect(envOf(c), name).not.toHaveProperty(name);
  });

  it("the musl build is the same Node version as the glibc one the tests run", () => {
    expect(IMAGES.nodeMusl.tag.split("-")[0]).toBe(IMAGES.node.tag.split("-")[0]);
    expect(IMAGES.nodeMusl.tag).toMatch(/-alpine/);
  });
});

describe("the mongodb pods", () => {
  const MONGO: BackupTarget = { name: "mongo", kind: "mongodb", uriSecret: { name: "mongo", key: "uri" } };

  it.each(["backup", "drill"] as const)("%s: one container of the mongo image running the runtime, node copied in, zstd", (phase) => {
    const pod = podOf(MONGO, phase);
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({ name: phase, image: imageRef(IMAGES.mongo), command: runtimeCommand(phase) });
    expect(pod.initContainers).toEqual([expect.objectContaining(NODE_COPY)]);
    expect(envOf(pod.containers[0])).toMatchObject({ BACKUP_KIND: "mongodb", BACKUP_COMPRESSION: "zstd", TOOLS_DIR: TOOLS_BIN });
    for (const name of SCRIPTS_ONLY_ENV) expect(envOf(pod.containers[0]), name).not.toHaveProperty(name);
  });

  it("the URI reaches the backup only, from its Secret", () => {
    expect(envOf(podOf(MONGO, "backup").containers[0]).MONGODB_URI).toEqual({ secretKeyRef: { name: "mongo", key: "uri" } });
    expect(envOf(podOf(MONGO, "drill").containers[0])).not.toHaveProperty("MONGODB_URI");
  });
});

describe("the prometheus-snapshot pods", () => {
  const PROMETHEUS: BackupTarget = { name: "prometheus", kind: "prometheus-snapshot" };
  const NODE_ITSELF = ["/usr/local/bin/node", `${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`];

  it("backup: the runtime in the node image itself (no copy of node), as Prometheus's user, beside replica 0, its volume mounted", () => {
    const pod = podOf(PROMETHEUS, "backup");
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers).toHaveLength(1);
    const [c] = pod.containers;
    expect(c).toMatchObject({ name: "backup", image: imageRef(IMAGES.node), command: [...NODE_ITSELF, "backup"] });
    expect(c.securityContext.runAsUser).toBe(PROMETHEUS_SNAPSHOT_SOURCE.uid);
    expect(pod.securityContext.fsGroup).toBe(PROMETHEUS_SNAPSHOT_SOURCE.gid);
    expect(envOf(c)).toMatchObject({ PROMETHEUS_URL: PROMETHEUS_SNAPSHOT_SOURCE.url("monitoring"), PROM_DATA_DIR: PROMETHEUS_SNAPSHOT_SOURCE.dataDir, BACKUP_COMPRESSION: "none" });
    expect(c.volumeMounts).toContainEqual({ name: "prometheus-data", mountPath: "/prometheus" });
    expect(pod.volumes).toContainEqual({ name: "prometheus-data", persistentVolumeClaim: { claimName: PROMETHEUS_SNAPSHOT_SOURCE.claim } });
    expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels).toEqual({ "statefulset.kubernetes.io/pod-name": PROMETHEUS_SNAPSHOT_SOURCE.pod });
  });

  it("drill: the runtime in the node image, promtool and prometheus copied into its tools by the only init container", () => {
    const pod = podOf(PROMETHEUS, "drill");
    expect(pod.initContainers.map((i: Any) => [i.name, i.image, i.command])).toEqual([
      ["promtool", imageRef(IMAGES.promtool), ["sh", "-c", `mkdir -p ${TOOLS_BIN} && cp /bin/promtool /bin/prometheus ${TOOLS_BIN}/`]],
    ]);
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({ name: "drill", image: imageRef(IMAGES.node), command: [...NODE_ITSELF, "drill"] });
    expect(envOf(pod.containers[0])).toMatchObject({ TOOLS_DIR: TOOLS_BIN });
  });

  it("with encryption, age is the one binary copied beside promtool; node stays the image's", () => {
    const pod = podOf(PROMETHEUS, "drill", { encryption: ENCRYPTION });
    expect(pod.initContainers.map((i: Any) => i.name)).toEqual(["promtool", "age"]);
    expect(pod.containers[0].command[0]).toBe("/usr/local/bin/node");
  });
});

describe.each(STACKS)("the %s plan's scripts ConfigMaps", (stack) => {
  let configMaps: Any[];
  beforeAll(async () => {
    const p = await plan(stack);
    configMaps = resourcesOfType(p, "kubernetes:core/v1:ConfigMap")
      .filter((r) => r.name.startsWith("backup-scripts"))
      .map((r) => inputsOf<Any>(r));
    expect(configMaps.length).toBeGreaterThan(0);
  });

  it("carry the runtime's loader and exactly the bundle runtimeFiles() builds here, nothing else (no script is left)", () => {
    const runtime = runtimeFiles();
    for (const cm of configMaps) {
      expect(cm.data).toEqual({ [RUNTIME_LOADER]: runtime.loader });
      expect(Object.keys(cm.binaryData)).toEqual([RUNTIME_BUNDLE]);
      expect(Buffer.from(cm.binaryData[RUNTIME_BUNDLE], "base64").equals(runtime.bundle)).toBe(true);
    }
  });

  it("fit a ConfigMap: the API server refuses more than 1 MiB of data and decoded binaryData together", () => {
    for (const cm of configMaps) {
      const dataBytes = Object.values(cm.data as Record<string, string>).reduce((n, v) => n + Buffer.byteLength(v, "utf8"), 0);
      const binaryBytes = Object.values(cm.binaryData as Record<string, string>).reduce((n, v) => n + Buffer.from(v, "base64").length, 0);
      expect(dataBytes + binaryBytes).toBeLessThanOrEqual(1024 * 1024);
    }
  });
});

describe.each(STACKS)("the %s plan's own pods", (stack) => {
  it("run no shell logic: every container runs the runtime's loader or one binary copy (mkdir and cp), nothing else", async () => {
    const p = await plan(stack);
    const workloads = [...resourcesOfType(p, "kubernetes:batch/v1:CronJob"), ...resourcesOfType(p, "kubernetes:apps/v1:StatefulSet"), ...resourcesOfType(p, "kubernetes:batch/v1:Job")];
    expect(workloads.length).toBeGreaterThan(0);
    const copy = /^mkdir -p \S+ && cp( \/\S+)+ \S+\/$/;
    for (const r of workloads) {
      const spec = inputsOf<Any>(r).spec;
      const pod = (spec.jobTemplate?.spec ?? spec).template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers] as Any[]) {
        const [program, ...args] = c.command as string[];
        const where = `${r.name}/${c.name}`;
        if (program === "sh") {
          expect(args[0], where).toBe("-c");
          expect(args[1], where).toMatch(copy);
        } else {
          // The copied node (in the scratch or tools volume) or the node image's own.
          expect(program, where).toMatch(/^\/[\w/.-]+\/node$/);
          expect(args[0], where).toBe(`${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`);
        }
        expect(c.args, where).toBeUndefined();
      }
    }
  });
});

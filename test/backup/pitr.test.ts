/**
 * PITR of a postgresql target as config, Kubernetes objects and plan: the `pitr` block is validated with errors naming
 * the key, its CronJobs and the WAL receiver's StatefulSet are valid hardened objects, and a plan with PITR on declares
 * the receiver with a Retain claim and an identity that appends under the target's wal/ prefix only. The tests build
 * their own config (a target of their own), not the stacks' profile targets.
 */
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../infra/config/load";
import { ConfigError } from "../../infra/config/errors";
import type { BackupTarget } from "../../infra/config/sections/backups";
import { backupCronJob, type JobContext } from "../../components/backup/cronJob";
import { pitrSettings } from "../../components/backup/pitr";
import { walReceiverStatefulSetSpec } from "../../components/backup/walReceiver";
import { RUNTIME_LOADER } from "../../components/backup/runtime/bundle";
import { IMAGES, imageRef } from "../../components/versions";
import { configProblems, rawConfig } from "../helpers/configProblems";
import { validateK8sObject, validateRecordedK8sResource } from "../helpers/k8sValidate";
import { plan, resourcesOfType } from "../helpers/plan";
import { actionsOf, policiesIn } from "../helpers/iam";
import { simulateDeploy } from "../../policies/core/deployOrder";
import { fromPlan } from "../../policies/core/evaluate";
import { AWS_JOB_CONTEXT } from "../helpers/backupTargets";

type Any = Record<string, any>;

const CLUSTER = JSON.stringify({ source: "stack", stack: "acme/clusters/prod" });
const PG = {
  name: "orders-db",
  kind: "postgresql",
  host: "orders-db.orders.svc.cluster.local",
  database: "orders",
  user: "strata_backup",
  passwordSecret: { name: "orders-db-backup", key: "password" },
} as const;
const PITR = { enabled: true, serverMajorVersion: 15 };
const KEY = "strata:backups.targets[0].pitr";
const dev = (target: Record<string, unknown>) => ({ profile: "dev", cluster: CLUSTER, backups: { targets: [target] } });

describe("the pitr block of a postgresql target", () => {
  it("is optional, and resolves to the documented defaults when enabled", () => {
    const { config } = resolveConfig(rawConfig(dev({ ...PG, pitr: PITR })));
    const s = pitrSettings(config.backups.targets[0]!)!;
    expect(s).toMatchObject({ rpoSeconds: 60, uploadIntervalSeconds: 15, targetTimeWindowHours: 24, serverMajorVersion: 15, receiverVolumeGiB: 10, slot: "strata_orders_db", baseBackupIntervalHours: 24, drillIntervalHours: 24 });
    expect(s.baseBackupSchedule).toMatch(/^\d+ 1 \* \* \*$/);
    expect(pitrSettings(resolveConfig(rawConfig(dev(PG))).config.backups.targets[0]!)).toBeUndefined();
    expect(pitrSettings(resolveConfig(rawConfig(dev({ ...PG, pitr: { ...PITR, enabled: false } }))).config.backups.targets[0]!)).toBeUndefined();
  });

  it.each([
    ["an RPO below 30 s", { ...PITR, rpoSeconds: 10 }, `${KEY}.rpoSeconds`, /at least 30/],
    ["a server major version with no pinned image", { ...PITR, serverMajorVersion: 16 }, `${KEY}.serverMajorVersion`, /must be one of 15/],
    ["no server major version", { enabled: true }, `${KEY}.serverMajorVersion`, /./],
    ["a base backup schedule Kubernetes refuses", { ...PITR, baseBackupSchedule: "61 1 * * *" }, `${KEY}.baseBackupSchedule`, /got value 61 expected range 0-59/],
    ["a zero target time window", { ...PITR, targetTimeWindowHours: 0 }, `${KEY}.targetTimeWindowHours`, /./],
    ["an unknown key", { ...PITR, archiveCommand: "cp" }, `${KEY}.archiveCommand`, /not a Strata config key/],
  ])("rejects %s, naming the key", (_what, pitr, key, message) => {
    const problems = configProblems(dev({ ...PG, pitr }));
    expect(problems.map((p) => p.key), JSON.stringify(problems)).toContain(key);
    expect(new ConfigError(problems).message).toMatch(message);
  });

  it("exists only on postgresql targets", () => {
    const problems = configProblems(dev({ name: "mongo", kind: "mongodb", uriSecret: { name: "m", key: "uri" }, pitr: PITR }));
    expect(problems.map((p) => p.key)).toContain("strata:backups.targets[0].pitr");
  });
});

const TARGET = { ...PG, pitr: PITR } as BackupTarget;
const CONTEXT: JobContext = { ...AWS_JOB_CONTEXT, serviceAccountName: "strata-backup-orders-db", scriptsConfigMap: "backup-scripts-1234", schedule: "17 1 * * *" };
const envOf = (c: Any) => Object.fromEntries((c.env as Any[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe("PITR CronJobs", () => {
  it("base backup: one container, the runtime's basebackup in the pinned postgres 15 image with node copied in, a backup-role pod", () => {
    const cj = backupCronJob(TARGET, "basebackup", "strata-backups", "monitoring", CONTEXT) as Any;
    expect(() => validateK8sObject(cj)).not.toThrow();
    expect(cj.metadata.name).toBe("strata-basebackup-orders-db");
    const pod = cj.spec.jobTemplate.spec.template;
    expect(pod.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "strata-backup", "app.kubernetes.io/component": "basebackup" });
    const containers = pod.spec.containers as Any[];
    expect(containers).toHaveLength(1);
    const [c] = containers;
    expect(c).toMatchObject({ name: "basebackup", image: imageRef(IMAGES.postgres15), command: ["/work/bin/node", `/opt/strata/${RUNTIME_LOADER}`, "basebackup"] });
    expect(pod.spec.initContainers.map((i: Any) => [i.name, i.image])).toEqual([["node", imageRef(IMAGES.node)]]);
    expect(envOf(c)).toMatchObject({ PGHOST: PG.host, PGUSER: PG.user, PGPASSWORD: { secretKeyRef: PG.passwordSecret }, S3_SSE_KMS_KEY_ID: CONTEXT.kmsKeyArn, TOOLS_DIR: "/work/bin" });
  });

  it("point-in-time drill: one container, the runtime's pitr-restore to a commit inside the configured window, a drill-role pod", () => {
    const cj = backupCronJob(TARGET, "pitr-drill", "strata-backups", "monitoring", CONTEXT) as Any;
    expect(() => validateK8sObject(cj)).not.toThrow();
    expect(cj.metadata.name).toBe("strata-pitr-drill-orders-db");
    const pod = cj.spec.jobTemplate.spec.template;
    expect(pod.metadata.labels["app.kubernetes.io/name"]).toBe("strata-drill");
    const [c, ...rest] = pod.spec.containers as Any[];
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ image: imageRef(IMAGES.postgres15), command: ["/work/bin/node", `/opt/strata/${RUNTIME_LOADER}`, "pitr-restore"] });
    expect(envOf(c)).toMatchObject({ PITR_TARGET: "drill", PITR_DRILL_WINDOW_SECONDS: String(24 * 3600) });
    expect(c.env.some((e: Any) => e.name === "PGPASSWORD")).toBe(false);
  });

  it("are refused for a target without PITR", () => {
    expect(() => backupCronJob(PG as BackupTarget, "basebackup", "ns", "monitoring", CONTEXT)).toThrow(/pitr\.enabled/);
  });
});

describe("the WAL receiver StatefulSet", () => {
  const spec = walReceiverStatefulSetSpec(TARGET, "strata-wal-orders-db", { ...CONTEXT, serviceAccountName: "strata-wal-orders-db" });
  const sts = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "strata-wal-orders-db", namespace: "strata-backups" }, spec };

  it("is a valid, hardened, single-replica object of one container (the runtime's wal-receiver) that mounts its claim as WORK_DIR", () => {
    expect(() => validateK8sObject(sts)).not.toThrow();
    expect(spec).toMatchObject({ replicas: 1, podManagementPolicy: "OrderedReady" });
    const pod = spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: "strata-wal-orders-db", automountServiceAccountToken: false });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.volumes).toContainEqual({ name: "wal", persistentVolumeClaim: { claimName: "strata-wal-orders-db" } });
    for (const c of pod.containers as Any[]) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
      expect(c.resources.limits.memory).toBe(c.resources.requests.memory);
      expect(envOf(c)).toMatchObject({ WORK_DIR: "/var/lib/strata-wal", PITR_SLOT: "strata_orders_db", PITR_UPLOAD_INTERVAL_SECONDS: "15" });
    }
    const [receiver, ...rest] = pod.containers as Any[];
    expect(rest).toEqual([]);
    expect(receiver).toMatchObject({ name: "wal-receiver", image: imageRef(IMAGES.postgres15), command: ["/opt/strata-tools/node", `/opt/strata/${RUNTIME_LOADER}`, "wal-receiver"] });
    // node is copied into a tools emptyDir, never onto the claim.
    expect(pod.initContainers.map((i: Any) => i.command)).toEqual([["sh", "-c", "mkdir -p /opt/strata-tools && cp /usr/local/bin/node /opt/strata-tools/"]]);
    expect(envOf(receiver)).toMatchObject({ PGHOST: PG.host, TOOLS_DIR: "/opt/strata-tools" });
  });
});

describe("a plan with PITR on (dev, a target of this test's own)", () => {
  it("declares the receiver with a retained claim, the two PITR CronJobs, and a wal identity that can only append under wal/", async () => {
    const p = await plan("dev", { backups: { targets: [{ ...PG, pitr: PITR }] } });
    const sts = resourcesOfType(p, "kubernetes:apps/v1:StatefulSet").filter((r) => r.name === "orders-db-wal");
    expect(sts).toHaveLength(1);
    validateRecordedK8sResource(sts[0]!);
    const claim = resourcesOfType(p, "kubernetes:core/v1:PersistentVolumeClaim").find((r) => r.name === "orders-db-wal-claim")!;
    expect(claim.options.retainOnDelete).toBe(true);
    expect((claim.inputs as Any).spec.resources.requests.storage).toBe("10Gi");
    const cronJobs = resourcesOfType(p, "kubernetes:batch/v1:CronJob").map((r) => r.name);
    expect(cronJobs).toEqual(expect.arrayContaining(["orders-db-backup", "orders-db-drill", "orders-db-basebackup", "orders-db-pitr-drill"]));
    for (const r of resourcesOfType(p, "kubernetes:batch/v1:CronJob").filter((r) => r.name.startsWith("orders-db-"))) validateRecordedK8sResource(r);
    const wal = policiesIn(p).find((x) => x.kind === "identity" && x.resource.name === "wal-orders-db");
    expect(wal, "wal-orders-db identity policy").toBeDefined();
    const actions = wal!.statements.flatMap(actionsOf);
    expect(actions).toContain("s3:PutObject");
    expect(actions).not.toContain("s3:DeleteObject");
    expect(wal!.statements.find((s) => s.Sid === "ObjectAccess")!.Resource).toMatch(/\/postgresql\/orders-db\/wal\/\*$/);
    expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  }, 120_000);

  it("passes the policy pack on prod too (its claim protected, no mandatory violation, no new advisory one)", async () => {
    const without = await plan("prod", { backups: { targets: [PG] } });
    const p = await plan("prod", { backups: { targets: [{ ...PG, pitr: PITR }] } });
    expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(p.policies.violations.length).toBe(without.policies.violations.length);
    const claim = resourcesOfType(p, "kubernetes:core/v1:PersistentVolumeClaim").find((r) => r.name === "orders-db-wal-claim")!;
    expect(claim.options).toMatchObject({ protect: true, retainOnDelete: true });
    // On an empty cluster the claim waits for its StorageClass and the StatefulSet for its identity.
    expect(simulateDeploy(fromPlan(p.resources)).problems).toEqual([]);
  }, 180_000);
});

/**
 * prod's default plan keeps telemetry in SQLite (stacks/profiles.ts): Strata derives the `telemetry` sqlite target
 * from it, with a backup CronJob beside the writer in the application's namespace, a drill in the backups namespace,
 * their identities, the scripts there, the Pushgateway's door open to that one pod label, and alerts on both jobs.
 */
import { RUNTIME_BUNDLE, RUNTIME_LOADER } from "../../components/backup/runtime/bundle";
import { RUNTIME_BINARIES_MIB } from "../../components/backup/podSpec";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../infra/plan/harness";
import type { RecordedResource } from "../../infra/plan/recordingMonitor";
import { plan, resourceNamed, resourcesOfType, inputsOf } from "../helpers/plan";
import { validateRecordedK8sResource } from "../helpers/k8sValidate";
import { SQLITE_SOURCE } from "../../components/backup/cronJob";

type Any = Record<string, any>;
const CRONJOB = "kubernetes:batch/v1:CronJob";
const WRITER_LABELS = { "app.kubernetes.io/name": "openfinops", "app.kubernetes.io/component": "telemetry" };

describe("prod's SQLite telemetry is backed up and drilled", () => {
  let p: Plan;
  let backup: RecordedResource;
  let drill: RecordedResource;
  beforeAll(async () => {
    p = await plan("prod");
    backup = resourceNamed(p, CRONJOB, "telemetry-backup");
    drill = resourceNamed(p, CRONJOB, "telemetry-drill");
  });
  const podOf = (r: RecordedResource) => inputsOf<Any>(r).spec.jobTemplate.spec.template.spec as Any;

  it("declares both CronJobs as valid Kubernetes objects, the backup beside the writer on its claim, read-only", () => {
    for (const r of [backup, drill]) validateRecordedK8sResource(r);
    expect(inputsOf<Any>(backup).metadata).toMatchObject({ name: "strata-backup-telemetry", namespace: "openfinops" });
    expect(inputsOf<Any>(drill).metadata).toMatchObject({ name: "strata-drill-telemetry", namespace: "strata-backups" });
    const pod = podOf(backup);
    expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{ labelSelector: { matchLabels: WRITER_LABELS }, topologyKey: "kubernetes.io/hostname" }]);
    expect(pod.volumes).toContainEqual({ name: "sqlite-source", persistentVolumeClaim: { claimName: "openfinops-telemetry-sqlite", readOnly: true } });
    // The application mounts the claim at /var/lib/openfinops: the file is telemetry.db at its root.
    const dump = pod.containers.find((c: Any) => c.name === "backup");
    expect(dump.env).toContainEqual({ name: "SQLITE_PATH", value: `${SQLITE_SOURCE.mountPath}/telemetry.db` });
    // Twice the 20 GiB volume: the copy and its archive.
    expect(pod.volumes).toContainEqual({ name: "work", emptyDir: { sizeLimit: `${40 * 1024 + RUNTIME_BINARIES_MIB}Mi` } });
  });

  it("runs each job as its own identity: the writer's ServiceAccount in the application's namespace, append-only on its prefix", () => {
    expect(podOf(backup).serviceAccountName).toBe("strata-backup-telemetry");
    expect(podOf(drill).serviceAccountName).toBe("strata-drill-telemetry");
    const account = resourceNamed(p, "kubernetes:core/v1:ServiceAccount", "backup-telemetry");
    validateRecordedK8sResource(account);
    expect(inputsOf<Any>(account).metadata).toMatchObject({ name: "strata-backup-telemetry", namespace: "openfinops", annotations: { "eks.amazonaws.com/role-arn": expect.stringMatching(/:role\/strata\/strata-prod-backup-telemetry$/) } });
    const [trust] = JSON.parse(inputsOf<Any>(resourceNamed(p, "aws:iam/role:Role", "backup-telemetry")).assumeRolePolicy).Statement;
    expect(Object.entries(trust.Condition.StringEquals).find(([k]) => k.endsWith(":sub"))![1]).toBe("system:serviceaccount:openfinops:strata-backup-telemetry");
    const policy = JSON.stringify(JSON.parse(inputsOf<Any>(resourceNamed(p, "aws:iam/rolePolicy:RolePolicy", "backup-telemetry")).policy));
    expect(policy).toContain("sqlite/telemetry/");
    expect(policy).not.toMatch(/s3:DeleteObject/);
    const backups = p.outputs.backups as Any;
    expect(backups.targets.telemetry).toMatchObject({ kind: "sqlite", prefix: "sqlite/telemetry/" });
  });

  it("puts the runtime's ConfigMap in the application's namespace for the backup to mount", () => {
    const scripts = resourcesOfType(p, "kubernetes:core/v1:ConfigMap").filter((r) => r.name.startsWith("backup-scripts"));
    const there = scripts.find((r) => inputsOf<Any>(r).metadata.namespace === "openfinops");
    expect(there?.name).toBe("backup-scripts-app-openfinops");
    expect(Object.keys(inputsOf<Any>(there!).data)).toEqual([RUNTIME_LOADER]);
    expect(Object.keys(inputsOf<Any>(there!).binaryData)).toEqual([RUNTIME_BUNDLE]);
    expect(podOf(backup).volumes.find((v: Any) => v.name === "scripts").configMap.name).toMatch(/^backup-scripts-app-openfinops/);
  });

  it("alerts on both jobs, the backup's CronJob found in the application's namespace", () => {
    const rule = resourcesOfType(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").find((r) => r.name === "backups-rules")!;
    const group = (inputsOf<Any>(rule).spec.groups as Any[]).find((g) => g.name === "strata.backup.sqlite.telemetry")!;
    expect(group.rules.map((r: Any) => r.alert)).toEqual(expect.arrayContaining(["StrataBackupMissing", "StrataRestoreDrillMissing", "StrataBackupRunNotReported"]));
    const notReported = group.rules.find((r: Any) => r.alert === "StrataBackupRunNotReported");
    expect(notReported.expr).toContain('namespace="openfinops", cronjob="strata-backup-telemetry"');
    expect(notReported.expr).toContain('namespace="strata-backups", cronjob="strata-drill-telemetry"');
  });

  it("passes every mandatory policy", () => {
    expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });
});

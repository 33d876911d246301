// Issue 23 item 4: one pod builder (components/backup/podSpec.ts) for the backup CronJobs, the WAL receiver's
// StatefulSet and the restore Job. Each kind of pod comes out of it restricted, and passes the policy pack's pod
// rules, the restore Job included (it is rendered by `npm run restore-job`, not the plan, so the pack never sees it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BackupTarget } from "../../infra/config/sections/backups";
import { PROJECT_DIR } from "../../infra/projectDir";
import { backupCronJob, type JobContext, type JobPhase } from "../../components/backup/cronJob";
import { walReceiverStatefulSetSpec } from "../../components/backup/walReceiver";
import { pointInTimeRestoreObjects } from "../../components/backup/restoreJob";
import { backupPodSpec, IMAGE_UID, SCRIPTS_MOUNT } from "../../components/backup/podSpec";
import { RUNTIME_LOADER } from "../../components/backup/runtime/bundle";
import { POLICIES } from "../../policies/rules";
import { policyConfig } from "../../policies/core/evaluate";
import { T } from "../../policies/core/util";
import { resources } from "../../components/platform/containerDefaults";

type Any = Record<string, any>;
const TARGET = {
  name: "orders-db",
  kind: "postgresql",
  host: "postgres.shop.svc.cluster.local",
  database: "orders",
  user: "backup",
  passwordSecret: { name: "orders-db", key: "password" },
  pitr: { enabled: true, serverMajorVersion: 15 },
} as BackupTarget;
const CONTEXT: JobContext = {
  bucket: "strata-prod-backups-1a2b",
  region: "eu-central-1",
  pushgatewayUrl: "http://strata-pushgateway.monitoring.svc.cluster.local:9091",
  serviceAccountName: "strata-backup-orders-db",
  credentialsSecretName: "strata-backup-orders-db-keys",
  scriptsConfigMap: "backup-scripts",
  labels: { "app.kubernetes.io/part-of": "strata" },
  schedule: "17 1 * * *",
  encryption: { recipientSecretName: "age-recipient", identitySecretName: "age-identity" },
};

/** Every pod the three builders render for one PITR target, as the resource the policy pack would see. */
function pods(): { name: string; type: string; props: Any; pod: Any }[] {
  const phases: JobPhase[] = ["backup", "drill", "basebackup", "pitr-drill"];
  const cronJobs = phases.map((phase) => {
    const cj = backupCronJob(TARGET, phase, "strata-backups", "monitoring", CONTEXT) as Any;
    return { name: cj.metadata.name, type: T.cronJob, props: cj, pod: cj.spec.jobTemplate.spec.template.spec };
  });
  const sts = { spec: walReceiverStatefulSetSpec(TARGET, "strata-wal-orders-db", CONTEXT) };
  const job = pointInTimeRestoreObjects({ target: TARGET, time: "latest", namespace: "strata-backups", bucket: "b", region: "eu-central-1", storageClassName: "strata", claimSize: "50Gi", name: "restore-orders-db", serviceAccountName: "strata-drill-orders-db", credentialsSecretName: "keys", labels: {} }).find((o) => o.kind === "Job")!;
  return [...cronJobs, { name: "strata-wal-orders-db", type: T.statefulSet, props: sts, pod: sts.spec.template.spec }, { name: "restore-orders-db", type: T.job, props: job, pod: job.spec.template.spec }];
}

describe("the backup pod builder", () => {
  it.each(pods().map((p) => [p.name, p] as const))("%s: restricted pod and containers, the scripts/work/tmp volumes mounted alike, no API token", (_n, p) => {
    expect(p.pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(p.pod.automountServiceAccountToken).toBe(false);
    const volumes = (p.pod.volumes as Any[]).map((v) => v.name);
    expect(volumes.slice(0, 3)).toEqual(["scripts", expect.any(String), "tmp"]);
    for (const c of [...(p.pod.initContainers ?? []), ...p.pod.containers] as Any[]) {
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, runAsUser: expect.any(Number) });
      expect(c.securityContext.runAsUser).not.toBe(0);
      expect(c.volumeMounts.slice(0, 3)).toEqual([{ name: "scripts", mountPath: SCRIPTS_MOUNT, readOnly: true }, { name: volumes[1], mountPath: expect.any(String) }, { name: "tmp", mountPath: "/tmp" }]);
    }
    // The archive's keys reach only the containers that talk to S3, from their Secret, never as literal values.
    expect((p.pod.containers as Any[]).some((c) => c.envFrom)).toBe(true);
  });

  it.each(pods().map((p) => [p.name, p] as const))("%s passes the policy pack's pod rules", (_n, p) => {
    for (const name of ["strata-pod-require-restricted-security", "strata-pod-forbid-literal-credentials", "strata-pod-require-resources", "strata-workload-require-pinned-images"]) {
      const policy = POLICIES.find((x) => x.name === name)!;
      if (policy.kind !== "resource") throw new Error(`${name} is not a resource policy`);
      const resource = { type: p.type, name: p.name, urn: `urn:${p.name}`, props: p.props, opts: { protect: false, additionalSecretOutputs: [] }, dependencies: [] };
      expect(policy.validate(resource, { mode: "plan", config: policyConfig(policy, {}) }), name).toEqual([]);
    }
  });

  it("copies binaries with an init container of the same security, and a runtime container runs the loader from the mount with the node it is given", () => {
    const spec = backupPodSpec({
      security: { fsGroup: IMAGE_UID.debianServiceUser },
      scriptsConfigMap: "s",
      work: { name: "work", mountPath: "/work", sizeLimit: "1Gi" },
      initContainers: [{ name: "age", image: "a:1", run: { copies: ["/usr/local/bin/age"], binDir: "/work/bin" }, resources: resources("50m", "64Mi", "200m"), runAsUser: IMAGE_UID.nobody }],
      containers: [{ name: "backup", image: "p:1", run: { runtime: "backup", node: "/work/bin/node" }, resources: resources("1", "1Gi", "2"), runAsUser: IMAGE_UID.debianServiceUser }],
    }) as Any;
    expect(spec.initContainers[0].command).toEqual(["sh", "-c", "mkdir -p /work/bin && cp /usr/local/bin/age /work/bin/"]);
    expect(spec.containers[0]).toMatchObject({ command: ["/work/bin/node", `${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`, "backup"] });
    expect(spec.containers[0]).not.toHaveProperty("args");
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } });
    expect(spec.volumes).toEqual([{ name: "scripts", configMap: { name: "s", defaultMode: 0o555 } }, { name: "work", emptyDir: { sizeLimit: "1Gi" } }, { name: "tmp", emptyDir: { sizeLimit: "256Mi" } }]);
  });

  it("the WAL receiver and the restore Job define no security context, volume layout or uid of their own", () => {
    for (const file of ["components/backup/walReceiver.ts", "components/backup/restoreJob.ts"]) {
      const source = readFileSync(join(PROJECT_DIR, file), "utf8");
      expect(source, file).not.toMatch(/\b999\b|RESTRICTED_CONTAINER|seccompProfile|emptyDir|configMap: \{|imagePullPolicy/);
    }
  });
});

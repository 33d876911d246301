/**
 * `npm run restore-job`: renders, from a stack file of this test's own, the objects that restore a PITR target to a
 * chosen time into a new claim. The rendered Job's containers are run for real in
 * test/integration/pitr-postgresql.test.ts; here: the objects are valid and hardened, and bad input is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { renderRestoreJob } from "../../scripts/restore-job";
import { IMAGES, imageRef } from "../../components/versions";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "../../components/backup/runtime/bundle";
import { validateK8sObject } from "../helpers/k8sValidate";

type Any = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), "strata-restore-job-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const target = (pitr?: Record<string, unknown>) => ({
  name: "orders-db",
  kind: "postgresql",
  host: "orders-db.orders.svc.cluster.local",
  database: "orders",
  user: "strata_backup",
  passwordSecret: { name: "orders-db-backup", key: "password" },
  ...(pitr ? { pitr } : {}),
});

// The dev profile: hcloud (Hetzner Object Storage, static S3 credentials per identity).
function stackFile(targets: Record<string, unknown>[]): string {
  const path = join(dir, `Pulumi.test-${Math.random().toString(36).slice(2)}.yaml`);
  const config: Record<string, unknown> = { "strata:profile": "dev", "strata:cluster": JSON.stringify({ source: "stack", stack: "acme/clusters/prod" }), "strata:backups": { targets } };
  writeFileSync(path, yaml.dump({ config }));
  return path;
}

const ARGS = ["--target", "orders-db", "--time", "2026-12-03T08:10:00Z", "--size", "50Gi", "--bucket", "strata-dev-backups-1a2b"];
const NOW = new Date("2026-12-03T09:00:00Z");

describe("npm run restore-job", () => {
  it("prints a ConfigMap with the runtime, a new claim and a Job restoring the target to the time, all valid and hardened", () => {
    const docs = yaml.loadAll(renderRestoreJob(["--config", stackFile([target({ enabled: true, serverMajorVersion: 15 })]), ...ARGS], NOW)) as Any[];
    expect(docs.map((d) => d.kind)).toEqual(["ConfigMap", "PersistentVolumeClaim", "Job"]);
    for (const d of docs) expect(() => validateK8sObject(d)).not.toThrow();
    const [cm, pvc, job] = docs as [Any, Any, Any];
    // The runtime the CronJobs run, byte for byte.
    expect(cm.data).toEqual({ [RUNTIME_LOADER]: runtimeFiles().loader });
    expect(Buffer.from(cm.binaryData[RUNTIME_BUNDLE], "base64").equals(runtimeFiles().bundle)).toBe(true);
    expect(pvc.metadata).toMatchObject({ name: "orders-db-pitr-20261203t090000", namespace: "strata-backups" });
    expect(pvc.spec).toMatchObject({ storageClassName: "hcloud-volumes", resources: { requests: { storage: "50Gi" } } });
    const pod = job.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: "strata-drill-orders-db", automountServiceAccountToken: false, restartPolicy: "Never" });
    expect(pod.volumes).toContainEqual({ name: "restored", persistentVolumeClaim: { claimName: pvc.metadata.name } });
    const [restore, ...rest] = pod.containers as Any[];
    expect(rest).toEqual([]);
    expect(restore).toMatchObject({ image: imageRef(IMAGES.postgres15), command: ["/work/bin/node", `/opt/strata/${RUNTIME_LOADER}`, "pitr-restore"] });
    expect(pod.initContainers.map((c: Any) => c.image)).toEqual([imageRef(IMAGES.node)]);
    const env = Object.fromEntries((restore.env as Any[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ PITR_TARGET: "2026-12-03T08:10:00Z", PITR_DATA_DIR: "/var/lib/strata-restore/pgdata", BACKUP_TARGET: "orders-db", S3_BUCKET: "strata-dev-backups-1a2b" });
    for (const c of [...pod.initContainers, ...pod.containers] as Any[]) expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(restore.env.some((e: Any) => e.name === "PUSHGATEWAY_URL")).toBe(false);
  });

  it("on hcloud, its container takes the drill identity's static credentials and the given S3 endpoint", () => {
    const docs = yaml.loadAll(renderRestoreJob(["--config", stackFile([target({ enabled: true, serverMajorVersion: 15 })]), ...ARGS, "--s3-endpoint", "https://fsn1.your-objectstorage.com"], NOW)) as Any[];
    const fetch = docs[2]!.spec.template.spec.containers[0];
    expect(fetch.envFrom).toEqual([{ secretRef: { name: "strata-drill-orders-db-s3-credentials" } }]);
    expect(fetch.env).toContainEqual({ name: "S3_ENDPOINT_URL", value: "https://fsn1.your-objectstorage.com" });
  });

  it.each([
    ["a target without PITR", [target()], ARGS, /has no PITR/],
    ["an unknown target", [target({ enabled: true, serverMajorVersion: 15 })], ["--target", "nope", ...ARGS.slice(2)], /no such backup target/],
    ["a time without a zone", [target({ enabled: true, serverMajorVersion: 15 })], [...ARGS.slice(0, 2), "--time", "2026-12-03 08:10", ...ARGS.slice(4)], /ISO-8601 time with a zone/],
    ["a size that is not whole GiB", [target({ enabled: true, serverMajorVersion: 15 })], [...ARGS.slice(0, 4), "--size", "50G", ...ARGS.slice(6)], /whole GiB/],
    ["no bucket", [target({ enabled: true, serverMajorVersion: 15 })], ARGS.slice(0, 6), /--bucket is required/],
  ])("refuses %s", (_what, targets, args, message) => {
    expect(() => renderRestoreJob(["--config", stackFile(targets), ...args], NOW)).toThrow(message);
  });
});

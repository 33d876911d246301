/**
 * A sqlite target configured on dev (Hetzner: static keys), planned for real: everything its backup job needs is
 * declared in the application's namespace (ServiceAccount, credentials Secret, scripts), the Pushgateway admits that
 * job's pods, and its drill stays in the backups namespace with its own identity.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { inputsOf, plan, resourceNamed, resourcesOfType } from "../helpers/plan";
import { validateRecordedK8sResource } from "../helpers/k8sValidate";
import { PROFILE_DEFAULTS } from "../../stacks/profiles";
import type { Plan } from "../../infra/plan/harness";
import type { RecordedResource } from "../../infra/plan/recordingMonitor";

type Any = Record<string, any>;
const ORDERS = { name: "orders", kind: "sqlite", namespace: "orders", claimName: "orders-data", path: "orders.sqlite3", writerSelector: { matchLabels: { app: "orders" } } };

describe("a configured sqlite target (dev, hcloud)", () => {
  let p: Plan;
  beforeAll(async () => {
    p = await plan("dev", { backups: { targets: [...PROFILE_DEFAULTS.dev.backups.targets, ORDERS] } });
  });
  const podOf = (r: RecordedResource) => inputsOf<Any>(r).spec.jobTemplate.spec.template.spec as Any;

  it("declares its backup CronJob, ServiceAccount, credentials and scripts in the application's namespace", () => {
    const backup = resourceNamed(p, "kubernetes:batch/v1:CronJob", "orders-backup");
    validateRecordedK8sResource(backup);
    expect(inputsOf<Any>(backup).metadata.namespace).toBe("orders");
    const account = resourceNamed(p, "kubernetes:core/v1:ServiceAccount", "backup-orders");
    expect(inputsOf<Any>(account).metadata).toMatchObject({ name: "strata-backup-orders", namespace: "orders" });
    expect(inputsOf<Any>(account).automountServiceAccountToken).toBe(false);
    // hcloud has no workload identity: an IAM user whose key is a Secret beside the job, read by its one container.
    const secret = resourcesOfType(p, "kubernetes:core/v1:Secret").find((r) => r.name === "backup-orders")!;
    expect(inputsOf<Any>(secret).metadata).toMatchObject({ name: "strata-backup-orders-s3-credentials", namespace: "orders" });
    const pod = podOf(backup);
    expect(pod.serviceAccountName).toBe("strata-backup-orders");
    const byName = Object.fromEntries((pod.containers as Any[]).map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(["backup"]);
    expect(byName.backup.envFrom).toEqual([{ secretRef: { name: "strata-backup-orders-s3-credentials" } }]);
    const scripts = resourcesOfType(p, "kubernetes:core/v1:ConfigMap").find((r) => r.name === "backup-scripts-app-orders")!;
    expect(inputsOf<Any>(scripts).metadata.namespace).toBe("orders");
  });

  it("keeps its drill in the backups namespace, as its own read-only identity", () => {
    const drill = resourceNamed(p, "kubernetes:batch/v1:CronJob", "orders-drill");
    expect(inputsOf<Any>(drill).metadata.namespace).toBe("strata-backups");
    expect(podOf(drill).serviceAccountName).toBe("strata-drill-orders");
    expect(inputsOf<Any>(resourceNamed(p, "kubernetes:core/v1:ServiceAccount", "drill-orders")).metadata.namespace).toBe("strata-backups");
  });

  it("lets only Strata's backup pods of that namespace push to the Pushgateway", () => {
    const policy = resourceNamed(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "strata-monitoring-allow-pushgateway-from-backups");
    expect(inputsOf<Any>(policy).spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "orders" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "strata-backup" } },
    });
  });

  it("passes every mandatory policy", () => {
    expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });
});

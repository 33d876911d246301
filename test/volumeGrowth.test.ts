/**
 * Volumes grow when config says so (issue 25): a stack that records what its volumes hold
 * (`storage.deployedSizes`) and raises their sizes gets one PersistentVolumeClaimPatch per claim a StatefulSet made,
 * by the name the chart or the operator gives it and with the new size; a lower size is refused before anything runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlan, type Plan } from "../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile, stackNameFromFile } from "../infra/plan/stackFile";
import { renderPlan } from "../infra/plan/report";
import { stackVolumes, type StackVolume, type VolumeGrowthInput } from "../infra/volumeGrowth";
import { lokiClaimNames, prometheusClaimNames, pushgatewayClaimNames, statefulSetClaimName, thanosClaimNames } from "../components/storage/claimNames";
import { prometheusDataClaimName } from "../components/metrics/names";
import { stackFiles, stackLabel } from "./helpers/stackFiles";
import { withConfig } from "./helpers/plan";
import { configProblems } from "./helpers/configProblems";
import { validateK8sObject } from "./helpers/k8sValidate";

const PATCH = "kubernetes:core/v1:PersistentVolumeClaimPatch";
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

async function planOf(file: string, changes: Record<string, unknown> = {}): Promise<Plan> {
  const outcome = await runPlan({ project: "strata", stack: stackNameFromFile(file), config: withConfig(readStackConfigFile(file), changes) });
  if (!outcome.ok) throw new Error(`plan of ${stackLabel(file)} failed:\n${outcome.error.message}`);
  return outcome.plan;
}

const patches = (plan: Plan) =>
  plan.resources
    .filter((r) => r.type === PATCH)
    .map((r) => {
      const { metadata, spec } = r.inputs as { metadata: { name: string; namespace: string }; spec: { resources: { requests: { storage: string } } } };
      return { claim: `${metadata.namespace}/${metadata.name}`, size: spec.resources.requests.storage, retainOnDelete: r.options.retainOnDelete };
    })
    .sort((a, b) => a.claim.localeCompare(b.claim));

/** The edits a user makes to grow every volume by 10 GiB: record what each holds now, raise each size key. */
function growEverything(volumes: StackVolume[]): Record<string, unknown> {
  const deployed: Record<string, unknown> = {};
  const claimsRecord: Record<string, number> = {};
  const overrides: Record<string, number> = {};
  const claims: Record<string, unknown> = {};
  let loki: number | undefined;
  let pushgateway: number | undefined;
  for (const v of volumes) {
    if (v.volume.startsWith("claims.")) claimsRecord[v.volume.slice(7)] = v.gib;
    else deployed[v.volume] = v.gib;
    const to = v.gib + 10;
    if (v.sizeKey.startsWith("capacity.overrides.")) overrides[v.sizeKey.slice("capacity.overrides.".length)] = to;
    else if (v.sizeKey === "logging.loki.volumeSizeGiB") loki = to;
    else if (v.sizeKey === "metrics.pushgateway.volumeSizeGiB") pushgateway = to;
    else claims[v.volume.slice(7)] = { size: `${to}Gi` };
  }
  return {
    storage: { deployedSizes: { ...deployed, ...(Object.keys(claimsRecord).length ? { claims: claimsRecord } : {}) }, claims },
    capacity: { overrides },
    ...(loki !== undefined ? { logging: { loki: { volumeSizeGiB: loki } } } : {}),
    ...(pushgateway !== undefined ? { metrics: { pushgateway: { volumeSizeGiB: pushgateway } } } : {}),
  };
}

describe("claim names follow the operator's and the charts' rules", () => {
  it("are <template>-<statefulset>-<ordinal> (Kubernetes' StatefulSet controller)", () => {
    expect(statefulSetClaimName("data", "strata-thanos-compactor", 0)).toBe("data-strata-thanos-compactor-0");
  });
  it("Prometheus: prometheus-<name>-db-prometheus-<name>-<i> (the name users see with the chart's defaults)", () => {
    // `helm install prometheus kube-prometheus-stack`: the Prometheus resource is prometheus-kube-prometheus-prometheus.
    expect(prometheusClaimNames("prometheus-kube-prometheus-prometheus", 1)).toEqual(["prometheus-prometheus-kube-prometheus-prometheus-db-prometheus-prometheus-kube-prometheus-prometheus-0"]);
    expect(prometheusClaimNames("strata-prometheus", 2)).toEqual(["prometheus-strata-prometheus-db-prometheus-strata-prometheus-0", "prometheus-strata-prometheus-db-prometheus-strata-prometheus-1"]);
    // The backup job and the carry-over claim use the same rule.
    expect(prometheusDataClaimName("strata", 1)).toBe("prometheus-strata-prometheus-db-prometheus-strata-prometheus-1");
  });
  it("Thanos, Loki and the Pushgateway", () => {
    expect(thanosClaimNames("strata-thanos", "storegateway", 2)).toEqual(["data-strata-thanos-storegateway-0", "data-strata-thanos-storegateway-1"]);
    expect(lokiClaimNames("loki", "single-binary", 1)).toEqual(["storage-loki-0"]);
    expect(lokiClaimNames("loki", "ingester", 2)).toEqual(["data-loki-ingester-0", "data-loki-ingester-1"]);
    expect(pushgatewayClaimNames("strata-pushgateway", 1, false)).toEqual(["strata-pushgateway"]);
    expect(pushgatewayClaimNames("strata-pushgateway", 2, true)).toEqual(["storage-volume-strata-pushgateway-0", "storage-volume-strata-pushgateway-1"]);
  });
});

describe("a first deploy and an unchanged stack patch nothing", () => {
  for (const file of stackFiles()) {
    it(`${stackLabel(file)} as written`, async () => {
      const plan = await planOf(file);
      expect(patches(plan)).toEqual([]);
      expect(renderPlan(plan)).not.toContain("Volumes that grow");
    });
  }
  it("dev with every size recorded as it is", async () => {
    const file = join(PROJECT_DIR, "Pulumi.dev.yaml");
    const volumes = stackVolumes((await planOf(file)).config as unknown as VolumeGrowthInput);
    const plan = await planOf(file, { storage: { deployedSizes: { ...Object.fromEntries(volumes.filter((v) => !v.volume.startsWith("claims.")).map((v) => [v.volume, v.gib])) } } });
    expect(patches(plan)).toEqual([]);
    expect(renderPlan(plan)).toContain("Volumes: none is above its size in strata:storage.deployedSizes; nothing grows");
  });
});

describe("raising every size grows every volume in place", () => {
  // Literal names for the project's own stacks, written from the rules' sources (components/storage/claimNames.ts).
  const expected: Record<string, string[]> = {
    "Pulumi.dev.yaml": ["logging/storage-loki-0", "monitoring/prometheus-strata-prometheus-db-prometheus-strata-prometheus-0"],
    "Pulumi.prod.yaml": [
      "logging/data-loki-compactor-0",
      "logging/data-loki-index-gateway-0",
      "logging/data-loki-index-gateway-1",
      "logging/data-loki-ingester-0",
      "logging/data-loki-ingester-1",
      "logging/data-loki-ingester-2",
      "logging/data-loki-ruler-0",
      "logging/data-loki-ruler-1",
      "monitoring/data-strata-thanos-compactor-0",
      "monitoring/data-strata-thanos-storegateway-0",
      "monitoring/data-strata-thanos-storegateway-1",
      "monitoring/prometheus-strata-prometheus-db-prometheus-strata-prometheus-0",
      "monitoring/prometheus-strata-prometheus-db-prometheus-strata-prometheus-1",
      "monitoring/storage-volume-strata-pushgateway-0",
      "monitoring/storage-volume-strata-pushgateway-1",
    ],
  };
  for (const file of stackFiles()) {
    it(`${stackLabel(file)}: one patch per StatefulSet claim, by name, at the new size; Strata's own claims grow by their spec`, async () => {
      const before = await planOf(file);
      const volumes = stackVolumes(before.config as unknown as VolumeGrowthInput);
      const plan = await planOf(file, growEverything(volumes));
      const got = patches(plan);
      const want = volumes
        .filter((v) => v.grownBy === "template")
        .flatMap((v) => v.claims.map((c) => ({ claim: `${v.namespace}/${c}`, size: `${v.gib + 10}Gi`, retainOnDelete: true })))
        .sort((a, b) => a.claim.localeCompare(b.claim));
      expect(got).toEqual(want);
      // Prometheus is always there; Thanos, Loki and the Pushgateway only when on.
      const config = before.config as unknown as VolumeGrowthInput;
      const prometheus = got.filter((p) => /\/prometheus-strata-prometheus-db-prometheus-strata-prometheus-\d+$/.test(p.claim));
      expect(prometheus).toHaveLength(config.metrics.prometheus.replicas);
      expect(got.some((p) => p.claim.includes("strata-thanos-"))).toBe(config.metrics.thanos.enabled);
      expect(got.some((p) => /\/(storage-loki|data-loki-[a-z-]+)-\d+$/.test(p.claim))).toBe(config.logging.enabled);
      const base = stackLabel(file);
      if (base in expected) expect(got.map((p) => p.claim)).toEqual(expected[base]);
      for (const p of got) expect(p.claim.split("/")[1]).toMatch(DNS1123_SUBDOMAIN);
      // Each patch is a valid PersistentVolumeClaim fragment: nothing but the name, the namespace and the size.
      for (const r of plan.resources.filter((x) => x.type === PATCH)) {
        const { metadata, spec } = r.inputs as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
        validateK8sObject({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata, spec });
        expect(Object.keys(spec)).toEqual(["resources"]);
      }
      // Strata's own claims take the new size in their spec.
      for (const v of volumes.filter((x) => x.volume.startsWith("claims."))) {
        const claim = plan.resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim" && (r.inputs as { metadata: { name: string } }).metadata.name === v.claims[0]);
        expect((claim!.inputs as { spec: { resources: { requests: { storage: string } } } }).spec.resources.requests.storage).toBe(`${v.gib + 10}Gi`);
      }
      // The plan says which volumes grow, from and to, and what the StatefulSet needs.
      const text = renderPlan(plan);
      expect(text).toContain("Volumes that grow on the next `pulumi up`");
      for (const v of volumes) expect(text).toMatch(new RegExp(`^${v.volume.replace(".", "\\.")}\\s+${v.gib} GiB\\s+${v.gib + 10} GiB`, "m"));
    });
  }
  it("prod has Thanos: its store gateways and compactor are patched, and the plan says to orphan-delete their StatefulSets", async () => {
    const file = join(PROJECT_DIR, "Pulumi.prod.yaml");
    const volumes = stackVolumes((await planOf(file)).config as unknown as VolumeGrowthInput);
    const plan = await planOf(file, growEverything(volumes));
    const names = patches(plan).map((p) => p.claim);
    expect(names).toContain("monitoring/data-strata-thanos-compactor-0");
    expect(names).toContain("monitoring/data-strata-thanos-storegateway-0");
    expect(renderPlan(plan)).toContain("kubectl -n monitoring delete statefulset strata-thanos-storegateway --cascade=orphan");
  });
});

describe("a shrink is refused before anything runs", () => {
  const dev = { profile: "dev", cluster: { source: "stack", stack: "acme/clusters/dev" } };
  it("below the recorded size, on the key that sets it", () => {
    const problems = configProblems({ ...dev, capacity: { overrides: { prometheusVolumeGiB: 40 } }, storage: { deployedSizes: { prometheus: 50 } } });
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: "strata:capacity.overrides.prometheusVolumeGiB",
        value: 40,
        message: "must be at least 50 (storage.deployedSizes.prometheus records 50 GiB in the cluster): a Kubernetes volume can grow but never shrink; keep it at 50 or raise it",
      }),
    );
  });
  it("for a claim of storage.claims, in its own unit", () => {
    const problems = configProblems({ ...dev, storage: { claims: { orders: { namespace: "orders", size: "10Gi" } }, deployedSizes: { claims: { orders: 20 } } } });
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: "strata:storage.claims.orders.size",
        value: "10Gi",
        message: "must be at least 20Gi (storage.deployedSizes.claims.orders records 20 GiB in the cluster): a Kubernetes volume can grow but never shrink; keep it at 20Gi or raise it",
      }),
    );
  });
  it("when the capacity estimate fell below the record, on the record, naming the override to set", () => {
    const problems = configProblems({ ...dev, storage: { deployedSizes: { prometheus: 5000 } } });
    const p = problems.find((x) => x.key === "strata:storage.deployedSizes.prometheus");
    expect(p?.message).toMatch(/^is above the \d+ GiB the capacity estimate now gives the Prometheus \(each replica\) volume: a Kubernetes volume can grow but never shrink; set capacity\.overrides\.prometheusVolumeGiB to at least 5000$/);
  });
  it("a record of a volume the stack does not have", () => {
    const problems = configProblems({ ...dev, metrics: { thanos: { enabled: false } }, storage: { deployedSizes: { thanosCompactor: 20 } } });
    expect(problems).toContainEqual(expect.objectContaining({ key: "strata:storage.deployedSizes.thanosCompactor", value: 20 }));
    expect(problems.find((x) => x.key === "strata:storage.deployedSizes.thanosCompactor")!.message).toMatch(/^names no volume of this stack: the volumes it has are prometheus, /);
  });
  it("the runbook quotes the refusal as the program says it", () => {
    const runbook = readFileSync(join(PROJECT_DIR, "docs", "runbooks", "grow-a-volume.md"), "utf8");
    expect(runbook).toContain(
      "`strata:capacity.overrides.prometheusVolumeGiB: must be at least 50 (storage.deployedSizes.prometheus records 50 GiB in the cluster): a Kubernetes volume can grow but never shrink; keep it at 50 or raise it`",
    );
  });
});

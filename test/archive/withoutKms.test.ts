import { join } from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { runPlan, type Plan } from "../../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile } from "../../infra/plan/stackFile";
import { renderPlan } from "../../infra/plan/report";
import { plan, resourcesOfType, withConfig } from "../helpers/plan";
import { SHARED_CHARTS_DIR, unknownValuePaths } from "../helpers/chartValues";
import { CHARTS } from "../../components/versions";
import { SSE_C_KEY, sseCustomerKeyPath, thanosObjstoreConfig } from "../../components/metrics/objstore";
import { SSE_C_SECRET_NAME } from "../../components/metrics/thanos";
import { bucketGuardStatements } from "../../components/archive/bucketPolicy";
import { ARCHIVE_CAPABILITIES } from "../../components/archive/providers";
import { LOKI_IMAGE_TAG, LOKI_SSE_TYPES } from "../../components/logging/lokiValues";
import { HETZNER_OBJECT_STORAGE, hetznerObjectStorageMonthly } from "../../infra/capacity/prices";
import { buildArchiveEstimateDashboard, ARCHIVE_COST_DASHBOARD_UID } from "../../components/archive/costDashboard";
import { BACKUP_METRICS } from "../../components/backup/metrics";

type Any = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";

/**
 * Seed 000's stack (examples/stacks/Pulumi.batchsender.yaml, Hetzner Object Storage) as its team would grow it: with
 * Thanos for history beyond the 30 local days, and logs. Decrypted with the examples' passphrase.
 */
const BATCHSENDER = join(PROJECT_DIR, "examples", "stacks", "Pulumi.batchsender.yaml");
let hetznerPlan: Promise<Plan> | undefined;
function batchsenderWithThanos(): Promise<Plan> {
  hetznerPlan ??= (async () => {
    const base = readStackConfigFile(BATCHSENDER, { passphrase: "strata-examples-not-a-secret" });
    const outcome = await runPlan({ project: "strata", stack: "batchsender", config: withConfig(base, { metrics: { thanos: { enabled: true } }, logging: { enabled: true } }) });
    if (!outcome.ok) throw new Error(outcome.error.message);
    return outcome.plan;
  })();
  return hetznerPlan;
}
const release = (p: Plan, name: string) => p.resources.find((r) => r.type === RELEASE && r.name === name)!;
const values = (p: Plan, name: string) => (release(p, name).inputs as Any).values as Any;

describe("Thanos' object-store config on a store without KMS", () => {
  it("asks for SSE-C with the key file's path, in thanos-io/objstore's field names, and never both SSE kinds", () => {
    const config = yaml.load(thanosObjstoreConfig({ bucket: "b", region: "fsn1", endpoint: "https://fsn1.your-objectstorage.com", sseCustomerKeyFile: sseCustomerKeyPath })) as Any;
    expect(config.config.sse_config).toEqual({ type: "SSE-C", encryption_key: "/etc/strata/sse-c/sse-c.key" });
    expect(() => thanosObjstoreConfig({ bucket: "b", region: "r", kmsKeyArn: "arn:k", sseCustomerKeyFile: "/k" })).toThrow("exclusive");
  });
});

describe("seed 000 on Hetzner with Thanos and logs", () => {
  it("generates the SSE-C key once, 32 bytes, kept like data, in a Secret of the monitoring namespace", async () => {
    const p = await batchsenderWithThanos();
    const key = resourcesOfType(p, "random:index/randomBytes:RandomBytes").find((r) => r.name === "thanos-sse-c")!;
    expect(key.inputs).toEqual({ length: 32 });
    // prod: protected and retained, like the LUKS passphrase.
    expect(key.options).toMatchObject({ protect: true, retainOnDelete: true });
    const secret = resourcesOfType(p, "kubernetes:core/v1:Secret").find((r) => r.name === "thanos-sse-c")!;
    expect((secret.inputs as Any).metadata).toMatchObject({ name: SSE_C_SECRET_NAME, namespace: "monitoring" });
    // The key is a Pulumi secret: the Secret's data never reaches the plan (or state) in plain text.
    expect((secret.inputs as Any).data).toBe("[secret]");
    expect(secret.options).toMatchObject({ protect: true, retainOnDelete: true });
    expect(secret.options.additionalSecretOutputs).toEqual(expect.arrayContaining(["data", "stringData"]));
  });

  it("every writer and reader of the metrics bucket mounts the key where the objstore config points; Query never gets it", async () => {
    const p = await batchsenderWithThanos();
    const objstore = yaml.load((p.outputs.metrics as Any).thanosObjstoreConfig) as Any;
    expect(objstore.config).toMatchObject({ endpoint: "fsn1.your-objectstorage.com", region: "fsn1", sse_config: { type: "SSE-C", encryption_key: sseCustomerKeyPath } });
    const volume = { name: SSE_C_KEY.volume, secret: { secretName: SSE_C_SECRET_NAME, items: [{ key: SSE_C_KEY.file, path: SSE_C_KEY.file }] } };
    const mount = { name: SSE_C_KEY.volume, mountPath: SSE_C_KEY.mountPath, readOnly: true };
    const thanos = values(p, "thanos");
    for (const component of ["storegateway", "compactor", "ruler"]) {
      expect(thanos[component].extraVolumes, component).toEqual([volume]);
      expect(thanos[component].extraVolumeMounts, component).toEqual([mount]);
    }
    for (const component of ["query", "queryFrontend"]) expect(thanos[component].extraVolumes, component).toBeUndefined();
    expect(thanos.global.extraVolumes).toBeUndefined();
    // The Prometheus sidecar uploads the blocks: the operator-made container gets the mount beside its credentials.
    const spec = values(p, "kube-prometheus-stack").prometheus.prometheusSpec;
    expect(spec.volumes).toEqual([volume]);
    const sidecar = (spec.containers as Any[]).find((c) => c.name === "thanos-sidecar")!;
    expect(sidecar.volumeMounts).toEqual([mount]);
    expect(sidecar.envFrom).toEqual([{ secretRef: { name: "strata-prometheus-s3-credentials" } }]);
    expect(release(p, "kube-prometheus-stack").options.dependsOn.join(" ")).toContain("thanos-sse-c");
  });

  it("the values with the key mounted are all paths the pinned charts have", async () => {
    const p = await batchsenderWithThanos();
    expect(unknownValuePaths(join(SHARED_CHARTS_DIR, `thanos-thanos-community-${CHARTS.thanos.version}`), values(p, "thanos")).filter((x) => !/^ruler\.rules\./.test(x))).toEqual([]);
    // Subcharts' own keys, as test/metrics.test.ts allows them (their values.yaml files are not in ../shared/charts).
    const subchartKeys = [/^grafana\.resources\./, /^kube-state-metrics\.resources\./, /^prometheus-node-exporter\.resources\./];
    const kps = unknownValuePaths(join(SHARED_CHARTS_DIR, `kube-prometheus-stack-${CHARTS.kubePrometheusStack.version}`), values(p, "kube-prometheus-stack"));
    expect(kps.filter((x) => !subchartKeys.some((re) => re.test(x)))).toEqual([]);
  });

  it("Loki cannot write SSE-C: its values ask for no encryption, and the plan says so plainly", async () => {
    const p = await batchsenderWithThanos();
    const s3 = values(p, "loki").loki.storage.s3;
    expect(s3.sse).toBeUndefined();
    expect(LOKI_SSE_TYPES).not.toContain("SSE-C");
    const text = renderPlan(p);
    expect(text).toContain(`  at rest, logs bucket: not encrypted by Strata: Loki ${LOKI_IMAGE_TAG} writes with SSE-KMS or SSE-S3 only (no SSE-C) and the store has no KMS`);
    expect(text).toContain(`  at rest, metrics bucket: SSE-C, with a 32-byte key generated once, kept in Pulumi state (random:RandomBytes thanos-sse-c) and in the Secret monitoring/${SSE_C_SECRET_NAME}; losing it loses every block in the bucket: back it up (docs/archive.md)`);
  });

  it("still plans with no AWS account: no KMS, IAM, DLM or EKS resource, and no policy violation", async () => {
    const p = await batchsenderWithThanos();
    expect(p.resources.filter((r) => /^aws:(kms|iam|dlm|eks)/.test(r.type))).toEqual([]);
    expect(p.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.name)).toEqual(["archive-store"]);
    expect(p.policies.violations).toEqual([]);
  });

  it("every bucket gets the guards Hetzner holds, for every principal; the plan says what no policy can restrict", async () => {
    const p = await batchsenderWithThanos();
    const policies = resourcesOfType(p, "aws:s3/bucketPolicy:BucketPolicy");
    expect(policies.map((r) => r.name).sort()).toEqual(["backups", "logs", "metrics"]);
    for (const r of policies) {
      const doc = JSON.parse((r.inputs as Any).policy as string);
      expect(doc.Statement.map((s: Any) => s.Sid)).toEqual(["DenyInsecureTransport", "DenyVersionDeletion", "DenyGovernanceBypass"]);
      expect(doc.Statement.every((s: Any) => s.Effect === "Deny" && s.Principal === "*")).toBe(true);
      expect(r.options.provider).toContain("archive-store");
    }
    expect(renderPlan(p)).toContain(
      "  bucket policies: deny-insecure-transport, deny-version-deletion, deny-governance-bypass, for every principal; they cannot restrict: a Hetzner project key reaches every bucket of its project, and every workload signs with the stack's one key",
    );
  });
});

describe("bucket guards per store", () => {
  it("AWS keeps its TLS and SSE-KMS statements; Hetzner has no s3:TlsVersion and no KMS; an unknown S3-compatible store gets no policy", () => {
    const sids = (provider: keyof typeof ARCHIVE_CAPABILITIES, key?: string) => bucketGuardStatements("arn:aws:s3:::b", ARCHIVE_CAPABILITIES[provider].bucketGuards, key).map((s) => s.Sid);
    expect(sids("aws", "arn:aws:kms:eu-central-1:1:key/k")).toEqual(["DenyInsecureTransport", "DenyTlsBelow12", "DenyUploadsWithoutSseKms", "DenyUploadsWithAnotherKey"]);
    expect(sids("hetzner")).toEqual(["DenyInsecureTransport", "DenyVersionDeletion", "DenyGovernanceBypass"]);
    expect(ARCHIVE_CAPABILITIES.hetzner.bucketPolicy).toBe(true);
    expect(ARCHIVE_CAPABILITIES["s3-compatible"].bucketPolicy).toBe(false);
    expect(sids("s3-compatible")).toEqual([]);
  });
});

describe("AWS stacks are untouched", () => {
  it.each(["dev", "prod"] as const)("%s has no SSE-C key and Thanos asks for SSE-KMS where it runs", async (stack) => {
    const p = await plan(stack);
    expect(resourcesOfType(p, "random:index/randomBytes:RandomBytes")).toEqual([]);
    expect(resourcesOfType(p, "kubernetes:core/v1:Secret").filter((r) => r.name === "thanos-sse-c")).toEqual([]);
    const objstore = (p.outputs.metrics as Any).thanosObjstoreConfig as string | undefined;
    if (objstore) expect((yaml.load(objstore) as Any).config.sse_config.type).toBe("SSE-KMS");
    expect(renderPlan(p)).not.toContain("at rest,");
  });
});

describe("Hetzner Object Storage prices", () => {
  it("are Hetzner's published figures, with source and date", () => {
    expect(HETZNER_OBJECT_STORAGE).toMatchObject({ source: "https://docs.hetzner.com/storage/object-storage/overview", currency: "EUR", basePerMonth: 5, includedStorageTB: 1, includedTrafficTB: 1, hoursPerMonth: 744, perTBHour: 0.0067 });
  });

  it("charge the base price up to the included TB, then 744 TB-hours a month per extra TB", () => {
    expect(hetznerObjectStorageMonthly(0)).toEqual({ base: 5, overage: 0, total: 5, currency: "EUR" });
    expect(hetznerObjectStorageMonthly(900).total).toBe(5); // 0.97 TB
    const threeTB = (3e12 / 1024 ** 3) as number;
    expect(hetznerObjectStorageMonthly(threeTB).overage).toBeCloseTo(2 * 744 * 0.0067, 6); // 9.97
    expect(hetznerObjectStorageMonthly(threeTB).total).toBeCloseTo(14.97, 2);
  });

  it("the capacity plan prices seed 000's buckets that way: one base row, the overage shared by size, all in EUR", async () => {
    const p = await batchsenderWithThanos();
    const capacity = p.outputs.capacity as Any;
    const store = (capacity.rows as Any[]).filter((r) => r.medium === "hetzner-object-storage");
    const base = store.find((r) => r.area === "archive")!;
    expect(base).toMatchObject({ monthly: 5, currency: "EUR", item: "Hetzner Object Storage base price (1 TB stored, 1 TB traffic included)" });
    const buckets = store.filter((r) => r !== base);
    expect(new Set(buckets.map((r) => r.area))).toEqual(new Set(["metrics", "logs", "backups"]));
    const gib = buckets.reduce((n, r) => n + r.sizeGiB * r.count, 0);
    const overage = buckets.reduce((n, r) => n + r.monthly, 0);
    expect(overage).toBeCloseTo(hetznerObjectStorageMonthly(gib).overage, 1);
    expect((capacity.rows as Any[]).filter((r) => r.currency === "USD")).toEqual([]);
    expect(capacity.notes.join("\n")).toContain("Hetzner Object Storage: EUR 5.00 a month per account with 1 TB stored and 1 TB traffic included, then EUR 0.0067 per TB-hour");
  });
});

describe("the cost dashboard on a store without storage metrics", () => {
  const input = {
    provider: "hetzner",
    buckets: [{ purpose: "backups" as const, name: "strata-batchsender-backups-x", estimate: { monthly: 22, currency: "EUR", gib: 4992.9 } }],
    accountCharge: { monthly: 5, currency: "EUR", what: "base price" },
    pricesFrom: `${HETZNER_OBJECT_STORAGE.source}, ${HETZNER_OBJECT_STORAGE.date}`,
  };
  const dashboard = buildArchiveEstimateDashboard(input);
  const panels = dashboard.panels as Any[];

  it("says what it cannot read there, and what it shows instead", () => {
    expect(dashboard.uid).toBe(ARCHIVE_COST_DASHBOARD_UID);
    const first = panels[0]!;
    expect(first.title).toBe("What this dashboard cannot read here");
    expect(first.options.content).toContain("archive.provider `hetzner` publishes no storage metrics (there is no CloudWatch)");
    expect(first.options.content).toContain("Shown instead: the capacity plan's estimate per bucket (from strata:capacity, not measured) and the size of each backup's latest object as its job pushes it.");
    const estimate = panels.find((p) => p.title === "Monthly storage cost, estimated (not measured): backups")!;
    expect(estimate.options.content).toContain("## 22.00 EUR/month");
    expect(estimate.options.content).toContain("Not measured: the store publishes no storage metrics.");
    expect(panels.find((p) => p.title === "Per account, whatever the buckets")!.options.content).toContain("## 5.00 EUR/month");
  });

  it("reads no CloudWatch: its one query is the backup jobs' pushed size, through the Prometheus datasource", () => {
    const targets = panels.flatMap((p) => (p.targets ?? []) as Any[]);
    expect(targets).toEqual([{ datasource: { type: "prometheus", uid: "${datasource}" }, expr: `max by (kind, target) (${BACKUP_METRICS.size})`, legendFormat: "{{target}} ({{kind}})", refId: "A" }]);
    expect(JSON.stringify(dashboard)).not.toContain("cloudwatch");
  });

  it("is what seed 000's stack declares, with the plan's own figures", async () => {
    const p = await batchsenderWithThanos();
    const cm = resourcesOfType(p, "kubernetes:core/v1:ConfigMap").find((r) => r.name === "archive-cost-dashboard")!;
    const json = JSON.parse(Object.values((cm.inputs as Any).data)[0] as string) as Any;
    expect(json.panels[0].options.content).toContain("archive.provider `hetzner` publishes no storage metrics");
    const titles = (json.panels as Any[]).map((x) => x.title);
    expect(titles).toEqual(expect.arrayContaining(["Monthly storage cost, estimated (not measured): backups", "Monthly storage cost, estimated (not measured): logs", "Monthly storage cost, estimated (not measured): metrics"]));
    // No CloudWatch datasource and no Grafana identity off AWS.
    expect(resourcesOfType(p, "aws:iam/role:Role")).toEqual([]);
  });
});

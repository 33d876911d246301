import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlan, type Plan } from "../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile, stackNameFromFile } from "../infra/plan/stackFile";
import { DEFAULT_POLICY_CONFIG, readPackConfig } from "../infra/plan/policyConfig";
import { renderPlan } from "../infra/plan/report";
import { CAPABILITIES, type Capability } from "../infra/capabilities";
import type { Restorability } from "../infra/restorability/matrix";

/**
 * Stacks written the way users write them (test/fixtures/userStacks/: from the README, the docs and the seeds, not
 * from the schema): each plans green with exactly the capabilities it asked for, and exactly the components and
 * buckets those capabilities declare, nothing else.
 */
const DIR = join(PROJECT_DIR, "test", "fixtures", "userStacks");
const FILES = readdirSync(DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).sort();

// The organisation approved its own gp3-fast class (Retain, encrypted) for claims that name it.
const policyConfig = readPackConfig(DEFAULT_POLICY_CONFIG) ?? {};
policyConfig["strata-pvc-require-approved-class"] = { approvedClasses: ["ebs-gp3", "hcloud-volumes", "gp3-fast"] };

const plans = new Map<string, Promise<Plan>>();
function planOf(file: string): Promise<Plan> {
  if (!plans.has(file)) {
    plans.set(
      file,
      (async () => {
        const outcome = await runPlan({ project: "strata", stack: stackNameFromFile(file), config: readStackConfigFile(join(DIR, file)), policyConfig });
        if (!outcome.ok) throw new Error(`${file} did not plan:\n${outcome.error.message}`);
        return outcome.plan;
      })(),
    );
  }
  return plans.get(file)!;
}

/** What each stack asked for: its capabilities, cloud, profile, and whether it names claims. */
const ASKED: Record<string, { on: Capability[]; cloud: "aws" | "hcloud"; profile: "dev" | "prod"; claims: boolean }> = {
  "Pulumi.minimal-dev-aws.yaml": { on: ["metrics", "pushgateway", "logging", "snapshots"], cloud: "aws", profile: "dev", claims: false },
  "Pulumi.minimal-dev-hcloud.yaml": { on: ["metrics", "pushgateway", "logging"], cloud: "hcloud", profile: "dev", claims: false },
  "Pulumi.minimal-prod-aws.yaml": { on: ["metrics", "thanos", "pushgateway", "logging", "snapshots"], cloud: "aws", profile: "prod", claims: false },
  "Pulumi.minimal-prod-hcloud.yaml": { on: ["metrics", "thanos", "pushgateway", "logging"], cloud: "hcloud", profile: "prod", claims: false },
  "Pulumi.prod-short-tsdb.yaml": { on: ["metrics", "thanos", "pushgateway", "logging", "snapshots"], cloud: "aws", profile: "prod", claims: false },
  "Pulumi.metrics-only.yaml": { on: ["metrics", "pushgateway"], cloud: "hcloud", profile: "prod", claims: false },
  "Pulumi.logs-off.yaml": { on: ["metrics", "thanos", "pushgateway", "snapshots", "backups"], cloud: "aws", profile: "prod", claims: true },
  "Pulumi.no-backup-targets.yaml": { on: ["metrics", "thanos", "pushgateway", "logging", "snapshots"], cloud: "aws", profile: "prod", claims: true },
  "Pulumi.several-postgres-valkey.yaml": { on: ["metrics", "thanos", "pushgateway", "logging", "snapshots", "backups"], cloud: "aws", profile: "prod", claims: true },
};

/** The components each capability declares (infra/areas/*), and those every stack has. */
const COMPONENTS_OF: Record<Capability, string[]> = {
  metrics: ["alerting:Alerting", "metrics:KubePrometheusStack", "metrics:PrometheusOperatorCrds", "platform:Namespaces", "platform:NetworkPolicies"],
  thanos: ["metrics:Thanos"],
  pushgateway: ["metrics:Pushgateway"],
  logging: ["logging:Loki", "logging:LogCollector"],
  snapshots: ["storage:DlmExecutionRole", "storage:EbsSnapshotPolicy"],
  backups: ["backup:BackupMonitoring", "backup:BackupScripts", "backup:BackupTarget"],
  telemetry: ["telemetry:TelemetryStore"],
};

function expectedComponents(a: (typeof ASKED)[string]): string[] {
  const anyBucket = a.on.some((c) => c === "thanos" || c === "logging" || c === "backups");
  return [
    ...a.on.flatMap((c) => COMPONENTS_OF[c]),
    a.cloud === "aws" ? "storage:EbsStorageClass" : "storage:HcloudStorageClass",
    ...(a.claims ? ["storage:PersistentClaim"] : []),
    // The archive (its key, buckets and identities) exists only while a bucket does; aws keeps its EBS key anyway.
    ...(anyBucket ? ["archive:ArchiveBucket", "identity:WorkloadIdentity"] : []),
    ...(anyBucket || a.cloud === "aws" ? ["security:CustomerManagedKey"] : []),
    // prod replicates the backups bucket.
    ...(a.on.includes("backups") && a.profile === "prod" ? ["archive:BucketReplication"] : []),
    // The buckets' protection check runs in the backups namespace and pushes to the Pushgateway.
    ...(a.on.includes("backups") && a.on.includes("pushgateway") ? ["archive:BucketProtectionCheck"] : []),
  ].sort();
}

function expectedBuckets(a: (typeof ASKED)[string]): string[] {
  const buckets = [...(a.on.includes("thanos") ? ["metrics"] : []), ...(a.on.includes("logging") ? ["logs"] : []), ...(a.on.includes("backups") ? ["backups"] : [])];
  const prod = a.profile === "prod";
  return [...buckets, ...(prod && buckets.includes("backups") ? ["backups-replica"] : []), ...(prod && buckets.length > 0 ? ["access-logs"] : [])].sort();
}

const components = (p: Plan) => [...new Set(p.resources.filter((r) => !r.custom && r.type.startsWith("strata:")).map((r) => r.type.slice("strata:".length)))].sort();
const ofType = (p: Plan, type: string) => p.resources.filter((r) => r.type === type);
const release = (p: Plan, name: string) => p.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === name);

describe("stacks written the way users write them", () => {
  it("cover every fixture file", () => {
    expect(FILES.sort()).toEqual(Object.keys(ASKED).sort());
  });

  it.each(FILES)("%s plans green with exactly the capabilities, components and buckets it asked for", async (file) => {
    const p = await planOf(file);
    const asked = ASKED[file]!;
    expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(p.configNotes.capabilities.filter((c) => c.on).map((c) => c.capability)).toEqual(CAPABILITIES.filter((c) => asked.on.includes(c)));
    expect(components(p)).toEqual(expectedComponents(asked));
    expect(ofType(p, "aws:s3/bucket:Bucket").map((r) => r.name).sort()).toEqual(expectedBuckets(asked));
    // Off leaves nothing behind: no release, no outputs, no report rows of it.
    expect(Boolean(release(p, "loki"))).toBe(asked.on.includes("logging"));
    expect(Boolean(p.outputs.logging)).toBe(asked.on.includes("logging"));
    expect(Boolean(p.outputs.backups)).toBe(asked.on.includes("backups"));
    expect(p.outputs.telemetry).toBeUndefined();
    expect(ofType(p, "aws:dlm/lifecyclePolicy:LifecyclePolicy").length > 0).toBe(asked.on.includes("snapshots"));
    const retention = (p.outputs.retention as { tier: string }[]).map((r) => r.tier);
    expect(retention.some((t) => t.startsWith("metrics: raw in S3"))).toBe(asked.on.includes("thanos"));
    expect(retention.some((t) => t.startsWith("logs"))).toBe(asked.on.includes("logging"));
    expect(retention.some((t) => t.startsWith("EBS snapshots"))).toBe(asked.on.includes("snapshots"));
    const capacity = p.outputs.capacity as { rows: { area: string; item: string }[] };
    expect(capacity.rows.some((r) => r.area === "logs")).toBe(asked.on.includes("logging"));
    expect(capacity.rows.some((r) => r.item.startsWith("Thanos"))).toBe(asked.on.includes("thanos"));
    // Backup rows need a size (capacity.databases); without backups there are none at all.
    if (!asked.on.includes("backups")) expect(capacity.rows.filter((r) => r.area === "backups")).toEqual([]);
    const matrix = p.outputs.restorability as Restorability;
    expect(matrix.rows.filter((r) => r.type === "bucket").map((r) => r.store.split(" ")[0]).sort()).toEqual(expectedBuckets(asked).filter((b) => ["metrics", "logs", "backups"].includes(b)));
    // Nobody asked for OpenFinOps: nothing lands in its namespace.
    expect(p.resources.filter((r) => (r.inputs as { metadata?: { namespace?: string } }).metadata?.namespace === "openfinops")).toEqual([]);
    expect(renderPlan(p)).toMatch(/^Capabilities \(each off declares nothing of it\):/m);
  });

  it("the plan says how many nodes the posture needs where replicas are kept apart by hard anti-affinity", async () => {
    expect(renderPlan(await planOf("Pulumi.minimal-prod-aws.yaml"))).toContain(
      "  nodes: at least 3 schedulable nodes (Prometheus x2, the Pushgateway x2, each Loki component x3: hard pod anti-affinity",
    );
    expect(renderPlan(await planOf("Pulumi.metrics-only.yaml"))).toContain("  nodes: at least 2 schedulable nodes (the Pushgateway x2: hard pod anti-affinity");
    expect(renderPlan(await planOf("Pulumi.minimal-dev-hcloud.yaml"))).not.toContain("schedulable nodes");
  });

  it("minimal dev on aws: the profile's TSDB size cap follows the 7 GiB volume the stack gets, with a note, instead of exit 2", async () => {
    const p = await planOf("Pulumi.minimal-dev-aws.yaml");
    expect(p.configNotes.adjustedDefaults).toEqual([
      { key: "strata:retention.localTsdbSizeGiB", message: expect.stringMatching(/the dev profile's 8 GiB does not fit the 7 GiB Prometheus volume this stack gets; lowered to 5 GiB/) },
    ]);
    expect((p.config.retention as { localTsdbSizeGiB: number }).localTsdbSizeGiB).toBe(5);
  });

  it("prod with a shorter localTsdbDays: the size cap is derived from its smaller volume, with a note", async () => {
    const p = await planOf("Pulumi.prod-short-tsdb.yaml");
    expect(p.configNotes.adjustedDefaults.map((n) => n.key)).toEqual(["strata:retention.localTsdbSizeGiB"]);
    const size = (p.config.retention as { localTsdbSizeGiB: number }).localTsdbSizeGiB;
    expect(size).toBeLessThan(45);
    expect(size).toBe(Math.floor(p.outputs.capacity ? (p.outputs.capacity as { sizes: { prometheusVolumeGiB: { gib: number } } }).sizes.prometheusVolumeGiB.gib * 0.85 : 0));
  });

  it("metrics only (seed 000): one Prometheus (no Thanos to deduplicate a second), no bucket, no archive key, no backups namespace", async () => {
    const p = await planOf("Pulumi.metrics-only.yaml");
    const spec = (release(p, "kube-prometheus-stack")!.inputs as { values: { prometheus: { prometheusSpec: { replicas: number } } } }).values.prometheus.prometheusSpec;
    expect(spec.replicas).toBe(1);
    expect(ofType(p, "aws:kms/key:Key")).toEqual([]);
    expect(ofType(p, "kubernetes:core/v1:Namespace").map((r) => r.name)).toEqual(["strata-monitoring"]);
    expect(p.configNotes.adjustedDefaults.map((n) => n.key)).toContain("strata:metrics.prometheus.replicas");
  });

  it("several PostgreSQL targets plus Valkey: a claim counts as protected only by its own targets", async () => {
    const p = await planOf("Pulumi.several-postgres-valkey.yaml");
    const rows = (p.outputs.restorability as Restorability).rows;
    const backup = (store: string) => rows.find((r) => r.store === store)!.backup;
    // `reporting` dumps a database served from namespace orders; it protects no claim there.
    expect(backup("orders-data (orders)").text).toMatch(/^orders \(named after the service\)/);
    expect(backup("orders-data (orders)").text).not.toContain("reporting");
    expect(backup("cache-data (orders)").text).toMatch(/^cache \(named after the service\)/);
    expect(backup("billing-data (billing)").text).toMatch(/^billing \(named after the service\)/);
    // Only the namespace the stack asked Strata to create is Strata's; `orders` is the application's prerequisite.
    expect(ofType(p, "kubernetes:core/v1:Namespace").map((r) => r.name).sort()).toEqual(["storage-billing", "strata-backups", "strata-logging", "strata-monitoring"]);
    expect(renderPlan(p)).toMatch(/The cluster must already have[^]*\n {2}namespace orders\n/);
  });

  it("a claim may name an existing StorageClass; its namespace is the application's, listed as a prerequisite", async () => {
    const p = await planOf("Pulumi.no-backup-targets.yaml");
    const pvc = (name: string) => ofType(p, "kubernetes:core/v1:PersistentVolumeClaim").find((r) => r.name === name)!.inputs as { spec: { storageClassName: string } };
    expect(pvc("valkey-data").spec.storageClassName).toBe("gp3-fast");
    expect(pvc("rabbitmq-data").spec.storageClassName).toBe("ebs-gp3");
    expect((p.outputs.claims as Record<string, { storageClass: string }>).valkey!.storageClass).toBe("gp3-fast");
    expect(ofType(p, "kubernetes:core/v1:Namespace").map((r) => r.name)).not.toContain("storage-messaging");
    expect(renderPlan(p)).toMatch(/\n {2}namespace messaging\n/);
  });
});

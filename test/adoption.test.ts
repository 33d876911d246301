import { describe, expect, it } from "vitest";
import { plan, planOutcome, resourceNamed, resourcesOfType, inputsOf } from "./helpers/plan";
import { importFileOf } from "../infra/plan/importFile";
import type { Plan } from "../infra/plan/harness";

/** Seed 000/001/004-shaped adoption on the dev stack (hcloud, fsn1): what a team writes after `npm run adopt`. */
const HCLOUD_ADOPTION = {
  storage: {
    className: "strata-hcloud-volumes",
    claims: {
      postgresql: { adopt: { claim: "data-postgresql-0" } },
      rabbitmq: { adopt: { persistentVolume: "pvc-5b1d9c7e-2f4a-4c1e-9d3b-6a7e8f9a0b1c" } },
      valkey: { adopt: { hcloudVolume: { id: 100234567, location: "fsn1" } } },
    },
  },
  metrics: { adopt: { mode: "replace", release: "prometheus", namespace: "monitoring", persistentVolume: "pvc-0f3c6a1e-8d2b-4b7a-9c5e-1a2b3c4d5e6f" } },
  archive: { adopt: { buckets: { backups: "miyou-backups" }, kmsKey: { id: "1234abcd-12ab-34cd-56ef-1234567890ab", alias: "alias/miyou-backups" } } },
  retention: { legacyBackupPrefixes: [{ prefix: "mongo/", days: 365 }] },
};

const importOf = (p: Plan, type: string, name: string) => resourceNamed(p, type, name).options;

describe("adopting what exists (issue 22): the program declares it with Pulumi's import option, protected", () => {
  let adopted: Plan;
  it("plans green with every adopted resource imported, in the provider's id form, and protected in dev too", async () => {
    adopted = await plan("dev", HCLOUD_ADOPTION);
    expect(adopted.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    const claim = importOf(adopted, "kubernetes:core/v1:PersistentVolumeClaim", "postgresql-data");
    expect(claim).toMatchObject({ import: "postgresql/data-postgresql-0", protect: true, retainOnDelete: true });
    expect(inputsOf(resourceNamed(adopted, "kubernetes:core/v1:PersistentVolumeClaim", "postgresql-data")).metadata.name).toBe("data-postgresql-0");
    expect(importOf(adopted, "hcloud:index/volume:Volume", "valkey-data")).toMatchObject({ import: "100234567", protect: true });
    expect(importOf(adopted, "kubernetes:core/v1:Namespace", "storage-postgresql")).toMatchObject({ import: "postgresql", protect: true });
    expect(importOf(adopted, "kubernetes:core/v1:Namespace", "strata-monitoring")).toMatchObject({ import: "monitoring", protect: true });
    expect(importOf(adopted, "aws:s3/bucket:Bucket", "backups")).toMatchObject({ import: "miyou-backups", protect: true });
    expect(inputsOf(resourceNamed(adopted, "aws:s3/bucket:Bucket", "backups")).bucket).toBe("miyou-backups");
    expect(importOf(adopted, "aws:kms/key:Key", "archive")).toMatchObject({ import: "1234abcd-12ab-34cd-56ef-1234567890ab", protect: true });
    expect(importOf(adopted, "aws:kms/alias:Alias", "archive")).toMatchObject({ import: "alias/miyou-backups" });
    // What is not adopted is created as before: dev's other buckets are not imported and not protected.
    expect(resourceNamed(adopted, "aws:s3/bucket:Bucket", "logs").options.import).toBeUndefined();
    expect(resourceNamed(adopted, "aws:s3/bucket:Bucket", "logs").options.protect).toBe(false);
  });

  it("binds a new claim to an adopted PersistentVolume, and Strata's class keeps the name the stack chose", () => {
    const rabbit = inputsOf(resourceNamed(adopted, "kubernetes:core/v1:PersistentVolumeClaim", "rabbitmq-data"));
    expect(rabbit.spec.volumeName).toBe("pvc-5b1d9c7e-2f4a-4c1e-9d3b-6a7e8f9a0b1c");
    expect(rabbit.spec.storageClassName).toBe("strata-hcloud-volumes");
    expect(resourceNamed(adopted, "kubernetes:core/v1:PersistentVolumeClaim", "rabbitmq-data").options.protect).toBe(true);
    expect(inputsOf(resourcesOfType(adopted, "kubernetes:storage.k8s.io/v1:StorageClass")[0]!).metadata.name).toBe("strata-hcloud-volumes");
  });

  it("replacing kube-prometheus-stack binds the old volume to the claim the operator looks for first", () => {
    const carried = resourceNamed(adopted, "kubernetes:core/v1:PersistentVolumeClaim", "prometheus-data-carried-over");
    expect(inputsOf(carried).metadata.name).toBe("prometheus-strata-prometheus-db-prometheus-strata-prometheus-0");
    expect(inputsOf(carried).spec.volumeName).toBe("pvc-0f3c6a1e-8d2b-4b7a-9c5e-1a2b3c4d5e6f");
    const release = resourceNamed(adopted, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack");
    expect(release.options.dependsOn).toContain(carried.urn);
    expect(release.options.import).toBeUndefined();
  });

  it("keeps old backups under their own layout readable: the legacy prefix expires by its own rule, Strata's kinds by theirs", () => {
    const rules = inputsOf(resourceNamed(adopted, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups")).rules as { id: string; filter: { prefix?: string }; expiration?: { days?: number } }[];
    const legacy = rules.find((r) => r.filter.prefix === "mongo/");
    expect(legacy?.expiration?.days).toBe(365);
    // No rule with an expiration in days covers the whole bucket (it would expire the old dumps too).
    expect(rules.filter((r) => r.expiration?.days !== undefined && r.filter.prefix === undefined)).toEqual([]);
    expect(rules.some((r) => r.filter.prefix === "postgresql/")).toBe(true);
    expect(JSON.stringify(adopted.outputs)).toContain("backups: legacy mongo/");
  });

  it("the import file lists exactly the adopted resources, each type and name a planned resource, each id in its provider's form", () => {
    const file = importFileOf(adopted);
    const planned = new Set(adopted.resources.map((r) => `${r.type} ${r.name}`));
    expect(file.resources.length).toBe(adopted.resources.filter((r) => r.options.import).length);
    for (const entry of file.resources) {
      expect(planned.has(`${entry.type} ${entry.logicalName ?? entry.name}`)).toBe(true);
      if (entry.parent) expect(file.nameTable[entry.parent]).toMatch(/^urn:pulumi:dev::strata::/);
      expect(entry.provider && file.nameTable[entry.provider]).toMatch(/^urn:pulumi:dev::strata::pulumi:pulumi:Stack\$pulumi:providers:/);
    }
    const ids = Object.fromEntries(file.resources.map((e) => [`${e.type} ${e.logicalName ?? e.name}`, e.id]));
    expect(ids["kubernetes:core/v1:PersistentVolumeClaim postgresql-data"]).toMatch(/^[a-z0-9-]+\/[a-z0-9.-]+$/);
    expect(ids["kubernetes:core/v1:Namespace strata-monitoring"]).toMatch(/^[a-z0-9-]+$/);
    expect(ids["aws:kms/alias:Alias archive"]).toMatch(/^alias\//);
    expect(ids["hcloud:index/volume:Volume valkey-data"]).toMatch(/^[0-9]+$/);
    // Names are unique in the file: PersistentVolumeClaim and Volume `valkey-data` would collide otherwise.
    expect(new Set(file.resources.map((e) => e.name)).size).toBe(file.resources.length);
  });
});

describe("protected until the stack says otherwise", () => {
  it("adopt.protect: false lifts protect on that resource only; it is still kept on delete", async () => {
    const p = await plan("dev", { ...HCLOUD_ADOPTION, storage: { ...HCLOUD_ADOPTION.storage, claims: { ...HCLOUD_ADOPTION.storage.claims, postgresql: { adopt: { claim: "data-postgresql-0", protect: false } } } } });
    expect(importOf(p, "kubernetes:core/v1:PersistentVolumeClaim", "postgresql-data")).toMatchObject({ import: "postgresql/data-postgresql-0", protect: false, retainOnDelete: true });
    expect(importOf(p, "hcloud:index/volume:Volume", "valkey-data")).toMatchObject({ import: "100234567", protect: true });
  });
});

describe("legacy prefixes as real layouts write them (seeds 001 and 004)", () => {
  it("takes seed 004's mongo/, prometheus/, loki/ and seed 001's postgres/backup- (no trailing '/'), each its own rule", async () => {
    const layouts = [{ prefix: "mongo/", days: 730 }, { prefix: "prometheus/", days: 365 }, { prefix: "loki/", days: 365 }, { prefix: "postgres/backup-", days: 90 }];
    const p = await plan("dev", { archive: { adopt: { buckets: { backups: "miyou-monitoring-archive" } } }, retention: { legacyBackupPrefixes: layouts } });
    const rules = inputsOf(resourceNamed(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups")).rules as { id: string; filter: { prefix?: string }; expiration?: { days?: number } }[];
    const legacy = rules.filter((r) => r.id.startsWith("legacy-expiration-"));
    expect(legacy.map((r) => [r.filter.prefix, r.expiration?.days])).toEqual(layouts.map((l) => [l.prefix, l.days]));
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  });
});

describe("adopting on aws: a StorageClass imported by name, an EBS volume bound through a static PersistentVolume", () => {
  it("imports the class the stack names and binds the claim to the EBS volume in its zone", async () => {
    const p = await plan("prod", { storage: { className: "ebs-gp3", adoptClass: true, claims: { postgresql: { namespace: "powerlifting", size: "10Gi", critical: true, adopt: { ebsVolume: { id: "vol-0a1b2c3d4e5f60718", availabilityZone: "eu-central-1a" } } } } } });
    expect(resourcesOfType(p, "kubernetes:storage.k8s.io/v1:StorageClass")[0]!.options).toMatchObject({ import: "ebs-gp3", protect: true });
    const pv = inputsOf(resourceNamed(p, "kubernetes:core/v1:PersistentVolume", "postgresql-data"));
    expect(pv.spec.csi).toMatchObject({ driver: "ebs.csi.aws.com", volumeHandle: "vol-0a1b2c3d4e5f60718" });
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe("Retain");
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(["eu-central-1a"]);
    expect(inputsOf(resourceNamed(p, "kubernetes:core/v1:PersistentVolumeClaim", "postgresql-data")).spec.volumeName).toBe("strata-prod-postgresql-data");
  });

  it("adopting a release in place keeps its name, namespace and object names", async () => {
    const p = await plan("prod", { metrics: { adopt: { mode: "adopt", release: "prometheus", namespace: "monitoring" } }, backups: { targets: [] } });
    const release = resourceNamed(p, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack");
    expect(release.options).toMatchObject({ import: "monitoring/prometheus", protect: true });
    expect(inputsOf(release).name).toBe("prometheus");
    expect(inputsOf(release).values.fullnameOverride).toBe("prometheus-kube-prometheus");
  });
});

describe("adoption config is validated like every key: errors name the key, the value and what to write", () => {
  it.each([
    ["two sources for one claim", { storage: { claims: { postgresql: { adopt: { claim: "data-postgresql-0", persistentVolume: "pvc-1" } } } } }, "strata:storage.claims.postgresql.adopt", /exactly one of claim, persistentVolume, ebsVolume, hcloudVolume/],
    ["an EBS volume on hcloud", { storage: { claims: { postgresql: { adopt: { ebsVolume: { id: "vol-0a1b2c3d4e5f60718", availabilityZone: "eu-central-1a" } } } } } }, "strata:storage.claims.postgresql.adopt.ebsVolume", /hcloudVolume: \{ id, location \}/],
    ["a Hetzner volume in another location", { storage: { claims: { postgresql: { adopt: { hcloudVolume: { id: 1, location: "hel1" } } } } } }, "strata:storage.claims.postgresql.adopt.hcloudVolume.location", /must be hcloud.location \(fsn1\)/],
    ["a malformed EBS volume id", { storage: { claims: { postgresql: { adopt: { ebsVolume: { id: "vol-xyz", availabilityZone: "eu-central-1a" } } } } } }, "strata:storage.claims.postgresql.adopt.ebsVolume.id", /vol-0123456789abcdef0/],
    ["replace without the old volume", { metrics: { adopt: { mode: "replace", release: "prometheus", namespace: "monitoring" } } }, "strata:metrics.adopt.persistentVolume", /is required for mode `replace`/],
    ["adopt in place beside snapshot backups", { metrics: { adopt: { mode: "adopt", release: "prometheus", namespace: "monitoring" } } }, "strata:metrics.adopt.mode", /must be `replace` while backups target prometheus/],
    ["a legacy prefix over Strata's own", { archive: { adopt: { buckets: { backups: "miyou-backups" } } }, retention: { legacyBackupPrefixes: [{ prefix: "mongodb/", days: 365 }] } }, "strata:retention.legacyBackupPrefixes[0].prefix", /must not overlap Strata's own prefix mongodb\//],
    ["a legacy prefix that S3 would match against Strata's mongodb/ too", { archive: { adopt: { buckets: { backups: "miyou-backups" } } }, retention: { legacyBackupPrefixes: [{ prefix: "mongo", days: 365 }] } }, "strata:retention.legacyBackupPrefixes[0].prefix", /must not overlap Strata's own prefix mongodb\//],
    ["a legacy prefix starting with '/'", { archive: { adopt: { buckets: { backups: "miyou-backups" } } }, retention: { legacyBackupPrefixes: [{ prefix: "/mongo/", days: 365 }] } }, "strata:retention.legacyBackupPrefixes[0].prefix", /^must be an S3 key prefix \(1-1024 characters, no leading '\/', no control characters\), such as mongo\/$/],
    ["two legacy prefixes, one inside the other", { archive: { adopt: { buckets: { backups: "miyou-backups" } } }, retention: { legacyBackupPrefixes: [{ prefix: "mongo/", days: 365 }, { prefix: "mongo/2024/", days: 400 }] } }, "strata:retention.legacyBackupPrefixes[1].prefix", /must not overlap another legacy prefix \(mongo\/\)/],
    ["a legacy prefix without an adopted bucket", { retention: { legacyBackupPrefixes: [{ prefix: "mongo/", days: 365 }] } }, "strata:retention.legacyBackupPrefixes", /needs archive.adopt.buckets.backups/],
    ["adoptClass without a class name", { storage: { adoptClass: true } }, "strata:storage.adoptClass", /needs storage.className/],
    ["a KMS alias without its prefix", { archive: { adopt: { kmsKey: { id: "1234abcd-12ab-34cd-56ef-1234567890ab", alias: "archive" } } } }, "strata:archive.adopt.kmsKey.alias", /alias\/archive/],
  ])("%s", async (_name, changes, key, message) => {
    const outcome = await planOutcome("dev", changes);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const problem = outcome.error.problems.find((p) => p.key === key);
    expect(problem, outcome.error.message).toBeDefined();
    expect(problem!.message).toMatch(message);
  });
});

import { describe, expect, it } from "vitest";
import { plan, planOutcome, resourcesOfType, type StackName } from "./helpers/plan";
import { actionsOf, leastPrivilegeViolations, policiesIn, resourcesOf } from "./helpers/iam";
import { validateRecordedK8sResource as validateK8sResource } from "./helpers/k8sValidate";
import type { Plan } from "../infra/plan/harness";
import type { RecordedResource } from "../infra/plan/recordingMonitor";
import { transitionProblems } from "../components/archive/storageClasses";

type Any = Record<string, any>;
const inputs = (r: RecordedResource) => r.inputs as Any;
const byName = (p: Plan, type: string, name: string) => {
  const r = p.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const T = {
  bucket: "aws:s3/bucket:Bucket",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  lock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  key: "aws:kms/key:Key",
  role: "aws:iam/role:Role",
  user: "aws:iam/user:User",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
};

const archiveKeyArn = (p: Plan) => (p.outputs.archive as Any).kmsKeyArn as string;

describe.each(["dev", "prod"] as StackName[])("the %s archive buckets", (stack) => {
  const purposes = stack === "prod" ? ["metrics", "logs", "backups"] : ["logs", "backups"];

  it.each(purposes)("%s: tagged, versioned, SSE-KMS with the archive key and a bucket key, private, owner-enforced", async (purpose) => {
    const p = await plan(stack);
    const bucket = inputs(byName(p, T.bucket, purpose));
    expect(bucket.tags["strata:purpose"]).toBe(purpose);
    expect(bucket.bucket).toMatch(new RegExp(`^strata-${stack}-${purpose}-[a-z0-9]{8}$`));
    expect(bucket.forceDestroy).toBe(false);
    expect(inputs(byName(p, T.versioning, purpose)).versioningConfiguration).toEqual({ status: "Enabled" });
    const [rule] = inputs(byName(p, T.sse, purpose)).rules;
    expect(rule).toEqual({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: archiveKeyArn(p) }, bucketKeyEnabled: true });
    expect(inputs(byName(p, T.pab, purpose))).toEqual(expect.objectContaining({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }));
    expect(inputs(byName(p, T.ownership, purpose)).rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    const bucketResource = byName(p, T.bucket, purpose);
    expect(bucketResource.options.retainOnDelete).toBe(true);
    expect(bucketResource.options.protect).toBe(stack === "prod");
  });

  it.each(purposes)("%s: the bucket policy denies plaintext, old TLS, other algorithms and other keys", async (purpose) => {
    const p = await plan(stack);
    const doc = JSON.parse(inputs(byName(p, T.policy, purpose)).policy) as { Statement: Any[] };
    const sids = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(sids.DenyInsecureTransport).toEqual(expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }));
    expect(sids.DenyTlsBelow12.Condition).toEqual({ NumericLessThan: { "s3:TlsVersion": "1.2" } });
    expect(sids.DenyUploadsWithoutSseKms.Condition).toEqual({ StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } });
    expect(sids.DenyUploadsWithAnotherKey.Condition).toEqual({ StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": archiveKeyArn(p) } });
    expect(doc.Statement.filter((s) => s.Effect === "Allow")).toEqual([]);
  });

  it.each(purposes)("%s: lifecycle cleans versions, markers and uploads, and waits for versioning", async (purpose) => {
    const p = await plan(stack);
    const lifecycle = byName(p, T.lifecycle, purpose);
    const { rules, transitionDefaultMinimumObjectSize } = inputs(lifecycle);
    expect(transitionDefaultMinimumObjectSize).toBe("all_storage_classes_128K");
    const housekeeping = rules.find((r: Any) => r.noncurrentVersionExpiration);
    expect(housekeeping.noncurrentVersionExpiration.noncurrentDays).toBeGreaterThan(0);
    expect(housekeeping.expiration).toEqual({ expiredObjectDeleteMarker: true });
    expect(housekeeping.abortIncompleteMultipartUpload.daysAfterInitiation).toBeGreaterThan(0);
    expect(lifecycle.options.dependsOn).toContain(byName(p, T.versioning, purpose).urn);
  });
});

describe("lifecycle tiers derived from the retention model", () => {
  const tiering = (p: Plan, purpose: string) => inputs(byName(p, T.lifecycle, purpose)).rules.find((r: Any) => r.id === "tiers-and-expiration");

  it("metrics and logs never reach GLACIER or DEEP_ARCHIVE, and expire only after their readers' retention", async () => {
    const p = await plan("prod");
    for (const purpose of ["metrics", "logs"]) {
      const rule = tiering(p, purpose);
      for (const t of rule.transitions ?? []) expect(["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR"]).toContain(t.storageClass);
    }
    expect(tiering(p, "metrics").expiration.days).toBeGreaterThan(730); // the compactor's 1h retention
    expect(tiering(p, "logs").expiration.days).toBeGreaterThan(30); // Loki's retention
  });

  it("prod backups: STANDARD for the 30 hot days, GLACIER_IR, DEEP_ARCHIVE, expiring at the 365-day archive", async () => {
    const rule = tiering(await plan("prod"), "backups");
    expect(rule.transitions).toEqual([
      { days: 30, storageClass: "GLACIER_IR" },
      { days: 120, storageClass: "DEEP_ARCHIVE" },
    ]);
    expect(rule.expiration).toEqual({ days: 365 });
  });

  it("dev backups stay in STANDARD and expire at the dev archive horizon", async () => {
    const rule = tiering(await plan("dev"), "backups");
    expect(rule.transitions).toBeUndefined();
    expect(rule.expiration).toEqual({ days: 30 });
  });

  it("follows the model: a longer logs retention moves the logs safety net", async () => {
    const p = await plan("prod", { retention: { logsDays: 90 } });
    expect(tiering(p, "logs").expiration.days).toBe(120);
  });

  it("the plan prints the tier table per bucket", async () => {
    const tiers = (await plan("prod")).outputs.archive as Any;
    expect(tiers.tiers).toEqual(expect.arrayContaining([expect.objectContaining({ bucket: "backups", from: "day 120", storageClass: "DEEP_ARCHIVE" })]));
  });

  it("knows S3's rules: IA needs 30 days, classes only get colder, minimum storage durations hold", () => {
    expect(transitionProblems([{ afterDays: 10, storageClass: "STANDARD_IA" }], 100).map((x) => x.message).join()).toMatch(/afterDays >= 30/);
    expect(transitionProblems([{ afterDays: 30, storageClass: "GLACIER" }, { afterDays: 60, storageClass: "GLACIER_IR" }], 400).map((x) => x.message).join()).toMatch(/colder/);
    expect(transitionProblems([{ afterDays: 30, storageClass: "DEEP_ARCHIVE" }], 100).map((x) => x.message).join()).toMatch(/180-day minimum/);
    expect(transitionProblems([{ afterDays: 30, storageClass: "STANDARD_IA" }, { afterDays: 45, storageClass: "GLACIER_IR" }], 400).map((x) => x.message).join()).toMatch(/stay 30 days in STANDARD_IA/);
    expect(transitionProblems([{ afterDays: 30, storageClass: "GLACIER_IR" }, { afterDays: 120, storageClass: "DEEP_ARCHIVE" }], 365)).toEqual([]);
  });
});

describe("object lock, replication and access logs in prod", () => {
  it("locks backups in GOVERNANCE mode for the hot days", async () => {
    const p = await plan("prod");
    expect(inputs(byName(p, T.bucket, "backups")).objectLockEnabled).toBe(true);
    expect(inputs(byName(p, T.lock, "backups")).rule).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 30 } });
  });

  it("replicates backups to another region with a replica key there, never replicating deletions", async () => {
    const p = await plan("prod");
    const replicaBucket = inputs(byName(p, T.bucket, "backups-replica"));
    expect(replicaBucket.region).toBe("eu-west-1");
    expect(inputs(byName(p, T.key, "backups-replica")).region).toBe("eu-west-1");
    const config = inputs(byName(p, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "backups-replication"));
    const [rule] = config.rules;
    expect(rule.deleteMarkerReplication).toEqual({ status: "Disabled" });
    expect(rule.sourceSelectionCriteria).toEqual({ sseKmsEncryptedObjects: { status: "Enabled" } });
    expect(rule.destination.encryptionConfiguration.replicaKmsKeyId).toBe((p.outputs.archive as Any).replica.kmsKeyArn);
  });

  it("logs access to a dedicated SSE-S3 bucket that only the log service may write", async () => {
    const p = await plan("prod");
    expect(inputs(byName(p, "aws:s3/bucketLogging:BucketLogging", "backups")).targetPrefix).toBe("backups/");
    const [rule] = inputs(byName(p, T.sse, "access-logs")).rules;
    expect(rule.applyServerSideEncryptionByDefault.sseAlgorithm).toBe("AES256");
    const allow = (JSON.parse(inputs(byName(p, T.policy, "access-logs")).policy).Statement as Any[]).filter((s) => s.Effect === "Allow");
    expect(allow).toEqual([expect.objectContaining({ Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject" })]);
  });

  it("dev has none of them", async () => {
    const p = await plan("dev");
    expect(resourcesOfType(p, T.lock)).toEqual([]);
    expect(resourcesOfType(p, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).toEqual([]);
    expect(p.resources.some((r) => r.name === "access-logs")).toBe(false);
  });
});

describe("the archive CMK", () => {
  it("rotates, has a 30-day deletion window, an alias, and is protected in prod", async () => {
    const p = await plan("prod");
    const key = byName(p, T.key, "archive");
    expect(inputs(key)).toEqual(expect.objectContaining({ enableKeyRotation: true, deletionWindowInDays: 30 }));
    expect(key.options).toEqual(expect.objectContaining({ protect: true, retainOnDelete: true }));
    expect(inputs(byName(p, "aws:kms/alias:Alias", "archive")).name).toBe("alias/strata-prod-archive");
  });

  it("gives data actions only to the archive workloads, only through S3 in the region", async () => {
    const p = await plan("prod");
    const statements = JSON.parse(inputs(byName(p, T.key, "archive")).policy).Statement as Any[];
    const admin = statements.find((s) => s.Sid === "AccountAdministersTheKey")!;
    expect(admin.Action.filter((a: string) => /Decrypt|Encrypt|GenerateDataKey/.test(a))).toEqual([]);
    const use = statements.find((s) => s.Sid === "ArchiveWorkloadsThroughS3")!;
    expect(use.Condition.StringEquals).toEqual({ "kms:ViaService": "s3.eu-central-1.amazonaws.com" });
    // Grafana's identity reads CloudWatch only (the archive cost view), the bucket protection check only bucket
    // settings: neither touches the key.
    const roleArns = resourcesOfType(p, T.role)
      .filter((r) => r.parent?.includes("WorkloadIdentity") && r.name !== "grafana" && r.name !== "bucket-protection")
      .map((r) => `arn:aws:iam::123456789012:role/strata/${inputs(r).name}`);
    expect([...use.Condition.ArnLike["aws:PrincipalArn"]].sort()).toEqual(roleArns.sort());
  });
});

describe("workload identities", () => {
  it("prod (IRSA): one role per workload, trusted only by its ServiceAccount's token", async () => {
    const p = await plan("prod");
    const roles = resourcesOfType(p, T.role).filter((r) => r.parent?.includes("WorkloadIdentity"));
    expect(roles.map((r) => r.name).sort()).toEqual(["backup-postgresql", "backup-rabbitmq", "backup-telemetry", "backup-valkey", "bucket-protection", "drill-postgresql", "drill-rabbitmq", "drill-telemetry", "drill-valkey", "grafana", "loki", "prometheus", "thanos-compactor", "thanos-ruler", "thanos-storegateway", "wal-postgresql"]);
    for (const role of roles) {
      const [trust] = JSON.parse(inputs(role).assumeRolePolicy).Statement;
      expect(trust.Action).toBe("sts:AssumeRoleWithWebIdentity");
      const conditions = trust.Condition.StringEquals as Record<string, string>;
      const sub = Object.entries(conditions).find(([k]) => k.endsWith(":sub"))![1];
      const aud = Object.entries(conditions).find(([k]) => k.endsWith(":aud"))![1];
      expect(aud).toBe("sts.amazonaws.com");
      // Strata's namespaces, and the application's for the SQLite copy of its telemetry (it runs beside the claim).
      expect(sub).toMatch(/^system:serviceaccount:(monitoring|logging|strata-backups|openfinops):strata-[a-z-]+$/);
    }
  });

  it("each ServiceAccount carries the identity made for it, and validates as a Kubernetes object", async () => {
    const p = await plan("prod");
    const identities = (p.outputs.archive as Any).identities as Record<string, Any>;
    for (const sa of resourcesOfType(p, T.serviceAccount)) {
      validateK8sResource(sa);
      const workload = sa.name;
      const role = byName(p, T.role, workload);
      expect(inputs(sa).metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(`arn:aws:iam::123456789012:role/strata/${inputs(role).name}`);
      // Grafana's CloudWatch reader (infra/areas/archiveCost.ts) and the bucket protection check are no archive data identities.
      if (workload === "grafana" || workload === "bucket-protection") expect(identities).not.toHaveProperty(workload);
      else expect(identities[workload]!.serviceAccount).toBe(inputs(sa).metadata.name);
      const [trust] = JSON.parse(inputs(role).assumeRolePolicy).Statement;
      const sub = Object.entries(trust.Condition.StringEquals as Record<string, string>).find(([k]) => k.endsWith(":sub"))![1];
      expect(sub).toBe(`system:serviceaccount:${inputs(sa).metadata.namespace}:${inputs(sa).metadata.name}`);
    }
  });

  it("Pod Identity mode: roles trusted by pods.eks.amazonaws.com and one association per ServiceAccount", async () => {
    const p = await plan("prod", { archive: { identity: "pod-identity" } });
    const associations = resourcesOfType(p, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
    expect(associations).toHaveLength(16);
    for (const a of associations) {
      expect(inputs(a).clusterName).toBe("prod-cluster");
      expect(inputs(a).roleArn).toBe(`arn:aws:iam::123456789012:role/strata/${inputs(byName(p, T.role, a.name)).name}`);
      const [trust] = JSON.parse(inputs(byName(p, T.role, a.name)).assumeRolePolicy).Statement;
      expect(trust).toEqual(expect.objectContaining({ Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }));
    }
    for (const sa of resourcesOfType(p, T.serviceAccount)) expect(inputs(sa).metadata.annotations ?? {}).toEqual({});
  });

  it("hcloud: an IAM user per workload, its key only in a Kubernetes Secret, rotated by bumping the generation", async () => {
    const p = await plan("dev", { archive: { credentialGeneration: 3 } });
    expect(resourcesOfType(p, T.role)).toEqual([]);
    const users = resourcesOfType(p, T.user);
    expect(users.map((u) => u.name).sort()).toEqual(["backup-postgresql", "backup-prometheus", "backup-rabbitmq", "backup-valkey", "bucket-protection", "drill-postgresql", "drill-prometheus", "drill-rabbitmq", "drill-valkey", "loki"]);
    const keys = resourcesOfType(p, "aws:iam/accessKey:AccessKey");
    expect(keys.map((k) => k.name).sort()).toEqual(users.map((u) => `${u.name}-g3`).sort());
    for (const k of keys) expect(k.options.additionalSecretOutputs).toContain("secret");
    for (const secret of resourcesOfType(p, "kubernetes:core/v1:Secret").filter((s) => s.parent?.includes("WorkloadIdentity"))) {
      expect(inputs(secret).stringData).toBe("[secret]");
      expect(inputs(secret).metadata.name).toMatch(/-s3-credentials$/);
      validateK8sResource(secret);
    }
    const outputs = JSON.stringify(p.outputs);
    expect(outputs).not.toMatch(/AKIA/);
  });

  it("backup writers may put and read their own prefix but never delete; drills may only read it", async () => {
    const p = await plan("prod");
    const policy = (name: string) => policiesIn(p).find((x) => x.kind === "identity" && x.resource.name === name)!;
    const writer = policy("backup-postgresql");
    const writerActions = writer.statements.flatMap(actionsOf);
    expect(writerActions).toContain("s3:PutObject");
    expect(writerActions).not.toContain("s3:DeleteObject");
    expect(writer.statements.find((s) => s.Sid === "ObjectAccess")!.Resource).toMatch(/\/postgresql\/postgresql\/\*$/);
    expect(writer.statements.find((s) => s.Sid === "ListItsKeys")!.Condition).toEqual({ StringLike: { "s3:prefix": ["postgresql/postgresql/", "postgresql/postgresql/*"] } });
    const drill = policy("drill-postgresql");
    expect(drill.statements.flatMap(actionsOf).filter((a) => a.startsWith("s3:")).sort()).toEqual(["s3:GetObject", "s3:ListBucket"]);
    expect(policy("thanos-compactor").statements.flatMap(actionsOf)).toContain("s3:DeleteObject");
    expect(policy("thanos-storegateway").statements.flatMap(actionsOf)).not.toContain("s3:PutObject");
  });

  it("the bucket protection check reads the four settings of every bucket, the replica included, and nothing else", async () => {
    const p = await plan("prod", { archive: { replication: { enabled: true, region: "eu-west-1" } } });
    const policy = policiesIn(p).find((x) => x.kind === "identity" && x.resource.name === "bucket-protection")!;
    expect(policy.statements.flatMap(actionsOf).sort()).toEqual(["s3:GetBucketObjectLockConfiguration", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration"]);
    const bucketArns = resourcesOfType(p, "aws:s3/bucket:Bucket").map((b) => `arn:aws:s3:::${b.name}`);
    expect(bucketArns.length).toBeGreaterThanOrEqual(4);
    expect(resourcesOf(policy.statements[0]!).length).toBe(bucketArns.length);
  });

  it("no identity for Thanos Query: it reads through the store gateway and never touches the bucket", async () => {
    const p = await plan("prod");
    expect(p.resources.some((r) => r.type === T.role && /query/.test(r.name))).toBe(false);
  });
});

describe("every IAM policy in the plans is least-privilege", () => {
  it.each(["dev", "prod"] as StackName[])("%s: no * actions, no s3:* or kms:*, no * resource for S3/KMS", async (stack) => {
    const p = await plan(stack, stack === "prod" ? {} : {});
    const identityPolicies = policiesIn(p).filter((x) => x.kind === "identity");
    expect(identityPolicies.length).toBeGreaterThan(4);
    expect(identityPolicies.flatMap(leastPrivilegeViolations)).toEqual([]);
    for (const x of identityPolicies) for (const s of x.statements) expect(resourcesOf(s).length).toBeGreaterThan(0);
  });

  it("the walker catches what it must (it is not vacuous)", () => {
    const fake = (statements: Any[]) => ({ resource: { name: "x" } as RecordedResource, property: "policy", kind: "identity" as const, statements: statements as never });
    expect(leastPrivilegeViolations(fake([{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }]))).toHaveLength(1);
    expect(leastPrivilegeViolations(fake([{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" }]))).toHaveLength(1);
    expect(leastPrivilegeViolations(fake([{ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }]))).toHaveLength(1);
    expect(leastPrivilegeViolations(fake([{ Effect: "Deny", Action: "s3:*", Resource: "*" }]))).toEqual([]);
  });
});

describe("bad archive config is rejected naming the key", () => {
  const cases: [string, Any, string][] = [
    ["GLACIER on the metrics bucket", { archive: { metrics: { transitions: [{ afterDays: 30, storageClass: "GLACIER" }] } } }, "strata:archive.metrics.transitions[0].storageClass"],
    ["DEEP_ARCHIVE on the logs bucket", { archive: { logs: { transitions: [{ afterDays: 10, storageClass: "DEEP_ARCHIVE" }] } } }, "strata:archive.logs.transitions[0].storageClass"],
    ["STANDARD_IA before 30 days", { archive: { metrics: { transitions: [{ afterDays: 7, storageClass: "STANDARD_IA" }] } } }, "strata:archive.metrics.transitions[0]"],
    ["backups leaving STANDARD before the hot days end", { archive: { backups: { transitions: [{ afterDays: 10, storageClass: "GLACIER_IR" }] } } }, "strata:archive.backups.transitions[0].afterDays"],
    ["DEEP_ARCHIVE too close to expiry", { archive: { backups: { transitions: [{ afterDays: 300, storageClass: "DEEP_ARCHIVE" }] } } }, "strata:archive.backups.transitions[0]"],
    ["transitions warming up", { archive: { backups: { transitions: [{ afterDays: 30, storageClass: "GLACIER" }, { afterDays: 150, storageClass: "GLACIER_IR" }] } } }, "strata:archive.backups.transitions[1]"],
    ["an object lock outliving the archive", { archive: { backups: { objectLock: { days: 400 } } } }, "strata:archive.backups.objectLock.days"],
    ["a replica in the same region", { archive: { replication: { region: "eu-central-1" } } }, "strata:archive.replication.region"],
    ["an unknown identity mode", { archive: { identity: "keys" } }, "strata:archive.identity"],
    ["IRSA without the cluster's OIDC provider", { cluster: { source: "config", stack: null, name: "prod" }, kubeconfig: "k" }, "strata:cluster.oidcProviderArn"],
    ["two backup targets with one name", { backups: { targets: [{ name: "db", kind: "prometheus-snapshot" }, { name: "db", kind: "mongodb", uriSecret: { name: "mongo", key: "uri" } }] } }, "strata:backups.targets[1].name"],
    ["a backup kind Strata does not know", { backups: { targets: [{ name: "db", kind: "mysql" }] } }, "strata:backups.targets[0].kind"],
  ];

  it.each(cases)("%s", async (_name, changes, key) => {
    const outcome = await planOutcome("prod", changes, "kubeconfig" in changes ? ["kubeconfig"] : []);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.problems.map((pr) => pr.key)).toContain(key);
  });
});

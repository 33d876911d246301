import type { StrataSections } from "../stacks/contract";
import { beforeAll, describe, expect, it } from "vitest";
import { inputsOf, plan, resourceNamed, resourcesOfType } from "./helpers/plan";
import { validateRecordedK8sResource } from "./helpers/k8sValidate";
import type { Plan } from "../infra/plan/harness";
import type { RecordedResource } from "../infra/plan/recordingMonitor";

const T = {
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  pv: "kubernetes:core/v1:PersistentVolume",
  secret: "kubernetes:core/v1:Secret",
  hcloudVolume: "hcloud:index/volume:Volume",
  password: "random:index/randomPassword:RandomPassword",
  key: "aws:kms/key:Key",
  alias: "aws:kms/alias:Alias",
  dlm: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  awsProvider: "pulumi:providers:aws",
};

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: { AWS?: string | string[]; Service?: string };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
const statementsOf = (policy: unknown): Statement[] => (JSON.parse(String(policy)) as { Statement: Statement[] }).Statement;
const actions = (s: Statement) => [s.Action].flat();
const list = (v: string | string[] | undefined) => [v ?? []].flat();

/** The `key=value` tags the EBS CSI driver will put on each volume, from the class's tagSpecification_N parameters. */
function classTags(storageClass: RecordedResource): Record<string, string> {
  const params = inputsOf<{ parameters: Record<string, string> }>(storageClass).parameters;
  const tags: Record<string, string> = {};
  for (const [name, spec] of Object.entries(params)) {
    if (!/^tagSpecification_\d+$/.test(name)) continue;
    const at = spec.indexOf("=");
    tags[spec.slice(0, at)] = spec.slice(at + 1);
  }
  return tags;
}

// The storage section as the output contract declares it (stacks/contract.ts).
const outputsOf = (p: Plan) => p.outputs.storage as StrataSections["storage"];

/** The Kubernetes objects the storage area emits (other areas validate their own). */
const storageK8sObjects = (p: Plan) =>
  p.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && /strata:storage:|strata:platform:Namespaces::storage$/.test(r.parent ?? ""));

/** Strata's EBS keys (other areas have keys of their own). */
const ebsKeys = (p: Plan) => resourcesOfType(p, T.key).filter((k) => k.name.startsWith("ebs"));

function expectStateful(resources: RecordedResource[], protect: boolean) {
  expect(resources.length).toBeGreaterThan(0);
  for (const r of resources) {
    expect(r.options.retainOnDelete, `${r.urn} retainOnDelete`).toBe(true);
    expect(r.options.protect, `${r.urn} protect`).toBe(protect);
  }
}

describe("storage on aws (prod)", () => {
  let p: Plan;
  let sc: RecordedResource;
  beforeAll(async () => {
    p = await plan("prod");
    sc = resourceNamed(p, T.storageClass, "ebs-gp3");
  });

  it("ebs-gp3 is a Retain, WaitForFirstConsumer, expandable gp3 class encrypted with Strata's CMK", () => {
    const key = resourceNamed(p, T.key, "ebs");
    const s = inputsOf(sc);
    expect(s.metadata.name).toBe("ebs-gp3");
    expect(s.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("true");
    expect(s.provisioner).toBe("ebs.csi.aws.com");
    expect(s.reclaimPolicy).toBe("Retain");
    expect(s.volumeBindingMode).toBe("WaitForFirstConsumer");
    expect(s.allowVolumeExpansion).toBe(true);
    expect(s.parameters).toMatchObject({ type: "gp3", iops: "3000", throughput: "125", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" });
    expect(s.parameters.kmsKeyId).toMatch(/^arn:aws:kms:eu-central-1:\d{12}:key\//);
    expect(s.parameters.kmsKeyId).toBe(outputsOf(p).ebsKmsKeyArn);
    // The exported ARN is the one the class names, and it belongs to the "ebs" customer-managed key.
    expect(key.parent).toMatch(/strata:security:CustomerManagedKey::ebs$/);
  });

  it("tags every volume with the DLM target tag and the environment's tags", () => {
    const tags = classTags(sc);
    expect(tags).toMatchObject({ "strata:environment": "prod", "strata:managed-by": "pulumi", product: "strata", "cost-center": "platform" });
    const target = inputsOf(resourceNamed(p, T.dlm, "ebs-snapshots")).policyDetails.targetTags as Record<string, string>;
    expect(Object.keys(target)).toHaveLength(1);
    const [[key, value]] = Object.entries(target) as [[string, string]];
    expect(tags[key], `ebs-gp3 must tag volumes with ${key}=${value}`).toBe(value);
    expect(outputsOf(p).snapshotTargetTag).toEqual({ key, value });
  });

  it("the DLM policy snapshots tagged volumes daily at 03:00 UTC, keeps the retention model's count, copies to eu-west-1", () => {
    const dlm = inputsOf(resourceNamed(p, T.dlm, "ebs-snapshots"));
    const role = resourceNamed(p, T.role, "ebs-snapshots");
    expect(dlm.state).toBe("ENABLED");
    expect(inputsOf(role).path).toBe("/strata/");
    expect(dlm.executionRoleArn).toBe(`arn:aws:iam::123456789012:role/strata/${inputsOf(role).name}`);
    expect(dlm.policyDetails.policyType).toBe("EBS_SNAPSHOT_MANAGEMENT");
    expect(dlm.policyDetails.resourceTypes).toEqual(["VOLUME"]);
    const [schedule, ...more] = dlm.policyDetails.schedules;
    expect(more).toHaveLength(0);
    expect(schedule.createRule).toEqual({ interval: 24, intervalUnit: "HOURS", times: "03:00" });
    expect(schedule.retainRule).toEqual({ count: 7 });
    expect(schedule.retainRule.count).toBe((p.config.retention as { snapshotRetainCount: number }).snapshotRetainCount);
    expect(schedule.copyTags).toBe(true);
    expect(schedule.tagsToAdd).toMatchObject({ "strata:snapshot-schedule": "daily", "strata:environment": "prod" });
    const copyKey = resourceNamed(p, T.key, "ebs-snapshot-copies");
    expect(schedule.crossRegionCopyRules).toEqual([
      { target: "eu-west-1", encrypted: true, cmkArn: outputsOf(p).snapshotCopyKmsKeyArn, copyTags: true, retainRule: { interval: 7, intervalUnit: "DAYS" } },
    ]);
    expect(outputsOf(p).snapshotCopyKmsKeyArn).toMatch(/^arn:aws:kms:eu-west-1:/);
    expect(inputsOf(copyKey).region).toBe("eu-west-1");
  });

  it("retain count and copy retention follow strata:retention, the time follows storage.snapshots.time", async () => {
    const changed = await plan("prod", { retention: { snapshotRetainCount: 12, snapshotCopyRetainDays: 21 }, storage: { snapshots: { time: "22:30" } } });
    const [schedule] = inputsOf(resourceNamed(changed, T.dlm, "ebs-snapshots")).policyDetails.schedules;
    expect(schedule.retainRule.count).toBe(12);
    expect(schedule.crossRegionCopyRules[0].retainRule).toEqual({ interval: 21, intervalUnit: "DAYS" });
    expect(schedule.createRule.times).toBe("22:30");
  });

  it("the copy key is placed in its region through Strata's one AWS provider, so it carries the same default tags", () => {
    const providers = resourcesOfType(p, T.awsProvider);
    expect(providers.map((r) => r.name)).toEqual(["aws"]);
    const copyKey = resourceNamed(p, T.key, "ebs-snapshot-copies");
    expect(copyKey.options.provider).toBe(providers[0]!.urn);
    expect(inputsOf(resourceNamed(p, T.alias, "ebs-snapshot-copies"))).toMatchObject({ name: "alias/strata-prod-ebs-snapshot-copies", region: "eu-west-1" });
  });

  it("without a cross-region copy there is no second region, key or copy rule", async () => {
    const single = await plan("prod", { storage: { snapshots: { crossRegionCopy: { enabled: false } } } });
    expect(ebsKeys(single).map((k) => k.name)).toEqual(["ebs"]);
    const [schedule] = inputsOf(resourceNamed(single, T.dlm, "ebs-snapshots")).policyDetails.schedules;
    expect(schedule.crossRegionCopyRules).toBeUndefined();
    expect(resourcesOfType(single, T.alarm).map((a) => inputsOf(a).metricName)).toEqual(["SnapshotsCreateFailed"]);
    const policy = statementsOf(inputsOf(resourceNamed(single, T.key, "ebs")).policy);
    expect(policy.some((s) => JSON.stringify(s.Principal).includes("dlm"))).toBe(false);
  });

  it("the EBS CMK rotates, waits 30 days before deletion, has its alias and is kept like data", () => {
    const key = resourceNamed(p, T.key, "ebs");
    expect(inputsOf(key)).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(inputsOf(resourceNamed(p, T.alias, "ebs")).name).toBe("alias/strata-prod-ebs");
    expect(inputsOf(resourceNamed(p, T.key, "ebs-snapshot-copies")).enableKeyRotation).toBe(true);
    expectStateful(ebsKeys(p), true);
  });

  it("the key policy: the account administers, the CSI role and the DLM role use it only through EC2", () => {
    const statements = statementsOf(inputsOf(resourceNamed(p, T.key, "ebs")).policy);
    const admin = statements.find((s) => s.Sid === "AccountAdministersTheKey")!;
    expect(admin.Principal!.AWS).toBe("arn:aws:iam::123456789012:root");
    expect(actions(admin)).toEqual(expect.arrayContaining(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DescribeKey"]));
    for (const dataAction of ["kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:CreateGrant"]) expect(actions(admin)).not.toContain(dataAction);

    const csiRole = "arn:aws:iam::123456789012:role/prod-ebs-csi-driver";
    const forCsi = statements.filter((s) => list(s.Principal?.AWS).includes(csiRole));
    expect(forCsi.flatMap(actions).sort()).toEqual(["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext"]);
    for (const s of forCsi) expect(s.Condition!.StringEquals!["kms:ViaService"]).toEqual(["ec2.eu-central-1.amazonaws.com"]);
    const grant = forCsi.find((s) => actions(s).includes("kms:CreateGrant"))!;
    expect(grant.Condition!.Bool).toEqual({ "kms:GrantIsForAWSResource": "true" });

    const dlmRole = `arn:aws:iam::123456789012:role/strata/${inputsOf(resourceNamed(p, T.role, "ebs-snapshots")).name}`;
    const forDlm = statements.filter((s) => list(s.Principal?.AWS).includes(dlmRole));
    expect(forDlm.flatMap(actions).sort()).toEqual(["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"]);
    const copyStatements = statementsOf(inputsOf(resourceNamed(p, T.key, "ebs-snapshot-copies")).policy).filter((s) => list(s.Principal?.AWS).includes(dlmRole));
    expect(copyStatements.flatMap(actions).sort()).toEqual(["kms:CreateGrant", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo"]);
    expect(copyStatements[0]!.Condition!.StringEquals!["kms:ViaService"]).toEqual(["ec2.eu-west-1.amazonaws.com", "ec2.eu-central-1.amazonaws.com"]);
  });

  it("the DLM role trusts only DLM, uses no managed policy, and only EC2 Describe* gets Resource '*'", () => {
    const role = inputsOf(resourceNamed(p, T.role, "ebs-snapshots"));
    expect(statementsOf(role.assumeRolePolicy)).toEqual([expect.objectContaining({ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" })]);
    expect(role.managedPolicyArns).toBeUndefined();
    expect(p.resources.some((r) => r.type.startsWith("aws:iam/rolePolicyAttachment") || r.type.startsWith("aws:iam/policyAttachment"))).toBe(false);
    const statements = statementsOf(inputsOf(resourceNamed(p, T.rolePolicy, "ebs-snapshots")).policy);
    for (const s of statements) {
      for (const a of actions(s)) expect(a, `${s.Sid} grants ${a}`).toMatch(/^ec2:/);
      if (list(s.Resource).includes("*")) expect(actions(s).every((a) => a.startsWith("ec2:Describe")), `${s.Sid} has Resource "*"`).toBe(true);
    }
    const volumes = statements.find((s) => list(s.Resource).some((r) => r.includes(":volume/")))!;
    expect(volumes.Condition).toEqual({ StringEquals: { "aws:ResourceTag/strata:snapshot-policy": "prod-daily" } });
    const deletes = statements.find((s) => actions(s).includes("ec2:DeleteSnapshot"))!;
    expect(deletes.Condition).toEqual({ StringEquals: { "aws:ResourceTag/strata:snapshot-policy": "prod-daily" } });
  });

  it("alarms on failed snapshots and copies of this policy to the exported SNS topic", () => {
    const policyId = outputsOf(p).snapshotPolicyId!;
    expect(policyId).toMatch(/^policy-[0-9a-f]{17}$/);
    const topic = resourceNamed(p, T.topic, "ebs-snapshots");
    expect(outputsOf(p).snapshotAlertTopicArn).toBe(`arn:aws:sns:eu-central-1:123456789012:${inputsOf(topic).name}`);
    const alarms = resourcesOfType(p, T.alarm).map((a) => inputsOf(a));
    expect(alarms.map((a) => a.metricName).sort()).toEqual(["SnapshotsCopiedRegionFailed", "SnapshotsCreateFailed"]);
    for (const a of alarms) {
      expect(a).toMatchObject({ namespace: "AWS/DataLifecycleManager", dimensions: { DlmPolicyId: policyId }, statistic: "Sum", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
      expect(a.alarmActions).toEqual([outputsOf(p).snapshotAlertTopicArn]);
    }
  });

  it("claims postgresql 10Gi, rabbitmq 5Gi, valkey 2Gi on ebs-gp3 in their namespaces, exported", () => {
    // The storage area's claims (its data claims); the telemetry store's SQLite claim and the WAL receiver's are
    // tested with telemetry and PITR.
    const claims = resourcesOfType(p, T.pvc).map((c) => inputsOf(c)).filter((c) => c.metadata.labels["app.kubernetes.io/component"] === "data");
    const bySize = Object.fromEntries(claims.map((c) => [c.metadata.name, [c.metadata.namespace, c.spec.resources.requests.storage, c.spec.storageClassName]]));
    expect(bySize).toEqual({
      "postgresql-data": ["postgresql", "10Gi", "ebs-gp3"],
      "rabbitmq-data": ["rabbitmq", "5Gi", "ebs-gp3"],
      "valkey-data": ["valkey", "2Gi", "ebs-gp3"],
    });
    for (const c of claims) {
      expect(c.spec.accessModes).toEqual(["ReadWriteOnce"]);
      expect(c.spec.volumeName).toBeUndefined();
      expect(c.metadata.labels).toMatchObject({ "app.kubernetes.io/part-of": "strata", "strata.io/environment": "prod", "app.kubernetes.io/component": "data" });
      expect(c.metadata.labels["app.kubernetes.io/name"]).toBe(c.metadata.name.replace(/-data$/, ""));
    }
    expect(outputsOf(p).claims.rabbitmq).toEqual({ claimName: "rabbitmq-data", namespace: "rabbitmq", size: "5Gi" });
    expect(outputsOf(p).storageClass).toBe("ebs-gp3");
    expect(resourcesOfType(p, T.hcloudVolume)).toHaveLength(0);
  });

  it("protects every StorageClass, claim and key in prod, and retains them on delete", () => {
    expectStateful([...resourcesOfType(p, T.storageClass), ...resourcesOfType(p, T.pvc), ...ebsKeys(p)], true);
  });

  it("every Kubernetes object validates strictly", () => {
    const objects = storageK8sObjects(p);
    expect(objects.map((r) => r.type)).toEqual(expect.arrayContaining([T.storageClass, T.pvc, "kubernetes:core/v1:Namespace"]));
    for (const r of objects) validateRecordedK8sResource(r);
  });
});

describe("storage on hcloud (dev)", () => {
  let p: Plan;
  beforeAll(async () => {
    p = await plan("dev");
  });

  it("hcloud-volumes is a Retain, WaitForFirstConsumer, expandable class in the stack's location, LUKS via the node-publish secret", () => {
    const s = inputsOf(resourceNamed(p, T.storageClass, "hcloud-volumes"));
    const secret = inputsOf(resourceNamed(p, T.secret, "hcloud-volumes-luks"));
    expect(s.metadata.name).toBe("hcloud-volumes");
    expect(s.provisioner).toBe("csi.hetzner.cloud");
    expect(s.reclaimPolicy).toBe("Retain");
    expect(s.volumeBindingMode).toBe("WaitForFirstConsumer");
    expect(s.allowVolumeExpansion).toBe(true);
    expect(s.allowedTopologies).toEqual([{ matchLabelExpressions: [{ key: "csi.hetzner.cloud/location", values: ["fsn1"] }] }]);
    expect(s.parameters).toEqual({
      "csi.storage.k8s.io/fstype": "ext4",
      "csi.storage.k8s.io/node-publish-secret-name": secret.metadata.name,
      "csi.storage.k8s.io/node-publish-secret-namespace": secret.metadata.namespace,
    });
    expect(secret.stringData).toBe("[secret]");
    expect(inputsOf(resourceNamed(p, T.password, "hcloud-volumes-luks"))).toMatchObject({ length: 64 });
    expect(outputsOf(p).storageClass).toBe("hcloud-volumes");
    expect(ebsKeys(p)).toHaveLength(0);
    expect(resourcesOfType(p, T.dlm)).toHaveLength(0);
    expect(outputsOf(p).ebsKmsKeyArn).toBeUndefined();
  });

  it("the passphrase and its Secret are kept like data: losing them loses every encrypted volume", () => {
    expectStateful([resourceNamed(p, T.password, "hcloud-volumes-luks"), resourceNamed(p, T.secret, "hcloud-volumes-luks")], false);
  });

  it("claims are 10Gi (the CSI minimum) on hcloud-volumes and retained on delete", () => {
    const claims = resourcesOfType(p, T.pvc);
    expect(claims.map((c) => [inputsOf(c).metadata.name, inputsOf(c).spec.resources.requests.storage, inputsOf(c).spec.storageClassName]).sort()).toEqual([
      ["postgresql-data", "10Gi", "hcloud-volumes"],
      ["rabbitmq-data", "10Gi", "hcloud-volumes"],
      ["valkey-data", "10Gi", "hcloud-volumes"],
    ]);
    expectStateful([...claims, ...resourcesOfType(p, T.storageClass)], false);
  });

  it("the critical claim is pre-bound to a delete-protected Hetzner volume through a static Retain PersistentVolume", () => {
    const volume = resourceNamed(p, T.hcloudVolume, "postgresql-data");
    const pv = inputsOf(resourceNamed(p, T.pv, "postgresql-data"));
    const claim = inputsOf(resourceNamed(p, T.pvc, "postgresql-data"));
    const secret = inputsOf(resourceNamed(p, T.secret, "hcloud-volumes-luks"));
    expect(inputsOf(volume)).toMatchObject({ deleteProtection: true, location: "fsn1", size: 10, automount: false });
    expect(inputsOf(volume).format).toBeUndefined();
    expect(volume.options.provider).toMatch(/pulumi:providers:hcloud::hcloud$/);
    const volumeId = outputsOf(p).claims.postgresql!.volumeId;
    expect(volumeId).toMatch(/^\d+$/);
    expect(pv.spec).toMatchObject({
      capacity: { storage: "10Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "hcloud-volumes",
      claimRef: { name: "postgresql-data", namespace: "postgresql" },
      csi: { driver: "csi.hetzner.cloud", volumeHandle: volumeId, fsType: "ext4", nodePublishSecretRef: { name: secret.metadata.name, namespace: secret.metadata.namespace } },
    });
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: "csi.hetzner.cloud/location", operator: "In", values: ["fsn1"] }] }]);
    expect(claim.spec.volumeName).toBe(pv.metadata.name);
    expectStateful([volume, resourceNamed(p, T.pv, "postgresql-data")], false);
    // Only the critical claim gets a pre-created volume; the others are provisioned on first use.
    expect(resourcesOfType(p, T.hcloudVolume)).toHaveLength(1);
    expect(inputsOf(resourceNamed(p, T.pvc, "valkey-data")).spec.volumeName).toBeUndefined();
  });

  it("volumes follow strata:hcloud.location, and without encryption there is no secret to lose", async () => {
    const q = await plan("dev", { hcloud: { location: "nbg1" }, storage: { hcloud: { encryption: false } } });
    expect(inputsOf(resourceNamed(q, T.hcloudVolume, "postgresql-data")).location).toBe("nbg1");
    expect(q.resources.filter((r) => r.name === "hcloud-volumes-luks")).toHaveLength(0);
    expect(Object.keys(inputsOf(resourceNamed(q, T.storageClass, "hcloud-volumes")).parameters)).toEqual(["csi.storage.k8s.io/fstype"]);
    expect(inputsOf(resourceNamed(q, T.pv, "postgresql-data")).spec.csi.nodePublishSecretRef).toBeUndefined();
  });

  it("a prod-profile stack on hcloud protects its Hetzner volume, PersistentVolume and class", async () => {
    const q = await plan("prod", { cloud: "hcloud", storage: { claims: { rabbitmq: { size: "10Gi" }, valkey: { size: "10Gi" } } }, metrics: { pushgateway: { volumeSizeGiB: 10 } } });
    expectStateful([...resourcesOfType(q, T.hcloudVolume), ...resourcesOfType(q, T.pv), ...resourcesOfType(q, T.storageClass), ...resourcesOfType(q, T.pvc)], true);
  });

  it("every Kubernetes object validates strictly", () => {
    const objects = storageK8sObjects(p);
    expect(objects.map((r) => r.type)).toEqual(expect.arrayContaining([T.storageClass, T.pvc, T.pv, T.secret, "kubernetes:core/v1:Namespace"]));
    for (const r of objects) validateRecordedK8sResource(r);
  });
});

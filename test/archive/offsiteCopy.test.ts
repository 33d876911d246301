/**
 * The off-site copy in the plan (issue 24 item 5): a Hetzner team (seed 000's example stack) that keeps a second
 * copy of its backups in another Hetzner location, and an AWS stack that copies to an S3-compatible store elsewhere.
 * The CronJob and Secret validate against Kubernetes' schema; the config errors read as the user reads them; a stack
 * without the copy, or without backups, declares nothing of it. The runtime's `offsite-copy` itself runs for real in
 * test/integration/offsite-copy.test.ts.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlan, type Plan } from "../../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile } from "../../infra/plan/stackFile";
import { inputsOf, plan, resourceNamed, resourcesOfType, withConfig } from "../helpers/plan";
import { validateRecordedK8sResource } from "../helpers/k8sValidate";
import { configProblems } from "../helpers/configProblems";
import { formatProblems } from "../../infra/config/errors";
import { OFFSITE_COPY_DEFAULT_SCHEDULE, OFFSITE_COPY_NAME } from "../../components/archive/offsiteCopySettings";
import { restorabilityMatrix } from "../../infra/restorability/matrix";
import { resolveConfig } from "../../infra/config/load";
import { rawConfig } from "../helpers/configProblems";
import { TEST_AGE_IDENTITY } from "../helpers/ageIdentity";
import { IMAGES, imageRef } from "../../components/versions";
import { RUNTIME_LOADER } from "../../components/backup/runtime/bundle";

const SECRETS = ["offsiteCopyAccessKeyId", "offsiteCopySecretAccessKey"];
const KEY = { offsiteCopyAccessKeyId: "NBG1KEY", offsiteCopySecretAccessKey: "nbg1-secret" };
/** Seed 000's example: the archive in Hetzner's fsn1; its copy in nbg1, as docs/archive.md shows it. */
const NBG1 = { provider: "hetzner", region: "nbg1", bucket: "batchsender-backups-nbg1" };

async function batchsender(changes: Record<string, unknown>, secrets: string[] = SECRETS): Promise<Plan> {
  const base = readStackConfigFile(join(PROJECT_DIR, "examples/stacks/Pulumi.batchsender.yaml"));
  const outcome = await runPlan({ project: "strata", stack: "batchsender", config: withConfig(base, changes, secrets) });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.plan;
}

const offsiteResources = (p: Plan) => p.resources.filter((r) => r.name.startsWith("offsite-copy") || String((r.inputs as any)?.metadata?.name ?? "").startsWith(OFFSITE_COPY_NAME));

describe("an off-site copy on Hetzner (seed 000's stack, its archive in fsn1)", () => {
  it("declares the copy CronJob, the destination's Secret, its identity and alerts, all valid Kubernetes objects", async () => {
    const p = await batchsender({ archive: { offsiteCopy: NBG1 }, ...KEY });
    const cron = resourceNamed(p, "kubernetes:batch/v1:CronJob", "offsite-copy");
    validateRecordedK8sResource(cron);
    const spec = inputsOf(cron).spec;
    expect(inputsOf(cron).metadata.namespace).toBe("strata-backups");
    expect(spec.schedule).toBe(OFFSITE_COPY_DEFAULT_SCHEDULE);
    expect(spec.concurrencyPolicy).toBe("Forbid");
    const pod = spec.jobTemplate.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const [c] = pod.containers;
    // The runtime in the pinned node image itself: one container, nothing copied in.
    expect(c.image).toBe(imageRef(IMAGES.node));
    expect(pod.initContainers ?? []).toEqual([]);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(c.resources.limits).toEqual({ cpu: "1", memory: "384Mi" });
    expect(c.command).toEqual(["/usr/local/bin/node", `/opt/strata/${RUNTIME_LOADER}`, "offsite-copy"]);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      S3_ENDPOINT_URL: "https://fsn1.your-objectstorage.com",
      AWS_REGION: "fsn1",
      DEST_BUCKET: "batchsender-backups-nbg1",
      DEST_REGION: "nbg1",
      DEST_ENDPOINT_URL: "https://nbg1.your-objectstorage.com",
      AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
      AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
      DEST_AWS_ACCESS_KEY_ID: { secretKeyRef: { name: "strata-offsite-copy-destination", key: "AWS_ACCESS_KEY_ID" } },
    });
    expect(env.S3_BUCKET).toMatch(/^strata-batchsender-backups/);
    // Nothing only the script read: the AWS CLI's settings and lib.sh's contract.
    for (const name of Object.keys(env)) expect(name).not.toMatch(/^(AWS_CLI|HOME|EXIT_|METRIC_|PUSH_JOB_|BACKUP_CONTRACT_)/);
    // The source key: the stack's Hetzner key, in the identity's Secret (Hetzner has no IAM).
    expect(c.envFrom).toEqual([{ secretRef: { name: "strata-offsite-copy-s3-credentials" } }]);
    expect(pod.serviceAccountName).toBe("strata-offsite-copy");
    // Runs the runtime from the backup scripts' ConfigMap, mounted read-only.
    const scripts = resourceNamed(p, "kubernetes:core/v1:ConfigMap", "backup-scripts");
    expect(Object.keys(inputsOf(scripts).data)).toContain(RUNTIME_LOADER);
    expect(c.volumeMounts).toContainEqual({ name: "scripts", mountPath: "/opt/strata", readOnly: true });

    const secret = resourceNamed(p, "kubernetes:core/v1:Secret", "offsite-copy-destination");
    validateRecordedK8sResource(secret);
    expect(JSON.stringify(inputsOf(secret))).not.toContain("nbg1-secret");

    const rule = resourceNamed(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "offsite-copy-alerts");
    validateRecordedK8sResource(rule);
    const alerts = inputsOf(rule).spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
    expect(alerts).toEqual(["StrataOffsiteCopyStale", "StrataOffsiteCopyChecksumMismatch", "StrataOffsiteCopyFailing", "StrataOffsiteCopyDestinationUnversioned"]);
    // Stale after two daily runs and a run's 4 h deadline.
    expect(inputsOf(rule).spec.groups[0].rules[0].expr).toContain("> 187200");
  });

  it("the restorability matrix's off-site row turns green", () => {
    const values = { profile: "prod", cloud: "hcloud", cluster: { source: "stack", stack: "b/c/p" }, archive: { provider: "hetzner", offsiteCopy: NBG1 }, archiveAccessKeyId: "K", archiveSecretAccessKey: "S", backupAgeIdentity: TEST_AGE_IDENTITY, ...KEY, backups: { targets: [{ name: "prometheus", kind: "prometheus-snapshot" }] } };
    const { config } = resolveConfig(rawConfig(values, ["archiveAccessKeyId", "archiveSecretAccessKey", "backupAgeIdentity", ...SECRETS]));
    const row = restorabilityMatrix(config).rows.find((r) => r.store.startsWith("off-site copy"))!;
    expect(row.store).toBe("off-site copy of the backups bucket");
    for (const cell of [row.backup, row.drill, row.alerts, row.runbook, row.tested]) expect(cell.ok, cell.text).toBe(true);
    expect(row.backup.text).toBe(`${OFFSITE_COPY_NAME} ${OFFSITE_COPY_DEFAULT_SCHEDULE} to hetzner nbg1 bucket batchsender-backups-nbg1`);

    const { offsiteCopyAccessKeyId: _k, offsiteCopySecretAccessKey: _s, ...keyless } = values;
    const { config: without } = resolveConfig(rawConfig({ ...keyless, archive: { provider: "hetzner" } }, ["archiveAccessKeyId", "archiveSecretAccessKey", "backupAgeIdentity"]));
    const gap = restorabilityMatrix(without).rows.find((r) => r.store.startsWith("off-site copy"))!;
    expect(gap.backup).toEqual({ ok: false, text: "no second copy: archive.provider `hetzner` has no replication and archive.offsiteCopy is not set (docs/archive.md)" });
  });

  it("is not declared without archive.offsiteCopy, nor without backups (no bucket to copy)", async () => {
    expect(offsiteResources(await batchsender({}, []))).toEqual([]);
    const withoutBackups = await batchsender({ archive: { offsiteCopy: NBG1 }, ...KEY, backups: { targets: [] } });
    expect(offsiteResources(withoutBackups)).toEqual([]);
    expect(withoutBackups.configNotes.adjustedDefaults).toContainEqual({
      key: "strata:archive.offsiteCopy",
      message: "is set, but the stack has no backup target and so no backups bucket: nothing of the off-site copy is declared",
    });
  });
});

describe("an AWS stack that copies to an S3-compatible store elsewhere", () => {
  it("reads the bucket as its own IAM identity and writes with the destination's key, checksums when required", async () => {
    const p = await plan("prod", { archive: { offsiteCopy: { provider: "s3-compatible", endpoint: "https://minio.dr.example.com:9000", bucket: "acme-prod-backups", schedule: "15 4 * * *" } }, ...KEY }, SECRETS);
    const cron = resourceNamed(p, "kubernetes:batch/v1:CronJob", "offsite-copy");
    validateRecordedK8sResource(cron);
    const c = inputsOf(cron).spec.jobTemplate.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(inputsOf(cron).spec.schedule).toBe("15 4 * * *");
    expect(env).toMatchObject({ DEST_ENDPOINT_URL: "https://minio.dr.example.com:9000", DEST_REGION: "us-east-1", AWS_REQUEST_CHECKSUM_CALCULATION: "when_required" });
    expect(env.S3_ENDPOINT_URL).toBeUndefined();
    expect(c.envFrom).toBeUndefined();
    // Its IAM role may read the backups bucket, never write or delete there.
    const roles = resourcesOfType(p, "aws:iam/rolePolicy:RolePolicy").filter((r) => r.name.startsWith("offsite-copy"));
    expect(roles).toHaveLength(1);
    const actions = JSON.stringify(inputsOf(roles[0]!).policy);
    expect(actions).toContain("s3:GetObject");
    expect(actions).not.toMatch(/s3:PutObject|s3:DeleteObject/);
  });
});

describe("config errors name the key, the value and what is allowed", () => {
  const hetzner = (offsiteCopy: Record<string, unknown>, more: Record<string, unknown> = KEY) => ({
    profile: "prod",
    cloud: "hcloud",
    cluster: { source: "stack", stack: "batchsender/clusters/prod" },
    archive: { provider: "hetzner", offsiteCopy },
    archiveAccessKeyId: "K",
    archiveSecretAccessKey: "S",
    backups: { targets: [{ name: "prometheus", kind: "prometheus-snapshot" }] },
    ...more,
  });
  const line = (values: Record<string, unknown>, key: string, secrets = ["archiveAccessKeyId", "archiveSecretAccessKey", ...SECRETS]) => {
    const problem = configProblems(values, secrets).find((p) => p.key === key);
    if (!problem) throw new Error(`no problem at ${key}`);
    return formatProblems([problem]).split("\n")[1]!.trim();
  };

  it("a copy in the archive's own location", () => {
    expect(line(hetzner({ ...NBG1, region: "fsn1" }), "strata:archive.offsiteCopy.region")).toBe(
      '- strata:archive.offsiteCopy.region: must differ from the archive\'s own region (fsn1): a copy in the same place survives no outage or loss of it (got "fsn1", set in this stack)',
    );
  });

  it("a Hetzner destination outside Hetzner's locations", () => {
    expect(line(hetzner({ ...NBG1, region: "ash" }), "strata:archive.offsiteCopy.region")).toBe(
      '- strata:archive.offsiteCopy.region: must be one of fsn1, nbg1, hel1 when offsiteCopy.provider is `hetzner` (Hetzner Object Storage\'s locations) (got "ash", set in this stack)',
    );
  });

  it("a schedule Kubernetes refuses", () => {
    expect(line(hetzner({ ...NBG1, schedule: "0 30 3 * * *" }), "strata:archive.offsiteCopy.schedule")).toBe(
      '- strata:archive.offsiteCopy.schedule: must have exactly 5 fields (minute hour day-of-month month day-of-week), found 6: Kubernetes has no seconds or year field (got "0 30 3 * * *", set in this stack)',
    );
  });

  it("an S3-compatible destination without its endpoint", () => {
    expect(line(hetzner({ provider: "s3-compatible", bucket: "dr-backups" }), "strata:archive.offsiteCopy.endpoint")).toBe(
      "- strata:archive.offsiteCopy.endpoint: is required when offsiteCopy.provider is `s3-compatible` (e.g. https://minio.example.com:9000) (got (not set))",
    );
  });

  it("a bucket name S3 refuses", () => {
    expect(line(hetzner({ ...NBG1, bucket: "Batchsender_Backups" }), "strata:archive.offsiteCopy.bucket")).toBe(
      '- strata:archive.offsiteCopy.bucket: must be an S3 bucket name (3-63 characters: lowercase letters, digits, dots and hyphens) (got "Batchsender_Backups", set in this stack)',
    );
  });

  it("the destination's key missing, or set without a copy", () => {
    expect(line(hetzner(NBG1, {}), "strata:offsiteCopyAccessKeyId", ["archiveAccessKeyId", "archiveSecretAccessKey"])).toBe(
      "- strata:offsiteCopyAccessKeyId: is required while archive.offsiteCopy is set: the destination's access key (set it with `pulumi config set --secret strata:offsiteCopyAccessKeyId`) (got (not set))",
    );
    const { archive: _a, ...rest } = hetzner(NBG1);
    expect(line({ ...rest, archive: { provider: "hetzner" } }, "strata:offsiteCopySecretAccessKey")).toBe(
      '- strata:offsiteCopySecretAccessKey: is only for archive.offsiteCopy, which is not set; remove it (got "[secret]", set in this stack)',
    );
  });

  it("the destination's key in plaintext", () => {
    const problems = configProblems(hetzner(NBG1), ["archiveAccessKeyId", "archiveSecretAccessKey"]);
    expect(problems.map((p) => p.key)).toEqual(expect.arrayContaining(["strata:offsiteCopyAccessKeyId", "strata:offsiteCopySecretAccessKey"]));
  });
});

describe("archive.offsiteCopy.manage: Strata declares the destination bucket", () => {
  const bucketsNamed = (p: Plan, name: string) => resourcesOfType(p, "aws:s3/bucket:Bucket").filter((r) => r.name === name);
  const childOf = (p: Plan, type: string, name: string) => resourceNamed(p, type, name);

  it("`create`: the exact bucket on the destination's store, with its key, versioned, expiring as the archive does, guarded, retained", async () => {
    const p = await batchsender({ archive: { offsiteCopy: { ...NBG1, manage: "create" } }, ...KEY });
    const [bucket] = bucketsNamed(p, "offsite-copy-destination");
    expect(inputsOf(bucket!).bucket).toBe("batchsender-backups-nbg1");
    expect(bucket!.options.import).toBeUndefined();
    expect(bucket!.options).toMatchObject({ protect: true, retainOnDelete: true });
    // Declared through a provider of its own: the destination's endpoint and key, never the archive's.
    expect(bucket!.options.provider).toContain("offsite-store");
    const provider = resourceNamed(p, "pulumi:providers:aws", "offsite-store");
    expect(JSON.stringify(inputsOf(provider).endpoints)).toContain("https://nbg1.your-objectstorage.com");
    expect(inputsOf(provider).region).toBe("nbg1");
    expect(JSON.stringify(inputsOf(provider))).not.toContain("nbg1-secret");

    expect(inputsOf(childOf(p, "aws:s3/bucketVersioning:BucketVersioning", "offsite-copy-destination")).versioningConfiguration.status).toBe("Enabled");
    const rules = inputsOf(childOf(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "offsite-copy-destination")).rules as any[];
    const source = inputsOf(childOf(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups")).rules as any[];
    // The same expiry and noncurrent expiry as the backups bucket (Hetzner: no transitions on either side).
    expect(rules).toEqual(source);
    expect(JSON.stringify(rules)).not.toContain("transitions\":[{");
    const policy = JSON.parse(inputsOf(childOf(p, "aws:s3/bucketPolicy:BucketPolicy", "offsite-copy-destination")).policy);
    expect(policy.Statement.map((s: any) => s.Sid)).toEqual(["DenyInsecureTransport", "DenyVersionDeletion", "DenyGovernanceBypass"]);
    // The copy job waits for its destination.
    expect(resourceNamed(p, "kubernetes:batch/v1:CronJob", "offsite-copy").options.dependsOn.join(" ")).toContain("offsite-copy-destination");
    // Still nothing of AWS on a Hetzner stack: two S3-only providers, no account.
    expect(p.resources.filter((r) => /^aws:(kms|iam|dlm|eks)/.test(r.type))).toEqual([]);
    expect(p.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.name).sort()).toEqual(["archive-store", "offsite-store"]);
    expect(p.policies.violations).toEqual([]);
  });

  it("`create` gives the copy the archive's object lock, set at creation", async () => {
    const lock = { enabled: true, mode: "GOVERNANCE", days: 7 };
    const p = await batchsender({ archive: { offsiteCopy: { ...NBG1, manage: "create" }, backups: { objectLock: lock } }, ...KEY });
    const [bucket] = bucketsNamed(p, "offsite-copy-destination");
    expect(inputsOf(bucket!).objectLockEnabled).toBe(true);
    expect(inputsOf(childOf(p, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "offsite-copy-destination")).rule).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 7 } });
  });

  it("`adopt`: the existing bucket is imported by name, protected, and keeps its own object lock setting", async () => {
    const p = await batchsender({ archive: { offsiteCopy: { ...NBG1, manage: "adopt" }, backups: { objectLock: { enabled: true, mode: "GOVERNANCE", days: 7 } } }, ...KEY });
    const [bucket] = bucketsNamed(p, "offsite-copy-destination");
    expect(bucket!.options.import).toBe("batchsender-backups-nbg1");
    expect(bucket!.options).toMatchObject({ protect: true, retainOnDelete: true });
    // Object lock is set when a bucket is created: declaring it on an imported one would replace the bucket.
    expect(inputsOf(bucket!).objectLockEnabled).toBeUndefined();
    expect(resourcesOfType(p, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").filter((r) => r.name === "offsite-copy-destination")).toEqual([]);
  });

  it("`external` (the default) declares no bucket and no provider for the destination", async () => {
    for (const manage of [undefined, "external"]) {
      const p = await batchsender({ archive: { offsiteCopy: { ...NBG1, ...(manage ? { manage } : {}) } }, ...KEY });
      expect(bucketsNamed(p, "offsite-copy-destination")).toEqual([]);
      expect(p.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.name)).toEqual(["archive-store"]);
    }
  });

  it("the plan's tier table shows the copy's expiry beside the archive's", async () => {
    const p = await batchsender({ archive: { offsiteCopy: { ...NBG1, manage: "create" } }, ...KEY });
    const rows = (p.outputs.archive as any).tiers.filter((t: any) => t.bucket === "offsite copy (batchsender-backups-nbg1)");
    const backups = (p.outputs.archive as any).tiers.filter((t: any) => t.bucket === "backups");
    expect(rows.map((r: any) => [r.from, r.storageClass])).toEqual(backups.map((r: any) => [r.from, r.storageClass]));
    expect(rows[0].note).toBe("created by Strata, GOVERNANCE lock 30d");
  });

  it("is refused for an AWS destination, saying what to do instead", () => {
    const values = { profile: "prod", cloud: "hcloud", cluster: { source: "stack", stack: "b/c/p" }, archive: { provider: "hetzner", offsiteCopy: { provider: "aws", region: "eu-west-1", bucket: "acme-dr", manage: "create" } }, archiveAccessKeyId: "K", archiveSecretAccessKey: "S", backupAgeIdentity: TEST_AGE_IDENTITY, ...KEY };
    const problem = configProblems(values, ["archiveAccessKeyId", "archiveSecretAccessKey", "backupAgeIdentity", ...SECRETS]).find((x) => x.key === "strata:archive.offsiteCopy.manage")!;
    expect(problem.message).toBe(
      "is `external` only when offsiteCopy.provider is `aws`: Strata declares AWS buckets with the stack's own account, not the destination's key; create the destination bucket in its account, or keep a managed copy on AWS with archive.replication",
    );
  });
});

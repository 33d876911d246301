import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlan, type Plan } from "../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile, stackNameFromFile } from "../infra/plan/stackFile";
import type { RecordedResource } from "../infra/plan/recordingMonitor";

/**
 * The example stacks (examples/stacks/), one per seed system, written from the seeds' own numbers with their secrets
 * as real `secure:` ciphertext. Each must plan green as written, with exactly the workloads it names.
 */
const DIR = join(PROJECT_DIR, "examples", "stacks");
const PASSPHRASE = "strata-examples-not-a-secret";
const FILES = readdirSync(DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).sort();

const plans = new Map<string, Promise<Plan>>();
/** The plan of an example, decrypting its secrets with the examples' passphrase, or with none (`sealed`). */
function planOf(file: string, secrets: "decrypted" | "sealed" = "decrypted"): Promise<Plan> {
  const id = `${file}:${secrets}`;
  const passphrase = secrets === "decrypted" ? PASSPHRASE : undefined;
  if (!plans.has(id)) {
    plans.set(
      id,
      (async () => {
        const outcome = await runPlan({ project: "strata", stack: stackNameFromFile(file), config: readStackConfigFile(join(DIR, file), { passphrase }) });
        if (!outcome.ok) throw new Error(`${file} did not plan:\n${outcome.error.message}`);
        return outcome.plan;
      })(),
    );
  }
  return plans.get(id)!;
}

const ofType = (p: Plan, suffix: string) => p.resources.filter((r) => r.type.endsWith(suffix));
const names = (rs: RecordedResource[]) => rs.map((r) => r.name).sort();
const release = (p: Plan, name: string) => p.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === name);
const resourcesOfType = (p: Plan, type: string) => p.resources.filter((r) => r.type === type) as (RecordedResource & { inputs: Record<string, any> })[];
const values = (r: RecordedResource | undefined) => (r?.inputs as { values: Record<string, any> }).values;
const claims = (p: Plan) => ofType(p, ":PersistentVolumeClaim").filter((r) => r.name.endsWith("-data") || r.name.includes("telemetry"));
const claimSizes = (p: Plan) => Object.fromEntries(claims(p).map((r) => [r.name, (r.inputs as any).spec.resources.requests.storage]));
const backupJobs = (p: Plan) => names(ofType(p, ":CronJob").filter((r) => r.name.endsWith("-backup")));
const cronJob = (p: Plan, name: string) => ofType(p, ":CronJob").find((r) => r.name === name)!.inputs as any;

describe("the example stacks", () => {
  it("are one per seed system, each saying which seed it serves", () => {
    expect(FILES).toHaveLength(5);
    const seeds = FILES.map((f) => /# Seed (00\d)/.exec(readFileSync(join(DIR, f), "utf8"))?.[1]).sort();
    expect(seeds).toEqual(["000", "001", "002", "003", "004"]);
  });

  it.each(FILES)("%s plans green as written, decrypted with its passphrase: no mandatory violation, no secret unchecked", async (file) => {
    const p = await planOf(file);
    expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(p.configNotes.uncheckedSecrets).toEqual([]);
  });

  it.each(FILES.filter((f) => readFileSync(join(DIR, f), "utf8").includes("secure:")))(
    "%s holds real ciphertext: without the passphrase it still plans, and says which secrets it could not check",
    async (file) => {
      const text = readFileSync(join(DIR, file), "utf8");
      const sealed = [...text.matchAll(/^ {2}(strata:\w+):\n {4}secure: v1:/gm)].map((m) => m[1]);
      expect(sealed.length).toBeGreaterThan(0);
      const p = await planOf(file, "sealed");
      expect(p.configNotes.uncheckedSecrets.sort()).toEqual(sealed.sort());
      expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    },
  );

  it("000 BatchSender: Prometheus 30d/10GB on 50Gi hcloud-volumes, snapshot backups, no Thanos, nothing else", async () => {
    const p = await planOf("Pulumi.batchsender.yaml");
    const spec = values(release(p, "kube-prometheus-stack")).prometheus.prometheusSpec;
    expect(spec).toMatchObject({ retention: "30d", retentionSize: "10GB" });
    expect(spec.storageSpec.volumeClaimTemplate.spec).toMatchObject({ storageClassName: "hcloud-volumes", resources: { requests: { storage: "50Gi" } } });
    expect(release(p, "thanos")).toBeUndefined();
    expect(backupJobs(p)).toEqual(["prometheus-backup"]);
    expect(claims(p)).toEqual([]);
    // The prod profile's two Prometheus replicas have no Thanos to deduplicate them: one runs (seed 000 pays for one
    // 50Gi volume, not two). Its 2Gi Pushgateway volume does not exist on Hetzner, nor do its archive's transitions,
    // replication and access logs on Hetzner Object Storage: each dropped or raised, and said so.
    expect(spec.replicas).toBe(1);
    expect(p.configNotes.adjustedDefaults.map((n) => n.key)).toEqual([
      "strata:metrics.prometheus.replicas",
      "strata:archive.metrics.transitions",
      "strata:archive.logs.transitions",
      "strata:archive.backups.transitions",
      "strata:archive.replication.enabled",
      "strata:archive.accessLogs.enabled",
      "strata:archive.backupEncryption",
      "strata:metrics.pushgateway.volumeSizeGiB",
    ]);
    // No KMS on Hetzner: the snapshots are encrypted with age before they leave the backup pod (its recipient Secret).
    const backup = resourcesOfType(p, "kubernetes:batch/v1:CronJob").find((r) => r.inputs.metadata.name === "strata-backup-prometheus")!;
    expect(JSON.stringify(backup.inputs)).toContain('"name":"AGE_RECIPIENT","valueFrom":{"secretKeyRef":{"name":"strata-backup-age-recipient","key":"recipient"}}');
  });

  it("000 BatchSender keeps its whole archive on Hetzner Object Storage: no AWS resource, no AWS account", async () => {
    const p = await planOf("Pulumi.batchsender.yaml");
    const awsTyped = p.resources.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws");
    // Only the S3 calls to Hetzner go through the aws package: its own provider, pointed at the Hetzner endpoint.
    expect([...new Set(awsTyped.map((r) => r.type))].sort()).toEqual([
      "aws:s3/bucket:Bucket",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
      "aws:s3/bucketPolicy:BucketPolicy",
      "aws:s3/bucketVersioning:BucketVersioning",
      "pulumi:providers:aws",
    ]);
    const providers = p.resources.filter((r) => r.type === "pulumi:providers:aws");
    expect(providers.map((r) => r.name)).toEqual(["archive-store"]);
    expect(providers[0]!.inputs).toMatchObject({ region: "fsn1", skipCredentialsValidation: "true", skipRequestingAccountId: "true", skipMetadataApiCheck: "true", skipRegionValidation: "true" }); // provider inputs travel as strings
    expect(JSON.stringify(providers[0]!.inputs.endpoints)).toContain("https://fsn1.your-objectstorage.com");
    for (const r of awsTyped.filter((x) => x.custom && x.type !== "pulumi:providers:aws")) expect(r.options.provider ?? "").toContain("archive-store");
    // No KMS key, IAM role or user, DLM policy, nor any lookup of an AWS account.
    expect(p.resources.filter((r) => /^aws:(kms|iam|dlm|eks)/.test(r.type))).toEqual([]);
    // Buckets without what Hetzner lacks: tags, default SSE, public access block, ownership controls; their policy
    // holds only the guards Hetzner has (test/archive/withoutKms.test.ts).
    for (const b of resourcesOfType(p, "aws:s3/bucket:Bucket")) expect(b.inputs.tags).toBeUndefined();
    for (const rule of resourcesOfType(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").flatMap((l) => l.inputs.rules as { transitions?: unknown }[])) {
      expect(rule.transitions).toBeUndefined();
    }
    // Every archive workload reads the one Hetzner key from a Secret of its own namespace, and the jobs find the store.
    const cron = p.resources.find((r) => r.type === "kubernetes:batch/v1:CronJob" && r.name.endsWith("backup"))!;
    const container = (cron.inputs as any).spec.jobTemplate.spec.template.spec.containers.find((c: any) => (c.env ?? []).some((e: any) => e.name === "S3_BUCKET"));
    const envOf = Object.fromEntries((container.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(envOf).toMatchObject({ S3_ENDPOINT_URL: "https://fsn1.your-objectstorage.com", AWS_REGION: "fsn1", AWS_REQUEST_CHECKSUM_CALCULATION: "when_required", AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required", S3_SERVER_SIDE_COPY: "false" });
    expect(envOf.S3_SSE_KMS_KEY_ID).toBeUndefined();
    expect(p.policies.violations).toEqual([]);
  });

  it("001 Powerlifting: three ebs-gp3 claims at 10/5/2Gi, pg_dump at 02:00 and PITR, DLM at 03:00 keeping 7, RabbitMQ definitions, Valkey RDBs", async () => {
    const p = await planOf("Pulumi.powerlifting.yaml");
    expect(claimSizes(p)).toEqual({ "postgresql-data": "10Gi", "rabbitmq-data": "5Gi", "valkey-data": "2Gi" });
    for (const c of claims(p)) expect((c.inputs as any).spec.storageClassName).toBe("ebs-gp3");
    expect(backupJobs(p)).toEqual(["postgresql-backup", "rabbitmq-backup", "valkey-backup"]);
    expect(cronJob(p, "postgresql-backup").spec.schedule).toBe("0 2 * * *");
    // PITR, what the seed envies in RDS: a WAL receiver, nightly base backups and point-in-time drills beside the dump.
    expect(names(ofType(p, ":StatefulSet"))).toEqual(["postgresql-wal"]);
    expect(names(ofType(p, ":CronJob").filter((r) => /basebackup|pitr-drill/.test(r.name)))).toEqual(["postgresql-basebackup", "postgresql-pitr-drill"]);
    const schedule = (ofType(p, ":LifecyclePolicy")[0]!.inputs as any).policyDetails.schedules[0];
    expect(schedule.createRule.times).toBe("03:00");
    expect(schedule.retainRule.count).toBe(7);
    // The copy goes to us-east-1's partner, derived from the stack's region, not the profile's eu-west-1.
    expect(schedule.crossRegionCopyRules[0].target).toBe("us-west-2");
    // The digest-pinned drill image is used as written.
    const drill = cronJob(p, "rabbitmq-drill").spec.jobTemplate.spec.template.spec;
    expect([...(drill.initContainers ?? []), ...drill.containers].map((c: { image: string }) => c.image)).toContain(
      "ghcr.io/powerlifting-coach/rabbitmq-drill:1.7@sha256:5b0f9a3c1d2e4f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c",
    );
  });

  it("002 OpenFinOps: TimescaleDB kept 730 days with compression, its dump the only backup, no claims", async () => {
    const p = await planOf("Pulumi.openfinops.yaml");
    const contract = ofType(p, ":ConfigMap").find((r) => r.name === "telemetry")!.inputs as { data: Record<string, string> };
    expect(contract.data).toMatchObject({ OPENFINOPS_BACKEND: "timescaledb", OPENFINOPS_RETENTION_DAYS: "730", OPENFINOPS_ENABLE_COMPRESSION: "true", OPENFINOPS_BATCH_SIZE: "1000" });
    expect(backupJobs(p)).toEqual(["telemetry-backup"]);
    expect(claims(p)).toEqual([]);
    // The drill restores into an image that has the extension, with TimescaleDB's own restore steps, and the matrix
    // says it is not tested for real here (TimescaleDB is not installed on this machine).
    const restore = cronJob(p, "telemetry-drill").spec.jobTemplate.spec.template.spec.containers.find((c: { name: string }) => c.name === "drill");
    expect(restore.image).toMatch(/^docker\.io\/timescale\/timescaledb:\d+\.\d+\.\d+-pg15$/);
    expect(restore.env).toEqual(expect.arrayContaining([{ name: "PG_TIMESCALEDB", value: "1" }, { name: "RESTORE_JOBS", value: "1" }, { name: "BACKUP_COMPRESSION", value: "zstd" }]));
    const row = (p.outputs.restorability as { rows: { store: string; drill: { text: string }; tested: { ok: boolean; text: string } }[] }).rows.find((r) => r.store === "telemetry (postgresql)")!;
    expect(row.drill.text).toMatch(/timescaledb_pre_restore\(\) and timescaledb_post_restore\(\)/);
    expect(row.tested).toEqual({ ok: false, text: expect.stringMatching(/^TimescaleDB is not installed on this machine/) });
  });

  it("003 GreenLang: Prometheus and Alertmanager HA, Thanos 30/120/730 days, PagerDuty, Slack and email, Pushgateway x2", async () => {
    const p = await planOf("Pulumi.greenlang.yaml");
    const kps = values(release(p, "kube-prometheus-stack"));
    expect(kps.prometheus.prometheusSpec).toMatchObject({ replicas: 2, retention: "7d", scrapeInterval: "15s" });
    expect(kps.alertmanager.alertmanagerSpec.replicas).toBe(2);
    const receivers = JSON.stringify(kps.alertmanager.config.receivers);
    for (const kind of ["pagerduty_configs", "slack_configs", "email_configs"]) expect(receivers).toContain(kind);
    expect(values(release(p, "thanos")).compactor.retention).toEqual({ resolutionRaw: "30d", resolution5m: "120d", resolution1h: "730d" });
    expect(values(release(p, "pushgateway"))).toMatchObject({ replicaCount: 2 });
    expect(backupJobs(p)).toEqual([]);
    expect(claims(p)).toEqual([]);
  });

  it("004 Miyou: Prometheus 15d, Loki 30d on S3, MongoDB and Prometheus backups, nothing else", async () => {
    const p = await planOf("Pulumi.miyou.yaml");
    expect(values(release(p, "kube-prometheus-stack")).prometheus.prometheusSpec.retention).toBe("15d");
    expect(values(release(p, "loki")).loki.limits_config.retention_period).toBe("720h");
    expect(values(release(p, "loki")).loki.storage.type).toBe("s3");
    expect(backupJobs(p)).toEqual(["mongodb-backup", "prometheus-backup"]);
    expect(claims(p)).toEqual([]);
  });
});

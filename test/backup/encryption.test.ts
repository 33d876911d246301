/**
 * Client-side encryption of backups with age (issue 24 item 3): the recipient Strata derives, the config rules with
 * the exact lines `npm run plan` prints, which pods get the recipient and which the identity, and that the identity
 * never shows in plain in a plan.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ageIdentityProblem, ageRecipientOf, IDENTITY_MOUNT, identitySecretName, recipientSecretName, recipientSha256 } from "../../components/backup/encryption";
import { backupCronJob, type JobContext, type JobPhase } from "../../components/backup/cronJob";
import { walReceiverStatefulSetSpec } from "../../components/backup/walReceiver";
import { pointInTimeRestoreObjects } from "../../components/backup/restoreJob";
import { IMAGES, imageRef } from "../../components/versions";
import { RUNTIME_LOADER } from "../../components/backup/runtime/bundle";
import type { BackupTarget } from "../../infra/config/sections/backups";
import { formatProblems } from "../../infra/config/errors";
import { resolveConfig } from "../../infra/config/load";
import { configProblems, rawConfig } from "../helpers/configProblems";
import { SQLITE_TARGET } from "../helpers/backupTargets";
import { inputsOf, plan, resourcesOfType } from "../helpers/plan";
import { OTHER_AGE_IDENTITY, TEST_AGE_IDENTITY } from "../helpers/ageIdentity";
import { validateK8sObject } from "../helpers/k8sValidate";

type Any = Record<string, any>;

describe("the recipient of an identity", () => {
  it.each([TEST_AGE_IDENTITY, OTHER_AGE_IDENTITY])("is what age-keygen -y prints (%#)", (identity) => {
    const r = spawnSync("age-keygen", ["-y"], { input: `${identity}\n`, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(ageRecipientOf(identity)).toBe(r.stdout.trim());
  });

  it("differs between identities, and its fingerprint is the SHA-256 of the recipient string", () => {
    expect(ageRecipientOf(TEST_AGE_IDENTITY)).not.toBe(ageRecipientOf(OTHER_AGE_IDENTITY));
    const r = spawnSync("sha256sum", { input: ageRecipientOf(TEST_AGE_IDENTITY), encoding: "utf8" });
    expect(recipientSha256(ageRecipientOf(TEST_AGE_IDENTITY))).toBe(r.stdout.split(" ")[0]);
  });

  it("refuses what is not an identity: wrong prefix, a recipient, a broken checksum", () => {
    expect(ageIdentityProblem(ageRecipientOf(TEST_AGE_IDENTITY))).toBe("must be AGE-SECRET-KEY-1 followed by 58 Bech32 characters (a line of `age-keygen`'s output)");
    const broken = TEST_AGE_IDENTITY.slice(0, -1) + (TEST_AGE_IDENTITY.endsWith("K") ? "L" : "K");
    expect(ageIdentityProblem(broken)).toBe("has a bad Bech32 checksum or length: it must be AGE-SECRET-KEY-1 followed by 58 Bech32 characters (a line of `age-keygen`'s output)");
    expect(() => ageRecipientOf("AGE-SECRET-KEY-1")).toThrow("the age identity must be AGE-SECRET-KEY-1");
  });
});

/** A Hetzner team's stack (seed 000, examples/stacks/Pulumi.batchsender.yaml) and an AWS one, as users write them. */
const hetzner = (more: Record<string, unknown> = {}) => ({
  profile: "prod",
  cloud: "hcloud",
  cluster: { source: "stack", stack: "batchsender/clusters/prod" },
  archive: { provider: "hetzner" },
  archiveAccessKeyId: "EXAMPLEKEY",
  archiveSecretAccessKey: "example-secret",
  ...more,
});
const KEYS = ["archiveAccessKeyId", "archiveSecretAccessKey"];
const SECRETS = [...KEYS, "backupAgeIdentity"];
const aws = (more: Record<string, unknown> = {}) => ({ profile: "prod", cluster: { source: "stack", stack: "acme/clusters/prod" }, ...more });

/** The printed lines, keyed by config key. */
function lines(values: Record<string, unknown>, secrets: string[]): Record<string, string> {
  return Object.fromEntries(configProblems(values, secrets).map((p) => [p.key, formatProblems([p]).split("\n")[1]!.trim()]));
}

describe("config: archive.backupEncryption and strata:backupAgeIdentity", () => {
  it("Hetzner without an identity: says what to write", () => {
    expect(lines(hetzner(), KEYS)["strata:backupAgeIdentity"]).toBe(
      "- strata:backupAgeIdentity: is required: backups are encrypted with age (archive.backupEncryption is `age`, the default on archive.provider `hetzner`, which has no KMS); create one with `age-keygen -o backup-age.key` (keep that file offline: every encrypted backup needs it to restore) and set its AGE-SECRET-KEY-1 line with `grep AGE-SECRET-KEY backup-age.key | pulumi config set --secret strata:backupAgeIdentity` (without the Pulumi CLI: `grep AGE-SECRET-KEY backup-age.key | npm run seal-secret -- --write Pulumi.<stack>.yaml strata:backupAgeIdentity`); or write archive.backupEncryption: none (got (not set))",
    );
  });

  it("s3-compatible is encrypted by default too; writing none turns it off and needs no identity", () => {
    const minio = hetzner({ archive: { provider: "s3-compatible", endpoint: "https://minio.example.com:9000" } });
    expect(lines(minio, KEYS)["strata:backupAgeIdentity"]).toContain("is required: backups are encrypted with age (archive.backupEncryption is `age`, the default on archive.provider `s3-compatible`, which has no KMS)");
    expect(() => resolveConfig(rawConfig(hetzner({ archive: { provider: "hetzner", backupEncryption: "none" } }), KEYS))).not.toThrow();
  });

  it("aws: off by default; `age` asks for the identity; an identity without encryption is refused", () => {
    expect(() => resolveConfig(rawConfig(aws(), []))).not.toThrow();
    expect(lines(aws({ archive: { backupEncryption: "age" } }), [])["strata:backupAgeIdentity"]).toMatch(/^- strata:backupAgeIdentity: is required: backups are encrypted with age \(archive.backupEncryption is `age`\); create one with `age-keygen/);
    expect(lines(aws({ backupAgeIdentity: TEST_AGE_IDENTITY }), ["backupAgeIdentity"])["strata:backupAgeIdentity"]).toBe(
      "- strata:backupAgeIdentity: is only used when archive.backupEncryption is `age`; remove it or write archive.backupEncryption: age (got \"[secret]\", set in this stack)",
    );
  });

  it("a malformed identity is refused without printing it; a plaintext one must be a secret", () => {
    const bad = lines(hetzner({ backupAgeIdentity: "age1qqqqnotasecret" }), SECRETS)["strata:backupAgeIdentity"]!;
    expect(bad).toBe("- strata:backupAgeIdentity: must be AGE-SECRET-KEY-1 followed by 58 Bech32 characters (a line of `age-keygen`'s output) (got \"[secret]\", set in this stack)");
    expect(bad).not.toContain("notasecret");
    expect(lines(hetzner({ backupAgeIdentity: TEST_AGE_IDENTITY }), KEYS)["strata:backupAgeIdentity"]).toBe(
      "- strata:backupAgeIdentity: must be a secret: set it with `pulumi config set --secret strata:backupAgeIdentity` (got \"[secret]\")",
    );
  });

  it("the default follows the store and is noted in the plan", () => {
    const { config, notes } = resolveConfig(rawConfig(hetzner({ backupAgeIdentity: TEST_AGE_IDENTITY }), SECRETS));
    expect(config.archive.backupEncryption).toBe("age");
    expect(notes.find((n) => n.key === "strata:archive.backupEncryption")?.message).toBe(
      "backups are encrypted with age before they leave their pods on archive.provider `hetzner` (no KMS); drills decrypt with strata:backupAgeIdentity",
    );
    expect(resolveConfig(rawConfig(aws(), [])).config.archive.backupEncryption).toBe("none");
  });
});

const CONTEXT: JobContext = {
  bucket: "strata-prod-backups-1a2b",
  region: "fsn1",
  endpoint: "https://fsn1.your-objectstorage.com",
  checksumsWhenRequired: true,
  serverSideCopy: false,
  pushgatewayUrl: "http://strata-pushgateway.monitoring.svc.cluster.local:9091",
  serviceAccountName: "strata-backup-orders",
  credentialsSecretName: "strata-backup-orders-s3-credentials",
  scriptsConfigMap: "backup-scripts-1234",
  labels: { "app.kubernetes.io/part-of": "strata" },
  schedule: "17 2 * * *",
  encryption: { recipientSecretName, identitySecretName },
};

const TARGETS: BackupTarget[] = [
  { name: "app-db", kind: "postgresql", host: "postgresql.data.svc.cluster.local", database: "app", user: "strata_backup", passwordSecret: { name: "pg", key: "password" } },
  { name: "mongo", kind: "mongodb", uriSecret: { name: "mongo", key: "uri" } },
  { name: "rabbitmq", kind: "rabbitmq-definitions", url: "http://rabbitmq.rabbitmq:15672", user: "admin", passwordSecret: { name: "rmq", key: "password" } },
  { name: "cache", kind: "valkey", host: "valkey.cache.svc.cluster.local", passwordSecret: { name: "valkey", key: "password" } },
  { name: "prometheus", kind: "prometheus-snapshot" },
  SQLITE_TARGET,
];

const podOf = (cronJob: Any) => cronJob.spec.jobTemplate.spec.template.spec as Any;
/** A container running the runtime (components/backup/runtime/), which talks to S3 itself. */
const runsRuntime = (c: Any) => typeof c.command?.[1] === "string" && (c.command[1] as string).endsWith(`/${RUNTIME_LOADER}`);
/** The containers that talk to the archive: the scripts' AWS CLI containers, or the runtime's one container. */
const archiveContainers = (pod: Any) => (pod.containers as Any[]).filter((c) => c.image === imageRef(IMAGES.awsCli) || runsRuntime(c));
const envNames = (c: Any) => (c.env as Any[]).map((e) => e.name as string);
const job = (t: BackupTarget, phase: JobPhase, ctx: Partial<JobContext> = {}) => backupCronJob(t, phase, "strata-backups", "monitoring", { ...CONTEXT, ...ctx }) as Any;

describe.each(TARGETS.map((t) => [t.kind, t] as const))("%s jobs with encryption", (_kind, t) => {
  it("backup: the container that talks to S3 gets the recipient from its Secret, nothing gets the identity; age is copied in", () => {
    const cronJob = job(t, "backup");
    expect(() => validateK8sObject(cronJob)).not.toThrow();
    const pod = podOf(cronJob);
    const s3 = archiveContainers(pod);
    expect(s3.length).toBeGreaterThan(0);
    for (const c of s3) expect(c.env).toContainEqual({ name: "AGE_RECIPIENT", valueFrom: { secretKeyRef: { name: recipientSecretName, key: "recipient" } } });
    for (const c of pod.containers.filter((c: Any) => !s3.includes(c))) expect(envNames(c)).not.toContain("AGE_RECIPIENT");
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(envNames(c)).not.toContain("AGE_IDENTITY_FILE");
      expect((c.volumeMounts as Any[]).map((m) => m.mountPath)).not.toContain(IDENTITY_MOUNT);
    }
    expect(JSON.stringify(pod.volumes)).not.toContain(identitySecretName);
    const age = pod.initContainers.find((c: Any) => c.name === "age");
    expect(age.image).toBe(imageRef(IMAGES.age));
    expect(age.command).toEqual(["sh", "-c", "mkdir -p /work/bin && cp /usr/local/bin/age /usr/local/bin/age-keygen /work/bin/"]);
    // Only the scripts' S3 containers, which run age from PATH, get a PATH; the runtime finds it through TOOLS_DIR; the
    // others keep their image's own (rabbitmq's /opt/rabbitmq/sbin, postgres's /usr/lib/postgresql/<major>/bin).
    for (const c of s3.filter((c) => !runsRuntime(c))) expect(c.env).toContainEqual({ name: "PATH", value: expect.stringMatching(/^\/work\/bin:/) });
    for (const c of s3.filter(runsRuntime)) expect(c.env).toContainEqual({ name: "TOOLS_DIR", value: "/work/bin" });
    for (const c of pod.containers.filter((c: Any) => c.image !== imageRef(IMAGES.awsCli))) expect(envNames(c)).not.toContain("PATH");
  });

  it("drill: only the container that talks to S3 mounts the identity, read-only, readable by the pod's group; no recipient", () => {
    const cronJob = job(t, "drill");
    expect(() => validateK8sObject(cronJob)).not.toThrow();
    const pod = podOf(cronJob);
    expect(pod.volumes).toContainEqual({ name: "age-identity", secret: { secretName: identitySecretName, defaultMode: 0o440 } });
    expect(pod.securityContext.fsGroup).toBeGreaterThan(0);
    for (const c of pod.containers) {
      const mounts = (c.volumeMounts as Any[]).filter((m) => m.name === "age-identity");
      if (archiveContainers(pod).includes(c)) {
        expect(mounts).toEqual([{ name: "age-identity", mountPath: IDENTITY_MOUNT, readOnly: true }]);
        expect(c.env).toContainEqual({ name: "AGE_IDENTITY_FILE", value: `${IDENTITY_MOUNT}/identity` });
      } else {
        expect(mounts, c.name).toEqual([]);
        expect(envNames(c)).not.toContain("AGE_IDENTITY_FILE");
      }
      expect(envNames(c)).not.toContain("AGE_RECIPIENT");
    }
    expect(pod.initContainers.map((c: Any) => c.name)).toContain("age");
  });

  it("no container gets the backup contract through its environment (the runtime bundles it); without encryption no age, recipient or identity", () => {
    const plainCtx = { ...CONTEXT };
    delete plainCtx.encryption;
    for (const phase of ["backup", "drill"] as const) {
      const pod = podOf(job(t, phase, {}));
      for (const c of pod.containers) {
        expect(runsRuntime(c)).toBe(true);
        expect(envNames(c).filter((n: string) => /^(BACKUP_CONTRACT_NAMES|EXIT_|LAYOUT_|MANIFEST_|METRIC_|PUSH_JOB_)/.test(n))).toEqual([]);
      }
      const plain = podOf(backupCronJob(t, phase, "strata-backups", "monitoring", plainCtx) as Any);
      expect(JSON.stringify(plain)).not.toMatch(/AGE_RECIPIENT|AGE_IDENTITY_FILE|age-identity|helmfile/);
    }
  });
});

describe("PITR with encryption: the base backup and the WAL receiver get the recipient, the point-in-time drill and the restore Job the identity", () => {
  const pitrTarget = { ...TARGETS[0]!, pitr: { enabled: true, serverMajorVersion: 15 } } as BackupTarget;
  const recipientEnv = { name: "AGE_RECIPIENT", valueFrom: { secretKeyRef: { name: recipientSecretName, key: "recipient" } } };

  it("basebackup: its one container (the runtime in the postgres image) gets the recipient and finds age through TOOLS_DIR; no identity", () => {
    const pod = podOf(job(pitrTarget, "basebackup"));
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.image).toBe(imageRef(IMAGES.postgres15));
    expect(c.command.slice(1)).toEqual([`/opt/strata/${RUNTIME_LOADER}`, "basebackup"]);
    expect(c.env).toContainEqual(recipientEnv);
    expect(c.env).toContainEqual({ name: "TOOLS_DIR", value: "/work/bin" });
    // The postgres image keeps its own PATH (/usr/lib/postgresql/<major>/bin).
    expect(envNames(c)).not.toContain("PATH");
    expect(pod.initContainers.map((c: Any) => c.name)).toEqual(["node", "age"]);
    expect(JSON.stringify(pod)).not.toMatch(/AGE_IDENTITY_FILE|age-identity/);
  });

  it("pitr-drill: its one container mounts the identity and keeps its image's PATH; no recipient", () => {
    const pod = podOf(job(pitrTarget, "pitr-drill"));
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.command.slice(1)).toEqual([`/opt/strata/${RUNTIME_LOADER}`, "pitr-restore"]);
    expect(c.env).toContainEqual({ name: "AGE_IDENTITY_FILE", value: `${IDENTITY_MOUNT}/identity` });
    expect(c.volumeMounts).toContainEqual({ name: "age-identity", mountPath: IDENTITY_MOUNT, readOnly: true });
    expect(envNames(c)).not.toContain("PATH");
    expect(pod.volumes).toContainEqual({ name: "age-identity", secret: { secretName: identitySecretName, defaultMode: 0o440 } });
    expect(JSON.stringify(pod)).not.toContain("AGE_RECIPIENT");
  });

  it("the WAL receiver: its one container gets the recipient, and node and age in a tools directory off the claim; never the identity", () => {
    const spec = walReceiverStatefulSetSpec(pitrTarget, "strata-wal-app-db", CONTEXT);
    const pod = spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    const receiver = pod.containers[0];
    expect(receiver.command).toEqual(["/opt/strata-tools/node", `/opt/strata/${RUNTIME_LOADER}`, "wal-receiver"]);
    expect(receiver.env).toContainEqual(recipientEnv);
    expect(receiver.env).toContainEqual({ name: "TOOLS_DIR", value: "/opt/strata-tools" });
    expect(envNames(receiver)).not.toContain("PATH");
    expect(pod.initContainers.map((c: Any) => c.name)).toEqual(["node", "age"]);
    expect(pod.initContainers[1]).toMatchObject({ image: imageRef(IMAGES.age), command: ["sh", "-c", "mkdir -p /opt/strata-tools && cp /usr/local/bin/age /usr/local/bin/age-keygen /opt/strata-tools/"] });
    // node and age live in an emptyDir of their own, read-only where they run: the claim (the receiver's work) never holds them.
    expect(pod.volumes).toContainEqual({ name: "tools", emptyDir: { sizeLimit: "192Mi" } });
    expect(receiver.volumeMounts).toContainEqual({ name: "tools", mountPath: "/opt/strata-tools", readOnly: true });
    expect(JSON.stringify(spec)).not.toMatch(/AGE_IDENTITY_FILE|age-identity/);
    const plain = { ...CONTEXT };
    delete plain.encryption;
    const plainSpec = walReceiverStatefulSetSpec(pitrTarget, "strata-wal-app-db", plain);
    expect(JSON.stringify(plainSpec)).not.toMatch(/AGE_RECIPIENT|helmfile/);
    expect(plainSpec.template.spec.initContainers.map((c: Any) => c.name)).toEqual(["node"]);
  });

  it("the restore Job: its one container mounts the identity and finds age through TOOLS_DIR; without encryption neither", () => {
    const input = { target: pitrTarget, time: "latest", namespace: "strata-backups", bucket: "b", region: "fsn1", storageClassName: "sc", claimSize: "10Gi", name: "app-db-pitr-x", serviceAccountName: "strata-drill-app-db", labels: {} };
    const pod = pointInTimeRestoreObjects({ ...input, encryption: { identitySecretName } }).find((o) => o.kind === "Job")!.spec.template.spec;
    expect(() => validateK8sObject(pointInTimeRestoreObjects({ ...input, encryption: { identitySecretName } }).find((o) => o.kind === "Job")!)).not.toThrow();
    expect(pod.containers).toHaveLength(1);
    const restore = pod.containers[0];
    expect(restore.env).toContainEqual({ name: "AGE_IDENTITY_FILE", value: `${IDENTITY_MOUNT}/identity` });
    expect(restore.env).toContainEqual({ name: "TOOLS_DIR", value: "/work/bin" });
    expect(restore.volumeMounts).toContainEqual({ name: "age-identity", mountPath: IDENTITY_MOUNT, readOnly: true });
    expect(envNames(restore)).not.toContain("PATH");
    expect(pod.volumes).toContainEqual({ name: "age-identity", secret: { secretName: identitySecretName, defaultMode: 0o440 } });
    expect(pod.initContainers.map((c: Any) => c.command)).toEqual([
      ["sh", "-c", "mkdir -p /work/bin && cp /usr/local/bin/node /work/bin/"],
      ["sh", "-c", "mkdir -p /work/bin && cp /usr/local/bin/age /usr/local/bin/age-keygen /work/bin/"],
    ]);
    expect(JSON.stringify(pointInTimeRestoreObjects(input).find((o) => o.kind === "Job"))).not.toMatch(/AGE_IDENTITY_FILE|age-identity|AGE_RECIPIENT/);
  });
});

describe("the plan of a Hetzner stack with encrypted backups", () => {
  it("has the recipient Secret where backup jobs run and the identity Secret only in the drills' namespace; the identity is never in plain", async () => {
    const p = await plan("dev", { archive: { provider: "hetzner" }, archiveAccessKeyId: "EXAMPLEKEY", archiveSecretAccessKey: "example-secret", backupAgeIdentity: TEST_AGE_IDENTITY }, SECRETS);
    const secrets = resourcesOfType(p, "kubernetes:core/v1:Secret").map((r) => inputsOf(r));
    const recipients = secrets.filter((s) => s.metadata.name === recipientSecretName);
    const identities = secrets.filter((s) => s.metadata.name === identitySecretName);
    const cronJobs = resourcesOfType(p, "kubernetes:batch/v1:CronJob").map((r) => inputsOf(r));
    const backupNamespaces = new Set(cronJobs.filter((c) => c.metadata.name.startsWith("strata-backup-")).map((c) => c.metadata.namespace));
    const drillNamespaces = new Set(cronJobs.filter((c) => c.metadata.name.startsWith("strata-drill-")).map((c) => c.metadata.namespace));
    expect(new Set(recipients.map((s) => s.metadata.namespace))).toEqual(backupNamespaces);
    expect(identities.map((s) => s.metadata.namespace)).toEqual([...drillNamespaces]);
    expect(drillNamespaces.size).toBe(1);
    const text = JSON.stringify(p);
    expect(text).not.toContain(TEST_AGE_IDENTITY);
    // The recipient is public, but is kept as a secret value like the identity it is derived from.
    expect(text).not.toContain(ageRecipientOf(TEST_AGE_IDENTITY));
  });
});

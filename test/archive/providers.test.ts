import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { configProblems, rawConfig } from "../helpers/configProblems";
import { runPlanCli } from "../helpers/cli";
import { resolveConfig } from "../../infra/config/load";
import { ARCHIVE_CAPABILITIES, ARCHIVE_PROVIDERS, CAPABILITY_NEEDS, s3ClientEndpoint } from "../../components/archive/providers";
import { thanosObjstoreConfig } from "../../components/metrics/objstore";
import { archiveEnv } from "../../components/backup/cronJob";
import { archiveStoreSection } from "../../infra/plan/report";
import { TEST_AGE_IDENTITY } from "../helpers/ageIdentity";

/**
 * A Hetzner team's stack as seed 000 writes it (examples/stacks/Pulumi.batchsender.yaml), with its store's key and
 * the age identity its backups are encrypted to (the default on a store without KMS).
 */
const hetzner = (archive: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  profile: "prod",
  cloud: "hcloud",
  cluster: { source: "stack", stack: "batchsender/clusters/prod" },
  archive: { provider: "hetzner", ...archive },
  archiveAccessKeyId: "EXAMPLEKEY",
  archiveSecretAccessKey: "example-secret",
  backupAgeIdentity: TEST_AGE_IDENTITY,
  ...more,
});
const SECRETS = ["archiveAccessKeyId", "archiveSecretAccessKey", "backupAgeIdentity"];
const problemAt = (values: Record<string, unknown>, key: string, secrets = SECRETS) => {
  const problems = configProblems(values, secrets);
  const found = problems.find((p) => p.key === key);
  if (!found) throw new Error(`no problem at ${key}; got ${problems.map((p) => p.key).join(", ")}`);
  return found;
};

describe("the archive's capability table", () => {
  it("has one row per provider, and aws can do everything any other store can", () => {
    expect(Object.keys(ARCHIVE_CAPABILITIES).sort()).toEqual([...ARCHIVE_PROVIDERS].sort());
    for (const need of CAPABILITY_NEEDS) expect(ARCHIVE_CAPABILITIES.aws[need.capability]).toBe(true);
  });

  it("says what Hetzner Object Storage lacks (DESIGN.md section 4)", () => {
    const h = ARCHIVE_CAPABILITIES.hetzner;
    expect({ kms: h.kms, storageClasses: h.storageClasses, replication: h.replication, accessLogs: h.accessLogs, ownershipControls: h.ownershipControls, bucketTagging: h.bucketTagging, copyObject: h.copyObject }).toEqual({
      kms: false,
      storageClasses: false,
      replication: false,
      accessLogs: false,
      ownershipControls: false,
      bucketTagging: false,
      copyObject: false,
    });
    expect(h.objectLock).toBe(true);
    expect(h.noncurrentExpiry).toBe("days");
    expect(h.checksumsWhenRequired).toBe(true);
  });
});

describe("a stack on Hetzner Object Storage", () => {
  it("drops the profile's transitions, replication and access logs, with a note per key", () => {
    const { config, notes } = resolveConfig(rawConfig(hetzner(), SECRETS));
    expect(config.archive.backups.transitions).toEqual([]);
    expect(config.archive.metrics.transitions).toEqual([]);
    expect(config.archive.replication.enabled).toBe(false);
    expect(config.archive.accessLogs.enabled).toBe(false);
    // Object lock exists on Hetzner: the prod profile's lock stays.
    expect(config.archive.backups.objectLock.enabled).toBe(true);
    const byKey = Object.fromEntries(notes.map((n) => [n.key, n.message]));
    expect(byKey["strata:archive.backups.transitions"]).toBe("the prod profile's default is off on archive.provider `hetzner`: the store has no storage classes, so no lifecycle transitions");
    expect(byKey["strata:archive.replication.enabled"]).toBe("the prod profile's default is off on archive.provider `hetzner`: the store has no bucket replication");
  });

  it.each(["metrics", "logs", "backups"])("refuses %s transitions the stack wrote, naming the key", (purpose) => {
    const p = problemAt(hetzner({ [purpose]: { transitions: [{ afterDays: 30, storageClass: "STANDARD_IA" }] } }), `strata:archive.${purpose}.transitions`);
    expect(p.message).toBe("is not available on archive.provider `hetzner`: the store has no storage classes, so no lifecycle transitions: objects stay in one class until they expire (write `[]`)");
    expect(p.origin).toBe("set in this stack");
  });

  it("refuses replication the stack wrote", () => {
    const p = problemAt(hetzner({ replication: { enabled: true } }), "strata:archive.replication.enabled");
    expect(p.message).toBe(
      "is not available on archive.provider `hetzner`: the store has no bucket replication: set it to false (docs/archive.md says how to keep a second copy without it), or keep the archive on `aws`",
    );
  });

  it("refuses access logs the stack wrote", () => {
    const p = problemAt(hetzner({ accessLogs: { enabled: true } }), "strata:archive.accessLogs.enabled");
    expect(p.message).toBe("is not available on archive.provider `hetzner`: the store has no server access logs: set it to false");
  });

  it("refuses a KMS key to adopt, which the store could not use", () => {
    const p = problemAt(hetzner({ adopt: { kmsKey: { id: "1234abcd-12ab-34cd-56ef-1234567890ab" } } }), "strata:archive.adopt.kmsKey");
    expect(p.message).toBe("is not available on archive.provider `hetzner`: the store has no SSE-KMS, so there is no KMS key to adopt: remove it (docs/archive.md says how the archive is encrypted there)");
  });

  it("has a refusal, read by a test here, for every capability a config can need", () => {
    // transitions (storageClasses), replication, accessLogs and kms each have their own test above.
    expect([...new Set(CAPABILITY_NEEDS.map((n) => n.capability))].sort()).toEqual(["accessLogs", "kms", "replication", "storageClasses"]);
  });

  it("refuses a plain-HTTP store while Thanos writes SSE-C there, and takes it without Thanos", () => {
    const minio = { provider: "s3-compatible", endpoint: "http://minio.internal:9000" };
    const p = problemAt(hetzner(minio, { metrics: { thanos: { enabled: true } } }), "strata:archive.endpoint");
    expect(p.message).toBe("is plain HTTP, but Thanos writes the metrics bucket with SSE-C there, which S3 stores accept only over TLS: use an https endpoint, or set metrics.thanos.enabled to false");
    expect(resolveConfig(rawConfig(hetzner(minio, { metrics: { thanos: { enabled: false } } }), SECRETS)).config.archive.endpoint).toBe("http://minio.internal:9000");
  });

  it("refuses the same on any S3-compatible store", () => {
    const p = problemAt(hetzner({ provider: "s3-compatible", endpoint: "https://minio.example.com:9000", replication: { enabled: true } }), "strata:archive.replication.enabled");
    expect(p.message).toContain("archive.provider `s3-compatible`: the store has no bucket replication");
  });

  it("takes its location from hcloud.location, and refuses one without Object Storage", () => {
    expect(resolveConfig(rawConfig(hetzner(), SECRETS)).config.archive.region).toBeUndefined();
    const p = problemAt(hetzner({}, { hcloud: { location: "ash" } }), "strata:archive.region");
    expect(p.message).toBe("must be one of fsn1, nbg1, hel1 on archive.provider `hetzner` (Hetzner Object Storage's locations); hcloud.location (ash) has none, so write one");
    expect(resolveConfig(rawConfig(hetzner({ region: "hel1" }, { hcloud: { location: "ash" } }), SECRETS)).config.archive.region).toBe("hel1");
  });

  it("refuses an endpoint (it is derived) and requires the store's key as Pulumi secrets", () => {
    expect(problemAt(hetzner({ endpoint: "https://x.example.com" }), "strata:archive.endpoint").message).toContain("is derived on archive.provider `hetzner`");
    const { archiveAccessKeyId: _a, archiveSecretAccessKey: _s, ...keyless } = hetzner();
    expect(problemAt(keyless, "strata:archiveAccessKeyId", []).message).toBe(
      "is required when archive.provider is `hetzner`: the store's access key (set it with `pulumi config set --secret strata:archiveAccessKeyId`)",
    );
    expect(problemAt(hetzner(), "strata:archiveSecretAccessKey", ["archiveAccessKeyId"]).message).toBe("must be a secret: set it with `pulumi config set --secret strata:archiveSecretAccessKey`");
  });
});

describe("the other providers' own settings", () => {
  it("s3-compatible requires an endpoint; aws refuses endpoint, region and a store key", () => {
    expect(problemAt(hetzner({ provider: "s3-compatible" }), "strata:archive.endpoint").message).toBe("is required when archive.provider is `s3-compatible` (e.g. https://minio.example.com:9000)");
    const aws = { profile: "dev", cluster: { source: "stack", stack: "a/b/c" }, archive: { endpoint: "https://minio:9000" }, archiveAccessKeyId: "k" };
    expect(problemAt(aws, "strata:archive.endpoint", ["archiveAccessKeyId"]).message).toContain("is only for archive.provider `hetzner` or `s3-compatible`");
    expect(problemAt(aws, "strata:archiveAccessKeyId", ["archiveAccessKeyId"]).message).toContain("on `aws` each workload gets its own IAM identity; remove it");
  });

  it("leaves a stack that names no provider on aws, with its transitions, replication and KMS", () => {
    const { config, notes } = resolveConfig(rawConfig({ profile: "prod", cloud: "hcloud", cluster: { source: "stack", stack: "a/b/c" } }));
    expect(config.archive.provider).toBe("aws");
    expect(config.archive.replication.enabled).toBe(true);
    expect(config.archive.backups.transitions.length).toBeGreaterThan(0);
    expect(notes.filter((n) => n.key.startsWith("strata:archive"))).toEqual([]);
  });
});

describe("clients of a non-aws store", () => {
  it("Thanos talks to the store's host, over TLS unless the endpoint is plain http, and asks for no SSE-KMS", () => {
    const config = yaml.load(thanosObjstoreConfig({ bucket: "b", region: "fsn1", endpoint: "https://fsn1.your-objectstorage.com" })) as any;
    expect(config.config).toEqual({ bucket: "b", endpoint: "fsn1.your-objectstorage.com", region: "fsn1" });
    expect(s3ClientEndpoint("http://127.0.0.1:9000")).toEqual({ host: "127.0.0.1:9000", insecure: true });
  });

  it("backup jobs get the endpoint and the AWS CLI's checksum settings only where the store needs them", () => {
    const names = (e: { name: string }[]) => e.map((x) => x.name);
    const base = { bucket: "b", region: "fsn1", pushgatewayUrl: "http://pgw" };
    expect(names(archiveEnv({ ...base, endpoint: "https://fsn1.your-objectstorage.com", checksumsWhenRequired: true }))).toEqual(
      expect.arrayContaining(["S3_ENDPOINT_URL", "AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"]),
    );
    expect(names(archiveEnv({ ...base, region: "eu-central-1", kmsKeyArn: "arn:aws:kms:eu-central-1:1:key/k" }))).not.toContain("AWS_REQUEST_CHECKSUM_CALCULATION");
  });

  it("the plan says plainly what a Hetzner key reaches", () => {
    const text = archiveStoreSection({ provider: "hetzner", endpoint: "https://fsn1.your-objectstorage.com", region: "fsn1" });
    expect(text).toContain("credentials: the stack's one Hetzner access key, which reaches every bucket of its Hetzner project: Strata cannot limit a workload to its own bucket or prefix there");
    expect(text).toContain("the store has no: kms, storageClasses, replication, accessLogs");
    expect(text).toContain("they cannot restrict: a Hetzner project key reaches every bucket of its project");
  });
});

describe("the plan on a stack that asks Hetzner for replication", () => {
  const work = mkdtempSync(join(tmpdir(), "strata-archive-providers-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("exits 2 naming the key and plans nothing", () => {
    const file = join(work, "Pulumi.replicated.yaml");
    writeFileSync(file, yaml.dump({ config: { "strata:profile": "prod", "strata:cloud": "hcloud", "strata:cluster": { source: "stack", stack: "a/b/c" }, "strata:archive": { provider: "hetzner", replication: { enabled: true } } } }));
    const result = runPlanCli(["--config", file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("strata:archive.replication.enabled: is not available on archive.provider `hetzner`: the store has no bucket replication");
    expect(result.stderr).toContain("strata:archiveAccessKeyId: is required when archive.provider is `hetzner`");
  });
});

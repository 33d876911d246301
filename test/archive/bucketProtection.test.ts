/**
 * The bucket protection check: the expectations follow the bucket definitions, and the backup runtime's
 * `bucket-protection` (the bundle the plan ships, through the AWS SDK) runs against (a) s3rver, which implements none of the four bucket settings (it answers NotImplemented,
 * so only "cannot read" and the push are exercised there), and (b) a stub S3 endpoint that answers with responses in
 * the shape of the S3 API reference (GetBucketVersioning, GetBucketEncryption, GetBucketLifecycleConfiguration,
 * GetObjectLockConfiguration, and their "not configured" errors), which exercises the comparison: as declared, and
 * each kind of drift. It pushes to a real Pushgateway.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketProtection, checksFile, expectedProjections, protectionChecks, type BucketProtection } from "../../components/archive/protection";
import { lifecycleRules } from "../../components/archive/lifecycle";
import { startPushgateway, startS3, type Pushgateway, type S3 } from "../integration/helpers/servers";
import { runRuntime } from "../integration/helpers/runtime";
import { logLines } from "../integration/helpers/scripts";
import { plan, resourcesOfType } from "../helpers/plan";
import { validateRecordedK8sResource } from "../helpers/k8sValidate";

const KEY = "arn:aws:kms:eu-central-1:111122223333:key/0b0c6a52-7d1e-4bb0-9a51-3e1f8a7e2c11";
const work = mkdtempSync(join(tmpdir(), "strata-bucket-protection-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LIFECYCLE = lifecycleRules({ transitions: [{ afterDays: 30, storageClass: "STANDARD_IA" }, { afterDays: 90, storageClass: "GLACIER_IR" }] as never, expireAfterDays: 400, noncurrentVersionDays: 30, abortIncompleteUploadsDays: 7 });
const BACKUPS = bucketProtection({ kmsKeyArn: KEY, lifecycle: LIFECYCLE, objectLock: { mode: "GOVERNANCE", days: 30 } });
const LOGS = bucketProtection({ kmsKeyArn: KEY, lifecycle: LIFECYCLE });

// --- a stub S3 that answers like the S3 API reference ---------------------------------------------------------------

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
type Answer = { status: number; body: string };
const ok = (body: string): Answer => ({ status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` });
const s3Error = (status: number, code: string, message: string): Answer => ok(`<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`) && { status, body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>` };

/** The responses S3 gives for a bucket configured exactly as `p` declares (an empty filter comes back as `<Filter/>`). */
function asDeclared(p: BucketProtection): Record<string, Answer> {
  const e = p.encryption!;
  const rules = p.lifecycle.rules
    .map((r) =>
      [
        "<Rule>",
        `<ID>${r.id}</ID><Filter/><Status>${r.status}</Status>`,
        ...(r.transitions ?? []).map((t) => `<Transition><Days>${t.days}</Days><StorageClass>${t.storageClass}</StorageClass></Transition>`),
        r.expiration?.days !== undefined ? `<Expiration><Days>${r.expiration.days}</Days></Expiration>` : "",
        r.expiration?.expiredObjectDeleteMarker !== undefined ? `<Expiration><ExpiredObjectDeleteMarker>${r.expiration.expiredObjectDeleteMarker}</ExpiredObjectDeleteMarker></Expiration>` : "",
        r.noncurrentVersionExpiration ? `<NoncurrentVersionExpiration><NoncurrentDays>${r.noncurrentVersionExpiration.noncurrentDays}</NoncurrentDays></NoncurrentVersionExpiration>` : "",
        r.abortIncompleteMultipartUpload ? `<AbortIncompleteMultipartUpload><DaysAfterInitiation>${r.abortIncompleteMultipartUpload.daysAfterInitiation}</DaysAfterInitiation></AbortIncompleteMultipartUpload>` : "",
        "</Rule>",
      ].join(""),
    )
    // S3 does not promise the order it returns rules in.
    .reverse()
    .join("");
  return {
    versioning: ok(`<VersioningConfiguration ${NS}><Status>Enabled</Status></VersioningConfiguration>`),
    encryption: ok(
      `<ServerSideEncryptionConfiguration ${NS}><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${e.sseAlgorithm}</SSEAlgorithm>${e.sseAlgorithm === "aws:kms" ? `<KMSMasterKeyID>${e.kmsMasterKeyId}</KMSMasterKeyID>` : ""}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${e.bucketKeyEnabled}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
    ),
    lifecycle: ok(`<LifecycleConfiguration ${NS}>${rules}</LifecycleConfiguration>`),
    "object-lock": p.objectLock
      ? ok(`<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>${p.objectLock.mode}</Mode><Days>${p.objectLock.days}</Days></DefaultRetention></Rule></ObjectLockConfiguration>`)
      : s3Error(404, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"),
  };
}

let buckets: Record<string, Record<string, Answer>> = {};
let stub: Server;
let stubEndpoint = "";
let pushgateway: Pushgateway;
let s3rver: S3;

beforeAll(async () => {
  stub = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const bucket = url.pathname.split("/")[1] ?? "";
    const setting = [...url.searchParams.keys()][0] ?? "";
    const answer = buckets[bucket]?.[setting] ?? s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
    res.writeHead(answer.status, { "content-type": "application/xml" }).end(answer.body);
  });
  await new Promise<void>((r) => stub.listen(0, "127.0.0.1", () => r()));
  const address = stub.address();
  stubEndpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  [pushgateway, s3rver] = await Promise.all([startPushgateway(), startS3("strata-dev-logs-abc12345")]);
}, 60_000);

afterAll(async () => {
  await new Promise((r) => stub?.close(r));
  await Promise.all([pushgateway?.stop(), s3rver?.stop()]);
});

/** Runs the runtime's check asynchronously, as the CronJob does: the stub S3 answers from this process's event loop. */
async function runCheck(endpoint: string, checks: string): Promise<{ status: number | null; stderr: string }> {
  const dir = mkdtempSync(join(work, "run-"));
  writeFileSync(join(dir, "checks.tsv"), checks);
  const r = await runRuntime(
    "bucket-protection",
    {
      PATH: process.env.PATH!,
      HOME: dir,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_REGION: "eu-central-1",
      AWS_EC2_METADATA_DISABLED: "true",
      // The job keeps the SDK's retries; here an error answer is final, so the suite does not wait on backoff.
      AWS_MAX_ATTEMPTS: "1",
      S3_ENDPOINT_URL: endpoint,
      CHECKS_FILE: join(dir, "checks.tsv"),
      PUSHGATEWAY_URL: pushgateway.url,
    },
    100_000,
  );
  return { status: r.code, stderr: r.stderr };
}

const pushed = async () => {
  const all = await pushgateway.samples("strata-bucket-protection");
  const pick = (name: string) =>
    Object.fromEntries(
      Object.entries(all)
        .filter(([k]) => k.startsWith(`${name}{`))
        .map(([k, v]) => [/bucket="([^"]+)",check="([^"]+)"/.exec(k)!.slice(1).join("/"), v]),
    );
  return { matches: pick("strata_bucket_protection_matches"), unreadable: pick("strata_bucket_protection_unreadable"), lastRun: Object.entries(all).find(([k]) => k.startsWith("strata_bucket_protection_last_run_timestamp_seconds"))?.[1] };
};

describe("expectations follow the bucket definitions", () => {
  it("one check per setting and bucket; no object lock expected where none is declared", () => {
    const checks = protectionChecks("strata-dev-logs-abc12345", LOGS);
    expect(checks.map((c) => c.check)).toEqual(["versioning", "encryption", "lifecycle", "object_lock"]);
    expect(checks.find((c) => c.check === "object_lock")!.expected).toBeNull();
    expect(expectedProjections(BACKUPS).object_lock).toEqual({ Enabled: "Enabled", Mode: "GOVERNANCE", Days: 30, Years: null });
    expect(expectedProjections(LOGS).encryption).toEqual({ SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY, BucketKeyEnabled: true });
    expect(expectedProjections(bucketProtection({ lifecycle: LIFECYCLE })).encryption).toEqual({ SSEAlgorithm: "AES256", KMSMasterKeyID: null, BucketKeyEnabled: false });
  });

  it("refuses a name that is no bucket, so the checks file cannot be broken", () => {
    expect(() => checksFile(protectionChecks("Bad\tName", LOGS))).toThrow(/is not an S3 bucket name/);
  });
});

describe("the check against S3-shaped answers (the comparison)", () => {
  const lines = () => checksFile([...protectionChecks("strata-prod-backups-x1", BACKUPS), ...protectionChecks("strata-prod-logs-x2", LOGS)]);

  it("reports every setting as declared when S3 answers as declared (rules in another order, filter echoed empty)", async () => {
    buckets = { "strata-prod-backups-x1": asDeclared(BACKUPS), "strata-prod-logs-x2": asDeclared(LOGS) };
    const r = await runCheck(stubEndpoint, lines());
    expect(r.status, r.stderr).toBe(0);
    const p = await pushed();
    expect(Object.values(p.matches)).toHaveLength(8);
    expect(Object.values(p.matches).every((v) => v === 1), JSON.stringify(p.matches) + r.stderr).toBe(true);
    expect(p.unreadable).toEqual({});
    expect(p.lastRun).toBeGreaterThan(Date.now() / 1000 - 120);
  }, 120_000);

  it("finds each kind of drift: versioning suspended, another key, a shortened lifecycle, object lock removed, a lock added", async () => {
    const backups = asDeclared(BACKUPS);
    const logs = asDeclared(LOGS);
    buckets = {
      "strata-prod-backups-x1": {
        ...backups,
        versioning: ok(`<VersioningConfiguration ${NS}><Status>Suspended</Status></VersioningConfiguration>`),
        encryption: ok(`<ServerSideEncryptionConfiguration ${NS}><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`),
        lifecycle: s3Error(404, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
        "object-lock": ok(`<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`),
      },
      "strata-prod-logs-x2": {
        ...logs,
        versioning: ok(`<VersioningConfiguration ${NS}/>`),
        lifecycle: { ...logs.lifecycle!, body: logs.lifecycle!.body.replace("<Days>400</Days>", "<Days>3</Days>") },
        "object-lock": ok(`<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`),
      },
    };
    const r = await runCheck(stubEndpoint, lines());
    expect(r.status, r.stderr).toBe(0);
    const p = await pushed();
    expect(p.matches).toEqual({
      "strata-prod-backups-x1/versioning": 0,
      "strata-prod-backups-x1/encryption": 0,
      "strata-prod-backups-x1/lifecycle": 0,
      "strata-prod-backups-x1/object_lock": 0,
      "strata-prod-logs-x2/versioning": 0,
      "strata-prod-logs-x2/encryption": 1,
      "strata-prod-logs-x2/lifecycle": 0,
      "strata-prod-logs-x2/object_lock": 0,
    });
    expect(logLines(r.stderr)).toContainEqual(expect.objectContaining({ level: "warn", msg: "DRIFT: not what the plan declared", bucket: "strata-prod-backups-x1", check: "versioning", expected: '{"Status":"Enabled"}', actual: '{"Status":"Suspended"}' }));
  }, 120_000);

  it("a lifecycle rule narrowed to a prefix is drift; access denied is unreadable, not drift", async () => {
    const logs = asDeclared(LOGS);
    buckets = {
      "strata-prod-backups-x1": Object.fromEntries(Object.keys(asDeclared(BACKUPS)).map((k) => [k, s3Error(403, "AccessDenied", "Access Denied")])),
      "strata-prod-logs-x2": { ...logs, lifecycle: { ...logs.lifecycle!, body: logs.lifecycle!.body.replace("<ID>tiers-and-expiration</ID><Filter/>", "<ID>tiers-and-expiration</ID><Filter><Prefix>tmp/</Prefix></Filter>") } },
    };
    const r = await runCheck(stubEndpoint, lines());
    expect(r.status, r.stderr).toBe(0);
    const p = await pushed();
    expect(p.matches).toEqual({ "strata-prod-logs-x2/versioning": 1, "strata-prod-logs-x2/encryption": 1, "strata-prod-logs-x2/lifecycle": 0, "strata-prod-logs-x2/object_lock": 1 });
    expect(p.unreadable).toEqual({ "strata-prod-backups-x1/versioning": 1, "strata-prod-backups-x1/encryption": 1, "strata-prod-backups-x1/lifecycle": 1, "strata-prod-backups-x1/object_lock": 1 });
    expect(r.stderr).toContain("AccessDenied");
  }, 120_000);
});

describe("the check against s3rver", () => {
  it("s3rver keeps no versions and implements none of the other three: versioning reads as drift, the rest as unreadable", async () => {
    const r = await runCheck(s3rver.endpoint, checksFile(protectionChecks(s3rver.bucket, LOGS)));
    expect(r.status, r.stderr).toBe(0);
    const p = await pushed();
    // s3rver answers GetBucketVersioning without a Status, as S3 does for a bucket that never had versioning.
    expect(p.matches, r.stderr).toEqual({ [`${s3rver.bucket}/versioning`]: 0 });
    expect(Object.keys(p.unreadable).sort()).toEqual(["encryption", "lifecycle", "object_lock"].map((c) => `${s3rver.bucket}/${c}`));
    expect(r.stderr).toContain("NotImplemented");
  }, 120_000);

  it("exits 3 when the Pushgateway refuses the push, and 2 without its input or with a malformed line, naming it", async () => {
    const dir = mkdtempSync(join(work, "bad-"));
    const base = { PATH: process.env.PATH!, AWS_REGION: "eu-central-1" };
    const noInput = await runRuntime("bucket-protection", { ...base, PUSHGATEWAY_URL: pushgateway.url, CHECKS_FILE: join(dir, "missing.tsv") });
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain("missing.tsv' is not readable");
    writeFileSync(join(dir, "bad.tsv"), "a-bucket\tversioning\tget-bucket-versioning\n");
    const malformed = await runRuntime("bucket-protection", { ...base, PUSHGATEWAY_URL: pushgateway.url, CHECKS_FILE: join(dir, "bad.tsv") });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("malformed line 1");
    const noGateway = await runRuntime("bucket-protection", { ...base, CHECKS_FILE: join(dir, "bad.tsv") });
    expect(noGateway.code).toBe(2);
    expect(noGateway.stderr).toContain("PUSHGATEWAY_URL");
    writeFileSync(join(dir, "empty.tsv"), "");
    const refused = await runRuntime("bucket-protection", { ...base, PUSHGATEWAY_URL: "http://127.0.0.1:9/", CHECKS_FILE: join(dir, "empty.tsv"), PUSH_TIMEOUT_SECONDS: "2" }, 60_000);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain("PUSH FAILED");
  }, 90_000);
});

describe("the check in the plans", () => {
  it.each(["dev", "prod"] as const)("%s: a CronJob in the backups namespace checks every declared bucket, with its alerts, as its own identity", async (stack) => {
    const p = await plan(stack);
    const job = resourcesOfType(p, "kubernetes:batch/v1:CronJob").find((r) => r.name === "bucket-protection")!;
    validateRecordedK8sResource(job);
    const spec = (job.inputs as Record<string, any>).spec;
    expect(spec.schedule).toBe("23 */6 * * *");
    expect(spec.jobTemplate.spec.template.spec.serviceAccountName).toBe("strata-bucket-protection");
    const configMap = resourcesOfType(p, "kubernetes:core/v1:ConfigMap").find((r) => r.name === "bucket-protection")!;
    const checks: string = (configMap.inputs as Record<string, any>).data["checks.tsv"];
    const bucketNames = resourcesOfType(p, "aws:s3/bucket:Bucket").map((b) => (b.inputs as Record<string, any>).bucket as string);
    expect(bucketNames.length).toBeGreaterThanOrEqual(2);
    for (const name of bucketNames) for (const c of ["versioning", "encryption", "lifecycle", "object_lock"]) expect(checks).toContain(`${name}\t${c}\t`);
    const rule = resourcesOfType(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").find((r) => r.name === "bucket-protection-alerts")!;
    expect(rule.parent).toContain("strata:archive:BucketProtectionCheck");
    expect(JSON.stringify((rule.inputs as Record<string, any>).spec.groups)).toContain("StrataBucketProtectionDrift");
  }, 60_000);

  it("turns the matrix row green: no bucket lacks an alert on its own protection", async () => {
    const p = await plan("prod");
    const rows = ((p.outputs.restorability as Record<string, any>).rows ?? p.outputs.restorability) as Record<string, any>[];
    const buckets = JSON.stringify(rows).match(/StrataBucketProtectionDrift/g) ?? [];
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(rows)).not.toContain("no alert on the bucket's own protection");
  }, 60_000);
});

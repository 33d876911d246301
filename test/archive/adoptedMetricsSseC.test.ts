import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../infra/config/errors";
import { resolveConfig } from "../../infra/config/load";
import { rawConfig } from "../helpers/configProblems";
import { runPlan, type Plan } from "../../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile } from "../../infra/plan/stackFile";
import { renderPlan } from "../../infra/plan/report";
import { resourcesOfType, withConfig } from "../helpers/plan";
import { SSE_C_SECRET_NAME } from "../../components/metrics/thanos";
import { TEST_AGE_IDENTITY } from "../helpers/ageIdentity";

/**
 * Seed 000's team moving an existing Thanos bucket on Hetzner under Strata. The blocks in it were written one way or
 * another, and Thanos reads them only that way: a generated key cannot read blocks written under another key, and an
 * SSE-C read of a plain object fails. So an adopted metrics bucket on a store without KMS says how (never guessed).
 */
const hetzner = (archive: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  profile: "prod",
  cloud: "hcloud",
  cluster: { source: "stack", stack: "batchsender/clusters/prod" },
  archive: { provider: "hetzner", ...archive },
  metrics: { thanos: { enabled: true } },
  archiveAccessKeyId: "EXAMPLEKEY",
  archiveSecretAccessKey: "example-secret",
  backupAgeIdentity: TEST_AGE_IDENTITY,
  ...more,
});
const SECRETS = ["archiveAccessKeyId", "archiveSecretAccessKey", "backupAgeIdentity", "thanosSseCKey"];
const KEY = randomBytes(32).toString("base64");
const adopted = (extra: Record<string, unknown> = {}) => ({ adopt: { buckets: { metrics: "batchsender-thanos" }, ...extra } });
/** Every problem the config check reports, as "key: message" lines; none for a config it takes. */
function problems(values: Record<string, unknown>): string[] {
  try {
    resolveConfig(rawConfig(values, SECRETS));
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.key}: ${p.message}`);
  }
}

describe("archive.adopt.metricsSseC: the config", () => {
  it("is required for an adopted metrics bucket on Hetzner, and the message says what to write for each case", () => {
    const [p, ...rest] = problems(hetzner(adopted()));
    expect(rest).toEqual([]);
    expect(p).toBe(
      "strata:archive.adopt.metricsSseC: is required for the adopted metrics bucket batchsender-thanos on archive.provider `hetzner`: Thanos can read its blocks only as they were written, and Strata cannot tell how. Write `existing` if they were written with SSE-C (and set that key: `base64 -w0 sse-c.key | pulumi config set --secret strata:thanosSseCKey`), `none` if they were written without SSE-C (Thanos then keeps writing without it), or `generate` if the bucket holds no blocks yet",
    );
  });

  it("`existing` needs the key, as the base64 of exactly 32 bytes, and the key needs `existing`", () => {
    expect(problems(hetzner(adopted({ metricsSseC: "existing" })))).toEqual([
      "strata:thanosSseCKey: is required while archive.adopt.metricsSseC is `existing`: the base64 of the key the bucket's blocks were written with (`base64 -w0 sse-c.key | pulumi config set --secret strata:thanosSseCKey`)",
    ]);
    expect(problems(hetzner(adopted({ metricsSseC: "existing" }), { thanosSseCKey: KEY }))).toEqual([]);
    const short = randomBytes(16).toString("base64");
    expect(problems(hetzner(adopted({ metricsSseC: "existing" }), { thanosSseCKey: short }))).toEqual([
      "strata:thanosSseCKey: must be the base64 of a 32-byte SSE-C key (44 characters ending in '='): `base64 -w0 sse-c.key`, where sse-c.key is the raw key file Thanos reads",
    ]);
    expect(problems(hetzner(adopted({ metricsSseC: "none" }), { thanosSseCKey: KEY }))).toEqual([
      "strata:thanosSseCKey: is only used while archive.adopt.metricsSseC is `existing` (and Thanos runs on a store without KMS); remove it",
    ]);
  });

  it("is refused where it means nothing: on aws, with Thanos off, or for a bucket Strata creates", () => {
    expect(problems(hetzner({ adopt: { metricsSseC: "none" } }))).toEqual([
      "strata:archive.adopt.metricsSseC: is only for an adopted metrics bucket (archive.adopt.buckets.metrics): a bucket Strata creates gets a generated key; remove it",
    ]);
    expect(problems(hetzner(adopted({ metricsSseC: "none" }), { metrics: { thanos: { enabled: false } } }))).toEqual([
      "strata:archive.adopt.metricsSseC: is only used while Thanos writes the metrics bucket, and metrics.thanos.enabled is false; remove it",
    ]);
    const aws = { profile: "dev", cloud: "aws", archive: { adopt: { buckets: { metrics: "team-thanos" }, metricsSseC: "generate" } } };
    expect(problems(aws).filter((p) => p.startsWith("strata:archive.adopt"))).toEqual([
      "strata:archive.adopt.metricsSseC: is only for a store without KMS: on archive.provider `aws` Thanos writes the metrics bucket with SSE-KMS; remove it",
    ]);
  });

  it("a metrics bucket Strata creates needs nothing new: a key is generated as before", () => {
    expect(problems(hetzner())).toEqual([]);
  });
});

/** The plan of seed 000's example stack with Thanos on and an adopted metrics bucket, as its team would write it. */
const BATCHSENDER = join(PROJECT_DIR, "examples", "stacks", "Pulumi.batchsender.yaml");
async function batchsenderAdopting(adopt: Record<string, unknown>, more: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<Plan> {
  const base = readStackConfigFile(BATCHSENDER, { passphrase: "strata-examples-not-a-secret" });
  const outcome = await runPlan({ project: "strata", stack: "batchsender", config: withConfig(base, { metrics: { thanos: { enabled: true } }, archive: { adopt: { buckets: { metrics: "batchsender-thanos" }, ...adopt } }, ...more }, secretKeys) });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.plan;
}
type Any = Record<string, any>;
const objstoreOf = (p: Plan) => (p.outputs.metrics as Any).thanosObjstoreConfig as string;

describe("archive.adopt.metricsSseC: the plan", () => {
  it("`existing`: the adopted key goes into the Secret, as a Pulumi secret; nothing is generated", async () => {
    const p = await batchsenderAdopting({ metricsSseC: "existing" }, { thanosSseCKey: KEY }, ["thanosSseCKey"]);
    expect(resourcesOfType(p, "random:index/randomBytes:RandomBytes")).toEqual([]);
    const secret = resourcesOfType(p, "kubernetes:core/v1:Secret").find((r) => r.name === "thanos-sse-c")!;
    expect((secret.inputs as Any).metadata).toMatchObject({ name: SSE_C_SECRET_NAME, namespace: "monitoring" });
    expect((secret.inputs as Any).data).toBe("[secret]");
    expect(secret.options).toMatchObject({ protect: true, retainOnDelete: true });
    expect(objstoreOf(p)).toContain("type: SSE-C");
    expect(renderPlan(p)).toContain("metrics bucket: SSE-C, with the adopted bucket's own key (strata:thanosSseCKey, archive.adopt.metricsSseC: existing)");
    // The key never reaches the plan in plain text.
    expect(JSON.stringify(p)).not.toContain(KEY);
  });

  it("`none`: Thanos reads and writes without SSE-C, no key exists, and the plan says the bucket is not encrypted", async () => {
    const p = await batchsenderAdopting({ metricsSseC: "none" });
    expect(resourcesOfType(p, "random:index/randomBytes:RandomBytes")).toEqual([]);
    expect(resourcesOfType(p, "kubernetes:core/v1:Secret").filter((r) => r.name === "thanos-sse-c")).toEqual([]);
    expect(objstoreOf(p)).not.toContain("sse_config");
    expect(renderPlan(p)).toContain("metrics bucket: not encrypted by Strata: the adopted bucket's blocks were written without SSE-C (archive.adopt.metricsSseC: none)");
  });

  it("`generate`: a key is generated as for a bucket Strata creates, and the bucket is imported", async () => {
    const p = await batchsenderAdopting({ metricsSseC: "generate" });
    expect(resourcesOfType(p, "random:index/randomBytes:RandomBytes").map((r) => r.name)).toEqual(["thanos-sse-c"]);
    expect(objstoreOf(p)).toContain("type: SSE-C");
    const bucket = resourcesOfType(p, "aws:s3/bucketV2:BucketV2").concat(resourcesOfType(p, "aws:s3/bucket:Bucket")).find((r) => r.name === "metrics")!;
    expect(bucket.options.import).toBe("batchsender-thanos");
  });
});

/**
 * The bucket protection check as the backup runtime runs it (`strata-runtime.cjs bucket-protection`): each bucket's
 * versioning, default encryption, lifecycle and object lock read through the S3 API, projected with the JMESPath of
 * its check (protection.ts, PROTECTION_QUERIES) and compared with what the plan declared, then pushed.
 *
 * CHECKS_FILE: one check per line, tab-separated: bucket, check name, S3 operation (the AWS CLI's name for it), JMESPath
 * projection, expected JSON (protection.ts, checksFile). S3's "not configured" errors compare as null: `null` expected
 * means the setting must be absent. The projection is evaluated on the response's JSON, as the AWS CLI's --query did.
 *
 * Pushes (PUT, so a bucket no longer checked disappears) to the group job=strata-bucket-protection (protectionMetrics.ts):
 * matches{bucket,check} 1 as declared, 0 different (drift); unreadable{bucket,check} 1 when S3 did not answer (access
 * denied, unsupported, ...); the run's time. Exit: 0 pushed (whatever was found), 2 bad input, 3 the push failed.
 * Environment: CHECKS_FILE, PUSHGATEWAY_URL, PUSH_TIMEOUT_SECONDS (15), AWS_REGION and the SDK's credentials,
 * S3_ENDPOINT_URL on a store other than AWS S3.
 */
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import jmespath from "jmespath";
import { z } from "zod";
import { EXIT, type ExitCode } from "../backup/contract";
import { describeS3Error, s3Client } from "../backup/runtime/s3";
import { optional, readEnv, requiredPushgatewayUrl, requiredText, runEnvSchema } from "../backup/runtime/config";
import type { Log } from "../backup/runtime/log";
import { deliver } from "../backup/runtime/push";
import { PROTECTION_JOB, PROTECTION_METRIC_HELP, PROTECTION_METRICS } from "./protectionMetrics";

/** The S3 API call behind each operation name a check names (the AWS CLI's, as PROTECTION_QUERIES spells them). */
const OPERATIONS: Record<string, (client: S3Client, bucket: string) => Promise<object>> = {
  "get-bucket-versioning": (client, Bucket) => client.send(new GetBucketVersioningCommand({ Bucket })),
  "get-bucket-encryption": (client, Bucket) => client.send(new GetBucketEncryptionCommand({ Bucket })),
  "get-bucket-lifecycle-configuration": (client, Bucket) => client.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
  "get-object-lock-configuration": (client, Bucket) => client.send(new GetObjectLockConfigurationCommand({ Bucket })),
};

/** The errors S3 answers when the setting is simply not configured on the bucket. */
const NOT_CONFIGURED = new Set(["ServerSideEncryptionConfigurationNotFoundError", "NoSuchLifecycleConfiguration", "ObjectLockConfigurationNotFoundError"]);

const checkEnvSchema = runEnvSchema.pick({ S3_ENDPOINT_URL: true, PUSH_TIMEOUT_SECONDS: true }).extend({
  CHECKS_FILE: requiredText(" (the checks the plan generated)"),
  PUSHGATEWAY_URL: requiredPushgatewayUrl,
  /** Absent: the SDK's own chain (the profile). */
  AWS_REGION: optional,
});

interface Check {
  bucket: string;
  check: string;
  operation: string;
  query: string;
  expected: unknown;
}

/** The checks file's lines; a malformed one is a configuration error naming its line. */
export function parseChecks(text: string, file: string): Check[] {
  return text
    .split("\n")
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => line.trim() !== "")
    .map(({ line, n }) => {
      const [bucket, check, operation, query, expected, ...rest] = line.split("\t");
      if (!bucket || !check || !operation || !query || !expected || rest.length > 0) throw new Error(`malformed line ${n} in ${file}: five tab-separated fields expected`);
      if (!OPERATIONS[operation]) throw new Error(`line ${n} in ${file}: operation '${operation}' is not one of ${Object.keys(OPERATIONS).join(", ")}`);
      let value: unknown;
      try {
        value = JSON.parse(expected);
      } catch {
        throw new Error(`line ${n} in ${file}: the expected value is not JSON`);
      }
      return { bucket, check, operation, query, expected: value };
    });
}

/** What S3 holds for one check, projected: the value, or null where the setting is not configured. */
async function projected(client: S3Client, c: Check): Promise<unknown> {
  try {
    const response = await OPERATIONS[c.operation]!(client, c.bucket);
    // The response as the CLI's JSON: no SDK metadata, dates as strings.
    const { $metadata: _metadata, ...body } = JSON.parse(JSON.stringify(response)) as Record<string, unknown>;
    return jmespath.search(body, c.query);
  } catch (e) {
    if (e instanceof Error && NOT_CONFIGURED.has(e.name)) return null;
    throw e;
  }
}

const labelValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Runs every check and pushes the result. */
export async function runBucketProtection(vars: NodeJS.ProcessEnv, log: Log): Promise<ExitCode> {
  let env: z.output<typeof checkEnvSchema>;
  try {
    env = readEnv(checkEnvSchema, vars);
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    return EXIT.config;
  }
  let checks: Check[];
  try {
    checks = parseChecks(readFileSync(env.CHECKS_FILE, "utf8"), env.CHECKS_FILE);
  } catch (e) {
    log.error(e instanceof Error && "code" in e ? `CHECKS_FILE '${env.CHECKS_FILE}' is not readable` : String((e as Error).message ?? e));
    return EXIT.config;
  }
  const client = s3Client({ region: env.AWS_REGION, endpoint: env.S3_ENDPOINT_URL });
  const matches: string[] = [];
  const unreadable: string[] = [];
  let drift = 0;
  for (const c of checks) {
    const labels = `bucket="${labelValue(c.bucket)}",check="${labelValue(c.check)}"`;
    let actual: unknown;
    try {
      actual = await projected(client, c);
    } catch (e) {
      log.error("cannot read the setting", { bucket: c.bucket, check: c.check, operation: c.operation, detail: describeS3Error(e) });
      unreadable.push(`${PROTECTION_METRICS.unreadable}{${labels}} 1`);
      continue;
    }
    const same = isDeepStrictEqual(actual ?? null, c.expected);
    matches.push(`${PROTECTION_METRICS.matches}{${labels}} ${same ? 1 : 0}`);
    if (same) log.info("as declared", { bucket: c.bucket, check: c.check });
    else {
      drift += 1;
      log.warn("DRIFT: not what the plan declared", { bucket: c.bucket, check: c.check, expected: JSON.stringify(c.expected), actual: JSON.stringify(actual ?? null) });
    }
  }
  client.destroy();
  const gauge = (key: keyof typeof PROTECTION_METRICS, samples: string[]) => `# HELP ${PROTECTION_METRICS[key]} ${PROTECTION_METRIC_HELP[key]}\n# TYPE ${PROTECTION_METRICS[key]} gauge\n${samples.map((s) => `${s}\n`).join("")}`;
  const body = gauge("matches", matches) + gauge("unreadable", unreadable) + gauge("lastRun", [`${PROTECTION_METRICS.lastRun} ${Math.floor(Date.now() / 1000)}`]);
  const url = `${env.PUSHGATEWAY_URL.replace(/\/+$/, "")}/metrics/job/${PROTECTION_JOB}`;
  const refused = await deliver(url, "PUT", body, env.PUSH_TIMEOUT_SECONDS);
  if (refused === undefined) {
    log.info("pushed", { checked: checks.length, drift, unreadable: unreadable.length, url });
    return EXIT.ok;
  }
  log.error("PUSH FAILED: the Pushgateway did not accept the result", { url, detail: refused });
  return EXIT.pushFailed;
}

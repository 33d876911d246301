import type { ResourcePolicy, Violation } from "../core/types";
import { denyStatements, type IamStatementLike } from "../core/s3policy";
import { EXCEPTIONS_SCHEMA, T, globMatch, isExcepted } from "../core/util";
import { onS3CompatibleStore } from "../core/buckets";

/**
 * The bucket policy denies (1) any request not over TLS (`Bool aws:SecureTransport false`) and (2) uploads that
 * do not ask for SSE-KMS (`StringNotEquals[IfExists] s3:x-amz-server-side-encryption aws:kms`, or `Null ... true`).
 * Buckets S3 itself writes to without SSE-KMS headers (server access log targets, which only support SSE-S3) are
 * listed in `encryptionExceptions`: for them only (1) is required. So are buckets on an S3-compatible store (their
 * provider has a custom S3 endpoint): such a store has no SSE-KMS, its writers encrypt with SSE-C or on the client.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-s3-require-secure-transport",
  description: "Bucket policies deny non-TLS requests (aws:SecureTransport false) and uploads without SSE-KMS.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      encryptionExceptions: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Bucket policy names (`*` wildcard) that need only the TLS deny, e.g. S3 server access log targets (log delivery supports SSE-S3 only).",
      },
    },
  },
  types: [T.bucketPolicy],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const denies = denyStatements(r.props.policy);
    if (denies === undefined) return [{ message: `BucketPolicy ${r.name} has no readable policy document.` }];
    const out: Violation[] = [];
    if (!denies.some(deniesInsecureTransport)) out.push({ message: `BucketPolicy ${r.name} does not deny requests with aws:SecureTransport false.` });
    const uploadsExcepted = onS3CompatibleStore(r) || (ctx.config.encryptionExceptions as string[]).some((p) => globMatch(p, r.name));
    if (!uploadsExcepted && !denies.some(deniesUnencryptedUploads)) out.push({ message: `BucketPolicy ${r.name} does not deny s3:PutObject without s3:x-amz-server-side-encryption aws:kms.` });
    return out;
  },
};

function conditionValue(s: IamStatementLike, operator: string, key: string): string[] {
  const block = s.Condition?.[operator];
  if (!block) return [];
  const entry = Object.entries(block).find(([k]) => k.toLowerCase() === key.toLowerCase());
  if (!entry) return [];
  const value: unknown = entry[1];
  return (Array.isArray(value) ? value : [value]).map((v: unknown) => String(v).toLowerCase());
}

function deniesInsecureTransport(s: IamStatementLike): boolean {
  return conditionValue(s, "Bool", "aws:SecureTransport").includes("false") && s.actions.some((a) => a === "*" || a.toLowerCase() === "s3:*");
}

function deniesUnencryptedUploads(s: IamStatementLike): boolean {
  const put = s.actions.some((a) => ["*", "s3:*", "s3:putobject", "s3:put*"].includes(a.toLowerCase()));
  return put && (["StringNotEquals", "StringNotEqualsIfExists"].some((op) => conditionValue(s, op, "s3:x-amz-server-side-encryption").some((v) => v.startsWith("aws:kms"))) || conditionValue(s, "Null", "s3:x-amz-server-side-encryption").includes("true"));
}

export default policy;

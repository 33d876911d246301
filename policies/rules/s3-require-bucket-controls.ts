import type { StackPolicy, Violation } from "../core/types";
import { bucketKeys, onS3CompatibleStore } from "../core/buckets";
import { EXCEPTIONS_SCHEMA, T, isExcepted, refersTo } from "../core/util";

const CONTROLS: Record<string, string> = {
  versioning: T.bucketVersioning,
  encryption: T.bucketSse,
  publicAccessBlock: T.bucketPab,
  ownershipControls: T.bucketOwnership,
  policy: T.bucketPolicy,
  lifecycle: T.bucketLifecycle,
};

/**
 * The per-setting S3 policies check each setting's content; this one checks that no bucket lacks a setting. A bucket
 * on an S3-compatible store (its provider has a custom S3 endpoint) needs only the settings such a store has.
 */
const S3_COMPATIBLE_CONTROLS = new Set(["versioning", "lifecycle"]);

const policy: StackPolicy = {
  kind: "stack",
  subjects: [T.bucket],
  name: "strata-s3-require-bucket-controls",
  description: "Every S3 bucket has its versioning, SSE-KMS encryption, public access block, ownership controls, bucket policy and lifecycle resources (aws v7 split resources).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      controls: { type: "array", items: { type: "string", enum: Object.keys(CONTROLS) }, default: Object.keys(CONTROLS), description: "Companion resources every bucket needs." },
    },
  },
  validate(resources, ctx) {
    const out: Violation[] = [];
    for (const bucket of resources.filter((r) => r.type === T.bucket && !isExcepted(r, ctx))) {
      const compatible = onS3CompatibleStore(bucket);
      const missing = (ctx.config.controls as string[]).filter((c) => (!compatible || S3_COMPATIBLE_CONTROLS.has(c)) && !resources.some((r) => r.type === CONTROLS[c] && refersTo(r, bucket, "bucket", bucketKeys(bucket))));
      if (missing.length) out.push({ urn: bucket.urn, message: `Bucket ${bucket.name} has no ${missing.join(", ")} resource.` });
    }
    return out;
  },
};
export default policy;

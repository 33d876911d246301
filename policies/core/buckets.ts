import type { PolicyContext, StrataResource } from "./types";
import { T, asArray, isObject, parseMaybeJson, refersTo, tagsOf } from "./util";

export const PURPOSE_SCHEMA = {
  purposeTagKeys: {
    type: "array",
    items: { type: "string" },
    default: ["strata:purpose", "purpose"],
    description: "AWS tag keys that say what a bucket holds (metrics, logs, backups, ...); the first one set wins.",
  },
};

/** The keys a companion resource's `bucket` input may hold for this bucket: its name, and its URN. */
export function bucketKeys(bucket: StrataResource): unknown[] {
  return [bucket.props.bucket, bucket.name, bucket.urn];
}

export function bucketOf(companion: StrataResource, resources: StrataResource[]): StrataResource | undefined {
  return resources.find((b) => b.type === T.bucket && refersTo(companion, b, "bucket", bucketKeys(b)));
}

export function purposeOf(bucket: StrataResource, ctx: PolicyContext): string | undefined {
  const tags = tagsOf(bucket);
  for (const key of asArray<string>(ctx.config.purposeTagKeys ?? ["strata:purpose", "purpose"])) if (tags[key]) return tags[key];
  return undefined;
}

/** Enabled lifecycle rules of every lifecycle configuration attached to `bucket`. */
export function lifecycleRulesOf(bucket: StrataResource, resources: StrataResource[]): { config: StrataResource; rule: any }[] {
  return resources
    .filter((r) => r.type === T.bucketLifecycle && refersTo(r, bucket, "bucket", bucketKeys(bucket)))
    .flatMap((config) => asArray<any>(config.props.rules).filter((rule) => rule?.status === "Enabled").map((rule) => ({ config, rule })));
}

/**
 * A bucket on an S3-compatible store rather than AWS S3: its aws provider sends S3 calls to a custom endpoint
 * (Hetzner Object Storage, MinIO, ...). Such stores have no SSE-KMS, public access block or ownership controls to
 * declare, and bucket policies only where the store has them (Hetzner; components/archive/providers.ts); what they
 * store is encrypted by its writers. Works for any resource of that provider (a bucket, its policy).
 */
export function onS3CompatibleStore(bucket: StrataResource): boolean {
  const endpoints = parseMaybeJson(bucket.provider?.props?.endpoints);
  return asArray<unknown>(endpoints).some((e) => isObject(e) && typeof e.s3 === "string" && e.s3 !== "");
}

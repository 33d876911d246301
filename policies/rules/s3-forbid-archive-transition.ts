import type { StackPolicy, Violation } from "../core/types";
import { PURPOSE_SCHEMA, bucketOf, purposeOf } from "../core/buckets";
import { EXCEPTIONS_SCHEMA, T, asArray, isExcepted } from "../core/util";

/**
 * Thanos store gateway and Loki read every object of their buckets; objects in GLACIER / DEEP_ARCHIVE cannot be read
 * without a restore. Joins each lifecycle configuration to its bucket and the bucket's purpose tag.
 */
const policy: StackPolicy = {
  kind: "stack",
  subjects: [T.bucketLifecycle],
  name: "strata-s3-forbid-archive-transition",
  description: "Lifecycle rules of buckets tagged purpose metrics or logs never transition (current or noncurrent versions) to GLACIER or DEEP_ARCHIVE; use INTELLIGENT_TIERING or GLACIER_IR.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      ...PURPOSE_SCHEMA,
      purposes: { type: "array", items: { type: "string" }, default: ["metrics", "logs"], description: "Bucket purposes whose objects must stay readable." },
      forbiddenStorageClasses: { type: "array", items: { type: "string" }, default: ["GLACIER", "DEEP_ARCHIVE"], description: "Storage classes that need a restore before a read." },
    },
  },
  validate(resources, ctx) {
    const out: Violation[] = [];
    for (const config of resources.filter((r) => r.type === T.bucketLifecycle && !isExcepted(r, ctx))) {
      const bucket = bucketOf(config, resources);
      const purpose = bucket && purposeOf(bucket, ctx);
      if (!bucket || !purpose || !(ctx.config.purposes as string[]).includes(purpose) || isExcepted(bucket, ctx)) continue;
      for (const rule of asArray<any>(config.props.rules)) {
        const classes = [...asArray<any>(rule?.transitions), ...asArray<any>(rule?.noncurrentVersionTransitions)].map((t) => t?.storageClass);
        const bad = classes.filter((c) => (ctx.config.forbiddenStorageClasses as string[]).includes(c));
        if (bad.length) out.push({ urn: config.urn, message: `${config.name} (bucket ${bucket.name}, purpose ${purpose}) rule ${rule?.id ?? "?"} transitions to ${[...new Set(bad)].join(", ")}; ${purpose} must stay readable.` });
      }
    }
    return out;
  },
};
export default policy;

import type { StackPolicy, Violation } from "../core/types";
import { ENVIRONMENT_SCHEMA, EXCEPTIONS_SCHEMA, T, isExcepted, isProd, stackEnvironment } from "../core/util";

export const STATEFUL_TYPES: string[] = [T.storageClass, T.pvc, T.pv, T.hcloudVolume, T.bucket, T.kmsKey, T.namespace];

/**
 * In prod, deleting any of these loses data (a namespace cascades to its PVCs; a KMS key makes its ciphertext
 * unreadable). Each must be `protect`ed or `retainOnDelete`. @pulumi/policy 1.21 does not pass retainOnDelete to
 * analyzers, so under `pulumi preview` only `protect` is visible and counts; the offline plan sees both.
 */
const policy: StackPolicy = {
  kind: "stack",
  subjects: STATEFUL_TYPES,
  name: "strata-stateful-require-protection",
  description: "In prod, every stateful resource (StorageClass, PVC, PV, Hetzner volume, S3 bucket, KMS key, Namespace) is protected or retained on delete.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      ...ENVIRONMENT_SCHEMA,
      types: { type: "array", items: { type: "string" }, default: STATEFUL_TYPES, description: "Resource types that hold data." },
    },
  },
  validate(resources, ctx) {
    const env = stackEnvironment(resources, ctx);
    if (!isProd(env, ctx)) return [];
    const out: Violation[] = [];
    for (const r of resources.filter((r) => (ctx.config.types as string[]).includes(r.type) && !isExcepted(r, ctx))) {
      if (r.opts.protect === true || r.opts.retainOnDelete === true) continue;
      out.push({ urn: r.urn, message: `${r.type.split(":").pop()} ${r.name} is neither protected nor retained on delete in ${env}.` });
    }
    return out;
  },
};
export default policy;

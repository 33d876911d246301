import type { ResourcePolicy } from "../core/types";
import { ENVIRONMENT_SCHEMA, EXCEPTIONS_SCHEMA, T, environmentOf, isExcepted, isProd } from "../core/util";

/** A scheduled key deletion makes every object encrypted under the key unreadable: prod keeps the full window. */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-kms-require-deletion-window",
  description: "In prod, KMS keys keep the longest deletion window (deletionWindowInDays 30, AWS's default when unset).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      ...ENVIRONMENT_SCHEMA,
      minimumDays: { type: "integer", default: 30, description: "Smallest deletion window in prod." },
    },
  },
  types: [T.kmsKey],
  validate(r, ctx) {
    if (isExcepted(r, ctx) || !isProd(environmentOf(r, ctx), ctx)) return [];
    const days = r.props.deletionWindowInDays === undefined ? 30 : Number(r.props.deletionWindowInDays);
    return days >= ctx.config.minimumDays ? [] : [{ message: `KMS key ${r.name} has deletionWindowInDays ${days} in prod; use ${ctx.config.minimumDays}.` }];
  },
};
export default policy;

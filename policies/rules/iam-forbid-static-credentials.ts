import type { ResourcePolicy } from "../core/types";
import { CLOUD_TAG, EXCEPTIONS_SCHEMA, T, asArray, isExcepted, tagsOf } from "../core/util";

/**
 * On EKS every workload gets AWS access through IRSA / Pod Identity; IAM users and access keys exist only for
 * workloads outside AWS (Hetzner clusters). Which clouds may have them is config (`allowedClouds`), and the stack's
 * cloud comes from config (`cloud`, set by the offline plan from `strata:cloud`) or the `strata:cloud` tag.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-iam-forbid-static-credentials",
  description: "IAM users and access keys are only created on stacks whose cloud is listed in allowedClouds (hcloud: workloads outside AWS have no IRSA).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      allowedClouds: { type: "array", items: { type: "string" }, default: ["hcloud"], description: "`strata:cloud` values on which static credentials are allowed." },
      cloud: { type: "string", description: "The stack's cloud (aws | hcloud). Unset: read from the strata:cloud tag." },
    },
  },
  types: [T.iamUser, T.iamAccessKey],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const cloud: string | undefined = ctx.config.cloud ?? tagsOf(r)[CLOUD_TAG];
    if (cloud && asArray<string>(ctx.config.allowedClouds).includes(cloud)) return [];
    return [{ message: `${r.type.split(":").pop()} ${r.name} creates static AWS credentials on cloud ${cloud ?? "(unknown)"}; use IRSA / Pod Identity (allowed only on ${asArray(ctx.config.allowedClouds).join(", ")}).` }];
  },
};
export default policy;

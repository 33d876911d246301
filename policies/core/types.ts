/**
 * The pure core of Strata's policy pack. Nothing here imports @pulumi/policy (or anything else): the same policy
 * logic runs inside `pulumi preview --policy-pack policies` (through policies/adapter.ts), in the offline plan
 * (infra/plan/harness.ts) and in `npm run policies -- --plan FILE` (policies/cli.ts).
 */

export type EnforcementLevel = "advisory" | "mandatory" | "disabled";

/** Where a policy runs. Some facts are only visible in one of them (see `PolicyContext.mode`). */
export type Mode = "preview" | "plan";

/** A resource as every policy sees it, whichever way the pack is run. */
export interface StrataResource {
  type: string;
  name: string;
  urn: string;
  /** Inputs, SDK (camelCase) property names. In the offline plan secrets are the string "[secret]". */
  props: Record<string, any>;
  opts: {
    protect?: boolean;
    /** Known in the offline plan; @pulumi/policy 1.21 does not pass it to analyzers (undefined in preview). */
    retainOnDelete?: boolean;
    additionalSecretOutputs?: string[];
    parent?: string;
  };
  /** URNs this resource depends on (explicit and through its inputs). */
  dependencies?: string[];
  /** The resource's explicit provider, when known (its type and inputs, e.g. the AWS provider's defaultTags). */
  provider?: { type: string; urn?: string; props: Record<string, any> };
}

export interface PolicyContext {
  mode: Mode;
  /** This policy's config (from `--policy-pack-config` or the plan), merged over its defaults. */
  config: Record<string, any>;
}

export interface Violation {
  message: string;
  /** The offending resource; a resource policy's violations default to the resource it checks. */
  urn?: string;
}

/** A JSON schema of one config property (the subset @pulumi/policy accepts). */
export type ConfigSchema = { properties: Record<string, Record<string, any>>; required?: string[] };

interface PolicyBase {
  /** `strata-<resource>-<verb>-<what>`, verb one of VERBS. */
  name: string;
  description: string;
  enforcementLevel: "advisory" | "mandatory";
  /** Config properties, and the defaults the core merges the given config over. */
  configSchema?: ConfigSchema;
}

export interface ResourcePolicy extends PolicyBase {
  kind: "resource";
  /** Resource types the policy looks at; any other type is "not applicable". */
  types: readonly string[];
  /** Where the policy can decide; elsewhere it reports itself not applicable. Default: everywhere. */
  modes?: readonly Mode[];
  validate(resource: StrataResource, ctx: PolicyContext): Violation[];
}

export interface StackPolicy extends PolicyBase {
  kind: "stack";
  modes?: readonly Mode[];
  /** Resource types the policy judges (documentation, and the tests' check that each has a mutation case). */
  subjects: readonly string[];
  validate(resources: StrataResource[], ctx: PolicyContext): Violation[];
}

export type StrataPolicy = ResourcePolicy | StackPolicy;

/** The closed set of verbs a policy name may use. */
export const VERBS = ["require", "forbid", "limit"] as const;
export const NAME_PATTERN = new RegExp(`^strata-[a-z0-9]+(?:-[a-z0-9]+)*?-(?:${VERBS.join("|")})-[a-z0-9]+(?:-[a-z0-9]+)*$`);

/** Policy config as given to the pack: per policy an enforcement level or an object of settings. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, any>)>;

export interface PackViolation {
  policy: string;
  level: "mandatory" | "advisory";
  urn: string;
  message: string;
}

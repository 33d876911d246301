import type { EnforcementLevel, Mode, PackConfig, PackViolation, PolicyContext, StrataPolicy, StrataResource } from "./types";
import { configDefaults, isObject, parseMaybeJson } from "./util";

/** Facts about the stack every runner knows in its own way (the plan from its config, preview from stack tags). */
export interface StackFacts {
  environment?: string;
  cloud?: string;
}

/** A resource as the offline plan records it (infra/plan/recordingMonitor.ts), structurally. */
export interface PlanResourceLike {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  inputs: Record<string, unknown>;
  options: { protect?: boolean; retainOnDelete?: boolean; dependsOn?: string[]; provider?: string; additionalSecretOutputs?: string[] };
}

/** The plan's resources as policies see them; each resource's provider is resolved to its type and inputs. */
export function fromPlan(resources: readonly PlanResourceLike[]): StrataResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return resources.map((r) => {
    const provider = r.options.provider ? byUrn.get(r.options.provider) : undefined;
    return {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: r.inputs as Record<string, any>,
      opts: {
        protect: r.options.protect === true,
        retainOnDelete: r.options.retainOnDelete === true,
        additionalSecretOutputs: r.options.additionalSecretOutputs ?? [],
        ...(r.parent ? { parent: r.parent } : {}),
      },
      dependencies: r.options.dependsOn ?? [],
      ...(provider ? { provider: { type: provider.type, urn: provider.urn, props: Object.fromEntries(Object.entries(provider.inputs).map(([k, v]) => [k, parseMaybeJson(v)])) } } : {}),
    };
  });
}

/** The enforcement level a policy runs at under `packConfig` ("disabled" turns it off). */
export function levelOf(policy: StrataPolicy, packConfig: PackConfig | undefined): EnforcementLevel {
  const given = packConfig?.[policy.name];
  if (typeof given === "string") return given;
  if (isObject(given) && typeof given.enforcementLevel === "string") return given.enforcementLevel as EnforcementLevel;
  return policy.enforcementLevel;
}

/**
 * A policy's effective config: schema defaults, then stack facts (only for the keys the policy declares, e.g.
 * `environment`, `cloud`), then what the user configured. The same function serves all three runners.
 */
export function policyConfig(policy: StrataPolicy, given: Record<string, any> | string | undefined, facts: StackFacts = {}): Record<string, any> {
  const declared = policy.configSchema?.properties ?? {};
  const fromFacts = Object.fromEntries(Object.entries(facts).filter(([k, v]) => k in declared && v !== undefined));
  const user = isObject(given) ? Object.fromEntries(Object.entries(given).filter(([k]) => k !== "enforcementLevel")) : {};
  return { ...configDefaults(policy.configSchema), ...fromFacts, ...user };
}

export interface PackResult {
  evaluated: string[];
  violations: PackViolation[];
}

/**
 * Runs every policy of the pack on a whole stack: resource policies on each resource of their types, stack policies
 * once on all resources. This is what the offline plan and `npm run policies` do; the Pulumi engine does the same
 * through policies/adapter.ts.
 */
export function evaluatePack(policies: readonly StrataPolicy[], resources: StrataResource[], options: { mode: Mode; config?: PackConfig; facts?: StackFacts }): PackResult {
  const evaluated: string[] = [];
  const violations: PackViolation[] = [];
  for (const policy of policies) {
    const level = levelOf(policy, options.config);
    if (level === "disabled") continue;
    evaluated.push(policy.name);
    if (policy.modes && !policy.modes.includes(options.mode)) continue;
    const ctx: PolicyContext = { mode: options.mode, config: policyConfig(policy, options.config?.[policy.name], options.facts) };
    const report = (urn: string, message: string) => violations.push({ policy: policy.name, level, urn, message });
    if (policy.kind === "resource") {
      for (const r of resources.filter((r) => policy.types.includes(r.type))) {
        for (const v of policy.validate(r, ctx)) report(v.urn ?? r.urn, v.message);
      }
    } else {
      for (const v of policy.validate(resources, ctx)) report(v.urn ?? "", v.message);
    }
  }
  return { evaluated, violations };
}

/** The whole plan JSON (`npm run plan -- ... --json FILE`) as far as the policies need it. */
export interface PlanLike {
  config?: Record<string, unknown>;
  resources: PlanResourceLike[];
}

export function factsFromPlan(plan: PlanLike): StackFacts {
  const c = plan.config ?? {};
  return {
    ...(typeof c.environment === "string" ? { environment: c.environment } : {}),
    ...(typeof c.cloud === "string" ? { cloud: c.cloud } : {}),
  };
}

export function evaluatePlan(policies: readonly StrataPolicy[], plan: PlanLike, config?: PackConfig): PackResult {
  return evaluatePack(policies, fromPlan(plan.resources), { mode: "plan", facts: factsFromPlan(plan), ...(config ? { config } : {}) });
}

/**
 * Builds the argument objects @pulumi/policy 1.21 hands to `validateResource` / `validateStack` (policy.d.ts:
 * ResourceValidationArgs with `stackTags`, `getConfig`, `notApplicable`, `opts`, `provider`; StackValidationArgs with
 * PolicyResource objects carrying `opts`, `parent`, `dependencies`, `propertyDependencies`), so the tests run every
 * policy through the real adapter objects the engine would call.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { StrataResource } from "../../core/types";

export class NotApplicable extends Error {
  constructor(readonly reason: string | undefined) {
    super(`not applicable: ${reason ?? ""}`);
  }
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

function policyOpts(r: StrataResource): PolicyResourceOptions {
  return {
    protect: r.opts.protect === true,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: r.opts.additionalSecretOutputs ?? [],
    ...(r.opts.parent ? { parent: r.opts.parent } : {}),
  };
}

export interface EngineRun {
  notApplicable?: string;
  violations: { message: string; urn?: string }[];
}

export function resourceArgs(r: StrataResource, config: Record<string, unknown> = {}, stackTags: Record<string, string> = {}): ResourceValidationArgs {
  return {
    type: r.type,
    props: r.props,
    urn: r.urn,
    name: r.name,
    opts: policyOpts(r),
    ...(r.provider ? { provider: { type: r.provider.type, urn: r.provider.urn ?? "urn:pulumi:test::strata::" + r.provider.type + "::default", name: "default", props: r.provider.props } } : {}),
    stackTags: new Map(Object.entries(stackTags)),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

export async function runResourcePolicy(policy: ResourceValidationPolicy, r: StrataResource, config: Record<string, unknown> = {}, stackTags: Record<string, string> = {}): Promise<EngineRun> {
  const violations: EngineRun["violations"] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
  try {
    for (const validate of validations) await validate(resourceArgs(r, config, stackTags), (message, urn) => violations.push({ message, ...(urn ? { urn } : {}) }));
  } catch (error) {
    if (error instanceof NotApplicable) return { notApplicable: error.reason ?? "", violations };
    throw error;
  }
  return { violations };
}

export function policyResources(resources: StrataResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const out = resources.map((r) => {
    const pr: PolicyResource = {
      type: r.type,
      props: r.props,
      urn: r.urn,
      name: r.name,
      opts: policyOpts(r),
      ...(r.provider ? { provider: { type: r.provider.type, urn: r.provider.urn ?? "", name: "default", props: r.provider.props } } : {}),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    };
    byUrn.set(r.urn, pr);
    return pr;
  });
  resources.forEach((r, i) => {
    out[i]!.dependencies = (r.dependencies ?? []).map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
    const parent = r.opts.parent ? byUrn.get(r.opts.parent) : undefined;
    if (parent) out[i]!.parent = parent;
  });
  return out;
}

export function stackArgs(resources: StrataResource[], config: Record<string, unknown> = {}, stackTags: Record<string, string> = {}): StackValidationArgs {
  return {
    resources: policyResources(resources),
    stackTags: new Map(Object.entries(stackTags)),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

export async function runStackPolicy(policy: StackValidationPolicy, resources: StrataResource[], config: Record<string, unknown> = {}, stackTags: Record<string, string> = {}): Promise<EngineRun> {
  const violations: EngineRun["violations"] = [];
  try {
    await policy.validateStack(stackArgs(resources, config, stackTags), (message, urn) => violations.push({ message, ...(urn ? { urn } : {}) }));
  } catch (error) {
    if (error instanceof NotApplicable) return { notApplicable: error.reason ?? "", violations };
    throw error;
  }
  return { violations };
}

/** A resource for tests: URN built like Pulumi's, provider/opts optional. */
export function res(type: string, name: string, props: Record<string, any>, extra: Partial<Omit<StrataResource, "type" | "name" | "props">> = {}): StrataResource {
  return { type, name, urn: `urn:pulumi:prod::strata::${type}::${name}`, props, opts: {}, ...extra };
}

/**
 * The only bridge between Strata's pure policies (core/, rules/) and @pulumi/policy: it turns each StrataPolicy into
 * a ResourceValidationPolicy or StackValidationPolicy that the Pulumi engine runs during `pulumi preview/up
 * --policy-pack policies`.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { policyConfig, type StackFacts } from "./core/evaluate";
import type { PolicyContext, StrataPolicy, StrataResource } from "./core/types";
import { CLOUD_TAG, ENVIRONMENT_TAG, UNKNOWN_TEXT } from "./core/util";

/** @pulumi/policy throws UnknownValueError when a policy reads a value not known during preview. */
function isUnknownValueError(error: unknown): boolean {
  return error instanceof Error && (error.constructor?.name === "UnknownValueError" || "unknownTypeSentinel" in error);
}

/**
 * A plain copy of the engine's (proxied) inputs, with values unknown during preview as "[unknown]", exactly as the
 * offline plan records them: policies then see the same shapes in all three runners, and a policy that reads one
 * unknown field does not lose the whole stack check.
 */
export function snapshot(value: unknown, depth = 0): any {
  if (value === null || typeof value !== "object" || depth > 64) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(read(() => value[i], depth));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = read(() => (value as Record<string, unknown>)[key], depth);
  return out;
}

function read(get: () => unknown, depth: number): unknown {
  try {
    return snapshot(get(), depth + 1);
  } catch (error) {
    if (isUnknownValueError(error)) return UNKNOWN_TEXT;
    throw error;
  }
}

/** Stack facts from Pulumi stack tags (`pulumi stack tag set strata:environment prod`); policy config wins over them. */
export function factsFromStackTags(tags: ReadonlyMap<string, string> | undefined): StackFacts {
  const environment = tags?.get(ENVIRONMENT_TAG);
  const cloud = tags?.get(CLOUD_TAG);
  return { ...(environment ? { environment } : {}), ...(cloud ? { cloud } : {}) };
}

type EngineResource = Pick<ResourceValidationArgs, "type" | "name" | "urn" | "props" | "opts" | "provider"> & { dependencies?: PolicyResource[] };

export function fromEngine(r: EngineResource): StrataResource {
  const opts = r.opts as ResourceValidationArgs["opts"] & { retainOnDelete?: boolean };
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: snapshot(r.props) ?? {},
    opts: {
      protect: opts?.protect === true,
      // Not in @pulumi/policy 1.21's PolicyResourceOptions; read it should a later version pass it.
      ...(typeof opts?.retainOnDelete === "boolean" ? { retainOnDelete: opts.retainOnDelete } : {}),
      additionalSecretOutputs: opts?.additionalSecretOutputs ?? [],
      ...(opts?.parent ? { parent: opts.parent } : {}),
    },
    dependencies: (r.dependencies ?? []).map((d) => d.urn),
    ...(r.provider ? { provider: { type: r.provider.type, urn: r.provider.urn, props: snapshot(r.provider.props) ?? {} } } : {}),
  };
}

function context(policy: StrataPolicy, args: ResourceValidationArgs | StackValidationArgs): PolicyContext {
  return { mode: "preview", config: policyConfig(policy, args.getConfig<Record<string, unknown>>(), factsFromStackTags(args.stackTags)) };
}

const NOT_IN_PREVIEW = "decided in the offline plan only (not visible to analyzers during preview); see policies/README.md";

export function toPulumiPolicy(policy: StrataPolicy): ResourceValidationPolicy | StackValidationPolicy {
  const base = {
    name: policy.name,
    description: policy.description,
    enforcementLevel: policy.enforcementLevel,
    ...(policy.configSchema ? { configSchema: policy.configSchema as ResourceValidationPolicy["configSchema"] } : {}),
  };
  if (policy.kind === "resource") {
    return {
      ...base,
      validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        if (!policy.types.includes(args.type)) args.notApplicable(`applies to ${policy.types.join(", ")}`);
        if (policy.modes && !policy.modes.includes("preview")) args.notApplicable(NOT_IN_PREVIEW);
        const resource = fromEngine(args);
        for (const v of policy.validate(resource, context(policy, args))) report(v.message, v.urn && v.urn !== args.urn ? v.urn : undefined);
      },
    };
  }
  return {
    ...base,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      if (policy.modes && !policy.modes.includes("preview")) args.notApplicable(NOT_IN_PREVIEW);
      const resources = args.resources.map(fromEngine);
      for (const v of policy.validate(resources, context(policy, args))) report(v.message, v.urn || undefined);
    },
  };
}

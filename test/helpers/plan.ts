import { join } from "node:path";
import { runPlan, type Plan, type PlanOutcome } from "../../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile, type StackConfig } from "../../infra/plan/stackFile";
import type { RecordedResource } from "../../infra/plan/recordingMonitor";
import { mergeOver } from "../../infra/config/load";

export const STACKS = ["dev", "prod"] as const;
export type StackName = (typeof STACKS)[number];

export function stackConfig(stack: StackName): StackConfig {
  return readStackConfigFile(join(PROJECT_DIR, `Pulumi.${stack}.yaml`));
}

/**
 * A stack's config with `strata:` keys edited as a user would edit the stack file: objects merge into what the file
 * has (`null` removes an entry, arrays and scalars replace), `undefined` removes the key. Values are JSON-encoded
 * like the CLI does.
 */
export function withConfig(base: StackConfig, changes: Record<string, unknown>, secretKeys: string[] = []): StackConfig {
  const values = { ...base.values };
  for (const [key, value] of Object.entries(changes)) {
    const full = `strata:${key}`;
    if (value === undefined) {
      delete values[full];
      continue;
    }
    let existing: unknown;
    try {
      existing = values[full] === undefined ? undefined : JSON.parse(values[full]!);
    } catch {
      existing = undefined;
    }
    const edited = mergeOver(existing, value);
    values[full] = typeof edited === "string" ? edited : JSON.stringify(edited);
  }
  return { values, secretKeys: [...base.secretKeys, ...secretKeys.map((k) => `strata:${k}`)] };
}

export async function planOutcome(stack: StackName, changes: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<PlanOutcome> {
  return runPlan({ project: "strata", stack, config: withConfig(stackConfig(stack), changes, secretKeys) });
}

export async function plan(stack: StackName, changes: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<Plan> {
  const outcome = await planOutcome(stack, changes, secretKeys);
  if (!outcome.ok) throw new Error(`plan of ${stack} failed:\n${outcome.error.message}`);
  return outcome.plan;
}

export function resourcesOfType(plan: Plan, type: string): RecordedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

export function resourceNamed(plan: Plan, type: string, name: string): RecordedResource {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have: ${resourcesOfType(plan, type).map((r) => r.name).join(", ") || "none"}`);
  return found;
}

/** The inputs of a resource as a typed object (inputs are recorded as plain JSON). */
export function inputsOf<T = Record<string, any>>(resource: RecordedResource): T {
  return resource.inputs as T;
}

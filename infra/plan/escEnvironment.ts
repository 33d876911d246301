import { readFileSync } from "node:fs";
import type { StackConfig } from "./stackFile";
import { SECRET_KEYS } from "../config/schema";
import { NAMESPACE } from "../config/load";

/**
 * Pulumi ESC environments a stack file imports (`environment:`). `pulumi up` opens them itself; the offline plan
 * cannot reach Pulumi Cloud, so it takes what `esc open <env>` prints (the environment's evaluated values as JSON)
 * and merges their `pulumiConfig` the way Pulumi does: a key without a namespace is the project's, environments
 * listed later win over earlier ones, and a value the stack file sets itself wins over every environment
 * (pulumi.com/docs/esc/environments/syntax/reserved-properties: "pulumiConfig resolves against explicit stack
 * configuration: there, the explicit stack value wins"). A plan never runs without an environment it imports.
 */
export class EnvironmentError extends Error {
  override name = "EnvironmentError";
}

/** One `--environment [NAME=]FILE`: the JSON `esc open NAME` printed, saved to FILE. */
export interface OpenedEnvironment {
  name?: string;
  file: string;
}

export function parseEnvironmentArg(arg: string): OpenedEnvironment {
  const at = arg.indexOf("=");
  // `org/project/env=esc.json`: environment names never contain `=`, file names may not either here.
  return at > 0 ? { name: arg.slice(0, at), file: arg.slice(at + 1) } : { file: arg };
}

function readPulumiConfig(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new EnvironmentError(`${file}: not the JSON \`esc open <environment>\` prints (${(error as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new EnvironmentError(`${file}: not the JSON \`esc open <environment>\` prints (expected an object)`);
  const config = (doc as { pulumiConfig?: unknown }).pulumiConfig;
  if (config === undefined) return {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new EnvironmentError(`${file}: \`pulumiConfig\` must be an object of config keys`);
  return config as Record<string, unknown>;
}

const asConfigText = (value: unknown): string => (typeof value === "object" && value !== null ? JSON.stringify(value) : String(value));

/**
 * The stack's config with its environments' `pulumiConfig` under it. Each imported environment must be handed in:
 * by name (`NAME=FILE`), or, with one file and no name, the one environment the stack imports.
 */
export function applyEnvironments(config: StackConfig, project: string, opened: readonly OpenedEnvironment[]): StackConfig {
  const imports = config.environments ?? [];
  if (imports.length === 0) {
    if (opened.length > 0) throw new EnvironmentError(`--environment was given, but the stack file imports no environment (no \`environment:\` list)`);
    return config;
  }
  const byName = new Map<string, string>();
  const unnamed = opened.filter((o) => o.name === undefined);
  for (const o of opened) {
    if (o.name === undefined) continue;
    if (!imports.includes(o.name)) throw new EnvironmentError(`--environment ${o.name}=${o.file}: the stack file does not import ${o.name} (it imports ${imports.join(", ")})`);
    byName.set(o.name, o.file);
  }
  if (unnamed.length > 0) {
    if (unnamed.length > 1 || imports.length > 1 || byName.size > 0) {
      throw new EnvironmentError(`the stack imports ${imports.join(", ")}: name each file, --environment NAME=FILE (the JSON \`esc open NAME\` prints)`);
    }
    byName.set(imports[0]!, unnamed[0]!.file);
  }
  const missing = imports.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    throw new EnvironmentError(
      `the stack file imports the Pulumi ESC environment(s) ${missing.join(", ")}, which this offline plan cannot open: run \`esc open ${missing[0]} > env.json\` and pass --environment ${imports.length > 1 ? `${missing[0]}=` : ""}env.json (one per environment)`,
    );
  }
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const name of imports) {
    for (const [key, value] of Object.entries(readPulumiConfig(byName.get(name)!))) {
      const fullKey = key.includes(":") ? key : `${project}:${key}`;
      values[fullKey] = asConfigText(value);
      // `esc open` prints secrets in plain text and does not say which were `fn::secret`; Strata's secret keys
      // are taken as secrets, as Pulumi marks an environment's secrets.
      if ((SECRET_KEYS as readonly string[]).some((k) => fullKey === `${NAMESPACE}:${k}`)) secretKeys.add(fullKey);
    }
  }
  for (const key of Object.keys(config.values)) secretKeys.delete(key);
  return { ...config, values: { ...values, ...config.values }, secretKeys: [...new Set([...config.secretKeys, ...secretKeys])] };
}

import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import type { z } from "zod";
import { PROFILES } from "./sections/core";
import { ConfigError, type ConfigProblem } from "./errors";
import { SECRET_KEYS, validateStrataConfig, type StrataConfig } from "./schema";
import { PROFILE_DEFAULTS } from "../../stacks/profiles";

export const NAMESPACE = "strata";
const SECRET_PLACEHOLDER = "[secret]";

type SecretKey = (typeof SECRET_KEYS)[number];

/** The `strata:` keys of a stack's config, as Pulumi hands them to the program (top-level values are strings). */
export interface RawStackConfig {
  values: Record<string, string>;
  secretKeys: ReadonlySet<string>;
}

/** Validated config with secret values removed; they live only in `secrets`, wrapped as Pulumi secrets. */
export interface LoadedConfig {
  config: Omit<StrataConfig, SecretKey>;
  secrets: Partial<Record<SecretKey, pulumi.Output<string>>>;
}

// The SDK knows which keys were set with --secret (it uses this to warn on `config.get` of a secret) but leaves the
// function out of its typings; without it we could not refuse plaintext secrets, so its absence is fatal.
function isConfigSecret(fullKey: string): boolean {
  const fn = (runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  if (typeof fn !== "function") {
    throw new Error("@pulumi/pulumi no longer exports runtime isConfigSecret; Strata cannot tell secret config from plaintext");
  }
  return fn(fullKey);
}

/** Reads the `strata:` namespace from the running Pulumi program's config. */
export function readPulumiConfig(): RawStackConfig {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
    const key = fullKey.slice(NAMESPACE.length + 1);
    values[key] = value;
    if (isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return { values, secretKeys };
}

/** Structured config arrives as JSON text; plain strings stay strings. */
function decode(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Stack values override profile defaults key by key; arrays and scalars replace, objects merge. */
export function mergeOver(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = key in base ? mergeOver(base[key], value) : value;
  return merged;
}

export function keyPath(path: readonly PropertyKey[]): string {
  let text = NAMESPACE + ":";
  path.forEach((segment, index) => {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += (index === 0 ? "" : ".") + String(segment);
  });
  return text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function toProblems(issues: readonly z.core.$ZodIssue[], merged: unknown, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({ key: keyPath(path), message: "is not a Strata config key (check the spelling; see the config reference in README.md)", value: valueAt(merged, path) });
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      // zod's own text ("Invalid key in record") says neither which rule the name broke nor what is allowed.
      const key = issue.path.at(-1);
      problems.push({ key: keyPath(issue.path), message: `is not an allowed name here: ${issue.issues.map((i) => i.message).join("; ")}`, value: key });
      continue;
    }
    const topKey = String(issue.path[0] ?? "");
    const secret = secretKeys.has(topKey) || (SECRET_KEYS as readonly string[]).includes(topKey);
    problems.push({ key: keyPath(issue.path), message: issue.message, value: secret ? SECRET_PLACEHOLDER : valueAt(merged, issue.path) });
  }
  return problems;
}

/**
 * Turns raw stack config into validated, typed config, or throws a ConfigError listing every problem. Nothing in
 * here declares a resource, so a bad stack fails before anything is planned.
 */
export function resolveConfig(raw: RawStackConfig): LoadedConfig {
  const decoded: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw.values)) decoded[key] = decode(text);

  const profile = decoded.profile;
  if (typeof profile !== "string" || !(PROFILES as readonly string[]).includes(profile)) {
    throw new ConfigError([{ key: keyPath(["profile"]), message: `must be one of ${PROFILES.map((p) => `"${p}"`).join(", ")}: it selects the defaults in stacks/profiles.ts`, value: profile }]);
  }
  const merged = mergeOver(PROFILE_DEFAULTS[profile as StrataConfig["profile"]], decoded) as Record<string, unknown>;

  const problems: ConfigProblem[] = [];
  for (const key of SECRET_KEYS) {
    if (key in raw.values && !raw.secretKeys.has(key)) {
      problems.push({ key: keyPath([key]), message: `must be a secret: set it with \`pulumi config set --secret ${NAMESPACE}:${key}\``, value: SECRET_PLACEHOLDER });
    }
  }
  const parsed = validateStrataConfig(merged);
  if (!parsed.success) problems.push(...toProblems(parsed.issues, merged, raw.secretKeys));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const config: Record<string, unknown> = { ...parsed.data };
  const secrets: LoadedConfig["secrets"] = {};
  for (const key of SECRET_KEYS) {
    const value = config[key];
    delete config[key];
    if (typeof value === "string") secrets[key] = pulumi.secret(value);
  }
  return { config: config as LoadedConfig["config"], secrets };
}

export function loadConfig(): LoadedConfig {
  return resolveConfig(readPulumiConfig());
}

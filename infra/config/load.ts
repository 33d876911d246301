import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import type { z } from "zod";
import { PROFILES } from "./sections/core";
import { ConfigError, type ConfigProblem } from "./errors";
import { baseConfigSchema, SECRET_KEYS, validateStrataConfig, type SecretKey, type StrataConfig } from "./schema";
import { closest } from "fastest-levenshtein";
import { allowedKeysAt, descriptionOf, exampleOf, schemaAt } from "./schemaWalk";
import { profileDefaultsFor, stackWrote, type DefaultsNote } from "./defaults";
import { UNDECRYPTED_SECRET } from "./undecrypted";
import { effectiveSizes, localTsdbEstimateGiB, type SizingInput } from "../capacity/plan";
import { TSDB_VOLUME_HEADROOM } from "./sections/metrics";
import { capabilityLines, type CapabilityLine } from "../capabilities";
import { allBackupTargets } from "../backupTargets";

export const NAMESPACE = "strata";
const SECRET_PLACEHOLDER = "[secret]";

/** The `strata:` keys of a stack's config, as Pulumi hands them to the program (top-level values are strings). */
export interface RawStackConfig {
  values: Record<string, string>;
  secretKeys: ReadonlySet<string>;
}

/** Validated config with secret values removed; they live only in `secrets`, wrapped as Pulumi secrets. */
export interface LoadedConfig {
  config: Omit<StrataConfig, SecretKey>;
  secrets: Partial<Record<SecretKey, pulumi.Output<string>>>;
  /** Secret keys that are set but could not be decrypted here, so only their presence was checked (full keys). */
  uncheckedSecrets: string[];
  /** Profile defaults adjusted to fit this stack (e.g. raised to the cloud's minimum volume size). */
  notes: DefaultsNote[];
  /** Which capabilities are on, and whether the stack or the profile turned each on. */
  capabilities: CapabilityLine[];
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

/**
 * Stack values override profile defaults key by key; arrays and scalars replace, objects merge, and `null` removes
 * the entry (how a stack drops a map entry or an optional section it inherited).
 */
export function mergeOver(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    else merged[key] = key in base ? mergeOver(base[key], value) : value;
  }
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

interface Provenance {
  profile: string;
  stack: Record<string, unknown>;
  derived: ReadonlyMap<string, string>;
}

/** Where a value came from, so an error about a default the user never wrote says so. */
function originOf(path: readonly PropertyKey[], provenance: Provenance): string {
  const segments = path.map(String);
  if (stackWrote(provenance.stack, segments)) return "set in this stack";
  for (let n = segments.length; n > 0; n--) {
    const reason = provenance.derived.get(segments.slice(0, n).join("."));
    if (reason) return `a default derived from ${reason}; set ${keyPath(path)} in the stack to choose another`;
  }
  return `the ${provenance.profile} profile's default (stacks/profiles.ts); set ${keyPath(path)} in the stack to override it`;
}

/** What the key is, from its schema's description (the one the reference prints), without the closing stop. */
function whatItIs(path: readonly PropertyKey[], merged: unknown): { what?: string; example?: string } {
  const schema = schemaAt(baseConfigSchema, merged, path);
  if (!schema) return {};
  const what = descriptionOf(schema)?.replace(/\.$/, "");
  const example = exampleOf(schema);
  return { ...(what ? { what } : {}), ...(example ? { example } : {}) };
}

const TYPE_NAMES: Record<string, string> = { int: "a whole number", number: "a number", boolean: "a boolean (true or false)", string: "a string", object: "a mapping of keys", array: "a list" };

/** zod's own wording ("Invalid input: expected number, received undefined") says neither what the key is nor what to write. */
function messageOf(issue: z.core.$ZodIssue, value: unknown, merged: unknown): string {
  const { what, example } = whatItIs(issue.path, merged);
  const eg = example ? ` (e.g. ${example})` : "";
  const options = issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options) ? (issue.options as unknown[]).map((o) => `\`${String(o)}\``) : undefined;
  if (options) return value === undefined ? `is required: which kind of entry this is, one of ${options.join(", ")}` : `must be one of ${options.join(", ")}`;
  if (value === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union" || issue.code === "invalid_value")) {
    return `is required: ${what ?? "this key has no default"}${eg}`;
  }
  if (issue.code === "invalid_type") return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}${eg}`;
  return issue.message;
}

/** An unknown key: the keys allowed at that place, and the nearest of them (a misspelling is the usual cause). */
function unknownKeyMessage(parent: readonly PropertyKey[], key: string, merged: unknown): string {
  const allowed = allowedKeysAt(baseConfigSchema, merged, parent) ?? [];
  if (allowed.length === 0) return "is not a Strata config key (see docs/config-reference.md)";
  const nearest = closest(key.toLowerCase(), allowed.map((k) => k.toLowerCase()));
  const suggestion = allowed.find((k) => k.toLowerCase() === nearest)!;
  const place = parent.length === 0 ? "at the top level" : `in ${keyPath(parent)}`;
  return `is not a Strata config key ${place}; did you mean \`${suggestion}\`? Allowed there: ${allowed.join(", ")} (docs/config-reference.md)`;
}

function toProblems(issues: readonly z.core.$ZodIssue[], merged: unknown, secretKeys: ReadonlySet<string>, provenance: Provenance): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({ key: keyPath(path), message: unknownKeyMessage(issue.path, key, merged), value: valueAt(merged, path) });
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
    const value = valueAt(merged, issue.path);
    // A secret's value is never shown; a missing one reads "not set", like any missing key.
    problems.push({ key: keyPath(issue.path), message: messageOf(issue, value, merged), value: secret && value !== undefined ? SECRET_PLACEHOLDER : value, origin: originOf(issue.path, provenance) });
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
  const { defaults, derived, notes } = profileDefaultsFor(profile as StrataConfig["profile"], decoded);
  const merged = mergeOver(defaults, decoded) as Record<string, unknown>;
  fitTsdbSizeToVolume(merged, decoded, profile, derived, notes);

  const problems: ConfigProblem[] = [];
  const undecrypted: SecretKey[] = [];
  for (const key of SECRET_KEYS) {
    if (!(key in raw.values)) continue;
    if (!raw.secretKeys.has(key)) {
      problems.push({ key: keyPath([key]), message: `must be a secret: set it with \`pulumi config set --secret ${NAMESPACE}:${key}\``, value: SECRET_PLACEHOLDER });
    } else if (raw.values[key] === UNDECRYPTED_SECRET) {
      undecrypted.push(key);
    }
  }
  const parsed = validateStrataConfig(merged, { presenceOnly: undecrypted });
  if (!parsed.success) problems.push(...toProblems(parsed.issues, merged, raw.secretKeys, { profile, stack: decoded, derived }));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const config: Record<string, unknown> = { ...parsed.data };
  const secrets: LoadedConfig["secrets"] = {};
  for (const key of SECRET_KEYS) {
    const value = config[key];
    delete config[key];
    if (typeof value === "string") secrets[key] = pulumi.secret(value);
  }
  // The off-site copy copies the backups bucket, which exists only while a backup target does (infra/capabilities.ts).
  if (parsed.data.archive.offsiteCopy && allBackupTargets(parsed.data).length === 0) {
    notes.push({ key: "strata:archive.offsiteCopy", message: "is set, but the stack has no backup target and so no backups bucket: nothing of the off-site copy is declared" });
  }
  const capabilities = capabilityLines(config as LoadedConfig["config"], (path) => stackWrote(decoded, path));
  return { config: config as LoadedConfig["config"], secrets, uncheckedSecrets: undecrypted.map((k) => keyPath([k])), notes, capabilities };
}

/**
 * The profile's local TSDB size cap, when the stack did not write one, follows the Prometheus volume the stack gets
 * (its capacity estimate or override): lowered to what the volume holds beside the WAL and compaction, with a note,
 * instead of refused for a size the user never wrote. Needs the merged config; when it is not yet valid, validation
 * reports that and nothing is derived.
 */
function fitTsdbSizeToVolume(merged: Record<string, unknown>, stack: Record<string, unknown>, profile: string, derived: Map<string, string>, notes: DefaultsNote[]): void {
  if (stackWrote(stack, ["retention", "localTsdbSizeGiB"])) return;
  const retention = merged.retention as Record<string, unknown> | undefined;
  const size = retention?.localTsdbSizeGiB;
  if (typeof size !== "number") return;
  let volumeGiB: number;
  let neededGiB: number;
  try {
    volumeGiB = effectiveSizes(merged as unknown as SizingInput).prometheusVolumeGiB.gib;
    neededGiB = localTsdbEstimateGiB(merged as unknown as SizingInput);
  } catch {
    return;
  }
  const fits = Math.max(1, Math.floor(volumeGiB * TSDB_VOLUME_HEADROOM));
  if (!Number.isFinite(fits) || !Number.isFinite(neededGiB)) return;
  let message: string;
  if (size > fits) {
    message = `the ${profile} profile's ${size} GiB does not fit the ${volumeGiB} GiB Prometheus volume this stack gets; lowered to ${fits} GiB (85%: the WAL and compaction need the rest)`;
  } else if (size < neededGiB && fits > size) {
    // The profile's cap would delete by size before the days the stack keeps (e.g. a shorter scrape interval).
    const days = (retention as { localTsdbDays?: unknown }).localTsdbDays;
    message = `the ${profile} profile's ${size} GiB holds less than the ${neededGiB.toFixed(1)} GiB estimated for retention.localTsdbDays (${String(days)}); raised to ${fits} GiB (85% of the ${volumeGiB} GiB Prometheus volume)`;
  } else return;
  retention!.localTsdbSizeGiB = fits;
  derived.set("retention.localTsdbSizeGiB", `the ${volumeGiB} GiB Prometheus volume (85% of it)`);
  notes.push({ key: "strata:retention.localTsdbSizeGiB", message });
}

export function loadConfig(): LoadedConfig {
  return resolveConfig(readPulumiConfig());
}

import { expect } from "vitest";
import { resolveConfig, type RawStackConfig } from "../../infra/config/load";
import { ConfigError, type ConfigProblem } from "../../infra/config/errors";

/** Stack values (objects JSON-encoded as the CLI does) as the program reads them. */
export function rawConfig(values: Record<string, unknown>, secretKeys: string[] = []): RawStackConfig {
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) encoded[k] = typeof v === "string" ? v : JSON.stringify(v);
  return { values: encoded, secretKeys: new Set(secretKeys) };
}

/** The problems config validation reports for these values; fails the test if they are accepted. */
export function configProblems(values: Record<string, unknown>, secretKeys: string[] = []): ConfigProblem[] {
  try {
    resolveConfig(rawConfig(values, secretKeys));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the config to be rejected");
}

/** The `strata:` values of a stack file's config, as `rawConfig` takes them (objects decoded). */
export function strataValuesOf(config: { values: Record<string, string> }): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(config.values)) {
    if (!key.startsWith("strata:")) continue;
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Plain strings stay strings.
    }
    values[key.slice("strata:".length)] = value;
  }
  return values;
}

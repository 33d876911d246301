import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as yaml from "js-yaml";
import { SECRET_TEXT } from "./serialized";

/** Config as the Pulumi language host hands it to a program: full keys, string values, and which keys are secret. */
export interface StackConfig {
  values: Record<string, string>;
  secretKeys: string[];
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces `{ secure: ... }` leaves with a placeholder; reports whether any were found. */
function stripSecure(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: SECRET_TEXT, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(stripSecure);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === "object" && value !== null) {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = stripSecure(v);
      out[k] = r.value;
      secret ||= r.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

/**
 * Reads a `Pulumi.<stack>.yaml` the way the Pulumi CLI would present it to the program, except that ciphertexts
 * cannot be decrypted offline: secure values become "[secret]" and their keys are marked secret, as the CLI does.
 */
export function parseStackConfig(text: string, source: string): StackConfig {
  const doc = yaml.load(text) as { config?: Record<string, unknown> } | null | undefined;
  if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) {
    throw new Error(`${source}: a stack file must be a YAML mapping with a top-level \`config:\` key`);
  }
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, raw] of Object.entries(doc?.config ?? {})) {
    const { value, secret } = stripSecure(raw);
    values[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    if (secret) secretKeys.push(key);
  }
  return { values, secretKeys };
}

export function readStackConfigFile(path: string): StackConfig {
  return parseStackConfig(readFileSync(path, "utf8"), path);
}

/** `Pulumi.prod.yaml` is stack `prod`; any other file name is a stack named after the file. */
export function stackNameFromFile(path: string): string {
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(path));
  return match ? match[1]! : basename(path).replace(/\.ya?ml$/, "");
}

export function readProjectName(projectDir: string): string {
  const doc = yaml.load(readFileSync(join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: unknown };
  if (typeof doc?.name !== "string") throw new Error(`${join(projectDir, "Pulumi.yaml")}: no project name`);
  return doc.name;
}

export { PROJECT_DIR } from "../projectDir";

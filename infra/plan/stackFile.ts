import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as yaml from "js-yaml";
import { UNDECRYPTED_SECRET } from "../config/undecrypted";
import { passphraseCrypter, type PassphraseCrypter } from "./passphraseSecrets";

/** Config as the Pulumi language host hands it to a program: full keys, string values, and which keys are secret. */
export interface StackConfig {
  values: Record<string, string>;
  secretKeys: string[];
  /** Pulumi ESC environments the stack file imports (`environment:`), in order; infra/plan/escEnvironment.ts. */
  environments?: string[];
}

/** `environment:` as Pulumi reads it: a list of environment names, or `{ imports: [...] }`. */
function environmentsOf(value: unknown, source: string): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : typeof value === "object" && Array.isArray((value as { imports?: unknown }).imports) ? (value as { imports: unknown[] }).imports : undefined;
  if (!list || list.some((e) => typeof e !== "string")) throw new Error(`${source}: \`environment:\` must be a list of Pulumi ESC environment names`);
  return list as string[];
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Decrypts `{ secure: ... }` leaves when a crypter is given, else marks them undecrypted; reports whether any were found. */
function openSecure(value: unknown, crypter: PassphraseCrypter | undefined): { value: unknown; secret: boolean } {
  if (isSecure(value)) {
    const ciphertext = String((value as { secure: unknown }).secure);
    return { value: crypter ? crypter.decrypt(ciphertext) : UNDECRYPTED_SECRET, secret: true };
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => openSecure(v, crypter));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === "object" && value !== null) {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = openSecure(v, crypter);
      out[k] = r.value;
      secret ||= r.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

export interface StackFileOptions {
  /** The stack's passphrase (PULUMI_CONFIG_PASSPHRASE); without it, or without an `encryptionsalt`, secrets stay sealed. */
  passphrase?: string | undefined;
}

/** The passphrase the Pulumi CLI would use: PULUMI_CONFIG_PASSPHRASE, or the file PULUMI_CONFIG_PASSPHRASE_FILE names. */
export function passphraseFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return readFileSync(env.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").replace(/\r?\n$/, "");
  return undefined;
}

/**
 * Reads a `Pulumi.<stack>.yaml` the way the Pulumi CLI presents it to the program: keys set with `--secret` are
 * marked secret, and their values are decrypted when the stack uses the passphrase provider (`encryptionsalt`) and
 * its passphrase is given, exactly as `pulumi up` does. Otherwise a secure value reads as UNDECRYPTED_SECRET:
 * present, its format unchecked (infra/config/load.ts). A wrong passphrase is an error, as in the CLI.
 */
export function parseStackConfig(text: string, source: string, options: StackFileOptions = {}): StackConfig {
  const doc = yaml.load(text) as { config?: Record<string, unknown>; encryptionsalt?: unknown; environment?: unknown } | null | undefined;
  if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) {
    throw new Error(`${source}: a stack file must be a YAML mapping with a top-level \`config:\` key`);
  }
  let crypter: PassphraseCrypter | undefined;
  if (typeof doc?.encryptionsalt === "string" && options.passphrase !== undefined) {
    try {
      crypter = passphraseCrypter(doc.encryptionsalt, options.passphrase);
    } catch (error) {
      throw new Error(`${source}: ${(error as Error).message}`);
    }
  }
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, raw] of Object.entries(doc?.config ?? {})) {
    let opened;
    try {
      opened = openSecure(raw, crypter);
    } catch (error) {
      throw new Error(`${source}: ${key}: ${(error as Error).message}`);
    }
    const { value, secret } = opened;
    values[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    if (secret) secretKeys.push(key);
  }
  const environments = environmentsOf(doc?.environment, source);
  return { values, secretKeys, ...(environments.length > 0 ? { environments } : {}) };
}

export function readStackConfigFile(path: string, options: StackFileOptions = { passphrase: passphraseFromEnvironment() }): StackConfig {
  return parseStackConfig(readFileSync(path, "utf8"), path, options);
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

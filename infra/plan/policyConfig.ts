import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PackConfig } from "../../policies/core/types";
import { PROJECT_DIR } from "./stackFile";
import dlmTargetTag from "../../policies/rules/dlm-require-storageclass-target-tag";

/** The pack config every runner uses by default: the file `pulumi preview --policy-pack-config` is given too. */
export const DEFAULT_POLICY_CONFIG = join(PROJECT_DIR, "policies", "config.json");

/** Reads a policy pack config file; a missing default file is no config. Throws with the reason on a bad file. */
export function readPackConfig(file: string, required = false): PackConfig | undefined {
  if (!required && !existsSync(file)) return undefined;
  const value: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object of policy settings");
  return value as PackConfig;
}

/**
 * A stack that names Strata's class (`storage.className`) approves that class too: the pack's default list names
 * only the default names. For `pulumi preview --policy-pack`, the same setting goes into the pack config file
 * (`npm run adopt` writes it beside the import file).
 */
export function withStackStorageClass(pack: PackConfig | undefined, className: string | undefined, defaults: readonly string[]): PackConfig | undefined {
  if (className === undefined) return pack;
  // Claims may use it, and (aws) it is the class whose volumes DLM must snapshot (the rule's default names ebs-gp3).
  const lists = { "strata-pvc-require-approved-class": ["approvedClasses", defaults], [dlmTargetTag.name]: ["storageClasses", dlmTargetTag.configSchema?.properties?.storageClasses?.default ?? []] } as const;
  let out: PackConfig = { ...pack };
  for (const [key, [setting, fallback]] of Object.entries(lists)) {
    const own = pack?.[key];
    const settings = typeof own === "object" ? own : own ? { enforcementLevel: own } : {};
    const names: string[] = Array.isArray(settings[setting]) ? settings[setting] : [...fallback];
    out = { ...out, [key]: { ...settings, [setting]: [...new Set([...names, className])] } };
  }
  return out;
}

// `npm run policies -- --plan FILE [--policy-config FILE]`: evaluates the whole pack (resource and stack policies) on a
// plan written by `npm run plan -- <stack> --json FILE`. Exit 0: no mandatory violation; 1: mandatory violation(s);
// 2: the plan (or the policy config) cannot be read; 64: usage.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { evaluatePlan, type PlanLike } from "./core/evaluate";
import type { PackConfig, PackViolation } from "./core/types";
import { POLICIES } from "./rules";

export const EXIT = { ok: 0, mandatoryViolation: 1, badFile: 2, usage: 64 } as const;

/** The pack config used when none is given: the file `pulumi preview --policy-pack-config` is given too. */
export const DEFAULT_CONFIG = "policies/config.json";

const USAGE = `usage: npm run policies -- --plan FILE [--policy-config FILE]
  --plan FILE            a plan written by \`npm run plan -- <stack> --json FILE\`
  --policy-config FILE   policy config, the same JSON \`pulumi preview --policy-pack-config\` takes
                         (default ${DEFAULT_CONFIG}, relative to the project root npm runs in)
exit: 0 no mandatory violation, 1 mandatory violation(s), 2 unreadable file, 64 usage error`;

function readJson(path: string, what: string): { ok: true; value: any } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(readFileSync(path, "utf8")) };
  } catch (error) {
    return { ok: false, error: `cannot read the ${what} ${path}: ${(error as Error).message}` };
  }
}

export function formatViolation(v: PackViolation): string {
  return `${v.level.toUpperCase()}  ${v.policy}  ${v.urn}\n    ${v.message}`;
}

export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { plan: { type: "string" }, "policy-config": { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    out(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (!values.plan) {
    err(`--plan FILE is required\n${USAGE}\n`);
    return EXIT.usage;
  }
  const plan = readJson(values.plan, "plan");
  if (!plan.ok) {
    err(`${plan.error}\n`);
    return EXIT.badFile;
  }
  if (typeof plan.value !== "object" || plan.value === null || !Array.isArray(plan.value.resources) || plan.value.resources.some((r: any) => typeof r?.type !== "string" || typeof r?.urn !== "string" || typeof r?.options !== "object")) {
    err(`${values.plan} is not a Strata plan (expected { resources: [{ urn, type, name, inputs, options }] } from npm run plan -- <stack> --json FILE)\n`);
    return EXIT.badFile;
  }
  let config: PackConfig | undefined;
  const configFile = values["policy-config"] ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  if (configFile) {
    const read = readJson(configFile, "policy config");
    if (!read.ok || typeof read.value !== "object" || read.value === null || Array.isArray(read.value)) {
      err(`${read.ok ? `${configFile} is not a JSON object of policy settings` : read.error}\n`);
      return EXIT.badFile;
    }
    config = read.value;
  }
  const result = evaluatePlan(POLICIES, plan.value as PlanLike, config);
  const mandatory = result.violations.filter((v) => v.level === "mandatory");
  const advisory = result.violations.filter((v) => v.level === "advisory");
  out(`Policies: ${result.evaluated.length} evaluated on ${plan.value.resources.length} resource(s) of ${values.plan}, ${mandatory.length} mandatory and ${advisory.length} advisory violation(s)\n`);
  for (const v of [...mandatory, ...advisory]) out(`  ${formatViolation(v)}\n`);
  return mandatory.length ? EXIT.mandatoryViolation : EXIT.ok;
}


import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as yaml from "js-yaml";
import { runPlan } from "../plan/harness";
import { PROJECT_DIR, readProjectName, readStackConfigFile, stackNameFromFile, type StackConfig } from "../plan/stackFile";
import { importFileOf } from "../plan/importFile";
import { DEFAULT_POLICY_CONFIG, readPackConfig, withStackStorageClass } from "../plan/policyConfig";
import { STORAGE_CLASS } from "../adoption";
import { formatProblems } from "../config/errors";
import { mergeOver } from "../config/load";
import { DumpError, parseBucketList, parseClusterDump, parseHcloudVolumes, parseKmsAliases } from "./dumps";
import { dedupeSteps, match, type Dumps } from "./match";
import { renderConfig, renderPreSteps, renderReport } from "./outputs";

/** 0: everything is created, imported or updated; 1: something is blocked, in conflict, or refused; 2: bad input. */
export const EXIT = { ok: 0, blocked: 1, badInput: 2 } as const;

const USAGE = `usage: npm run adopt -- --config <stack file> --cluster <dump.json> [--hcloud-volumes <json>] [--buckets <json>] [--kms-aliases <json>] --out <dir> [--stack NAME]

Matches every resource the stack declares (the real program under the offline plan's mock engine) against what a
cluster and an account hold, from dumps made with standard tools:
  --cluster         kubectl get namespaces,storageclasses,persistentvolumes,persistentvolumeclaims,secrets,customresourcedefinitions -A -o json
  --hcloud-volumes  hcloud volume list -o json
  --buckets         aws s3api list-buckets
  --kms-aliases     aws kms list-aliases (in the stack's region)
and prints per resource: create, import (identical), update (imported, then changed), blocked (an immutable
difference) or conflict (something else does the job). Writes to --out: report.txt, adopt-config.yaml (merge into
the stack), Pulumi.<stack>.adopted.yaml (the stack with it merged), import.json (for pulumi import --file), policy-pack-config.json (for pulumi preview
--policy-pack-config) and pre-steps.sh. See docs/runbooks/adopt-existing-estate.md.
exit: 0 all create/import/update and preflight ok, 1 anything blocked, in conflict or refused by preflight, 2 bad input`;

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: { config: { type: "string" }, cluster: { type: "string" }, "hcloud-volumes": { type: "string" }, buckets: { type: "string" }, "kms-aliases": { type: "string" }, out: { type: "string" }, stack: { type: "string" }, help: { type: "boolean", short: "h" } },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.badInput;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  for (const required of ["config", "cluster", "out"] as const) {
    if (typeof values[required] !== "string") {
      process.stderr.write(`--${required} is required\n${USAGE}\n`);
      return EXIT.badInput;
    }
  }
  const file = (key: string) => {
    const path = resolve(String(values[key]));
    if (!existsSync(path)) throw new DumpError(`--${key} ${String(values[key])}: no such file`);
    return { path, text: readFileSync(path, "utf8") };
  };

  let dumps: Dumps;
  let stackFile: string;
  let config: StackConfig;
  try {
    const cluster = file("cluster");
    dumps = { cluster: parseClusterDump(cluster.text, String(values.cluster)) };
    if (values["hcloud-volumes"]) dumps.hcloudVolumes = parseHcloudVolumes(file("hcloud-volumes").text, String(values["hcloud-volumes"]));
    if (values.buckets) dumps.buckets = parseBucketList(file("buckets").text, String(values.buckets));
    if (values["kms-aliases"]) dumps.kmsAliases = parseKmsAliases(file("kms-aliases").text, String(values["kms-aliases"]));
    stackFile = file("config").path;
    config = readStackConfigFile(stackFile);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT.badInput;
  }
  const stack = typeof values.stack === "string" ? values.stack : stackNameFromFile(stackFile);
  const project = readProjectName(PROJECT_DIR);

  const outcome = await runPlan({ project, stack, config });
  if (!outcome.ok) {
    process.stderr.write(`${formatProblems(outcome.error.problems)}\nnothing was matched.\n`);
    return EXIT.badInput;
  }
  const findings = match(outcome.plan, dumps);

  // What the stack adopts once the proposed keys are merged: the import file is made from that plan.
  let adoptedPlan = outcome.plan;
  const merged = Object.keys(findings.config).length ? mergeStackConfig(config, findings.config) : undefined;
  if (merged) {
    const second = await runPlan({ project, stack, config: merged });
    if (!second.ok) {
      process.stderr.write(`the proposed config does not validate (a bug in npm run adopt):\n${formatProblems(second.error.problems)}\n`);
      return EXIT.badInput;
    }
    adoptedPlan = second.plan;
    // The steps the adopted plan needs too (a replaced release is uninstalled, its volume rebound).
    findings.preSteps = dedupeSteps([...findings.preSteps, ...match(adoptedPlan, dumps).preSteps]);
  }

  const out = resolve(String(values.out));
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(out, name), text);
    written.push(name);
  };
  write("import.json", `${JSON.stringify(importFileOf(adoptedPlan), null, 2)}\n`);
  // `pulumi preview --policy-pack-config` needs what the offline plan derives: the class the stack names is approved.
  const className = (adoptedPlan.config as { storage: { className?: string } }).storage.className;
  write("policy-pack-config.json", `${JSON.stringify(withStackStorageClass(readPackConfig(DEFAULT_POLICY_CONFIG), className, Object.values(STORAGE_CLASS)) ?? {}, null, 2)}\n`);
  write("adopt-config.yaml", renderConfig(findings.config));
  write(`Pulumi.${stack}.adopted.yaml`, mergedStackFile(readFileSync(stackFile, "utf8"), findings.config));
  write("pre-steps.sh", renderPreSteps(stack, findings.preSteps));
  chmodSync(join(out, "pre-steps.sh"), 0o755);
  const report = renderReport(stack, findings, [...written, "report.txt"]);
  write("report.txt", report);
  process.stdout.write(report);
  const stuck = findings.lines.some((l) => l.verdict === "blocked" || l.verdict === "conflict") || findings.refusals.length > 0;
  return stuck ? EXIT.blocked : EXIT.ok;
}

/** The stack's config with the proposed `strata:` keys merged over it, as the CLI would encode them. */
export function mergeStackConfig(config: StackConfig, proposal: Record<string, unknown>): StackConfig {
  const values = { ...config.values };
  for (const [key, value] of Object.entries(proposal)) {
    const full = `strata:${key}`;
    let existing: unknown;
    try {
      existing = values[full] === undefined ? undefined : JSON.parse(values[full]!);
    } catch {
      existing = values[full];
    }
    values[full] = JSON.stringify(mergeOver(existing, value));
  }
  return { values, secretKeys: config.secretKeys };
}

/** The stack file with the proposal merged (comments are not kept: adopt-config.yaml is what to merge by hand). */
export function mergedStackFile(text: string, proposal: Record<string, unknown>): string {
  const doc = (yaml.load(text) ?? {}) as { config?: Record<string, unknown> };
  const configBlock = { ...(doc.config ?? {}) };
  for (const [key, value] of Object.entries(proposal)) configBlock[`strata:${key}`] = mergeOver(configBlock[`strata:${key}`], value);
  return `# The stack file with adopt-config.yaml merged in by npm run adopt.\n${yaml.dump({ ...doc, config: configBlock }, { lineWidth: 120, noRefs: true })}`;
}

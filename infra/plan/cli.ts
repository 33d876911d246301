import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runPlan } from "./harness";
import { PROJECT_DIR, readProjectName, readStackConfigFile, stackNameFromFile } from "./stackFile";
import { renderPlan } from "./report";
import { importFileOf } from "./importFile";
import { writeManifests, writePlanJson } from "./render";
import { formatProblems } from "../config/errors";
import { DEFAULT_POLICY_CONFIG, readPackConfig } from "./policyConfig";
import type { PackConfig } from "../../policies/core/types";
import { applyEnvironments, EnvironmentError, parseEnvironmentArg } from "./escEnvironment";

/** Exit codes are part of the contract: CI and scripts branch on them. */
export const EXIT = { ok: 0, mandatoryViolation: 1, invalidConfig: 2, planFailed: 3, usage: 64 } as const;

const USAGE = `usage: npm run plan -- <stack> [--json FILE] [--out DIR] [--import-file FILE] [--policy-config FILE] [--environment [NAME=]FILE]...
       npm run plan -- --config FILE [--stack NAME] [--json FILE] [--out DIR] [--import-file FILE] [--policy-config FILE] [--environment [NAME=]FILE]...

Runs the Strata program under Pulumi's mock engine (no cloud, no CLI, no credentials) and prints the resource
tree, counts by type, the derived retention table and the policy results.
  <stack>         reads Pulumi.<stack>.yaml from the project root
  --config FILE   any stack config file; the stack is named after it unless --stack is given
  --json FILE     writes the plan contract (DESIGN §5) as JSON, secrets redacted
  --out DIR       writes Kubernetes objects as YAML and each Helm release's values file
  --import-file FILE
                  writes what the stack adopts (resources declared with \`import\`) as the file
                  \`pulumi import --file FILE\` reads (docs/runbooks/adopt-existing-estate.md)
  --policy-config FILE
                  policy pack config (the JSON \`pulumi preview --policy-pack-config\` takes); default
                  policies/config.json
  --environment [NAME=]FILE
                  a Pulumi ESC environment the stack file imports (\`environment:\`), as the JSON \`esc open NAME\`
                  prints; its pulumiConfig is merged under the stack's own values, as Pulumi does. Once per
                  environment (NAME= may be left out when the stack imports one). Without it such a stack exits 2.
Secrets: with PULUMI_CONFIG_PASSPHRASE (or _FILE) set, a passphrase-provider stack's secure values are decrypted
and checked like any value; otherwise they count as present and the plan lists them as not checked.
exit: 0 ok, 1 mandatory policy violation, 2 invalid config (or unreadable stack or policy config, a wrong passphrase), 3 the program failed or
      never finished, 64 usage error`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: "string" }, stack: { type: "string" }, json: { type: "string" }, out: { type: "string" }, "import-file": { type: "string" }, "policy-config": { type: "string" }, environment: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if ((positionals.length === 1) === Boolean(values.config) || positionals.length > 1) {
    process.stderr.write(`give either a stack name or --config FILE\n${USAGE}\n`);
    return EXIT.usage;
  }
  const file = values.config ? resolve(values.config) : join(PROJECT_DIR, `Pulumi.${positionals[0]}.yaml`);
  if (!existsSync(file)) {
    process.stderr.write(`no stack config at ${file}\n`);
    return EXIT.usage;
  }
  const stack = values.stack ?? (values.config ? stackNameFromFile(file) : positionals[0]!);

  const policyConfigFile = values["policy-config"] ? resolve(values["policy-config"]) : DEFAULT_POLICY_CONFIG;
  let policyConfig: PackConfig | undefined;
  try {
    policyConfig = readPackConfig(policyConfigFile, Boolean(values["policy-config"]));
  } catch (error) {
    process.stderr.write(`cannot read the policy config ${policyConfigFile}: ${(error as Error).message}\n`);
    return EXIT.invalidConfig;
  }

  let config;
  try {
    config = readStackConfigFile(file);
  } catch (error) {
    // A stack file that is not YAML, or a passphrase that does not open its secrets: nothing can be planned.
    process.stderr.write(`cannot read the stack config: ${(error as Error).message}\n`);
    return EXIT.invalidConfig;
  }
  const project = readProjectName(PROJECT_DIR);
  try {
    config = applyEnvironments(config, project, (values.environment ?? []).map(parseEnvironmentArg));
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    process.stderr.write(`cannot plan without the stack's environments: ${error.message}\nno resources were planned.\n`);
    return EXIT.invalidConfig;
  }
  const outcome = await runPlan({ project, stack, config, ...(policyConfig ? { policyConfig } : {}) });
  if (!outcome.ok) {
    process.stderr.write(`${formatProblems(outcome.error.problems)}\nno resources were planned.\n`);
    return EXIT.invalidConfig;
  }
  const { plan } = outcome;
  process.stdout.write(renderPlan(plan));
  if (values.json) {
    writePlanJson(plan, resolve(values.json));
    process.stdout.write(`\nwrote the plan to ${values.json}\n`);
  }
  if (values["import-file"]) {
    const file = importFileOf(plan);
    writeFileSync(resolve(values["import-file"]), `${JSON.stringify(file, null, 2)}\n`);
    process.stdout.write(`wrote ${file.resources.length} resource(s) to import to ${values["import-file"]}\n`);
  }
  if (values.out) {
    const files = writeManifests(plan, resolve(values.out));
    process.stdout.write(`wrote ${files.length} file(s) under ${values.out}\n`);
  }
  return plan.policies.violations.some((v) => v.level === "mandatory") ? EXIT.mandatoryViolation : EXIT.ok;
}

import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { runPlan, type Plan } from "../../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile, stackNameFromFile } from "../../infra/plan/stackFile";

/** Where example stacks live: every `*.yaml` there is planned by the suites that run on every stack file. */
export const EXAMPLE_STACKS_DIR = join(PROJECT_DIR, "examples", "stacks");

/** Every stack file a whole-plan property must hold on: the project's own stacks and every example stack. */
export function stackFiles(): string[] {
  const own = ["Pulumi.dev.yaml", "Pulumi.prod.yaml"].map((f) => join(PROJECT_DIR, f));
  const examples = existsSync(EXAMPLE_STACKS_DIR)
    ? readdirSync(EXAMPLE_STACKS_DIR)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(EXAMPLE_STACKS_DIR, f))
    : [];
  return [...own, ...examples];
}

export const stackLabel = (file: string) => relative(PROJECT_DIR, file);

/** The offline plan of any stack file, as `npm run plan -- --config FILE` makes it. */
export async function planOfStackFile(file: string): Promise<Plan> {
  const outcome = await runPlan({ project: "strata", stack: stackNameFromFile(file), config: readStackConfigFile(file) });
  if (!outcome.ok) throw new Error(`plan of ${stackLabel(file)} failed:\n${outcome.error.message}`);
  return outcome.plan;
}

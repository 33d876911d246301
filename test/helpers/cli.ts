import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the offline plan exactly as `npm run plan -- ...` does (the command is read from package.json). */
export function runPlanCli(args: string[]): CliResult {
  const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: { plan: string } };
  const [command, ...commandArgs] = pkg.scripts.plan.split(" ");
  const result = spawnSync(command!, [...commandArgs, ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 90_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

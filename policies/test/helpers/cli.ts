import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const PROJECT_DIR = join(__dirname, "..", "..", "..");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a root npm script's command exactly as `npm run <script> -- ...` does (read from package.json). */
export function runScript(script: "plan" | "policies", args: string[]): CliResult {
  const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const [command, ...commandArgs] = pkg.scripts[script]!.split(" ");
  const result = spawnSync(command!, [...commandArgs, ...args], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 90_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../infra/plan/stackFile";

/** Every tracked or new shell script: by extension, or by a bash/sh shebang (e.g. .ci/run). */
function shellScripts(): string[] {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_DIR, encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .filter((f) => !f.includes("node_modules/"));
  return files.filter((f) => {
    if (f.endsWith(".sh")) return true;
    if (/\.[a-z]+$/i.test(f.split("/").pop()!)) return false;
    try {
      return /^#!.*\b(bash|sh)\b/.test(readFileSync(join(PROJECT_DIR, f), "utf8").split("\n", 1)[0]!);
    } catch {
      return false;
    }
  });
}

describe("shell scripts", () => {
  const scripts = shellScripts();

  it("are found (the CI entry point and the setup scripts at least)", () => {
    expect(scripts).toEqual(expect.arrayContaining([".ci/run", "scripts/setup.sh", "scripts/ensure-node.sh", "bench/plan.sh"]));
  });

  it.each(scripts)("%s passes shellcheck", (script) => {
    const result = spawnSync("shellcheck", ["--severity=style", "--external-sources", join(PROJECT_DIR, script)], { encoding: "utf8" });
    expect(result.error, "shellcheck is not installed: run bash scripts/setup.sh").toBeUndefined();
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

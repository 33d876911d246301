import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_DIR } from "../infra/plan/stackFile";

// vitest strips types without checking them; this is what `npm run typecheck` checks, so CI does too.
describe("the TypeScript tree", () => {
  it("type-checks: program, components, stacks, policies and tests", () => {
    const result = spawnSync(process.execPath, [join(PROJECT_DIR, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", join(PROJECT_DIR, "tsconfig.json")], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 320_000);
});

import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_DIR } from "../infra/plan/stackFile";

// Node exits with status 0 when only a never-settling promise is left; the plan CLI must not.
const dir = join(PROJECT_DIR, ".tmp", `settlement-test-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runEntry(body: string) {
  const entry = join(dir, `entry-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(entry, `import { failIfUnsettledAtExit } from "${join(PROJECT_DIR, "infra", "plan", "settlement")}";\n${body}\n`);
  return spawnSync(process.execPath, [join(PROJECT_DIR, "scripts", "run-ts.cjs"), entry], { encoding: "utf8", timeout: 60_000 });
}

describe("a plan that never finishes", () => {
  it("exits with the given status and says why, instead of status 0", () => {
    const result = runEntry('failIfUnsettledAtExit(new Promise(() => {}), "the test plan", 3);');
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("the test plan never finished");
  });

  it("leaves a run that settled alone", () => {
    const result = runEntry('failIfUnsettledAtExit(Promise.resolve(), "the test plan", 3);\nprocess.exitCode = 0;');
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("counts a rejected run as settled (the CLI reports the error itself)", () => {
    const result = runEntry('const run = Promise.reject(new Error("boom")).catch(() => { process.exitCode = 5; });\nfailIfUnsettledAtExit(run, "the test plan", 3);');
    expect(result.status).toBe(5);
  });
});

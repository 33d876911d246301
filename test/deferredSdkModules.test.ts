import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_DIR } from "../infra/plan/stackFile";

// Run in a fresh Node process, as the plan CLI runs: in this one the SDK is loaded already.
const dir = join(PROJECT_DIR, ".tmp", `deferred-sdk-test-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = join(dir, "entry.ts");
writeFileSync(
  entry,
  `import { deferSdkModules } from "${join(PROJECT_DIR, "infra", "plan", "deferredSdkModules")}";
const deferred = deferSdkModules();
const { main } = require("${join(PROJECT_DIR, "infra", "plan", "cli")}");
const loaded = (pkg: string) => Object.keys(require.cache).some((file) => file.includes(\`/node_modules/\${pkg}/\`));
const heavy = () => ({ arborist: loaded("@npmcli/arborist"), typescript: loaded("typescript") });
main(["prod"]).then(async (code: number) => {
  const afterPlan = heavy();
  const pulumi = require("@pulumi/pulumi");
  const fn = await pulumi.runtime.serializeFunction(() => 40 + 2);
  const afterSerialize = heavy();
  const findWorkspaceRoot = require("@pulumi/pulumi/runtime/closure/codePaths").findWorkspaceRoot;
  console.log("RESULT " + JSON.stringify({ code, deferred: deferred.length, afterPlan, afterSerialize,
    serialized: fn.text.includes("40 + 2") && fn.exportName === "handler", computeCodePaths: typeof pulumi.runtime.computeCodePaths,
    findWorkspaceRoot: typeof findWorkspaceRoot, afterOtherExport: heavy() }));
});
`,
);

describe("the SDK modules the plan defers", () => {
  const run = spawnSync(process.execPath, [join(PROJECT_DIR, "scripts", "run-ts.cjs"), entry], { encoding: "utf8", timeout: 120_000 });
  const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  const result = line ? JSON.parse(line.slice("RESULT ".length)) : undefined;

  it("are not loaded by a whole prod plan", () => {
    expect(run.stderr).toBe("");
    expect(result).toBeDefined();
    expect(result.code).toBe(0);
    expect(result.deferred).toBe(2);
    expect(result.afterPlan).toEqual({ arborist: false, typescript: false });
  });

  it("load on first use: a function still serializes, and other exports still read", () => {
    expect(result.serialized).toBe(true);
    expect(result.afterSerialize.typescript).toBe(true);
    expect(result.computeCodePaths).toBe("function");
    expect(result.findWorkspaceRoot).toBe("function");
    expect(result.afterOtherExport.arborist).toBe(true);
  });
});

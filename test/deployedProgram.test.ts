// Issue 23 item 4: `pulumi up` runs infra/index.ts on a deploy machine, which need not hold the repository's test/
// and docs/ (a packaged program, a CI job that checks out only what it deploys). The program reads nothing there:
// whatever the matrix says about runbooks and suites is declared (infra/restorability/kinds.ts) and held to existing
// by test/restorability.test.ts, not looked up while deploying.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../infra/projectDir";

/** Every project module infra/index.ts reaches through relative imports (type-only imports included: cheap to over-check). */
function reachableModules(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [resolve(PROJECT_DIR, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const [, spec] of source.matchAll(/(?:from|import|require)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const base = resolve(dirname(file), spec!);
      const found = [base, `${base}.ts`, join(base, "index.ts")].find((c) => existsSync(c) && c.endsWith(".ts"));
      if (found) queue.push(found);
      else if (!/\.(json|cjs|js)$/.test(spec!)) throw new Error(`${relative(PROJECT_DIR, file)} imports ${spec}, which resolves to no .ts file`);
    }
  }
  return [...seen].map((f) => relative(PROJECT_DIR, f)).sort();
}

/** A path into the project's test/ or docs/ as a module would build one: "test/…", "../docs/…", join(…, "docs", …). */
const TEST_OR_DOCS_PATH = /["'`](?:\.\.?\/)*(?:test|docs)\/|["'`](?:test|docs)["'`]\s*[,)]/;

describe("the deployed program reads nothing under test/ or docs/", () => {
  const modules = reachableModules("infra/index.ts");

  it("reaches the program's areas and no module under test/ or docs/", () => {
    expect(modules).toContain("infra/program.ts");
    expect(modules).toContain("infra/restorability/matrix.ts");
    expect(modules.filter((m) => /^(test|docs)\//.test(m))).toEqual([]);
  });

  it("no reachable module that touches the filesystem names a test/ or docs/ path", () => {
    const offending = modules.filter((m) => {
      const source = readFileSync(join(PROJECT_DIR, m), "utf8");
      const touchesFiles = /from "(?:node:)?fs(?:\/promises)?"|require\("(?:node:)?fs"\)|\bPROJECT_DIR\b/.test(source);
      return touchesFiles && TEST_OR_DOCS_PATH.test(source);
    });
    expect(offending).toEqual([]);
  });

  it("the check above catches the way the matrix used to look its runbooks and suites up", () => {
    const before = 'import { existsSync } from "node:fs";\nconst reattach = "docs/runbooks/reattach-retained-volume.md";\nexistsSync(join(PROJECT_DIR, reattach));';
    expect(TEST_OR_DOCS_PATH.test(before)).toBe(true);
    expect(TEST_OR_DOCS_PATH.test('join(PROJECT_DIR, "test", "integration")')).toBe(true);
    expect(TEST_OR_DOCS_PATH.test('const latest = "latest.json"; const dir = "components/backup/scripts";')).toBe(false);
  });

  it.each(["dev", "prod"])("npm run plan -- %s opens, lists or stats no file under test/ or docs/", (stack) => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: { plan: string } };
    const [command, ...args] = pkg.scripts.plan.split(" ");
    const preload = join(PROJECT_DIR, "test", "helpers", "watchReads.cjs");
    const result = spawnSync(command!, [...args, stack], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      timeout: 110_000,
      env: { ...process.env, STRATA_WATCH_ROOT: PROJECT_DIR, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${preload}`.trim() },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Policies: \d+ evaluated/);
    expect(result.stderr.split("\n").filter((l) => l.startsWith("READ "))).toEqual([]);
  }, 120_000);

  it("the watcher sees a read under test/ (so an empty list above means none happened)", () => {
    const preload = join(PROJECT_DIR, "test", "helpers", "watchReads.cjs");
    const probe = `import("node:fs").then((fs) => fs.existsSync(${JSON.stringify(join(PROJECT_DIR, "test", "restorability.test.ts"))}))`;
    const result = spawnSync(process.execPath, ["--require", preload, "-e", probe], { encoding: "utf8", env: { ...process.env, STRATA_WATCH_ROOT: PROJECT_DIR } });
    expect(result.stderr).toContain(`READ existsSync ${join(PROJECT_DIR, "test", "restorability.test.ts")}`);
  });
});

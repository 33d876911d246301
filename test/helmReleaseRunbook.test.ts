/** docs/runbooks/helm-release-stuck.md names every Helm release Strata installs, in the namespace it installs it in. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { plan, resourcesOfType, STACKS } from "./helpers/plan";
import { PROJECT_DIR } from "../infra/plan/stackFile";

const runbook = readFileSync(join(PROJECT_DIR, "docs", "runbooks", "helm-release-stuck.md"), "utf8");
const table = new Map([...runbook.matchAll(/^\| `([a-z0-9-]+)` \| ([a-z0-9-]+) .*\|$/gm)].map((m) => [m[1]!, m[2]!]));

describe("the stuck-release runbook", () => {
  it.each(STACKS)("lists every release of %s with its namespace", async (stack) => {
    const releases = resourcesOfType(await plan(stack), "kubernetes:helm.sh/v3:Release").map((r) => r.inputs as { name: string; namespace: string });
    expect(releases.length).toBeGreaterThan(3);
    for (const r of releases) expect(table.get(r.name), r.name).toBe(r.namespace);
  });

  it("is linked from docs/deploy.md", () => {
    expect(readFileSync(join(PROJECT_DIR, "docs", "deploy.md"), "utf8")).toContain("(runbooks/helm-release-stuck.md)");
  });
});

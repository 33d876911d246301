import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { componentDocs, componentsMarkdown } from "../scripts/components-reference";
import { PROJECT_DIR } from "../infra/plan/stackFile";

// One type-checked read of components/ serves every case.
const docs = componentDocs();

describe("components/README.md, each component's inputs and outputs", () => {
  it("is exactly what the components' source generates (run `npm run docs:components` after changing one)", () => {
    expect(readFileSync(join(PROJECT_DIR, "components", "README.md"), "utf8")).toBe(componentsMarkdown(docs));
  });

  it("finds every component, each with a strata:<area>:<Name> type token, a summary and an args interface as its contract", () => {
    expect(docs.length).toBeGreaterThanOrEqual(20);
    for (const d of docs) {
      expect(d.typeToken, d.className).toMatch(/^strata:[a-z]+:[A-Z][A-Za-z]+$/);
      expect(d.summary, `${d.className} has no doc comment`).not.toBe("");
      expect(d.argsType, `${d.className} takes no args interface`).toMatch(/Args$/);
    }
  });

  it("gives its outputs as public readonly properties", () => {
    for (const d of docs) for (const o of d.outputs) expect(o.readonly, `${d.className}.${o.name}`).toBe(true);
  });
});

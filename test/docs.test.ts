import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { configReference, configReferenceMarkdown } from "../infra/config/reference";
import { spliceReference } from "../scripts/config-reference";
import { PROJECT_DIR } from "../infra/plan/stackFile";
import { baseConfigSchema } from "../infra/config/schema";
import { backupTarget } from "../infra/config/sections/backups";
import { z } from "zod";

const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
const referencePage = readFileSync(join(PROJECT_DIR, "docs", "config-reference.md"), "utf8");

describe("the config reference (docs/config-reference.md)", () => {
  it("is exactly what the schema generates (run `npm run docs:config` after changing the schema)", () => {
    expect(referencePage).toBe(spliceReference(referencePage, configReferenceMarkdown()));
  });

  it("documents every top-level key of the schema, and every key has a meaning", () => {
    const documented = new Set(configReference().map((r) => r.key.split(".")[0]));
    for (const key of Object.keys(baseConfigSchema.shape)) expect(documented, `strata:${key}`).toContain(key);
    for (const row of configReference()) expect(row.description.trim().length, `strata:${row.key} has no description`).toBeGreaterThan(0);
  });

  it("lists the fields of each list element, and of each backup kind under its condition", () => {
    const rows = configReference();
    const at = (key: string) => rows.filter((r) => r.key === key).map((r) => r.description);
    // Fields every kind has are listed once, with no condition.
    expect(at("backups.targets[].name")).toHaveLength(1);
    expect(at("backups.targets[].name")[0]).not.toMatch(/^\(when/);
    expect(at("backups.targets[].kind")).toHaveLength(1);
    expect(at("backups.targets[].claimName")).toEqual([expect.stringMatching(/^\(when kind is `sqlite`\) /)]);
    // A field two kinds mean differently gets a row for each.
    expect(at("backups.targets[].user")).toEqual([expect.stringMatching(/^\(when kind is `postgresql`\) /), expect.stringMatching(/^\(when kind is `rabbitmq-definitions`\) /)]);
    // Every field of every kind the schema accepts has a row.
    const variants = (z.toJSONSchema(backupTarget, { io: "input", unrepresentable: "any" }) as { oneOf?: { properties: Record<string, unknown> }[]; anyOf?: { properties: Record<string, unknown> }[] });
    for (const v of variants.oneOf ?? variants.anyOf ?? []) for (const field of Object.keys(v.properties)) expect(at(`backups.targets[].${field}`).length, field).toBeGreaterThan(0);
    expect(at("archive.backups.transitions[].storageClass")).toHaveLength(1);
  });

  it("shows each profile's default for retention keys", () => {
    expect(referencePage).toMatch(/\| `strata:retention\.metricsDownsampled1hDays` \| [^|]+ \| `90` \| `730` \|/);
  });
});

describe("the README's commands", () => {
  it("name the scripts and npm scripts that exist", () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(readme).toContain("bash scripts/setup.sh --plan-only && npm run plan -- dev");
    expect(readme).toContain("bash scripts/setup.sh && npm test");
    expect(pkg.scripts.plan).toBe("node scripts/run-ts.cjs infra/plan/main.ts");
    expect(pkg.scripts.test).toBe("vitest run");
    const ci = readFileSync(join(PROJECT_DIR, ".ci", "run"), "utf8");
    expect(ci).toContain("bash scripts/setup.sh");
    expect(ci).toContain("npm test");
  });
});

// --- links ------------------------------------------------------------------------------------------------------------

/** Every Markdown file a reader reaches from the README: the README, docs/ (runbooks included) and the other READMEs. */
function markdownFiles(): string[] {
  const files = ["README.md", "examples/stacks/README.md", "policies/README.md", "components/README.md", "components/backup/runtime/README.md"];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(PROJECT_DIR, dir))) {
      const path = join(dir, entry);
      if (statSync(join(PROJECT_DIR, path)).isDirectory()) walk(path);
      else if (entry.endsWith(".md")) files.push(path);
    }
  };
  walk("docs");
  return files;
}

/** GitHub's heading anchors: lowercase, punctuation dropped (but `-` and `_`), spaces to `-`. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
const anchorsOf = (text: string) => new Set(text.split("\n").filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ""))));
const withoutCode = (text: string) => text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");

describe("documentation links", () => {
  it("the README is the front door: at most 250 lines", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(250);
  });

  it.each(markdownFiles())("every relative link in %s names a file (and heading) that exists", (file) => {
    const text = readFileSync(join(PROJECT_DIR, file), "utf8");
    const broken: string[] = [];
    for (const [, target] of withoutCode(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split("#");
      const resolved = path ? join(PROJECT_DIR, dirname(file), path) : join(PROJECT_DIR, file);
      if (!existsSync(resolved)) {
        broken.push(`${target} (no ${relative(PROJECT_DIR, resolved)})`);
        continue;
      }
      if (anchor && resolved.endsWith(".md") && !anchorsOf(readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });

  it("every docs page is reachable from the README", () => {
    const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]));
    for (const page of readdirSync(join(PROJECT_DIR, "docs")).filter((f) => f.endsWith(".md"))) expect(linked, page).toContain(`docs/${page}`);
  });
});

describe("the README's plan excerpt", () => {
  it("is what `npm run plan -- dev` prints today, line for line where it does not elide", async () => {
    const { plan } = await import("./helpers/plan");
    const { renderPlan } = await import("../infra/plan/report");
    const squash = (line: string) => line.replace(/\s+/g, " ").trim();
    const printed = new Set(renderPlan(await plan("dev")).split("\n").map(squash));
    const section = readme.slice(readme.indexOf("## What the plan prints"));
    const excerpt = section.slice(section.indexOf("```\n") + 4, section.indexOf("\n```", section.indexOf("```\n") + 4));
    const lines = excerpt.split("\n").map(squash).filter((l) => l !== "" && l !== "...");
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => !printed.has(l))).toEqual([]);
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_DIR } from "../infra/plan/stackFile";

// scripts/run-ts.cjs keeps the bundle of an entry point and reuses it while its sources are unchanged. A stale
// bundle would run yesterday's program, so these tests change sources in the ways an editor or a checkout does.
const dir = join(PROJECT_DIR, ".tmp", `run-ts-test-${process.pid}`);
const entry = join(dir, "entry.ts");
const imported = join(dir, "greeting.ts");
const cacheDir = join(PROJECT_DIR, ".tmp", "run-ts");

const run = (...args: string[]) => execFileSync(process.execPath, [join(PROJECT_DIR, "scripts", "run-ts.cjs"), entry, ...args], { encoding: "utf8" }).trim();
const manifest = () => {
  const name = readdirSync(cacheDir).find((n) => n.startsWith("entry-") && n.endsWith(".json") && JSON.parse(readFileSync(join(cacheDir, n), "utf8")).entry.includes(`run-ts-test-${process.pid}`));
  if (!name) throw new Error("no manifest for the test entry");
  return JSON.parse(readFileSync(join(cacheDir, name), "utf8")) as { bundle: string };
};

mkdirSync(dir, { recursive: true });
writeFileSync(entry, 'import { greeting } from "./greeting";\nconst name: string = process.argv[2] ?? "nobody";\nconsole.log(`${greeting}, ${name}`);\n');
writeFileSync(imported, 'export const greeting: string = "hello";\n');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  // The test entry's manifest and bundles ("entry-<key>...") are nobody else's.
  const { bundle } = manifest();
  for (const name of readdirSync(cacheDir)) if (name.startsWith(bundle.split("/").pop()!.split("-").slice(0, 2).join("-"))) rmSync(join(cacheDir, name), { force: true });
});

describe("scripts/run-ts.cjs", () => {
  it("runs a TypeScript entry with its arguments", () => {
    expect(run("strata")).toBe("hello, strata");
  });

  it("reuses the bundle while no source changed, even when a checkout touched a file's mtime", () => {
    run();
    const first = manifest().bundle;
    const later = new Date(Date.now() + 60_000);
    utimesSync(imported, later, later);
    expect(run("again")).toBe("hello, again");
    expect(manifest().bundle).toBe(first);
  });

  it("rebuilds when an imported file's content changes, with the same size and mtime", () => {
    run();
    const before = manifest().bundle;
    const stamp = new Date(Date.now() + 120_000);
    utimesSync(imported, stamp, stamp);
    run();
    // Same length, same mtime: only the content hash can tell.
    writeFileSync(imported, 'export const greeting: string = "howdy";\n');
    utimesSync(imported, stamp, stamp);
    expect(run("you")).toBe("howdy, you");
    expect(manifest().bundle).not.toBe(before);
  });

  it("rebuilds when a new import appears", () => {
    writeFileSync(join(dir, "suffix.ts"), 'export const suffix = "!";\n');
    writeFileSync(entry, 'import { greeting } from "./greeting";\nimport { suffix } from "./suffix";\nconsole.log(`${greeting}, ${process.argv[2]}${suffix}`);\n');
    expect(run("all")).toMatch(/, all!$/);
    writeFileSync(join(dir, "suffix.ts"), 'export const suffix = "?";\n');
    expect(run("all")).toMatch(/, all\?$/);
  });
});

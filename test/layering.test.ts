import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import * as ts from "typescript";
import { PROJECT_DIR } from "../infra/plan/stackFile";

/**
 * The program's layers point one way: infra/ (the program) may use components/, stacks/ and the policy pack;
 * components/ know nothing of infra/ or stacks/; the pack (published on its own) imports nothing outside itself;
 * and no module reaches itself through its imports, type-only imports included.
 */
const LAYERS = ["infra", "components", "stacks", "policies"];

function sources(dir: string): string[] {
  return readdirSync(join(PROJECT_DIR, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(PROJECT_DIR, path)).isDirectory()) return ["node_modules", "test"].includes(entry) ? [] : sources(path);
    return entry.endsWith(".ts") ? [path] : [];
  });
}

/** Each module's relative imports (static and type-only), resolved to the repository's .ts files. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of LAYERS.flatMap(sources)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(PROJECT_DIR, file), "utf8"), true, true);
    const targets = importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => join(dirname(file), spec))
      .map((base) => [`${base}.ts`, join(base, "index.ts")].find((candidate) => existsSync(join(PROJECT_DIR, candidate))))
      .filter((target): target is string => target !== undefined);
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const graph = importGraph();
const edges = [...graph].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
const layerOf = (file: string) => file.split("/")[0]!;

describe("the program's layers", () => {
  it("reads every module of every layer", () => {
    for (const layer of LAYERS) expect([...graph.keys()].filter((f) => layerOf(f) === layer).length, layer).toBeGreaterThan(0);
    expect(graph.size).toBeGreaterThan(100);
  });

  it("components import nothing from infra/ or stacks/: a component takes its own args", () => {
    const wrong = edges.filter((e) => layerOf(e.from) === "components" && ["infra", "stacks"].includes(layerOf(e.to)));
    expect(wrong.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("the policy pack imports nothing outside policies/", () => {
    const wrong = edges.filter((e) => layerOf(e.from) === "policies" && layerOf(e.to) !== "policies");
    expect(wrong.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("no module imports itself through others", () => {
    expect(cycles(graph).map((c) => c.map((f) => relative(".", f)).join(" -> "))).toEqual([]);
  });

  it("finds a cycle and a wrong-way import when there is one", () => {
    const broken = new Map(graph);
    broken.set("components/backup/cronJob.ts", [...(graph.get("components/backup/cronJob.ts") ?? []), "infra/program.ts"]);
    expect(cycles(broken).length).toBeGreaterThan(0);
  });
});

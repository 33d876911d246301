import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { KIND_DRIVERS } from "../../components/backup/kinds";
import { BACKUP_KINDS } from "../../components/backup/targetSpec";
import { PROJECT_DIR } from "../../infra/projectDir";
import { KIND_RUNTIMES } from "../../components/backup/kinds/runtimes";

/** The program's own sources: where a switch over kinds would make a new kind touch more than its folder. */
const SOURCE_DIRS = ["components", "infra", "stacks", "policies", "scripts", "bench", "examples"];
const KINDS_DIR = "components/backup/kinds/";

function sourceFiles(dir: string): string[] {
  const abs = join(PROJECT_DIR, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    if (name === "node_modules" || name === "test") return [];
    if (statSync(path).isDirectory()) return sourceFiles(relative(PROJECT_DIR, path));
    return name.endsWith(".ts") ? [relative(PROJECT_DIR, path)] : [];
  });
}

const isKind = (text: string) => (BACKUP_KINDS as readonly string[]).includes(text);

/**
 * Places in one source file that enumerate backup kinds: a `switch` over something named `kind` with a case for a
 * kind, or an object literal keyed by two or more kinds (a per-kind table). Either would have to change for a new kind.
 */
export function kindEnumerations(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const where = (n: ts.Node) => `${fileName}:${source.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node) => {
    if (ts.isSwitchStatement(n) && /kind$/i.test(n.expression.getText(source))) {
      const cases = n.caseBlock.clauses.filter((c): c is ts.CaseClause => ts.isCaseClause(c) && ts.isStringLiteral(c.expression) && isKind(c.expression.text));
      if (cases.length > 0) found.push(`${where(n)}: switch (${n.expression.getText(source)}) with case ${cases.map((c) => c.expression.getText(source)).join(", ")}`);
    }
    if (ts.isObjectLiteralExpression(n)) {
      const keys = n.properties.flatMap((p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && isKind(p.name.text) ? [p.name.text] : []));
      if (keys.length >= 2) found.push(`${where(n)}: an object keyed by kinds (${keys.join(", ")})`);
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found;
}

describe("one driver per backup kind", () => {
  it("every kind of the config enum has a driver in its own folder, and the Record holds nothing else", () => {
    expect(Object.keys(KIND_DRIVERS).sort()).toEqual([...BACKUP_KINDS].sort());
    for (const kind of BACKUP_KINDS) {
      expect(KIND_DRIVERS[kind].kind, `the driver under "${kind}"`).toBe(kind);
      expect(existsSync(join(PROJECT_DIR, KINDS_DIR, kind, "index.ts")), `${KINDS_DIR}${kind}/index.ts`).toBe(true);
      expect(existsSync(join(PROJECT_DIR, KIND_DRIVERS[kind].integrationSuite.file)), KIND_DRIVERS[kind].integrationSuite.file).toBe(true);
    }
  });

  it("each driver's artifact format and extension are the ones the runtime's part for the kind records in the manifest (one definition, the kind's artifact.ts)", () => {
    for (const kind of BACKUP_KINDS) {
      expect(KIND_RUNTIMES[kind].kind).toBe(kind);
      expect(KIND_RUNTIMES[kind].artifact, kind).toBe(KIND_DRIVERS[kind].artifact);
    }
  });

  it("no source outside components/backup/kinds/ switches over kinds or keeps a per-kind table", () => {
    const files = SOURCE_DIRS.flatMap(sourceFiles).filter((f) => !f.startsWith(KINDS_DIR));
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => kindEnumerations(f, readFileSync(join(PROJECT_DIR, f), "utf8")))).toEqual([]);
  });

  it("the scan finds a switch over a target's kind and a per-kind table, and leaves a switch over another enum alone", () => {
    const planted = `
      function recipe(t: { kind: string }) { switch (t.kind) { case "valkey": return 1; default: return 0; } }
      const ratio = { postgresql: 0.25, mongodb: 0.33 };
      function url(c: { backend: string }) { switch (c.backend) { case "sqlite": return "a"; case "postgresql": return "b"; } }`;
    expect(kindEnumerations("x.ts", planted)).toEqual(['x.ts:2: switch (t.kind) with case "valkey"', "x.ts:3: an object keyed by kinds (postgresql, mongodb)"]);
  });
});

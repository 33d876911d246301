// Regenerates components/README.md from the components' own source: `npm run docs:components`.
// Each ComponentResource is its inputs (the args interface, its contract) and its outputs (public readonly
// properties), as terraform-aws-modules documents a module; test/components.test.ts fails when the page and the
// code disagree, and when a component has no args interface or an output that is not readonly.
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";

const ROOT = join(__dirname, "..");
const COMPONENTS = join(ROOT, "components");

export interface ComponentDoc {
  className: string;
  typeToken: string;
  file: string;
  summary: string;
  argsType: string | undefined;
  inputs: { name: string; type: string; required: boolean; doc: string }[];
  outputs: { name: string; type: string; readonly: boolean; doc: string }[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === "scripts" ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
const docOf = (symbol: ts.Symbol | undefined, checker: ts.TypeChecker) => (symbol ? oneLine(ts.displayPartsToString(symbol.getDocumentationComment(checker))) : "");

function extendsComponentResource(node: ts.ClassDeclaration): boolean {
  return (node.heritageClauses ?? []).some((h) => h.token === ts.SyntaxKind.ExtendsKeyword && h.types.some((t) => /ComponentResource$/.test(t.expression.getText())));
}

function typeTokenOf(node: ts.ClassDeclaration): string {
  let token = "";
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) token = n.arguments[0].text;
    if (!token) ts.forEachChild(n, visit);
  };
  visit(node);
  return token;
}

/** Every ComponentResource under components/, with its inputs and outputs, in a stable order. */
export function componentDocs(): ComponentDoc[] {
  const files = sourceFiles(COMPONENTS);
  const program = ts.createProgram(files, { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const docs: ComponentDoc[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    for (const node of source.statements) {
      if (!ts.isClassDeclaration(node) || !node.name || !extendsComponentResource(node)) continue;
      const symbol = checker.getSymbolAtLocation(node.name);
      const ctor = node.members.find(ts.isConstructorDeclaration);
      const argsParam = ctor?.parameters[1];
      const argsType = argsParam?.type ? argsParam.type.getText() : undefined;
      const inputs = argsParam
        ? checker.getTypeAtLocation(argsParam).getProperties().map((p) => {
            const decl = p.valueDeclaration ?? p.declarations?.[0];
            const typeText = decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) && decl.type ? decl.type.getText() : checker.typeToString(checker.getTypeOfSymbolAtLocation(p, argsParam));
            return { name: p.name, type: oneLine(typeText), required: (p.flags & ts.SymbolFlags.Optional) === 0, doc: docOf(p, checker) };
          })
        : [];
      const outputs = node.members
        .filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m))
        .filter((m) => !(ts.getCombinedModifierFlags(m) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !(m.name.getText().startsWith("#")))
        .map((m) => ({
          name: m.name.getText(),
          type: oneLine(m.type ? m.type.getText() : checker.typeToString(checker.getTypeAtLocation(m))),
          readonly: (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Readonly) !== 0,
          doc: docOf(checker.getSymbolAtLocation(m.name), checker),
        }));
      docs.push({ className: node.name.text, typeToken: typeTokenOf(node), file: relative(ROOT, file), summary: docOf(symbol, checker), argsType, inputs, outputs });
    }
  }
  return docs.sort((a, b) => a.typeToken.localeCompare(b.typeToken));
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

export function componentsMarkdown(docs: ComponentDoc[] = componentDocs()): string {
  const lines = [
    "# Components",
    "",
    "Every `pulumi.ComponentResource` Strata declares, one concern each: what it takes (its args interface, the",
    "component's contract) and what it gives back (its public readonly outputs). Generated from the source by",
    "`npm run docs:components`; `test/components.test.ts` keeps this page equal to the code. A component knows nothing",
    "of environments or of Strata's config: `infra/areas/` turns validated config into these inputs.",
    "",
    "| component | type token | file |",
    "|---|---|---|",
    ...docs.map((d) => `| [${d.className}](#${d.className.toLowerCase()}) | \`${d.typeToken}\` | [${d.file.replace(/^components\//, "")}](${d.file.replace(/^components\//, "")}) |`),
  ];
  for (const d of docs) {
    lines.push("", `## ${d.className}`, "", `\`${d.typeToken}\` in [${d.file.replace(/^components\//, "")}](${d.file.replace(/^components\//, "")}).${d.summary ? ` ${d.summary}` : ""}`, "");
    lines.push(`Inputs (\`${d.argsType ?? "none"}\`):`, "", "| input | type | required | meaning |", "|---|---|---|---|");
    for (const i of d.inputs) lines.push(`| \`${i.name}\` | \`${cell(i.type)}\` | ${i.required ? "yes" : "no"} | ${cell(i.doc)} |`);
    lines.push("", "Outputs:", "");
    if (d.outputs.length === 0) lines.push("none: the component's children are its result.");
    else {
      lines.push("| output | type | meaning |", "|---|---|---|");
      for (const o of d.outputs) lines.push(`| \`${o.name}\` | \`${cell(o.type)}\` | ${cell(o.doc)} |`);
    }
  }
  return lines.join("\n") + "\n";
}

if (require.main === module) {
  const path = join(COMPONENTS, "README.md");
  writeFileSync(path, componentsMarkdown());
  process.stdout.write(`updated ${path}\n`);
}

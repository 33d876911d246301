import { z } from "zod";
import { baseConfigSchema, SECRET_KEYS } from "./schema";
import { PROFILE_DEFAULTS } from "../../stacks/profiles";

export interface ReferenceRow {
  key: string;
  type: string;
  dev: string;
  prod: string;
  description: string;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  description?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
};

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  const base = Array.isArray(s.type) ? s.type.join("|") : (s.type ?? "any");
  const range: string[] = [];
  // zod adds the safe-integer limits to every int; only real bounds are worth printing.
  if (s.minimum !== undefined && Math.abs(s.minimum) < Number.MAX_SAFE_INTEGER) range.push(`>= ${s.minimum}`);
  if (s.maximum !== undefined && Math.abs(s.maximum) < Number.MAX_SAFE_INTEGER) range.push(`<= ${s.maximum}`);
  return range.length ? `${base} (${range.join(", ")})` : base;
}

function defaultAt(profile: "dev" | "prod", path: string[]): string {
  let node: unknown = PROFILE_DEFAULTS[profile];
  for (const p of path) {
    if (node === null || typeof node !== "object") return "—";
    node = (node as Record<string, unknown>)[p];
  }
  if (node === undefined) return "—";
  // A list default is shown as written ([] included); only objects are summarised.
  if (Array.isArray(node)) return `\`${JSON.stringify(node)}\``;
  if (typeof node === "object") return Object.keys(node as object).length === 0 ? "`{}`" : "(object)";
  return `\`${JSON.stringify(node)}\``;
}

/**
 * Every key of the `strata:` namespace with its type, per-profile default and meaning, walked from the schema
 * itself so the reference cannot drift from what the program accepts.
 */
export function configReference(): ReferenceRow[] {
  const root = z.toJSONSchema(baseConfigSchema, { unrepresentable: "any", io: "input" }) as JsonSchema;
  const rows: ReferenceRow[] = [];
  const walk = (schema: JsonSchema, path: string[], note: string) => {
    const variants = schema.oneOf ?? schema.anyOf;
    if (variants) {
      const discriminator = path.length ? "source" : "";
      const self = { key: path.join("."), type: "object", dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: schema.description ?? "" };
      if (path.length) rows.push(self);
      const tags = variants.map((v) => v.properties?.[discriminator]?.const).filter((t) => t !== undefined);
      if (tags.length) {
        rows.push({ key: [...path, discriminator].join("."), type: tags.map((t) => JSON.stringify(t)).join(" \\| "), dev: "—", prod: "—", description: "Which of the variants below applies." });
      }
      for (const v of variants) {
        const tag = v.properties?.[discriminator]?.const;
        walk({ ...v, description: undefined }, path, tag !== undefined ? `(when ${discriminator} is \`${String(tag)}\`) ` : note);
      }
      return;
    }
    if (schema.properties) {
      if (path.length && schema.description) rows.push({ key: path.join("."), type: "object", dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: note + schema.description });
      for (const [k, child] of Object.entries(schema.properties)) {
        const childPath = [...path, k];
        if (rows.some((r) => r.key === childPath.join("."))) continue;
        walk(child, childPath, note);
      }
      return;
    }
    if (typeof schema.additionalProperties === "object") {
      rows.push({ key: path.join("."), type: "map", dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: note + (schema.description ?? "") });
      rows.push({ key: `${path.join(".")}.<name>`, type: typeOf(schema.additionalProperties), dev: "—", prod: "—", description: "One entry." });
      return;
    }
    const secret = path.length === 1 && (SECRET_KEYS as readonly string[]).includes(path[0]!);
    rows.push({ key: path.join("."), type: typeOf(schema) + (secret ? " (secret)" : ""), dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: note + (schema.description ?? "") });
  };
  walk(root, [], "");
  return rows;
}

export function configReferenceMarkdown(): string {
  const rows = configReference();
  const escape = (s: string) => s.replace(/\|/g, "\\|").replace(/\\\\\|/g, "\\|");
  const lines = ["| key | type | dev default | prod default | meaning |", "|---|---|---|---|---|"];
  for (const r of rows) lines.push(`| \`strata:${r.key}\` | ${r.type} | ${r.dev} | ${r.prod} | ${escape(r.description)} |`);
  return lines.join("\n");
}

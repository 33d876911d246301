import { z } from "zod";
import { baseConfigSchema, SECRET_KEYS } from "./schema";
import { PROFILE_DEFAULTS } from "../../stacks/profiles";
import { DERIVED_DEFAULT_RULES } from "./defaults";

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
  required?: string[];
  examples?: unknown[];
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

/** How a default that follows the stack's own choices is derived (infra/config/defaults.ts), as a sentence. */
function derivedFrom(path: string[]): string {
  const rule = DERIVED_DEFAULT_RULES[path.join(".")];
  return rule ? ` Default (when the stack does not set it): ${rule}.` : "";
}

/** The property every variant of a union fixes to a constant of its own (`source`, `kind`), if there is one. */
function discriminatorOf(variants: JsonSchema[]): string | undefined {
  return Object.keys(variants[0]?.properties ?? {}).find((k) => variants.every((v) => v.properties?.[k]?.const !== undefined));
}

/** The properties every variant has with the same schema: documented once, for all of them. */
function sharedProperties(variants: JsonSchema[], discriminator: string | undefined): Record<string, JsonSchema> {
  const first = variants[0]?.properties ?? {};
  return Object.fromEntries(
    Object.entries(first).filter(([k, s]) => k !== discriminator && variants.every((v) => v.properties?.[k] !== undefined && JSON.stringify(v.properties[k]) === JSON.stringify(s))),
  );
}

/**
 * Every key of the `strata:` namespace with its type, per-profile default and meaning, walked from the schema
 * itself so the reference cannot drift from what the program accepts.
 */
export function configReference(): ReferenceRow[] {
  const root = z.toJSONSchema(baseConfigSchema, { unrepresentable: "any", io: "input" }) as JsonSchema;
  const rows: ReferenceRow[] = [];
  // Fields a stack must write itself: required by the schema, with no profile default to fall back on.
  const required = new Set<string>();
  const walk = (schema: JsonSchema, path: string[], note: string) => {
    for (const k of schema.required ?? []) required.add([...path, k].join("."));
    const all = schema.oneOf ?? schema.anyOf;
    // A `null` variant (a nullable key) is not a shape of its own: it is shown in the key's type.
    const variants = all?.filter((v) => v.type !== "null");
    if (all && variants) {
      const discriminator = discriminatorOf(variants);
      const nullable = variants.length < all.length ? " \\| null" : "";
      // An array's element has no row of its own: the array's row says what it is.
      const self = { key: path.join("."), type: `object${nullable}`, dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: schema.description ?? "" };
      if (path.length && !path.at(-1)!.endsWith("[]")) rows.push(self);
      const tags = discriminator ? variants.map((v) => v.properties?.[discriminator]?.const) : [];
      if (discriminator) {
        rows.push({ key: [...path, discriminator].join("."), type: tags.map((t) => JSON.stringify(t)).join(" \\| "), dev: "—", prod: "—", description: "Which of the variants below applies." });
      }
      const shared = sharedProperties(variants, discriminator);
      for (const [k, child] of Object.entries(shared)) {
        if (variants.every((v) => v.required?.includes(k))) required.add([...path, k].join("."));
        walk(child, [...path, k], note);
      }
      // Each variant's own fields, under its condition; a field two variants mean differently gets a row for each.
      for (const v of variants) {
        const tag = discriminator ? v.properties?.[discriminator]?.const : undefined;
        const own = Object.fromEntries(Object.entries(v.properties ?? {}).filter(([k]) => k !== discriminator && !(k in shared)));
        walk({ ...v, properties: own, description: undefined }, path, tag !== undefined ? `(when ${discriminator} is \`${String(tag)}\`) ` : note);
      }
      return;
    }
    if (schema.properties) {
      if (path.length && schema.description) rows.push({ key: path.join("."), type: "object", dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: note + schema.description });
      for (const [k, child] of Object.entries(schema.properties)) {
        const childPath = [...path, k];
        walk(child, childPath, note);
      }
      return;
    }
    if (typeof schema.additionalProperties === "object") {
      rows.push({ key: path.join("."), type: "map", dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: note + (schema.description ?? "") });
      const entry = schema.additionalProperties;
      // An entry that is itself an object (a claim, a receiver): its fields, as `map.<name>.field`, like a list's.
      if (entry.properties || entry.oneOf || entry.anyOf) {
        rows.push({ key: `${path.join(".")}.<name>`, type: "object", dev: "—", prod: "—", description: `One entry, named by its key; its fields below.${entry.description ? ` ${entry.description}` : ""}` });
        walk({ ...entry, description: undefined }, [...path, "<name>"], note);
        return;
      }
      rows.push({ key: `${path.join(".")}.<name>`, type: typeOf(entry), dev: "—", prod: "—", description: entry.description ?? "One entry." });
      return;
    }
    // A list of objects: its element's fields, as `list[].field`.
    if (schema.type === "array" && schema.items && (schema.items.properties || schema.items.oneOf || schema.items.anyOf)) {
      rows.push({ key: path.join("."), type: "array", dev: defaultAt("dev", path), prod: defaultAt("prod", path), description: note + (schema.description ?? "") + derivedFrom(path) });
      walk({ ...schema.items, description: undefined }, [...path.slice(0, -1), `${path.at(-1)}[]`], note);
      return;
    }
    const secret = path.length === 1 && (SECRET_KEYS as readonly string[]).includes(path[0]!);
    const dev = defaultAt("dev", path);
    const prod = defaultAt("prod", path);
    const mustWrite = required.has(path.join(".")) && dev === "—" && prod === "—" ? " (required)" : "";
    const example = schema.examples?.length ? ` Example: ${schema.examples.map((e) => `\`${typeof e === "string" ? e : JSON.stringify(e)}\``).join(", ")}.` : "";
    rows.push({ key: path.join("."), type: typeOf(schema) + (secret ? " (secret)" : "") + mustWrite, dev, prod, description: note + (schema.description ?? "") + derivedFrom(path) + example });
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

import { z } from "zod";

/**
 * Finding the schema of one config key, so an error can say what the key is, give an example, and list the keys
 * allowed beside it: the same `.describe()`/`.meta()` the generated reference (infra/config/reference.ts) prints.
 */
type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  entries?: Record<string, unknown>;
  values?: unknown[];
  checks?: { _zod: { def: { check: string; value?: unknown; inclusive?: boolean } } }[];
};
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

/** The schema with optional/default/nullable wrappers (and a pipe's input side) taken off, with what they carried. */
export function unwrap(schema: z.ZodType): { schema: z.ZodType; chain: z.ZodType[] } {
  const chain = [schema];
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === "pipe" ? def.in : undefined;
    if (!next) return { schema: current, chain };
    current = next;
    chain.push(current);
  }
}

export type Node = { kind: "object"; shape: Record<string, z.ZodType> } | { kind: "record" | "array"; inner: z.ZodType } | { kind: "leaf" };

/** Where a path can go from this schema; a union is resolved by the value (its discriminator, else its keys). */
export function nodeOf(schema: z.ZodType, value: unknown): Node {
  const { schema: inner } = unwrap(schema);
  const def = defOf(inner);
  if (def.type === "object") return { kind: "object", shape: def.shape! };
  if (def.type === "record") return { kind: "record", inner: def.valueType! };
  if (def.type === "array") return { kind: "array", inner: def.element! };
  if (def.type === "union") {
    const option = unionOption(def, value);
    return option ? nodeOf(option, value) : { kind: "leaf" };
  }
  return { kind: "leaf" };
}

function unionOption(def: Def, value: unknown): z.ZodType | undefined {
  const objects = (def.options ?? []).filter((o) => defOf(unwrap(o).schema).type === "object");
  const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  if (def.discriminator) {
    const tag = record[def.discriminator];
    return objects.find((o) => {
      const d = defOf(unwrap(defOf(unwrap(o).schema).shape![def.discriminator!]!).schema);
      return (d.values ?? []).includes(tag);
    });
  }
  // The option that knows the most of the value's keys.
  const score = (o: z.ZodType) => Object.keys(record).filter((k) => k in defOf(unwrap(o).schema).shape!).length;
  return [...objects].sort((a, b) => score(b) - score(a))[0];
}

/** The schema at a config path (below the root), resolving unions by the value found there; undefined off the schema. */
export function schemaAt(root: z.ZodType, rootValue: unknown, path: readonly PropertyKey[]): z.ZodType | undefined {
  let schema: z.ZodType = root;
  let value = rootValue;
  for (const segment of path) {
    const node = nodeOf(schema, value);
    if (node.kind === "object") {
      const next = node.shape[String(segment)];
      if (!next) return undefined;
      schema = next;
    } else if (node.kind === "record" || node.kind === "array") {
      schema = node.inner;
    } else {
      return undefined;
    }
    value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  return schema;
}

/** The keys an object at this path takes (the matching variant's, for a union); undefined when it is no object. */
export function allowedKeysAt(root: z.ZodType, rootValue: unknown, path: readonly PropertyKey[]): string[] | undefined {
  const schema = schemaAt(root, rootValue, path);
  if (!schema) return undefined;
  let value: unknown = rootValue;
  for (const segment of path) value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
  const node = nodeOf(schema, value);
  return node.kind === "object" ? Object.keys(node.shape) : undefined;
}

function metaOf(schema: z.ZodType): { description?: string; examples?: unknown[] } {
  const merged: { description?: string; examples?: unknown[] } = {};
  for (const s of unwrap(schema).chain) {
    const meta = z.globalRegistry.get(s) as { description?: string; examples?: unknown[] } | undefined;
    merged.description ??= meta?.description;
    merged.examples ??= meta?.examples;
  }
  return merged;
}

export function descriptionOf(schema: z.ZodType): string | undefined {
  return metaOf(schema).description;
}

/**
 * A value to show after "e.g.": the field's own `examples` meta, else what its type allows (an enum's values, a
 * boolean, a number's lower bound); undefined when nothing honest can be said.
 */
export function exampleOf(schema: z.ZodType): string | undefined {
  const { examples } = metaOf(schema);
  if (examples && examples.length > 0) return examples.map((e) => `\`${typeof e === "string" ? e : JSON.stringify(e)}\``).join(" or ");
  const def = defOf(unwrap(schema).schema);
  if (def.type === "enum") return Object.values(def.entries ?? {}).map((v) => `\`${String(v)}\``).join(" or ");
  if (def.type === "literal") return (def.values ?? []).map((v) => `\`${String(v)}\``).join(" or ");
  if (def.type === "boolean") return "`true` or `false`";
  if (def.type === "number") {
    const min = def.checks?.map((c) => c._zod.def).find((c) => c.check === "greater_than" && c.inclusive);
    return `\`${typeof min?.value === "number" ? min.value : 1}\``;
  }
  return undefined;
}

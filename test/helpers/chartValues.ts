import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

/** Upstream chart defaults saved beside the repository (CI has `shared/` beside the clone). */
export const SHARED_CHARTS_DIR = resolve(PROJECT_DIR, "..", "shared", "charts");

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Resolves a local JSON pointer ($ref "#/a/b"), including keys with dots such as "_definitions.json". */
function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}: only local references are resolved`);
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isMap(node)) return undefined;
    node = node[key];
  }
  return node as Schema | undefined;
}

/** The schema alternatives in force at one node, with $ref, allOf, anyOf and oneOf flattened. */
function alternatives(root: Schema, schema: Schema | boolean | undefined, seen = new Set<Schema>()): Schema[] {
  if (schema === undefined || schema === false) return [];
  if (schema === true) return [{}];
  if (seen.has(schema)) return [];
  seen.add(schema);
  const out = [schema];
  if (schema.$ref) out.push(...alternatives(root, resolveRef(root, schema.$ref), seen));
  for (const list of [schema.allOf, schema.anyOf, schema.oneOf]) for (const s of list ?? []) out.push(...alternatives(root, s, seen));
  return out;
}

type Lookup = "free" | "known" | "unknown";

/**
 * What the schema says about a path: `free` once a node is a map without listed properties (additionalProperties
 * not false: everything beneath is the user's), `known` when every segment is a listed or pattern property.
 * A node that lists properties is never free, even with additionalProperties true: helm-schema emits that on most
 * objects, and treating it as free would accept every misspelling.
 */
function schemaLookup(root: Schema | undefined, path: string[]): Lookup {
  if (!root) return "unknown";
  let nodes = alternatives(root, root);
  for (const segment of path) {
    if (nodes.some((n) => !n.properties && !n.patternProperties && n.additionalProperties !== undefined && n.additionalProperties !== false)) return "free";
    const next: Schema[] = [];
    for (const n of nodes) {
      const property = n.properties?.[segment];
      if (property !== undefined) next.push(...alternatives(root, property));
      for (const [pattern, s] of Object.entries(n.patternProperties ?? {})) if (new RegExp(pattern).test(segment)) next.push(...alternatives(root, s));
    }
    if (next.length === 0) return "unknown";
    nodes = next;
  }
  return "known";
}

/** The same over values.yaml: a key that exists is known; beneath an empty map, empty list or null default is free. */
function defaultsLookup(defaults: unknown, path: string[]): Lookup {
  let node = defaults;
  for (const segment of path) {
    if (node === null || (Array.isArray(node) && node.length === 0) || (isMap(node) && Object.keys(node).length === 0)) return "free";
    if (!isMap(node) || !(segment in node)) return "unknown";
    node = node[segment];
  }
  return "known";
}

const chartCache = new Map<string, { defaults: unknown; schema?: Schema }>();
/** A chart folder: absolute, or a name under SHARED_CHARTS_DIR such as `loki-18.11.0`. */
function loadChart(chartDirOrName: string) {
  const chartDir = resolve(SHARED_CHARTS_DIR, chartDirOrName);
  let chart = chartCache.get(chartDir);
  if (!chart) {
    const valuesFile = join(chartDir, "values.yaml");
    if (!existsSync(valuesFile)) throw new Error(`${valuesFile} does not exist: the chart's upstream defaults are needed to check values`);
    const schemaFile = join(chartDir, "values.schema.json");
    chart = { defaults: yaml.load(readFileSync(valuesFile, "utf8")), ...(existsSync(schemaFile) ? { schema: JSON.parse(readFileSync(schemaFile, "utf8")) as Schema } : {}) };
    chartCache.set(chartDir, chart);
  }
  return chart;
}

/**
 * `chartDir` is a folder holding the chart's values.yaml (and values.schema.json when upstream has one): an absolute
 * path, or a folder name under SHARED_CHARTS_DIR such as `loki-18.11.0`.
 * Leaf paths (dot-separated) that `values` sets and the chart knows neither in its values.yaml nor in its
 * values.schema.json, except beneath free maps (an empty `{}`/`[]`/null default, or a schema map without listed
 * properties). Helm ignores such values silently, so each one is a setting that does nothing.
 */
export function unknownValuePaths(chartDir: string, values: object): string[] {
  const { defaults, schema } = loadChart(chartDir);
  const unknown: string[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (path.length > 0) {
      const d = defaultsLookup(defaults, path);
      const s = schemaLookup(schema, path);
      if (d === "free" || s === "free") return;
      if (d === "unknown" && s === "unknown") {
        // Report every leaf of an unknown subtree, so the message shows what was meant.
        const leaves = (v: unknown, p: string[]): string[] => (isMap(v) && Object.keys(v).length > 0 ? Object.entries(v).flatMap(([k, c]) => leaves(c, [...p, k])) : [p.join(".")]);
        unknown.push(...leaves(value, path));
        return;
      }
    }
    if (isMap(value)) for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(values, []);
  return unknown;
}

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

/** Upstream chart defaults saved beside the repository (CI has them there too): `<chart>-<version>/values.yaml`. */
export const SHARED_CHARTS_DIR = resolve(PROJECT_DIR, "..", "shared", "charts");

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The schema alternatives that apply at one node, with $ref, allOf, anyOf and oneOf flattened out. */
function expand(root: Schema, schema: Schema | boolean | undefined, seen = new Set<Schema>()): Schema[] {
  if (schema === undefined || schema === false) return [];
  if (schema === true) return [{}];
  if (seen.has(schema)) return [];
  seen.add(schema);
  const out: Schema[] = [schema];
  if (schema.$ref) {
    if (!schema.$ref.startsWith("#/")) throw new Error(`unsupported $ref ${schema.$ref}: only local references are resolved`);
    let target: unknown = root;
    for (const part of schema.$ref.slice(2).split("/")) target = isObject(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    if (!isObject(target)) throw new Error(`$ref ${schema.$ref} does not resolve`);
    out.push(...expand(root, target as Schema, seen));
  }
  for (const list of [schema.allOf, schema.anyOf, schema.oneOf]) for (const s of list ?? []) out.push(...expand(root, s, seen));
  return out;
}

/**
 * A schema documenting a free map: an object (or untyped) schema that names no properties and leaves extra keys
 * open. A structured object that merely tolerates extras (`properties` plus `additionalProperties: true`, as the
 * root of most chart schemas is) is not free: its keys are still checked, or every typo would pass.
 */
function isFreeSchema(s: Schema): boolean {
  if (s.properties || s.patternProperties || s.$ref || s.allOf || s.anyOf || s.oneOf) return false;
  if (s.additionalProperties === false || isObject(s.additionalProperties)) return false;
  const types = s.type === undefined ? ["object"] : Array.isArray(s.type) ? s.type : [s.type];
  return types.includes("object");
}

function childSchemas(root: Schema, schemas: Schema[], key: string): Schema[] {
  const out: Schema[] = [];
  for (const s of schemas) {
    const named = s.properties?.[key];
    const patterned = Object.entries(s.patternProperties ?? {}).filter(([p]) => new RegExp(p).test(key)).map(([, v]) => v);
    if (named) out.push(...expand(root, named));
    for (const p of patterned) out.push(...expand(root, p));
    if (!named && patterned.length === 0 && isObject(s.additionalProperties)) out.push(...expand(root, s.additionalProperties as Schema));
  }
  return out;
}

/** Where the walk is in the defaults: absent, or present with its default value. */
type DefaultNode = { present: false } | { present: true; value: unknown };

/** A default the chart documents as free: an empty map, or a key with no default value at all (`key:`). */
const isFreeDefault = (d: DefaultNode, value: unknown) =>
  d.present && (d.value === null || (isObject(d.value) && Object.keys(d.value).length === 0) || (Array.isArray(d.value) && Array.isArray(value)));

/**
 * Every leaf path of `values` that the chart neither has in its upstream defaults (`values.yaml`) nor admits in its
 * `values.schema.json` (when it ships one). Beneath a key the chart documents as free (an empty `{}` map or a key
 * with a null default in values.yaml, unless the schema names that map's keys; a schema object with
 * `additionalProperties` and no named properties) anything is accepted, and a list set where the default is a list is accepted as a whole: its items are the
 * user's own. A misspelt key is silently ignored by Helm, so this is how a typo in Strata's values gets caught.
 */
export function unknownValuePaths(chartDir: string, values: object): string[] {
  const dir = join(SHARED_CHARTS_DIR, chartDir);
  const valuesFile = join(dir, "values.yaml");
  if (!existsSync(valuesFile)) throw new Error(`no chart defaults at ${valuesFile}`);
  const defaults = yaml.load(readFileSync(valuesFile, "utf8")) ?? {};
  const schemaFile = join(dir, "values.schema.json");
  const root = existsSync(schemaFile) ? (JSON.parse(readFileSync(schemaFile, "utf8")) as Schema) : undefined;

  const unknown: string[] = [];
  // `schemas` is undefined when the chart has no schema, [] when the schema does not admit this path.
  const walk = (value: unknown, path: string[], d: DefaultNode, schemas: Schema[] | undefined) => {
    const known = d.present || (schemas !== undefined && schemas.length > 0);
    if (!known) {
      if (isObject(value) && Object.keys(value).length > 0) for (const [k, v] of Object.entries(value)) walk(v, [...path, k], d, schemas);
      else unknown.push(path.join("."));
      return;
    }
    // An empty `{}` default is a free map unless the schema names its keys (e.g. thanos-community's `timeouts: {}`).
    const schemaNamesKeys = schemas?.some((s) => s.properties !== undefined || s.patternProperties !== undefined) ?? false;
    if ((isFreeDefault(d, value) && !(schemaNamesKeys && isObject(value))) || schemas?.some(isFreeSchema)) return;
    if (!isObject(value)) return;
    for (const [k, v] of Object.entries(value)) {
      const child: DefaultNode = d.present && isObject(d.value) && Object.hasOwn(d.value, k) ? { present: true, value: d.value[k] } : { present: false };
      walk(v, [...path, k], child, root && schemas ? childSchemas(root, schemas, k) : undefined);
    }
  };
  walk(values, [], { present: true, value: defaults }, root ? expand(root, root) : undefined);
  return unknown;
}

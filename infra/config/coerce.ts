import type { z } from "zod";

/**
 * `pulumi config set --path strata:metrics.prometheus.replicas 2` and hand-written YAML (`"1.5"`, `"true"`) hand the
 * program strings where the schema wants a number or a boolean. Rather than a rule per field, the schema says where:
 * every "expected number/boolean, received string" issue whose string reads as one is converted at its path, and the
 * config is parsed again. A string that reads as neither stays, and its error names the key.
 */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN: Record<string, boolean> = { true: true, false: false };

function asScalar(expected: string, text: string): { value: unknown } | undefined {
  const trimmed = text.trim();
  if ((expected === "number" || expected === "int") && NUMBER.test(trimmed)) return { value: Number(trimmed) };
  if (expected === "boolean" && trimmed.toLowerCase() in BOOLEAN) return { value: BOOLEAN[trimmed.toLowerCase()] };
  return undefined;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<PropertyKey, unknown>;
  copy[head!] = setAt(copy[head!], rest, value);
  return copy;
}

/** Issues with the paths they apply at; a union's branches are looked into, each branch's paths relative to it. */
function typeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; expected: string }[] {
  const found: { path: PropertyKey[]; expected: string }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_type" && ["number", "int", "boolean"].includes(issue.expected)) found.push({ path, expected: issue.expected });
    if (issue.code === "invalid_union") for (const branch of issue.errors) found.push(...typeIssues(branch, path));
  }
  return found;
}

// Each round converts every value one parse reports; unions can reveal deeper values only once a branch matches.
const MAX_ROUNDS = 8;

export function coerceWrittenScalars(schema: z.ZodType, input: unknown): unknown {
  let value = input;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const parsed = schema.safeParse(value);
    if (parsed.success) return value;
    let changed = false;
    for (const { path, expected } of typeIssues(parsed.error.issues)) {
      const current = valueAt(value, path);
      if (typeof current !== "string") continue;
      const scalar = asScalar(expected, current);
      if (!scalar) continue;
      value = setAt(value, path, scalar.value);
      changed = true;
    }
    if (!changed) return value;
  }
  return value;
}

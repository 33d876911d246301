import { Resource } from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { createRequire } from "node:module";
import { planSerializeResourceProperties, rpc } from "./plainSerialization";

// The offline plan's engine runs in-process and reads only part of what the SDK prepares for an engine. Three
// preparations cost a large plan much of its time and are never read, so while a plan runs they are skipped; and
// plain input data is serialized without an awaited call per node (plainSerialization.ts).
// test/planMonitor.test.ts compares whole plans made with and without these shortcuts (the `stock` engine).

/**
 * Every property map the SDK sends (a resource's inputs, a component's outputs, an invoke's arguments) is built
 * into a protobuf Struct only to be read straight back with `toJavaScript()`; that was about a sixth of a
 * 100-target plan's CPU time. The Struct made here carries the JavaScript value instead. It is a real Struct (so
 * the request setters accept it); the ways it could be read as protobuf data (its fields, its bytes, a copy) throw,
 * so nothing can mistake it for an empty map. Nothing in the plan serializes a request to bytes (there is no gRPC).
 */
function plainStruct(value: Record<string, unknown>): Struct {
  const struct = new Struct();
  const refuse = (what: string) => () => {
    throw new Error(`infra/plan/shortcuts.ts: a plan-only Struct was read as protobuf (${what}); only toJavaScript() is supported`);
  };
  Object.assign(struct, {
    toJavaScript: () => value,
    getFieldsMap: refuse("getFieldsMap"),
    serializeBinary: refuse("serializeBinary"),
    toObject: refuse("toObject"),
    cloneMessage: refuse("cloneMessage"),
    clone: refuse("clone"),
  });
  return struct;
}

/**
 * For every resource the SDK captures the whole stack with no depth limit, parses each frame with a regular
 * expression and turns its path into a URL, so that `pulumi preview` can point at the line that declared it. The
 * plan records no source positions, so while it runs every resource reports none, as it would from a REPL.
 */
const noSourcePositions = (): never[] => [];

/**
 * The SDK wraps each of its internal promises (several per resource) to report, when the process exits, the ones
 * that never settled: three property definitions, an Error for a stack, a set entry and two more chained promises
 * each, about a seventh of a 100-target plan's time. In the plan the CLI reports a run that never finished itself
 * (infra/plan/settlement.ts), and a test whose plan never finishes times out.
 */
const undecorated = <T>(promise: Promise<T>): Promise<T> => promise;
// The SDK calls it through its module object, so that object (from Node's own module cache, not a bundler's or a
// test runner's import wrapper) is what gets the replacement. Its typings leave it out.
const debuggable = createRequire(__filename)("@pulumi/pulumi/runtime/debuggable") as object;

interface Patch {
  target: Record<string, unknown>;
  key: string;
  replacement: unknown;
  stock: unknown;
}

function patch(target: object, key: string, replacement: unknown): Patch {
  const t = target as Record<string, unknown>;
  if (typeof t[key] !== "function") {
    throw new Error(`infra/plan/shortcuts.ts: the SDK no longer has ${key}; update the plan's shortcuts`);
  }
  return { target: t, key, replacement, stock: t[key] };
}

const PATCHES = [
  patch(Struct, "fromJavaScript", plainStruct),
  patch(Resource, "stackTrace", noSourcePositions),
  patch(debuggable, "debuggablePromise", undecorated),
  patch(rpc, "serializeResourceProperties", planSerializeResourceProperties(rpc.serializeResourceProperties)),
];
let activeRuns = 0;

/** Runs `body` with the shortcuts; they stay installed while any run that asked for them is in flight. */
export async function withPlanShortcuts<T>(body: () => Promise<T>): Promise<T> {
  if (activeRuns++ === 0) for (const p of PATCHES) p.target[p.key] = p.replacement;
  try {
    return await body();
  } finally {
    if (--activeRuns === 0) for (const p of PATCHES) p.target[p.key] = p.stock;
  }
}

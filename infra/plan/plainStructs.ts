import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/**
 * In the offline plan the engine runs in-process: every property map the SDK sends it (a resource's inputs, a
 * component's outputs, an invoke's arguments) is built into a protobuf Struct only to be read straight back with
 * `toJavaScript()` by the monitor. Building those Structs was about a sixth of a 100-target plan's CPU time.
 *
 * While a plan runs, `Struct.fromJavaScript` returns a Struct that carries the JavaScript value itself. It is a
 * real Struct (so the request setters accept it) whose `toJavaScript()` returns that value; the ways it could be
 * read as protobuf data (its fields, its bytes, a copy) throw, so nothing can mistake it for an empty map. Nothing
 * in the plan serializes a request to bytes (there is no gRPC), and test/planMonitor.test.ts compares whole plans
 * built with and without these Structs.
 */
interface StructStatics {
  fromJavaScript(value: Record<string, unknown>): Struct;
}
const statics = Struct as unknown as StructStatics;
const stockFromJavaScript = statics.fromJavaScript;

function plainStruct(value: Record<string, unknown>): Struct {
  const struct = new Struct();
  const refuse = (what: string) => () => {
    throw new Error(`infra/plan/plainStructs.ts: a plan-only Struct was read as protobuf (${what}); only toJavaScript() is supported`);
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

let activeRuns = 0;

/** Runs `body` with plain Structs; they stay installed while any run that asked for them is in flight. */
export async function withPlainStructs<T>(body: () => Promise<T>): Promise<T> {
  if (activeRuns++ === 0) statics.fromJavaScript = plainStruct;
  try {
    return await body();
  } finally {
    if (--activeRuns === 0) statics.fromJavaScript = stockFromJavaScript;
  }
}

import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { planSerializeResourceProperties, plainCopy, rpc } from "../infra/plan/plainSerialization";

// The plan serializes plain input data itself (infra/plan/plainSerialization.ts). Whatever it is given, it must
// return what the SDK's own serializeResourceProperties returns: the same values and the same dependencies.
pulumi.runtime.setMocks(
  {
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => args.inputs,
  },
  "project",
  "stack",
  false,
);

type Props = Record<string, unknown>;
const stock = rpc.serializeResourceProperties;
const plan = planSerializeResourceProperties(stock);
// OutputImpl's constructor: resources, value, isKnown, isSecret, all resources.
const OutputImpl = pulumi.Output as unknown as new (...args: unknown[]) => pulumi.Output<unknown>;
const valueOf = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply((v) => (resolve(v), v)));
class Thing extends pulumi.CustomResource {
  constructor(name: string, size: number) {
    super("test:index:Thing", name, { size });
  }
}
const unknownOutput = (secret: boolean) => new OutputImpl(new Set(), Promise.resolve(undefined), Promise.resolve(false), Promise.resolve(secret), Promise.resolve(new Set()));

async function both(props: () => Props) {
  const [ours, ourDeps] = await plan("resource:t", props());
  const [sdk, sdkDeps] = await stock("resource:t", props());
  const urns = async (deps: Map<string, Set<pulumi.Resource>>) =>
    Object.fromEntries(await Promise.all([...deps].map(async ([k, set]) => [k, (await Promise.all([...set].map((r) => valueOf(r.urn)))).sort()] as const)));
  return { ours, sdk, ourDeps: await urns(ourDeps), sdkDeps: await urns(sdkDeps), ourKeys: Object.keys(ours), sdkKeys: Object.keys(sdk) };
}

describe("plain input data, serialized by the plan", () => {
  it("copies plain data as the SDK does: undefined keys left out, functions dropped, null for both in arrays", () => {
    const fn = () => 1;
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    expect(plainCopy({ a: 1, b: undefined, c: fn, d: [1, undefined, fn, "x"], e: { f: null, g: true }, h: nullProto })).toEqual({
      a: 1,
      d: [1, null, null, "x"],
      e: { f: null, g: true },
      h: { a: 1 },
    });
  });

  it("returns the SDK's values and dependencies for plain data, outputs, secrets, unknowns and resources", async () => {
    const thing = new Thing("thing", 1);
    const other = new Thing("other", 2);
    const result = await both(() => ({
      id: "ignored",
      urn: "ignored",
      plain: { name: "job", list: [1, "two", { three: 3 }], nothing: undefined, fn: () => 0 },
      emptyArray: [],
      output: thing.id.apply((id) => ({ spec: { image: "x", args: ["a", id] } })),
      nested: { deep: other.id, plain: "p" },
      outputOfNested: pulumi.output({ inner: other.urn }).apply((v) => v),
      secret: pulumi.secret({ password: "s3cret" }),
      unknown: unknownOutput(false),
      unknownSecret: unknownOutput(true),
      promise: Promise.resolve({ a: [1, 2] }),
      resource: thing,
      missing: undefined,
      nullValue: null,
      fn: () => 1,
    }));
    expect(result.ours).toEqual(result.sdk);
    expect(result.ourKeys).toEqual(result.sdkKeys);
    expect(result.ourDeps).toEqual(result.sdkDeps);
    // The cases are not vacuous: dependencies were found, secrets and unknowns were marked.
    expect(result.sdkDeps.output?.length).toBe(1);
    expect(result.sdkDeps.nested?.length).toBe(1);
    expect(JSON.stringify(result.sdk.secret)).toContain("s3cret");
    expect(result.sdk.unknown).toBe(rpc.unknownValue);
  });

  it("reports a failing property by name, as the SDK does", async () => {
    const failing = () => ({ ok: 1, broken: Promise.reject(new Error("boom")) });
    await expect(plan("resource:t", failing())).rejects.toThrow('error serializing property "broken": boom');
    await expect(stock("resource:t", failing())).rejects.toThrow('error serializing property "broken": boom');
  });
});

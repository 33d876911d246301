import { describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { runPlan, type Plan, type PlanRequest } from "../infra/plan/harness";
import { stackConfig, STACKS, withConfig } from "./helpers/plan";

// The plan's engine takes shortcuts (infra/plan/recordingMonitor.ts, infra/plan/shortcuts.ts). The stock engine
// does all the SDK's preparation and lets its own MockMonitor answer; a difference between the two plans is a
// difference in what the program was told or what the plan recorded.
async function planWith(stack: (typeof STACKS)[number], engine: PlanRequest["engine"], changes: Record<string, unknown> = {}): Promise<Plan> {
  const outcome = await runPlan({ project: "strata", stack, config: withConfig(stackConfig(stack), changes), engine });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.plan;
}

const manyTargets = Array.from({ length: 3 }, (_, i) => ({
  name: `pg-${i}`,
  kind: "postgresql",
  host: `pg-${i}.data.svc.cluster.local`,
  database: "app",
  user: "strata_backup",
  passwordSecret: { name: `pg-${i}-backup`, key: "password" },
}));

describe("the plan's engine", () => {
  for (const stack of STACKS) {
    it(`answers the ${stack} program exactly as the stock mock engine does`, async () => {
      const changes = stack === "prod" ? { backups: { targets: manyTargets } } : {};
      const fast = await planWith(stack, "plan", changes);
      const stock = await planWith(stack, "stock", changes);
      expect(fast.resources.length).toBeGreaterThan(50);
      // Same resources, inputs and options. Key order aside (protobuf maps sort their keys), and registration order
      // aside: it follows promise scheduling, which the SDK's promise bookkeeping changes.
      const byUrn = (p: Plan) => [...p.resources].sort((a, b) => a.urn.localeCompare(b.urn));
      expect(byUrn(fast)).toEqual(byUrn(stock));
      // Stack outputs are built from what the engine answered (ids, ARNs, names), so they catch a wrong answer.
      expect(fast.outputs).toEqual(stock.outputs);
      expect(fast.policies).toEqual(stock.policies);
    });
  }

  it("hands the program the mocks' state, so outputs derived from engine answers are the mocks' values", async () => {
    const plan = await planWith("prod", "plan");
    const buckets = (plan.outputs.archive as { buckets: Record<string, { name: string; arn: string }> }).buckets;
    expect(Object.keys(buckets).length).toBeGreaterThan(0);
    for (const bucket of Object.values(buckets)) expect(bucket.arn).toBe(`arn:aws:s3:::${bucket.name}`);
  });

  it("puts the SDK back as it was once a plan is done", async () => {
    const { Struct } = await import("google-protobuf/google/protobuf/struct_pb");
    const { Resource } = await import("@pulumi/pulumi");
    // The SDK's typings leave these out; read them as the SDK does. Checked by name: earlier plans in this file ran
    // before this test could look, so the stock functions cannot be captured first.
    const debuggable = createRequire(__filename)("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: { name: string } };
    const sdkResource = Resource as unknown as { stackTrace: { name: string } };
    await planWith("dev", "plan");
    expect(Struct.fromJavaScript({ a: 1 }).getFieldsMap().get("a")?.getNumberValue()).toBe(1);
    expect(sdkResource.stackTrace.name).toBe("stackTrace");
    expect(debuggable.debuggablePromise.name).toBe("debuggablePromise");
  });
});

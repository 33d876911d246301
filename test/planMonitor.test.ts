import { describe, expect, it } from "vitest";
import { MockMonitor, type Mocks } from "@pulumi/pulumi/runtime/mocks";
import { runPlan, type Plan } from "../infra/plan/harness";
import { RecordingMonitor, recordRegistration, type Callback, type RegisterRequest } from "../infra/plan/recordingMonitor";
import { stackConfig, STACKS, withConfig } from "./helpers/plan";

/**
 * The plan's monitor answers registrations itself, without the protobuf round trip of the SDK's stock
 * MockMonitor. This monitor answers through the stock code instead and records the same way, so a difference
 * between the two plans is a difference in what the engine answered.
 */
class StockAnsweringMonitor extends RecordingMonitor {
  override registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    const stock = MockMonitor.prototype.registerResource as (this: MockMonitor, req: unknown, cb: Callback) => Promise<void>;
    return stock.call(this, req, (err, response) => {
      if (!err && response) this.recorded.push(recordRegistration(req, (response as { getUrn(): string }).getUrn(), req.getObject()?.toJavaScript() ?? {}));
      callback(err, response);
    });
  }
}

async function planWith(stack: (typeof STACKS)[number], monitor?: (mocks: Mocks) => RecordingMonitor, changes: Record<string, unknown> = {}): Promise<Plan> {
  const outcome = await runPlan({ project: "strata", stack, config: withConfig(stackConfig(stack), changes), ...(monitor ? { monitor } : {}) });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.plan;
}

describe("the plan's monitor", () => {
  for (const stack of STACKS) {
    it(`answers the ${stack} program exactly as the SDK's stock mock monitor does`, async () => {
      const fast = await planWith(stack);
      const stock = await planWith(stack, (mocks) => new StockAnsweringMonitor(mocks));
      expect(fast.resources.length).toBeGreaterThan(50);
      expect(fast.resources).toEqual(stock.resources);
      // Stack outputs are built from what the engine answered (ids, ARNs, names), so they catch a wrong answer.
      expect(fast.outputs).toEqual(stock.outputs);
      expect(fast.policies).toEqual(stock.policies);
    });
  }

  it("hands the SDK the mocks' state, so outputs derived from engine answers are the mocks' values", async () => {
    const plan = await planWith("prod");
    const buckets = (plan.outputs.archive as { buckets: Record<string, { name: string; arn: string }> }).buckets;
    expect(Object.keys(buckets).length).toBeGreaterThan(0);
    for (const bucket of Object.values(buckets)) expect(bucket.arn).toBe(`arn:aws:s3:::${bucket.name}`);
  });
});

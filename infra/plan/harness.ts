import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import type { CapabilityLine } from "../capabilities";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { setAllConfig } from "@pulumi/pulumi/runtime/config";
import { strata } from "../program";
import { ConfigError } from "../config/errors";
import { NAMESPACE, resolveConfig } from "../config/load";
import { RecordingMonitor, StockAnsweringMonitor, type RecordedResource } from "./recordingMonitor";
import { withPlanShortcuts } from "./shortcuts";
import { strataMocks } from "./mocks";
import type { StackConfig } from "./stackFile";
import { SECRET_TEXT } from "./serialized";
import { DEFAULT_POLICY_CONFIG, readPackConfig, withStackStorageClass } from "./policyConfig";
import { STORAGE_CLASS } from "../adoption";
import { getStore, waitForRPCs, withLocalStorage } from "./pulumiInternals";
import { evaluatePlan } from "../../policies/core/evaluate";
import type { PackConfig } from "../../policies/core/types";
import { POLICIES } from "../../policies/rules";

/** One violation of Strata's policy pack (policies/), as the pack's pure core reports it. */
export type { PackViolation as PolicyViolation } from "../../policies/core/types";
import type { PackViolation as PolicyViolation } from "../../policies/core/types";

/** The plan contract (DESIGN §5): what `--json FILE` writes and what the tests read. */
export interface Plan {
  stack: string;
  project: string;
  /** Effective `strata:` config after profile defaults, secrets shown as "[secret]". */
  config: Record<string, unknown>;
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  policies: { evaluated: string[]; violations: PolicyViolation[] };
  /**
   * What the plan could not check or chose for the stack: secret keys set as ciphertext it could not decrypt (only
   * their presence was checked), and profile defaults adjusted to fit the stack (infra/config/defaults.ts).
   */
  configNotes: { uncheckedSecrets: string[]; adjustedDefaults: { key: string; message: string }[]; capabilities: CapabilityLine[] };
}

export type PlanOutcome = { ok: true; plan: Plan } | { ok: false; error: ConfigError; resources: RecordedResource[] };

export interface PlanRequest {
  project: string;
  stack: string;
  config: StackConfig;
  /** Policy pack config (the JSON `pulumi preview --policy-pack-config` takes); policies/config.json when absent. */
  policyConfig?: PackConfig;
  /**
   * How the in-process engine answers: `plan` (the default) with the shortcuts described in recordingMonitor.ts and
   * shortcuts.ts; `stock` does all the SDK's preparation and lets its own MockMonitor answer registrations.
   * Tests compare the two.
   */
  engine?: "plan" | "stock";
}

function rawStrataConfig(config: StackConfig) {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(config.values)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    const short = key.slice(NAMESPACE.length + 1);
    values[short] = value;
    if (config.secretKeys.includes(key)) secretKeys.add(short);
  }
  return { values, secretKeys };
}

function mockEnvironment(request: PlanRequest) {
  const raw = rawStrataConfig(request.config);
  let clusterOutputNames: Record<string, string> = {};
  try {
    const cluster = JSON.parse(raw.values.cluster ?? "{}") as { outputs?: Record<string, string> };
    clusterOutputNames = cluster.outputs ?? {};
  } catch {
    // Invalid cluster config is reported by validation; the mock only needs names when it is valid.
  }
  return { stack: request.stack, defaultRegion: raw.values.region ?? "eu-central-1", clusterOutputNames };
}

/**
 * Runs the real Strata program under Pulumi's mock engine and returns every resource it declared with its
 * inputs and options, and the stack outputs. The offline plan CLI and the test suites both call this, so they
 * can never disagree about what the program does. Each run gets its own runtime store, so runs do not leak
 * into each other within one process.
 */
export function runPlan(request: PlanRequest): Promise<PlanOutcome> {
  return request.engine === "stock" ? plan(request) : withPlanShortcuts(() => plan(request));
}

function plan(request: PlanRequest): Promise<PlanOutcome> {
  return withLocalStorage(async () => {
    const mocks = strataMocks(mockEnvironment(request));
    const monitor = request.engine === "stock" ? new StockAnsweringMonitor(mocks) : new RecordingMonitor(mocks);
    setMockOptions(monitor, request.project, request.stack, false);
    const store = getStore();
    // The same feature set pulumi.runtime.setMocks enables.
    Object.assign(store, {
      supportsSecrets: true,
      supportsResourceReferences: true,
      supportsOutputValues: false,
      supportsDeletedWith: true,
      supportsAliasSpecs: true,
      supportsTransforms: true,
      supportsInvokeTransforms: true,
      supportsParameterization: true,
    });
    setAllConfig(request.config.values, request.config.secretKeys);

    // Invalid config is an expected outcome of a plan, not a crash: record it and let the stack finish empty
    // (rethrowing would also reject the stack's own output promise, which nothing awaits).
    // Any other failure is rethrown once, after the runtime has settled, for the same reason.
    let configError: ConfigError | undefined;
    let failure: unknown;
    await runInPulumiStack(async () => {
      try {
        return await strata();
      } catch (error) {
        if (error instanceof ConfigError) configError = error;
        else failure = error;
        return {};
      }
    });
    await waitForRPCs();
    if (failure !== undefined) throw failure;
    const resources = monitor.recorded;
    if (configError) return { ok: false, error: configError, resources };

    const stackResource = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const outputs = (stackResource && monitor.outputsByUrn.get(stackResource.urn)) ?? {};
    const effective = resolveConfig(rawStrataConfig(request.config));
    const config: Record<string, unknown> = { ...effective.config };
    for (const key of Object.keys(effective.secrets)) config[key] = SECRET_TEXT;

    // The whole policy pack, on exactly what was recorded: the same pure policies `pulumi preview --policy-pack
    // policies` runs (policies/README.md).
    const packConfig = withStackStorageClass(request.policyConfig ?? readPackConfig(DEFAULT_POLICY_CONFIG), effective.config.storage.className, Object.values(STORAGE_CLASS));
    const policies = evaluatePlan(POLICIES, { config, resources }, packConfig);
    const configNotes = { uncheckedSecrets: effective.uncheckedSecrets, adjustedDefaults: effective.notes, capabilities: effective.capabilities };
    return { ok: true, plan: { stack: request.stack, project: request.project, config, resources, outputs, policies, configNotes } };
  });
}

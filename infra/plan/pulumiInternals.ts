// The offline plan needs three SDK internals that the Automation API's inline programs also rely on but that the
// SDK's typings leave out: a per-run runtime store, the RPC queue drain, and the store itself (to enable the same
// monitor features `setMocks` enables). They are bound here, in one place, and checked, so an SDK upgrade that
// moves them fails loudly with this file's name instead of producing an empty plan.
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as state from "@pulumi/pulumi/runtime/state";

interface Internals {
  withLocalStorage<T>(callback: () => Promise<T>): Promise<T>;
  getStore(): Record<string, unknown>;
  waitForRPCs(): Promise<void>;
}

function bind(): Internals {
  const s = state as unknown as Partial<Internals>;
  const t = settings as unknown as Partial<Internals>;
  const missing = [
    typeof s.withLocalStorage !== "function" && "runtime/state.withLocalStorage",
    typeof s.getStore !== "function" && "runtime/state.getStore",
    typeof t.waitForRPCs !== "function" && "runtime/settings.waitForRPCs",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(`infra/plan/pulumiInternals.ts: @pulumi/pulumi no longer provides ${missing.join(", ")}`);
  }
  return { withLocalStorage: s.withLocalStorage!, getStore: s.getStore!, waitForRPCs: t.waitForRPCs! };
}

export const { withLocalStorage, getStore, waitForRPCs } = bind();

/**
 * The backup contract, defined once: the archive's key layout (layout.ts), the manifest and latest.json (manifest.ts),
 * the metric names (metrics.ts), the exit statuses (exitCodes.ts), and the phases with their timeouts (phases.ts).
 * The plan, `npm run restore-job`, the tests and the in-pod runtime (which bundles it) import it; BACKUP_CONTRACT_ENV
 * below gives it as environment variables to a program that cannot. This folder imports nothing else of Strata, so
 * anything may import it.
 */
import { EXIT_ENV } from "./exitCodes";
import { LAYOUT_ENV } from "./layout";
import { MANIFEST_ENV } from "./manifest";
import { METRICS_ENV } from "./metrics";

export * from "./exitCodes";
export * from "./layout";
export * from "./manifest";
export * from "./metrics";
export * from "./phases";

/**
 * Every fact of the contract as environment variables, for a program that cannot import it (a shell script), plus
 * BACKUP_CONTRACT_NAMES: the list of these names, so that such a program can check they are all set.
 */
export const BACKUP_CONTRACT_ENV: Record<string, string> = (() => {
  const facts = { ...EXIT_ENV, ...LAYOUT_ENV, ...MANIFEST_ENV, ...METRICS_ENV };
  return { BACKUP_CONTRACT_NAMES: Object.keys(facts).join(" "), ...facts };
})();

/**
 * The backup contract, defined once: the archive's key layout (layout.ts), the manifest and latest.json (manifest.ts),
 * the metric names (metrics.ts), the exit statuses (exitCodes.ts), and the phases with their timeouts (phases.ts).
 * The plan, the in-pod runtime (which bundles it), `npm run restore-job` and the tests import it. This folder imports
 * nothing else of Strata, so anything may import it.
 */
export * from "./exitCodes";
export * from "./layout";
export * from "./manifest";
export * from "./metrics";
export * from "./phases";

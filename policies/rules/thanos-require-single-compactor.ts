import type { StackPolicy, Violation } from "../core/types";
import { HELM_TYPES, THANOS_CHARTS, isThanosRelease, thanosChart, thanosReleases } from "../core/charts";

/** Two compactors on one bucket race on the same blocks and corrupt or delete them; none lets the bucket grow forever. */
const policy: StackPolicy = {
  kind: "stack",
  subjects: HELM_TYPES,
  name: "strata-thanos-require-single-compactor",
  description: "When Thanos is deployed, exactly one Thanos compactor runs across all Thanos releases of the stack.",
  enforcementLevel: "mandatory",
  validate(resources) {
    // A Thanos chart no row of core/charts.ts describes cannot be checked: say so rather than pass it.
    const unknown: Violation[] = resources
      .filter((r) => isThanosRelease(r) && !thanosChart(r))
      .map((r) => ({ urn: r.urn, message: `${r.name} uses a Thanos chart (${r.props.repositoryOpts?.repo ?? ""} ${r.props.chart}) that the pack does not know (known: ${THANOS_CHARTS.map((c) => c.flavour).join(", ")}); add it to THANOS_CHARTS in policies/core/charts.ts.` }));
    const releases = thanosReleases(resources);
    if (!releases.length) return unknown;
    const counts = releases.map(({ release, chart }) => ({ release, n: chart.compactors(release.props.values ?? {}) }));
    const total = counts.reduce((s, c) => s + c.n, 0);
    if (total === 1) return unknown;
    const detail = counts.map((c) => `${c.release.name}: ${c.n}`).join(", ");
    const out: Violation[] = [...unknown, { urn: (counts.find((c) => c.n > 0) ?? counts[0]!).release.urn, message: `the stack runs ${total} Thanos compactor(s) (${detail}); exactly one must run.` }];
    return out;
  },
};
export default policy;

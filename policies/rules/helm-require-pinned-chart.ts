import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExactSemver, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-helm-require-pinned-chart",
  description: "Helm releases pin an exact chart version (semver, no ranges) or a chart digest; local chart paths are pinned by git.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.helmRelease, T.helmChartV4],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const chart = String(r.props.chart ?? "");
    if (/^(\.{0,2}\/)/.test(chart) || /@sha256:[0-9a-f]{64}$/.test(chart)) return [];
    return isExactSemver(r.props.version) ? [] : [{ message: `Helm chart ${chart || "?"} of ${r.name} has version ${JSON.stringify(r.props.version ?? null)}; pin an exact version such as 1.2.3.` }];
  },
};
export default policy;

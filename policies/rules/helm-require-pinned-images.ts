import type { ResourcePolicy } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, helmImages, isExcepted } from "../core/util";

/**
 * Walks the release's values for `image` strings and `image: { registry, repository, tag, digest }` objects.
 * Images a chart sets in its own defaults without a key in our values are not visible here: override them.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-helm-require-pinned-images",
  description: "Every image a Helm release's values set has an explicit tag other than latest (or a digest).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.helmRelease, T.helmChartV4],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    return helmImages(r.props.values)
      .filter((i) => i.problem)
      .map((i) => ({ message: `Helm release ${r.name} values.${i.path}: ${i.problem}.` }));
  },
};
export default policy;

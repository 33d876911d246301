import type { StackPolicy } from "../core/types";
import { HELM_TYPES } from "../core/charts";
import { simulateDeploy, type ProblemKind } from "../core/deployOrder";
import { EXCEPTIONS_SCHEMA, T, asArray, globMatch } from "../core/util";

/** The part of the deploy-order simulation this policy enforces; the rest (namespaces, mounts) is checked by the tests. */
const ENFORCED: readonly ProblemKind[] = ["kind", "crd-installer", "cycle"];

/**
 * On an empty cluster a custom resource fails ("no matches for kind") and a Helm release whose chart renders one
 * fails outright ("resource mapping not found", and Pulumi does not retry a failed release) unless whatever
 * installs the CRD is done first: the engine guarantees that only for what a resource depends on. This judges the
 * stack's declared dependencies as the first `pulumi up` would meet them (core/deployOrder.ts), including the kinds
 * each pinned chart renders given its values (core/chartKinds.ts), so it catches a user's own additions too.
 */
const policy: StackPolicy = {
  kind: "stack",
  subjects: [...HELM_TYPES, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", T.prometheusRule],
  name: "strata-customresource-require-crd-first",
  description:
    "Every custom resource, and every Helm release whose chart renders one, depends (directly or through others) on the release or CRD that installs its kind; that installer depends on none of them; and no dependency cycle exists.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      preinstalledGroups: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "API groups whose CRDs the cluster already has before this stack runs (installed by another stack or the cluster's own bootstrap), e.g. cert-manager.io.",
      },
    },
  },
  validate(resources, ctx) {
    const names = new Map(resources.map((r) => [r.urn, r.name]));
    const excepted = (urn: string) => asArray<string>(ctx.config.exceptions).some((p) => globMatch(p, names.get(urn) ?? ""));
    const { problems } = simulateDeploy(resources, { preinstalledGroups: asArray<string>(ctx.config.preinstalledGroups) });
    return problems.filter((p) => ENFORCED.includes(p.kind) && !excepted(p.urn)).map((p) => ({ urn: p.urn, message: p.message }));
  },
};
export default policy;

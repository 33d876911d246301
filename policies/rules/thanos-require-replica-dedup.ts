import type { StackPolicy, Violation } from "../core/types";
import { HELM_TYPES, prometheusReleases, thanosReleases } from "../core/charts";

/** Without deduplication on Prometheus's replica label, every HA pair shows each series twice in Thanos Query. */
const policy: StackPolicy = {
  kind: "stack",
  subjects: HELM_TYPES,
  name: "strata-thanos-require-replica-dedup",
  description: "Every Thanos Query deduplicates on the replica label kube-prometheus-stack's Prometheus sets (replicaExternalLabelName, default prometheus_replica), and HA Prometheus keeps that label.",
  enforcementLevel: "mandatory",
  validate(resources) {
    const out: Violation[] = [];
    const proms = prometheusReleases(resources);
    for (const p of proms) {
      if (p.replicas > 1 && p.replicaLabel === undefined) out.push({ urn: p.release.urn, message: `${p.release.name} runs ${p.replicas} Prometheus replicas with replicaExternalLabelNameClear: Thanos cannot deduplicate them.` });
    }
    for (const { release, chart } of thanosReleases(resources)) {
      const labels = chart.queryReplicaLabels(release.props.values ?? {});
      if (!labels) continue;
      for (const p of proms) {
        if (p.replicaLabel && !labels.includes(p.replicaLabel)) {
          out.push({ urn: release.urn, message: `Thanos Query of ${release.name} (${chart.flavour} chart) deduplicates on [${labels.join(", ")}], not on ${p.release.name}'s replica label ${p.replicaLabel}.` });
        }
      }
    }
    return out;
  },
};
export default policy;

import type { StackPolicy, Violation } from "../core/types";
import { PURPOSE_SCHEMA, lifecycleRulesOf, purposeOf } from "../core/buckets";
import { HELM_TYPES, lokiReleases, prometheusReleases, thanosReleases } from "../core/charts";
import { T } from "../core/util";

const fmt = (d: number | undefined) => (d === undefined ? "forever" : `${+d.toFixed(2)}d`);
const le = (a: number | undefined, b: number | undefined) => (b === undefined ? true : a !== undefined && a <= b);

/**
 * The retention model, checked on what is actually deployed: Prometheus local ≤ Thanos raw ≤ 5m ≤ 1h (raw ≥ 2d and
 * 5m ≥ 10d, or downsampling never sees its input), and a metrics/logs bucket's S3 expiration is later than the
 * component's own retention (it is a safety net; the compactors delete).
 */
const policy: StackPolicy = {
  kind: "stack",
  // Buckets are judged against the Helm releases' retention: without a release there is nothing to compare.
  subjects: HELM_TYPES,
  name: "strata-retention-require-ordering",
  description: "Prometheus retention <= Thanos raw <= 5m <= 1h (raw >= 2d, 5m >= 10d), and S3 expirations on metrics/logs buckets are later than Thanos's and Loki's retention.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...PURPOSE_SCHEMA } },
  validate(resources, ctx) {
    const out: Violation[] = [];
    const proms = prometheusReleases(resources);
    const thanos = thanosReleases(resources).filter(({ release, chart }) => chart.compactors(release.props.values ?? {}) > 0);
    let metricsKeepDays: number | undefined | null = null;
    for (const { release, chart } of thanos) {
      const r = chart.retentionDays(release.props.values ?? {});
      const chain: [string, number | undefined][] = [["raw", r.raw], ["5m", r.fiveMinute], ["1h", r.oneHour]];
      for (let i = 1; i < chain.length; i++) {
        if (!le(chain[i - 1]![1], chain[i]![1])) out.push({ urn: release.urn, message: `${release.name}: compactor ${chain[i - 1]![0]} retention ${fmt(chain[i - 1]![1])} exceeds ${chain[i]![0]} retention ${fmt(chain[i]![1])}.` });
      }
      if (r.raw !== undefined && r.raw < 2) out.push({ urn: release.urn, message: `${release.name}: raw retention ${fmt(r.raw)} is below 2d; 5m downsampling needs 40h of raw blocks.` });
      if (r.fiveMinute !== undefined && r.fiveMinute < 10) out.push({ urn: release.urn, message: `${release.name}: 5m retention ${fmt(r.fiveMinute)} is below 10d; 1h downsampling needs 10 days of 5m blocks.` });
      for (const p of proms) {
        if (!le(p.retentionDays, r.raw)) out.push({ urn: p.release.urn, message: `${p.release.name}: Prometheus retention ${fmt(p.retentionDays)} exceeds Thanos raw retention ${fmt(r.raw)} (${release.name}).` });
      }
      const longest = [r.raw, r.fiveMinute, r.oneHour].some((d) => d === undefined) ? undefined : Math.max(r.raw!, r.fiveMinute!, r.oneHour!);
      metricsKeepDays = metricsKeepDays === null ? longest : metricsKeepDays === undefined || longest === undefined ? undefined : Math.max(metricsKeepDays, longest);
    }
    const loki = lokiReleases(resources);
    const logsKeepDays = loki.length === 0 ? null : loki.some((l) => l.retentionDays === undefined) ? undefined : Math.max(...loki.map((l) => l.retentionDays!));

    for (const bucket of resources.filter((r) => r.type === T.bucket)) {
      const purpose = purposeOf(bucket, ctx);
      const keep = purpose === "metrics" ? metricsKeepDays : purpose === "logs" ? logsKeepDays : null;
      if (keep === null) continue; // no component of that kind deployed (yet)
      for (const { config, rule } of lifecycleRulesOf(bucket, resources)) {
        const days = rule.expiration?.days;
        if (typeof days !== "number") continue;
        if (keep === undefined || days <= keep) {
          out.push({ urn: config.urn, message: `${config.name}: ${purpose} bucket ${bucket.name} expires objects after ${days}d, not later than the ${purpose === "metrics" ? "Thanos compactor" : "Loki"} retention (${fmt(keep)}).` });
        }
      }
    }
    return out;
  },
};
export default policy;

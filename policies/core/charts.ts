/**
 * What the stack policies read from Helm values, per chart, as data. Pulumi only sees the values Strata sets; what
 * we do not set falls back to the chart's defaults (copied here from the charts saved in shared/charts:
 * kube-prometheus-stack 88.5.3, thanos-community 0.38.0, stevehipwell thanos 1.24.1, loki 18.11.0). Adding a chart
 * (or a new major of one) is adding a row.
 */
import type { StrataResource } from "./types";
import { T, asArray, durationDays, get, isObject } from "./util";

export const HELM_TYPES: readonly string[] = [T.helmRelease, T.helmChartV4];

/** `oci://ghcr.io/thanos-community/helm-charts/thanos` → `thanos`; `prometheus-community/kube-prometheus-stack` → `kube-prometheus-stack`. */
export function chartName(r: StrataResource): string {
  const chart = String(r.props.chart ?? "").replace(/@sha256:[0-9a-f]+$/, "").replace(/:[^/]*$/, "");
  return chart.slice(chart.lastIndexOf("/") + 1);
}

function chartSource(r: StrataResource): string {
  return `${r.props.repositoryOpts?.repo ?? ""} ${r.props.chart ?? ""}`;
}

export function valuesOf(r: StrataResource): Record<string, any> {
  return isObject(r.props.values) ? r.props.values : {};
}

/** `--flag=value` or `--flag value` from an args list. */
export function flagValues(args: unknown, flag: string): string[] {
  const list = asArray<unknown>(args as any).map(String);
  const out: string[] = [];
  list.forEach((arg, i) => {
    if (arg.startsWith(`${flag}=`)) out.push(arg.slice(flag.length + 1));
    else if (arg === flag && list[i + 1] !== undefined) out.push(list[i + 1]!);
  });
  return out;
}

const RETENTION_FLAGS = { raw: "--retention.resolution-raw", fiveMinute: "--retention.resolution-5m", oneHour: "--retention.resolution-1h" } as const;
export type Resolution = keyof typeof RETENTION_FLAGS;

export interface ThanosChart {
  flavour: string;
  /** Recognised by its repository / chart reference first, by top-level value keys only when that says nothing. */
  source: RegExp;
  keys: readonly string[];
  /** Number of compactor pods the release runs (0 when disabled). */
  compactors(values: Record<string, any>): number;
  /** Compactor retention per resolution, in days; undefined = kept forever. */
  retentionDays(values: Record<string, any>): Record<Resolution, number | undefined>;
  /** Replica labels Thanos Query deduplicates on; undefined when the release runs no Query. */
  queryReplicaLabels(values: Record<string, any>): string[] | undefined;
}

const fromFlags = (args: unknown, res: Resolution, fallback?: string) => durationDays(flagValues(args, RETENTION_FLAGS[res]).at(-1) ?? fallback);

export const THANOS_CHARTS: ThanosChart[] = [
  {
    flavour: "thanos-community",
    source: /thanos-community/,
    keys: ["compactor", "storegateway"],
    compactors: (v) => (get(v, ["compactor", "enabled"]) ?? true) === false ? 0 : Number(get(v, ["compactor", "replicaCount"]) ?? 1),
    retentionDays: (v) => {
      const ret = (key: string, fallback: string, res: Resolution) => {
        const set = get(v, ["compactor", "retention", key]);
        return fromFlags(get(v, ["compactor", "extraArgs"]), res, set === undefined ? fallback : set === "" ? "0d" : String(set));
      };
      return { raw: ret("resolutionRaw", "30d", "raw"), fiveMinute: ret("resolution5m", "90d", "fiveMinute"), oneHour: ret("resolution1h", "365d", "oneHour") };
    },
    queryReplicaLabels: (v) =>
      (get(v, ["query", "enabled"]) ?? true) === false
        ? undefined
        : [...asArray<string>(get(v, ["query", "replicaLabels"]) ?? ["prometheus_replica", "receive_replica", "ruler_replica"]), ...flagValues(get(v, ["query", "extraArgs"]), "--query.replica-label")],
  },
  {
    flavour: "stevehipwell",
    source: /stevehipwell/,
    keys: ["compact", "storeGateway"],
    compactors: (v) => (get(v, ["compact", "enabled"]) === true ? Number(get(v, ["compact", "replicas"]) ?? 1) : 0),
    retentionDays: (v) => ({ raw: fromFlags(get(v, ["compact", "extraArgs"]), "raw"), fiveMinute: fromFlags(get(v, ["compact", "extraArgs"]), "fiveMinute"), oneHour: fromFlags(get(v, ["compact", "extraArgs"]), "oneHour") }),
    queryReplicaLabels: (v) =>
      (get(v, ["query", "enabled"]) ?? true) === false
        ? undefined
        : [...asArray<string>(get(v, ["additionalReplicaLabels"])), ...asArray<string>(get(v, ["query", "replicaLabels"])), ...flagValues(get(v, ["query", "extraArgs"]), "--query.replica-label")],
  },
];

/** Charts named `thanos` that no row describes (e.g. Bitnami's, whose free images were withdrawn). */
const KNOWN_ELSEWHERE = /bitnami/;

export function isThanosRelease(r: StrataResource): boolean {
  return HELM_TYPES.includes(r.type) && chartName(r) === "thanos";
}

export function thanosChart(r: StrataResource): ThanosChart | undefined {
  if (!isThanosRelease(r)) return undefined;
  const source = chartSource(r);
  const bySource = THANOS_CHARTS.find((c) => c.source.test(source));
  if (bySource || KNOWN_ELSEWHERE.test(source)) return bySource;
  return THANOS_CHARTS.find((c) => c.keys.some((k) => k in valuesOf(r)));
}

export function thanosReleases(resources: StrataResource[]): { release: StrataResource; chart: ThanosChart }[] {
  return resources.flatMap((r) => {
    const chart = thanosChart(r);
    return chart ? [{ release: r, chart }] : [];
  });
}

/** kube-prometheus-stack: Prometheus's replicas, the replica label it sets, and its local retention. */
export interface PrometheusFacts {
  release: StrataResource;
  replicas: number;
  /** undefined when the label is cleared (replicaExternalLabelNameClear). */
  replicaLabel: string | undefined;
  retentionDays: number | undefined;
}

export function prometheusReleases(resources: StrataResource[]): PrometheusFacts[] {
  return resources
    .filter((r) => HELM_TYPES.includes(r.type) && chartName(r) === "kube-prometheus-stack")
    .filter((r) => get(valuesOf(r), ["prometheus", "enabled"]) !== false)
    .map((release) => {
      const spec = get(valuesOf(release), ["prometheus", "prometheusSpec"]) ?? {};
      return {
        release,
        replicas: Number(spec.replicas ?? 1),
        replicaLabel: spec.replicaExternalLabelNameClear === true ? undefined : spec.replicaExternalLabelName || "prometheus_replica",
        retentionDays: durationDays(spec.retention ?? "10d"),
      };
    });
}

/** Loki (grafana chart): `loki.limits_config.retention_period`, unset or 0 = forever. */
export function lokiReleases(resources: StrataResource[]): { release: StrataResource; retentionDays: number | undefined }[] {
  return resources
    .filter((r) => HELM_TYPES.includes(r.type) && chartName(r) === "loki")
    .map((release) => ({ release, retentionDays: durationDays(String(get(valuesOf(release), ["loki", "limits_config", "retention_period"]) ?? "0")) }));
}

/**
 * Strata's own alerts: the failure modes of the durable-data platform itself that kube-prometheus-stack's default
 * rules do not cover (Thanos, the size cap of the local TSDB, volumes filling, Alertmanager HA). Built as plain rule
 * groups (for promtool) and wrapped into a PrometheusRule object.
 *
 * Components are told apart by a metric only they export, joined `on (job, instance)` (each scrape target has its
 * own pair), not by job names: those depend on release names chosen elsewhere. Prometheus and Alertmanager run in
 * pods the Prometheus Operator builds, whose containers it names `prometheus` and `alertmanager`; its scrape configs
 * copy the container name into the `container` label, which is the default selector for those two.
 */

export type Severity = "critical" | "warning";

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertingRule[];
}

export interface PlatformRulesInput {
  /** Prometheus's `retentionSize` in bytes (infra/retention.ts: `prometheus.retentionSizeBytes`). */
  prometheusRetentionSizeBytes: number;
  /** Alertmanager replicas; with one there is no cluster and its alert is left out. */
  alertmanagerReplicas: number;
  /** Base of every runbook_url; the alert's anchor in docs/runbooks/alerts.md is appended. */
  runbookBaseUrl?: string;
  /** Series selectors (without braces) of Strata's Prometheus and Alertmanager. */
  selectors?: { prometheus?: string; alertmanager?: string };
}

export const DEFAULT_RUNBOOK_BASE_URL = "docs/runbooks/alerts.md";
/** The runbook page of the alerts on the services Strata runs (Loki, the log collector, the Pushgateway, the buckets). */
export const SERVICE_ALERTS_RUNBOOK = "service-alerts.md";
export const DEFAULT_SELECTORS = { prometheus: 'container="prometheus"', alertmanager: 'container="alertmanager"' } as const;

/** Thresholds, named so the runbook and the tests can cite them. */
export const THRESHOLDS = {
  sidecarUploadAgeSeconds: 3 * 3600,
  storeBucketFailureRatio: 0.05,
  tsdbRetentionSizeRatio: 0.9,
  pvcUsedRatio: 0.8,
} as const;

/** The anchor GitHub gives a Markdown heading: lowercase, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
const formatBytes = (bytes: number) => (bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${bytes} bytes`);

/** Builds alerting rules whose runbook_url is `<runbookBaseUrl>#<alert name in lowercase>`. */
export function alertingRuleFactory(runbookBaseUrl: string) {
  return (alert: string, severity: Severity, forDuration: string, expr: string, summary: string, description: string): AlertingRule => ({
    alert,
    expr: expr.trim(),
    for: forDuration,
    labels: { severity },
    annotations: { summary, description: oneLine(description), runbook_url: `${runbookBaseUrl}#${headingAnchor(alert)}` },
  });
}

/**
 * A runbook page beside the platform one: `strata:alerting.runbookBaseUrl` names alerts.md, and the other alert pages
 * (backup-alerts.md, service-alerts.md) sit in the same folder.
 */
export function siblingRunbookUrl(platformRunbookBaseUrl: string | undefined, page: string): string {
  const base = platformRunbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL;
  return /alerts\.md$/.test(base) ? base.replace(/alerts\.md$/, page) : `docs/runbooks/${page}`;
}

export function buildPlatformRuleGroups(input: PlatformRulesInput): RuleGroup[] {
  if (!Number.isFinite(input.prometheusRetentionSizeBytes) || input.prometheusRetentionSizeBytes <= 0) {
    throw new Error(`prometheusRetentionSizeBytes must be a positive number of bytes, got ${input.prometheusRetentionSizeBytes}`);
  }
  if (!Number.isInteger(input.alertmanagerReplicas) || input.alertmanagerReplicas < 1) {
    throw new Error(`alertmanagerReplicas must be a positive integer, got ${input.alertmanagerReplicas}`);
  }
  const sel = { ...DEFAULT_SELECTORS, ...input.selectors };
  const rule = alertingRuleFactory(input.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL);
  const t = THRESHOLDS;

  const thanos: RuleGroup = {
    name: "strata.thanos",
    rules: [
      rule(
        "StrataThanosCompactorHalted",
        "warning",
        "5m",
        "thanos_compact_halted == 1",
        "Thanos compactor {{ $labels.namespace }}/{{ $labels.pod }} has halted.",
        `The compactor stopped on an error it does not retry (typically overlapping or corrupt blocks). Until it is
         fixed and restarted nothing in the metrics bucket is compacted, downsampled or deleted by retention.`,
      ),
      rule(
        "StrataThanosSidecarNotUploading",
        "critical",
        "5m",
        // Seconds since the last upload, or since the sidecar started when it has not uploaded yet (the gauge is 0
        // until then), so a restart neither fires at once nor hides a sidecar that never uploads.
        `
time() - max by (namespace, pod, job, instance) (
    thanos_objstore_bucket_last_successful_upload_time > 0
  or
    process_start_time_seconds
) > ${t.sidecarUploadAgeSeconds}
and on (job, instance) thanos_sidecar_prometheus_up`,
        "Thanos sidecar {{ $labels.namespace }}/{{ $labels.pod }} has not uploaded a block for over 3 hours.",
        `Prometheus cuts a block every 2 hours and the sidecar ships it to the metrics bucket; nothing has been
         uploaded for {{ $value | humanizeDuration }}. Those metrics exist only on the Prometheus volume and are lost
         with it.`,
      ),
      rule(
        "StrataThanosStoreBucketErrors",
        "warning",
        "15m",
        `
(
    sum by (namespace, pod, job, instance) (rate(thanos_objstore_bucket_operation_failures_total[5m]))
  /
    sum by (namespace, pod, job, instance) (rate(thanos_objstore_bucket_operations_total[5m]))
) > ${t.storeBucketFailureRatio}
and on (job, instance) thanos_bucket_store_blocks_loaded`,
        "Thanos store gateway {{ $labels.namespace }}/{{ $labels.pod }} fails bucket operations.",
        `{{ $value | humanizePercentage }} of the store gateway's object storage operations failed over the last 5
         minutes: queries over data older than Prometheus's local retention return errors or partial results.`,
      ),
    ],
  };

  const prometheus: RuleGroup = {
    name: "strata.prometheus",
    rules: [
      rule(
        "StrataPrometheusTsdbNearRetentionSize",
        "warning",
        "30m",
        // Prometheus counts the WAL and the head chunks against retentionSize, not only persisted blocks.
        `
(
    prometheus_tsdb_storage_blocks_bytes{${sel.prometheus}}
  + prometheus_tsdb_wal_storage_size_bytes{${sel.prometheus}}
  + prometheus_tsdb_head_chunks_storage_size_bytes{${sel.prometheus}}
) / ${input.prometheusRetentionSizeBytes} > ${t.tsdbRetentionSizeRatio}`,
        "Prometheus {{ $labels.namespace }}/{{ $labels.pod }} is near its local TSDB size cap.",
        `The local TSDB uses {{ $value | humanizePercentage }} of retentionSize
         (${formatBytes(input.prometheusRetentionSizeBytes)}). At the cap Prometheus deletes its oldest blocks early,
         so local retention becomes shorter than configured; if the sidecar is also behind, those metrics are lost.`,
      ),
    ],
  };

  const storage: RuleGroup = {
    name: "strata.storage",
    rules: [
      rule(
        "StrataPersistentVolumeUsageHigh",
        "warning",
        "15m",
        `kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > ${t.pvcUsedRatio}`,
        "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is over 80% full.",
        `The volume bound to PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is
         {{ $value | humanizePercentage }} full. A stateful service stops writing (or corrupts data) when it fills.`,
      ),
    ],
  };

  const groups = [thanos, prometheus, storage];
  if (input.alertmanagerReplicas > 1) {
    groups.push({
      name: "strata.alertmanager",
      rules: [
        rule(
          "StrataAlertmanagerClusterDegraded",
          "warning",
          "10m",
          `alertmanager_cluster_members{${sel.alertmanager}} < ${input.alertmanagerReplicas}`,
          "Alertmanager {{ $labels.namespace }}/{{ $labels.pod }} sees fewer cluster peers than expected.",
          `This Alertmanager sees {{ $value }} of ${input.alertmanagerReplicas} members. Silences and notification
           state are not shared with the missing peers: notifications may be duplicated, and another failure leaves
           no Alertmanager at all.`,
        ),
      ],
    });
  }
  return groups;
}

/** Name, namespace and labels of a PrometheusRule object. */
export interface PrometheusRuleMeta<Namespace = string> {
  name: string;
  /** A string, or anything else the caller's object model takes (a Pulumi Input, for the component). */
  namespace: Namespace;
  labels: Record<string, string>;
}

/** A `monitoring.coreos.com/v1` PrometheusRule object holding these rule groups. */
export function prometheusRuleObject<Namespace, Group>(meta: PrometheusRuleMeta<Namespace>, groups: Group[]) {
  return {
    apiVersion: "monitoring.coreos.com/v1" as const,
    kind: "PrometheusRule" as const,
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    spec: { groups },
  };
}

export interface PlatformPrometheusRuleInput<Namespace = string> extends PlatformRulesInput, PrometheusRuleMeta<Namespace> {}

/** A `monitoring.coreos.com/v1` PrometheusRule object holding Strata's platform rule groups. */
export function buildPlatformPrometheusRule<Namespace = string>(input: PlatformPrometheusRuleInput<Namespace>) {
  return prometheusRuleObject(input, buildPlatformRuleGroups(input));
}

/**
 * Alerts on Loki itself, taken from the loki-mixin of the pinned Loki (grafana/loki v3.7.6,
 * production/loki-mixin/alerts.libsonnet) and narrowed to what a user of Strata can act on:
 *
 * - LokiRequestErrors → StrataLokiRequestErrors (same 10% threshold and 15m; a 5m rate so a one-scrape spike is not 10%).
 * - LokiCompactorHasNotSuccessfullyRunCompaction (both variants: since the last run, and since start-up) →
 *   StrataLokiCompactionNotRunning, and the same shape on the retention metric → StrataLokiRetentionNotRunning.
 * - LokiRequestLatency is left out (it needs the mixin's recording rules, and slow queries are not a data risk);
 *   LokiRequestPanics is covered by the request errors; LokiTooManyCompactorsRunning cannot happen with the one
 *   compactor Strata runs.
 *
 * Added where the mixin has nothing: writes to the object store failing (`loki_s3_request_duration_seconds`, the
 * S3 client Loki uses with `storage.type: s3`) and samples discarded (`loki_discarded_samples_total`, by reason:
 * `rate_limited`, `stream_limit`, `greater_than_max_sample_age`, ...). Every metric name was checked against the
 * v3.7.6 source (pkg/compactor/metrics.go, pkg/storage/chunk/client/aws/s3_storage_client.go, pkg/validation).
 *
 * All rules select the logging namespace: only Strata's Loki runs there.
 */
import { alertingRuleFactory, siblingRunbookUrl, SERVICE_ALERTS_RUNBOOK, type RuleGroup } from "../alerting/platformRules";

export const LOKI_METRICS = {
  requests: "loki_request_duration_seconds_count",
  compactionLastSuccess: "loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds",
  retentionLastSuccess: "loki_compactor_apply_retention_last_successful_run_timestamp_seconds",
  /** 1 on the instance that holds the compactor's ring token. */
  compactorRunning: "loki_boltdb_shipper_compactor_running",
  s3Requests: "loki_s3_request_duration_seconds_count",
  discarded: "loki_discarded_samples_total",
} as const;

export const LOKI_THRESHOLDS = {
  requestErrorPercent: 10,
  /** Compaction and retention run every 10 minutes (lokiValues.ts compaction_interval); 3 hours is 18 missed runs. */
  compactorStaleSeconds: 3 * 3600,
  s3WriteFailureRatio: 0.05,
} as const;

export interface LokiRulesInput {
  /** Namespace Loki runs in (the logging namespace). */
  namespace: string;
  /** `strata:alerting.runbookBaseUrl` (names alerts.md); the page here is its sibling service-alerts.md. */
  runbookBaseUrl?: string;
}

export function buildLokiRuleGroups(input: LokiRulesInput): RuleGroup[] {
  const rule = alertingRuleFactory(siblingRunbookUrl(input.runbookBaseUrl, SERVICE_ALERTS_RUNBOOK));
  const ns = `namespace="${input.namespace}"`;
  const m = LOKI_METRICS;
  const t = LOKI_THRESHOLDS;
  // Seconds since the compactor last succeeded, or since it started when it has not succeeded yet (the gauge is 0
  // until then), so a restart neither fires at once nor hides a compactor that never succeeds. Only the instance
  // holding the compactor ring token runs it; the others are ignored.
  const staleness = (lastSuccess: string) => `
time() - max by (namespace) (
    ${lastSuccess}{${ns}} > 0
  or
    (process_start_time_seconds{${ns}} and on (job, instance) ${m.compactorRunning} == 1)
) > ${t.compactorStaleSeconds}`;

  return [
    {
      name: "strata.loki",
      rules: [
        rule(
          "StrataLokiRequestErrors",
          "critical",
          "15m",
          `
100 * sum by (namespace, job, route) (rate(${m.requests}{${ns}, status_code=~"5.."}[5m]))
  /
sum by (namespace, job, route) (rate(${m.requests}{${ns}}[5m]))
  > ${t.requestErrorPercent}`,
          "Loki {{ $labels.job }} fails requests on {{ $labels.route }}.",
          `{{ $value | humanize }}% of the requests to {{ $labels.job }} on route {{ $labels.route }} fail with a
           5xx status. On the push route logs are being lost after the collector's retries; on query routes
           Grafana shows errors.`,
        ),
        rule(
          "StrataLokiCompactionNotRunning",
          "critical",
          "30m",
          staleness(m.compactionLastSuccess),
          "Loki in {{ $labels.namespace }} has not compacted its index for over 3 hours.",
          `The compactor's last successful compaction was {{ $value | humanizeDuration }} ago (it runs every 10
           minutes). Index files pile up in the logs bucket and queries slow down; the compactor is usually stuck
           on the bucket (permissions, KMS) or its volume.`,
        ),
        rule(
          "StrataLokiRetentionNotRunning",
          "critical",
          "30m",
          staleness(m.retentionLastSuccess),
          "Loki in {{ $labels.namespace }} has not applied retention for over 3 hours.",
          `Retention last succeeded {{ $value | humanizeDuration }} ago (it runs every 10 minutes). Nothing past
           the retention period is deleted: the logs bucket grows without bound and keeps logs longer than the
           stack promises.`,
        ),
        rule(
          "StrataLokiObjectStoreWritesFailing",
          "critical",
          "15m",
          `
(
    sum by (namespace, pod) (rate(${m.s3Requests}{${ns}, operation="S3.PutObject", status_code!~"2.."}[5m]))
  /
    sum by (namespace, pod) (rate(${m.s3Requests}{${ns}, operation="S3.PutObject"}[5m]))
) > ${t.s3WriteFailureRatio}`,
          "Loki pod {{ $labels.pod }} fails to write to the logs bucket.",
          `{{ $value | humanizePercentage }} of the pod's writes (PutObject) to the logs bucket fail. Ingesters keep
           unflushed chunks in memory and their WAL until the volume or memory runs out; then logs are lost.`,
        ),
        rule(
          "StrataLokiSamplesDiscarded",
          "warning",
          "15m",
          `sum by (namespace, reason) (rate(${m.discarded}{${ns}}[5m])) > 0`,
          "Loki in {{ $labels.namespace }} discards log lines ({{ $labels.reason }}).",
          `Loki refuses {{ $value | humanize }} lines per second with reason {{ $labels.reason }} (rate_limited and
           per_stream_rate_limit: a tenant or stream limit; greater_than_max_sample_age: lines older than the
           retention window). Those lines are never stored.`,
        ),
      ],
    },
  ];
}

/**
 * Alerts on the log collector (Grafana Alloy). The alloy-mixin of the pinned Alloy (grafana/alloy v1.18.1,
 * operations/alloy-mixin/alerts/controller.libsonnet) gives UnhealthyComponents → StrataLogCollectorUnhealthy; its
 * clustering and OpenTelemetry alerts are left out (Strata runs neither). The mixin has no alert on `loki.write`,
 * so the two on sends are Strata's own, on the metrics of internal/component/common/loki/client/metrics.go at v1.18.1:
 * `loki_write_dropped_entries_total{reason}` (entries given up after all retries) and
 * `loki_write_request_duration_seconds{status_code}` (every push; a network error counts as a non-2xx code).
 *
 * All rules select the logging namespace: Loki exports no `loki_write_*` metric, so only the collector matches.
 */
import { alertingRuleFactory, siblingRunbookUrl, SERVICE_ALERTS_RUNBOOK, type RuleGroup } from "../alerting/platformRules";

export const COLLECTOR_METRICS = {
  dropped: "loki_write_dropped_entries_total",
  requests: "loki_write_request_duration_seconds_count",
  components: "alloy_component_controller_running_components",
} as const;

export const COLLECTOR_THRESHOLDS = { sendFailureRatio: 0.1 } as const;

export interface CollectorRulesInput {
  namespace: string;
  runbookBaseUrl?: string;
}

export function buildCollectorRuleGroups(input: CollectorRulesInput): RuleGroup[] {
  const rule = alertingRuleFactory(siblingRunbookUrl(input.runbookBaseUrl, SERVICE_ALERTS_RUNBOOK));
  const ns = `namespace="${input.namespace}"`;
  const m = COLLECTOR_METRICS;
  return [
    {
      name: "strata.log-collector",
      rules: [
        rule(
          "StrataLogCollectorSendsFailing",
          "warning",
          "15m",
          `
(
    sum by (namespace, pod) (rate(${m.requests}{${ns}, status_code!~"2.."}[5m]))
  /
    sum by (namespace, pod) (rate(${m.requests}{${ns}}[5m]))
) > ${COLLECTOR_THRESHOLDS.sendFailureRatio}`,
          "Log collector {{ $labels.pod }} fails to push to Loki.",
          `{{ $value | humanizePercentage }} of the collector's pushes to Loki fail. It retries with backoff; when
           the retries run out the lines are dropped (StrataLogCollectorDroppingEntries).`,
        ),
        rule(
          "StrataLogCollectorDroppingEntries",
          "critical",
          "5m",
          `sum by (namespace, pod, reason) (rate(${m.dropped}{${ns}}[5m])) > 0`,
          "Log collector {{ $labels.pod }} drops log lines ({{ $labels.reason }}).",
          `The collector gives up on {{ $value | humanize }} lines per second after all retries (reason
           {{ $labels.reason }}). Those logs of the node's pods are lost for good.`,
        ),
        rule(
          "StrataLogCollectorUnhealthy",
          "warning",
          "15m",
          `sum by (namespace, pod) (${m.components}{${ns}, health_type!="healthy"}) > 0`,
          "Log collector {{ $labels.pod }} has unhealthy components.",
          `{{ $value }} components of the collector's pipeline are unhealthy: usually its configuration or its access
           to the Kubernetes API, so some pods' logs are not read.`,
        ),
      ],
    },
  ];
}

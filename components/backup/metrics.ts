/**
 * The metric names the backup alerts and dashboards read: the runtime's own (the backup contract's, re-exported) and
 * those of the Pushgateway, the kubelet and kube-state-metrics.
 */

// The names the runtime pushes, and their groups' job labels, are the backup contract's (components/backup/contract/metrics.ts);
// re-exported here, where the alerts and dashboards have always imported them.
export { BACKUP_JOB, BACKUP_METRICS, DRILL_DECRYPT_METRIC, DRILL_JOB, DRILL_METRICS, OFFSITE_COPY_JOB, OFFSITE_COPY_METRICS, PITR_WAL_JOB, PITR_WAL_METRICS, PUSH_JOBS, PUSHED_METRIC_NAMES, PUSHED_METRICS } from "./contract/metrics";

/** What the Pushgateway itself adds to every group (its own metrics, not the runtime's). */
export const PUSHGATEWAY_METRICS = {
  /** Time of the last successful push (PUT/POST) to the group. */
  pushTime: "push_time_seconds",
  /** Time of the last push to the group the Pushgateway rejected (0 when none was). */
  pushFailureTime: "push_failure_time_seconds",
} as const;

/** kubelet volume metrics (scraped by kube-prometheus-stack), used by the dashboard's PVC panel. */
export const KUBELET_METRICS = {
  volumeUsed: "kubelet_volume_stats_used_bytes",
  volumeCapacity: "kubelet_volume_stats_capacity_bytes",
} as const;

/** kube-state-metrics: when a CronJob last scheduled a Job. */
export const KSM_CRONJOB_LAST_SCHEDULE = "kube_cronjob_status_last_schedule_time";

/** kube-state-metrics: when a CronJob was created (a job that has never succeeded since is overdue after its window). */
export const KSM_CRONJOB_CREATED = "kube_cronjob_created";

/** Names the dashboard and alerts may reference beyond the runtime's own. */
export const EXTERNAL_METRIC_NAMES: readonly string[] = [
  ...Object.values(PUSHGATEWAY_METRICS),
  ...Object.values(KUBELET_METRICS),
  KSM_CRONJOB_LAST_SCHEDULE,
  KSM_CRONJOB_CREATED,
];

/**
 * The metric names the backup and restore-drill scripts push (components/backup/scripts/README.md, "Metrics"), defined
 * once so the alerts, the dashboard and the test that greps the scripts all speak of the same names.
 *
 * Every series carries the Pushgateway grouping key `job`, `kind` and `target` (pushed to
 * `/metrics/job/<job>/kind/<kind>/target/<target>`, scraped with `honorLabels`).
 */

/** Pushgateway `job` label of backup runs. */
export const BACKUP_JOB = "strata_backup";
/** Pushgateway `job` label of restore drills. */
export const DRILL_JOB = "strata_restore_drill";

export const BACKUP_METRICS = {
  /** Pushed on success only: a failure push never carries it, so the last success stays visible. */
  lastSuccess: "strata_backup_last_success_timestamp_seconds",
  /** Pushed on success only: size of the uploaded object in bytes. */
  size: "strata_backup_size_bytes",
  /** Every run. */
  lastCompletion: "strata_backup_last_completion_timestamp_seconds",
  /** Every run: 1 or 0. */
  lastRunSuccess: "strata_backup_last_run_success",
  /** Every run, from the dump phase's start. */
  duration: "strata_backup_duration_seconds",
} as const;

export const DRILL_METRICS = {
  /** Passing drills only. */
  lastSuccess: "strata_restore_drill_last_success_timestamp_seconds",
  /** Passing drills only: `started_epoch` of the backup the drill restored and verified. */
  lastVerifiedBackup: "strata_restore_drill_last_verified_backup_timestamp_seconds",
  /** Every run. */
  lastCompletion: "strata_restore_drill_last_completion_timestamp_seconds",
  /** Every run: 1 or 0. */
  lastRunSuccess: "strata_restore_drill_last_run_success",
  /** Every run. */
  duration: "strata_restore_drill_duration_seconds",
  /** Passing point-in-time drills only (group `method="pitr"`): the WAL replay, server start to promotion. */
  recoverySeconds: "strata_restore_drill_recovery_seconds",
  /** Passing point-in-time drills only: the commit time the drill recovered to. */
  recoveredTo: "strata_restore_drill_recovered_to_timestamp_seconds",
} as const;

/** Pushgateway `job` label of the WAL receivers (wal-receiver.sh), pushed every upload cycle. */
export const PITR_WAL_JOB = "strata_pitr_wal";

export const PITR_WAL_METRICS = {
  /** Everything the server had written by this time is in S3 (the receiver's RPO is now minus this). */
  archivedThrough: "strata_pitr_wal_archived_through_timestamp_seconds",
  /** When the uploader last ran a cycle (a heartbeat). */
  heartbeat: "strata_pitr_wal_uploader_heartbeat_timestamp_seconds",
  /** 1 if the last cycle left nothing behind. */
  lastCycleSuccess: "strata_pitr_wal_last_cycle_success",
  /** Completed segments on the receiver's volume not yet in S3. */
  backlogSegments: "strata_pitr_wal_upload_backlog_segments",
  /** WAL the source server keeps for the receiver's slot (its lag behind the server), in bytes. */
  slotRetainedBytes: "strata_pitr_slot_retained_wal_bytes",
  /** Seconds since everything the server wrote was on the receiver's volume. */
  receiverLagSeconds: "strata_pitr_receiver_lag_seconds",
} as const;

/** Pushgateway `job` label of the off-site copy of the backups bucket (scripts/offsite-copy.sh), grouped by `destination` bucket. */
export const OFFSITE_COPY_JOB = "strata_offsite_copy";

export const OFFSITE_COPY_METRICS = {
  /** Runs that copied and verified every object only. */
  lastSuccess: "strata_offsite_copy_last_success_timestamp_seconds",
  /** Every run. */
  lastCompletion: "strata_offsite_copy_last_completion_timestamp_seconds",
  /** Every run: 1 or 0. */
  lastRunSuccess: "strata_offsite_copy_last_run_success",
  /** Every run. */
  duration: "strata_offsite_copy_duration_seconds",
  /** Every run: current objects in the backups bucket. */
  sourceObjects: "strata_offsite_copy_source_objects",
  /** Every run: objects copied and verified by it (0 when nothing was new). */
  objectsCopied: "strata_offsite_copy_objects_copied",
  /** Every run: their bytes. */
  bytesCopied: "strata_offsite_copy_bytes_copied",
  /** Every run: objects whose SHA-256 did not match (at the source, or read back from the copy). */
  mismatches: "strata_offsite_copy_checksum_mismatches",
} as const;

/** Every name the scripts push (the test checks each one appears in components/backup/scripts/*.sh). */
export const PUSHED_METRIC_NAMES: readonly string[] = [
  ...Object.values(BACKUP_METRICS),
  ...Object.values(DRILL_METRICS),
  ...Object.values(PITR_WAL_METRICS),
  ...Object.values(OFFSITE_COPY_METRICS),
];

/** What the Pushgateway itself adds to every group (its own metrics, not the scripts'). */
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

/** Names the dashboard and alerts may reference beyond the scripts' own. */
export const EXTERNAL_METRIC_NAMES: readonly string[] = [
  ...Object.values(PUSHGATEWAY_METRICS),
  ...Object.values(KUBELET_METRICS),
  KSM_CRONJOB_LAST_SCHEDULE,
  KSM_CRONJOB_CREATED,
];

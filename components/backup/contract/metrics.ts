/**
 * The metric names the in-pod runtime pushes to the Pushgateway (components/backup/runtime/README.md, "Metrics") and
 * the `job` label of each group, defined once: the runtime, the alerts, the dashboards and the tests import them, so no
 * name is spelled twice.
 *
 * Every backup and drill series carries the Pushgateway grouping key `job`, `kind` and `target` (pushed to
 * `/metrics/job/<job>/kind/<kind>/target/<target>`, scraped with `honorLabels`).
 */

/** Pushgateway `job` label of each group the runtime pushes. */
export const PUSH_JOBS = {
  /** Backups (logical dumps and PITR base backups). */
  backup: "strata_backup",
  /** Restore drills, the point-in-time drill included (group `method="pitr"`). */
  drill: "strata_restore_drill",
  /** The WAL receiver, every upload cycle. */
  pitrWal: "strata_pitr_wal",
  /** The runtime's `offsite-copy`, grouped by `destination` bucket. */
  offsiteCopy: "strata_offsite_copy",
} as const;

export const BACKUP_JOB = PUSH_JOBS.backup;
export const DRILL_JOB = PUSH_JOBS.drill;
export const PITR_WAL_JOB = PUSH_JOBS.pitrWal;
export const OFFSITE_COPY_JOB = PUSH_JOBS.offsiteCopy;

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
  /** Every drill of an encrypted backup: 1 decrypted, 0 could not decrypt. */
  lastDecryptSuccess: "strata_restore_drill_last_decrypt_success",
} as const;

/** Pushed by every drill of an encrypted backup (group job strata_restore_drill): 1 decrypted, 0 could not decrypt. */
export const DRILL_DECRYPT_METRIC = DRILL_METRICS.lastDecryptSuccess;

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
  /** Every run that could read it: 1 when the destination bucket's versioning is Enabled, 0 when suspended or never on. */
  destinationVersioned: "strata_offsite_copy_destination_versioned",
} as const;


/** The HELP line the runtime pushes with each metric it pushes. */
export const METRIC_HELP: Record<string, string> = {
  [BACKUP_METRICS.lastSuccess]: "When the last successful backup ended.",
  [BACKUP_METRICS.size]: "Size of the last successful backup object in bytes.",
  [BACKUP_METRICS.lastCompletion]: "When the last backup run ended.",
  [BACKUP_METRICS.lastRunSuccess]: "1 if the last backup run succeeded, 0 if it failed.",
  [BACKUP_METRICS.duration]: "Duration of the last backup run.",
  [DRILL_METRICS.lastSuccess]: "When the last passing restore drill ended.",
  [DRILL_METRICS.lastVerifiedBackup]: "Start time of the newest backup a drill restored and verified.",
  [DRILL_METRICS.lastCompletion]: "When the last restore drill ended.",
  [DRILL_METRICS.lastRunSuccess]: "1 if the last restore drill passed, 0 if it failed.",
  [DRILL_METRICS.duration]: "Duration of the last restore drill.",
  [DRILL_METRICS.lastDecryptSuccess]: "1 if the last drill of an age-encrypted backup decrypted it, 0 if it could not.",
  [DRILL_METRICS.recoverySeconds]: "WAL replay of the last point-in-time drill: server start to promotion.",
  [DRILL_METRICS.recoveredTo]: "The commit time the last point-in-time drill recovered to.",
  [PITR_WAL_METRICS.heartbeat]: "When the WAL uploader last ran a cycle.",
  [PITR_WAL_METRICS.lastCycleSuccess]: "1 if the last WAL upload cycle left nothing behind.",
  [PITR_WAL_METRICS.backlogSegments]: "Completed WAL segments on the receiver's volume not yet in S3.",
  [PITR_WAL_METRICS.slotRetainedBytes]: "WAL the server keeps for the receiver's replication slot.",
  [PITR_WAL_METRICS.receiverLagSeconds]: "Seconds since the newest moment everything the server wrote was on the receiver's volume.",
  [PITR_WAL_METRICS.archivedThrough]: "Everything the server had written by this time is in S3.",
  [OFFSITE_COPY_METRICS.lastCompletion]: "End of the last off-site copy run.",
  [OFFSITE_COPY_METRICS.lastRunSuccess]: "1 if every object of the last run was copied and verified.",
  [OFFSITE_COPY_METRICS.duration]: "Duration of the last off-site copy run.",
  [OFFSITE_COPY_METRICS.sourceObjects]: "Objects in the backups bucket at the last run.",
  [OFFSITE_COPY_METRICS.objectsCopied]: "Objects copied and verified by the last run.",
  [OFFSITE_COPY_METRICS.bytesCopied]: "Bytes copied and verified by the last run.",
  [OFFSITE_COPY_METRICS.mismatches]: "Objects whose SHA-256 did not match in the last run.",
  [OFFSITE_COPY_METRICS.destinationVersioned]: "1 if the destination bucket's versioning is Enabled.",
  [OFFSITE_COPY_METRICS.lastSuccess]: "End of the last off-site copy run that copied and verified everything.",
};

/** Each group's metrics, keyed like PUSH_JOBS. */
export const PUSHED_METRICS = { backup: BACKUP_METRICS, drill: DRILL_METRICS, pitrWal: PITR_WAL_METRICS, offsiteCopy: OFFSITE_COPY_METRICS } as const;

/** Every name the runtime pushes. */
export const PUSHED_METRIC_NAMES: readonly string[] = Object.values(PUSHED_METRICS).flatMap((m) => Object.values(m));

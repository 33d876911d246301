/**
 * The exit statuses of every backup, drill, WAL receiver, point-in-time restore and off-site copy run of the runtime;
 * the CronJobs fail a Job at once on those a retry cannot change; `npm run restore-job` exits with `config` on a usage
 * error.
 */
export const EXIT = {
  ok: 0,
  /** The backup or drill itself failed (reported to the Pushgateway when it could be). */
  failed: 1,
  /** A usage or configuration error: the same run fails the same way again. */
  config: 2,
  /** The backup or drill succeeded (its objects are in the bucket), but the Pushgateway push failed. */
  pushFailed: 3,
  /** A drill or restore could not decrypt an age-encrypted backup (no identity, the wrong one, a ciphertext age rejects). */
  decrypt: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The statuses a retry cannot change: a Job that exits with one of them fails at once (podFailurePolicy). */
export const NOT_RETRIED: readonly ExitCode[] = [EXIT.config, EXIT.pushFailed, EXIT.decrypt];

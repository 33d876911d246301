/**
 * How long a run may work. A Job has a hard deadline; every run gives up `REPORT_MARGIN_SECONDS` before it, so the
 * failure is always pushed before Kubernetes kills the pod. The plan hands the wait to the runtime as
 * PHASE_WAIT_SECONDS (phaseEnv below).
 */

/** A scheduled backup, drill, base backup or off-site copy Job's hard limit. */
export const SCHEDULED_JOB_DEADLINE_SECONDS = 4 * 3600;
/** How long before its Job's deadline a phase gives up waiting, so that it can still report. */
export const REPORT_MARGIN_SECONDS = 600;
/** What a phase of a scheduled Job waits for another at most. */
export const SCHEDULED_PHASE_WAIT_SECONDS = SCHEDULED_JOB_DEADLINE_SECONDS - REPORT_MARGIN_SECONDS;

/** A point-in-time restore (`npm run restore-job`) may take longer: its phases wait up to 6 hours. */
export const RESTORE_PHASE_WAIT_SECONDS = 6 * 3600;
export const RESTORE_JOB_DEADLINE_SECONDS = RESTORE_PHASE_WAIT_SECONDS + REPORT_MARGIN_SECONDS;

/** The phase wait as a container's environment. */
export const phaseEnv = (waitSeconds: number): Record<string, string> => ({ PHASE_WAIT_SECONDS: String(waitSeconds) });

/**
 * The Job's or StatefulSet's SIGTERM, as one signal every part of a run can watch: one-shot runs end their tools (whose
 * failure they then report), the WAL receiver stops receiving and runs a last upload cycle.
 */
export const termination = new AbortController();

/**
 * The shell every Strata CronJob shares (backup phases, the off-site copy, the bucket protection check): UTC
 * schedule, no overlap, a run that could not start within an hour of its slot skipped (it shows up as missing, not
 * piled up), bounded history, one retry, a deadline so a hung run is killed and reported, and a pod that never
 * restarts in place and mounts no API token. What runs in the pod is the caller's.
 */
export interface ScheduledJobShape {
  schedule: string;
  labels: Record<string, string>;
  activeDeadlineSeconds: number;
  serviceAccountName: string;
  /** Exit codes a retry cannot change (a config error, a failed push after good work): they fail the Job at once. */
  failJobExitCodes?: readonly number[];
  history?: { successful: number; failed: number };
  /** The pod spec beyond the shared fields: securityContext, containers, volumes, ... */
  pod: Record<string, unknown>;
}

export function scheduledJobSpec(shape: ScheduledJobShape): Record<string, any> {
  const history = shape.history ?? { successful: 3, failed: 5 };
  return {
    schedule: shape.schedule,
    timeZone: "Etc/UTC",
    concurrencyPolicy: "Forbid",
    startingDeadlineSeconds: 3600,
    successfulJobsHistoryLimit: history.successful,
    failedJobsHistoryLimit: history.failed,
    jobTemplate: {
      metadata: { labels: shape.labels },
      spec: {
        backoffLimit: 1,
        activeDeadlineSeconds: shape.activeDeadlineSeconds,
        ...(shape.failJobExitCodes
          ? {
              podFailurePolicy: {
                rules: [
                  // Evicted or preempted pods were not the run's fault: try again without spending the one retry.
                  { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] },
                  { action: "FailJob", onExitCodes: { operator: "In", values: [...shape.failJobExitCodes] } },
                ],
              },
            }
          : {}),
        template: {
          metadata: { labels: shape.labels },
          spec: { serviceAccountName: shape.serviceAccountName, automountServiceAccountToken: false, restartPolicy: "Never", ...shape.pod },
        },
      },
    },
  };
}

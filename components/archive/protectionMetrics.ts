/**
 * What the bucket protection check pushes (components/archive/protectionCheckRuntime.ts) and its alerts read
 * (protectionRules.ts): the Pushgateway group, the metric names and their HELP texts. No Pulumi here: the backup
 * runtime's bundle imports it.
 */
export const PROTECTION_JOB = "strata-bucket-protection";

export const PROTECTION_METRICS = {
  matches: "strata_bucket_protection_matches",
  unreadable: "strata_bucket_protection_unreadable",
  lastRun: "strata_bucket_protection_last_run_timestamp_seconds",
} as const;

export const PROTECTION_METRIC_HELP: Record<keyof typeof PROTECTION_METRICS, string> = {
  matches: "1 when the bucket's setting is what the plan declared, 0 when it differs.",
  unreadable: "1 when the setting could not be read.",
  lastRun: "When the check last finished.",
};

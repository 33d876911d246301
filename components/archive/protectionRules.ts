/**
 * Alerts on the bucket protection check (protectionCheck.ts, run by the backup runtime: protectionCheckRuntime.ts). The Pushgateway may run
 * several replicas, each keeping the last push it received: the replica (pod) holding the newest run decides.
 */
import { alertingRuleFactory, siblingRunbookUrl, SERVICE_ALERTS_RUNBOOK, type RuleGroup } from "../alerting/platformRules";

export { PROTECTION_METRICS } from "./protectionMetrics";
import { PROTECTION_METRICS } from "./protectionMetrics";

/** The check runs every 6 hours (PROTECTION_CHECK_SCHEDULE); two missed runs are a problem. */
export const PROTECTION_THRESHOLDS = { staleSeconds: 12 * 3600 } as const;

export interface ProtectionRulesInput {
  runbookBaseUrl?: string;
}

/** `metric` as the Pushgateway replica (pod) holding the newest run reports it, that run's time being `clock`. */
export const newestPush = (metric: string, clock: string) => `
  ${metric}
  and on (pod)
  (${clock} == on () group_left () max (${clock}))`;

const newest = (metric: string) => newestPush(metric, PROTECTION_METRICS.lastRun);

export function buildProtectionRuleGroups(input: ProtectionRulesInput = {}): RuleGroup[] {
  const rule = alertingRuleFactory(siblingRunbookUrl(input.runbookBaseUrl, SERVICE_ALERTS_RUNBOOK));
  const m = PROTECTION_METRICS;
  return [
    {
      name: "strata.bucket-protection",
      rules: [
        rule(
          "StrataBucketProtectionDrift",
          "critical",
          "5m",
          `min by (bucket, check) (${newest(m.matches)}
) == 0`,
          "Bucket {{ $labels.bucket }}: {{ $labels.check }} is not what the plan declared.",
          `The newest protection check found the bucket's {{ $labels.check }} changed outside Pulumi (or a stack
           change not applied yet). Versioning, default encryption, lifecycle and object lock are what keep archived
           data recoverable; the check's log shows the expected and the actual value.`,
        ),
        rule(
          "StrataBucketProtectionUnreadable",
          "warning",
          "5m",
          `max by (bucket, check) (${newest(m.unreadable)}
) > 0`,
          "Bucket {{ $labels.bucket }}: the protection check cannot read {{ $labels.check }}.",
          `S3 did not answer the check's read of the bucket's {{ $labels.check }} (access denied, a missing bucket, or
           a store that does not implement the setting), so a drift there would go unseen.`,
        ),
        rule(
          "StrataBucketProtectionCheckMissing",
          "warning",
          // Long enough for a newly deployed check to report its first run.
          "7h",
          `time() - max (${m.lastRun}) > ${PROTECTION_THRESHOLDS.staleSeconds} or absent(${m.lastRun})`,
          "The bucket protection check has not reported for over 12 hours.",
          `No result of the bucket protection check has reached the Pushgateway for over 12 hours (it runs every 6):
           a change to the buckets' versioning, encryption, lifecycle or object lock would go unseen.`,
        ),
      ],
    },
  ];
}

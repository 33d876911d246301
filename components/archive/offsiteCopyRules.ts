/**
 * Alerts on the off-site copy of the backups bucket (offsiteCopy.ts, the runtime's offsite-copy). The
 * Pushgateway may run several replicas, each keeping the last push it received: the replica (pod) holding the newest
 * run decides, as for the bucket protection check (protectionRules.ts).
 */
import { alertingRuleFactory, siblingRunbookUrl, SERVICE_ALERTS_RUNBOOK, type RuleGroup } from "../alerting/platformRules";
import { KSM_CRONJOB_CREATED, OFFSITE_COPY_JOB, OFFSITE_COPY_METRICS as M } from "../backup/metrics";
import { promDuration } from "../backup/alerts";
import { newestPush } from "./protectionRules";

export interface OffsiteCopyRulesInput {
  /** The longest gap between two scheduled runs (components/backup/cron.ts intervalHours). */
  intervalHours: number;
  /** How long one run may take (the Job's activeDeadlineSeconds). */
  runSeconds: number;
  /** The CronJob, as kube-state-metrics names it. */
  cronJob: { namespace: string; name: string };
  runbookBaseUrl?: string;
}

/** A copy is stale once two scheduled runs and the longest a run may take have passed without a full success. */
export const staleAfterSeconds = (input: Pick<OffsiteCopyRulesInput, "intervalHours" | "runSeconds">) => Math.round(2 * input.intervalHours * 3600 + input.runSeconds);

export function buildOffsiteCopyRuleGroups(input: OffsiteCopyRulesInput): RuleGroup[] {
  const rule = alertingRuleFactory(siblingRunbookUrl(input.runbookBaseUrl, SERVICE_ALERTS_RUNBOOK));
  const sel = `job="${OFFSITE_COPY_JOB}"`;
  const stale = staleAfterSeconds(input);
  const created = `max(${KSM_CRONJOB_CREATED}{namespace="${input.cronJob.namespace}", cronjob="${input.cronJob.name}"})`;
  return [
    {
      name: "strata.offsite-copy",
      rules: [
        rule(
          "StrataOffsiteCopyStale",
          "critical",
          "10m",
          `time() - max by (destination) (${M.lastSuccess}{${sel}}) > ${stale}
or
(absent(${M.lastSuccess}{${sel}}) and on () time() - ${created} > ${stale})`,
          `The off-site copy of the backups bucket has not fully succeeded for over ${promDuration(stale)}.`,
          `No run of ${input.cronJob.namespace}/${input.cronJob.name} has copied and verified every object for over
           ${promDuration(stale)} (two scheduled runs and a run's deadline; never, if the alert has no destination
           label): backups taken since exist in one place only.`,
        ),
        rule(
          "StrataOffsiteCopyChecksumMismatch",
          "critical",
          "0m",
          `max by (destination) (${newestPush(`${M.mismatches}{${sel}}`, `${M.lastCompletion}{${sel}}`)}
) > 0`,
          "{{ $value }} object(s) did not match their SHA-256 in the newest off-site copy to {{ $labels.destination }}.",
          `The newest off-site copy run found objects whose bytes differ from their SHA-256: at the source (a backup
           object no longer matches the checksum it was written with; it was not copied) or in the copy read back from
           the destination (corrupted on the way or at rest there; named for the next run). The job's log names each key.`,
        ),
        rule(
          "StrataOffsiteCopyFailing",
          "warning",
          "5m",
          `min by (destination) (${newestPush(`${M.lastRunSuccess}{${sel}}`, `${M.lastCompletion}{${sel}}`)}
) == 0`,
          "The newest off-site copy run to {{ $labels.destination }} failed.",
          `The newest run of ${input.cronJob.namespace}/${input.cronJob.name} did not copy and verify every object (a store
           unreachable, access denied, a full scratch volume, or a checksum mismatch); the next scheduled run retries
           what is missing. Its log says which object and why.`,
        ),
        rule(
          "StrataOffsiteCopyDestinationUnversioned",
          "warning",
          "0m",
          `min by (destination) (${newestPush(`${M.destinationVersioned}{${sel}}`, `${M.lastCompletion}{${sel}}`)}
) == 0`,
          "The off-site copy's destination bucket {{ $labels.destination }} is not versioned.",
          `The newest off-site copy run found versioning suspended or never enabled on its destination bucket: an object
           overwritten or deleted there (by anyone holding its key) cannot be recovered, so the copy does not survive
           the mistake or the attacker it exists for. Enable versioning on it, or let Strata declare it
           (archive.offsiteCopy.manage: create or adopt).`,
        ),
      ],
    },
  ];
}

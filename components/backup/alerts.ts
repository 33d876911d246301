/**
 * Alerts on backups and restore drills, built from the targets in config (one selector per target) as plain rule
 * groups (for promtool) and wrapped into a PrometheusRule object, in the style of components/alerting/platformRules.ts.
 *
 * The Pushgateway may run several replicas (a StatefulSet); a push lands on one of them and each keeps the last push
 * it received, so every group exists once per replica with possibly different ages. Timestamps are therefore taken as
 * `max by (kind, target)` over replicas (the newest is the truth), while a value that is only meaningful together with
 * its run (`last_run_success`, `size_bytes`) is read from the replica holding the newest run: a plain `max` would let
 * an old success on one replica hide a newer failure on the other.
 */
import { headingAnchor, prometheusRuleObject, type AlertingRule, type PrometheusRuleMeta, type RuleGroup, type Severity } from "../alerting/platformRules";

/** A platform alerting rule whose labels may also name the backup target it was generated for. */
export type BackupAlertingRule = AlertingRule & { labels: { severity: Severity; kind?: string; target?: string } };
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS, KSM_CRONJOB_LAST_SCHEDULE, PITR_WAL_METRICS, PUSHGATEWAY_METRICS } from "./metrics";
import { LAYOUT } from "./contract";

export interface BackupAlertTarget {
  name: string;
  kind: string;
  /** Hours between two scheduled backups. */
  intervalHours: number;
  /** Hours between two scheduled restore drills. */
  drillIntervalHours: number;
  /**
   * The target's CronJobs, when the caller knows them: then "pushes failing" also fires when a CronJob scheduled a run
   * longer than `reportWithinSeconds` ago (the Job's activeDeadlineSeconds) and no completion was pushed since. The
   * two may live in different namespaces (a backup runs beside its data, a drill in the backups namespace).
   */
  cronJobs?: { backup: CronJobRef; drill: CronJobRef; reportWithinSeconds: number };
  /** A postgresql target with point-in-time recovery: its WAL receiver, base backups and PITR drills are watched too. */
  pitr?: PitrAlertSettings;
}

export interface PitrAlertSettings {
  rpoSeconds: number;
  /** The receiver's cycle: a heartbeat older than several cycles means it stopped. */
  uploadIntervalSeconds: number;
  /** Bytes of WAL the server may keep for the slot before it is a risk to its disk (max_slot_wal_keep_size above). */
  maxRetainedWalBytes: number;
  baseBackupIntervalHours: number;
  drillIntervalHours: number;
}

export interface CronJobRef {
  namespace: string;
  name: string;
}

export interface BackupRulesInput {
  targets: BackupAlertTarget[];
  /** Base of every runbook_url; the alert's anchor in docs/runbooks/backup-alerts.md is appended. */
  runbookBaseUrl: string;
}

export const DEFAULT_BACKUP_RUNBOOK_BASE_URL = "docs/runbooks/backup-alerts.md";

/** The backup alerts' runbook page beside the platform one (`strata:alerting.runbookBaseUrl` names alerts.md). */
export function backupRunbookBaseUrl(platformRunbookBaseUrl: string): string {
  return /alerts\.md$/.test(platformRunbookBaseUrl) ? platformRunbookBaseUrl.replace(/alerts\.md$/, "backup-alerts.md") : DEFAULT_BACKUP_RUNBOOK_BASE_URL;
}

/** Thresholds, named so the runbook and the tests can cite them. */
export const BACKUP_THRESHOLDS = {
  /** Missing: no success within this many intervals. */
  missingIntervals: 2,
  /** Size drop: the recent size is below this fraction of the recent maximum. */
  sizeDropRatio: 0.5,
  /** Size drop: the window that must be small throughout, in intervals (longer than one interval: two runs). */
  sizeRecentIntervals: 1.5,
  /**
   * Size drop: the reference window before it, in intervals. Prometheus evaluates these rules over its local TSDB, so
   * it must hold (sizeRecentIntervals + sizeReferenceIntervals) backup intervals: 4.5 days for daily backups.
   */
  sizeReferenceIntervals: 3,
  /** Drill missing: no passing drill within this many drill intervals. */
  drillMissingIntervals: 2,
} as const;

const TARGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** A Prometheus duration for a number of seconds: whole hours as `Nh`, else whole minutes. */
export function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.max(1, Math.round(seconds / 60))}m`;
}

/**
 * `metric` from the replica that holds the group's newest `by` timestamp, one series per (kind, target). `and`
 * matches on every label, so it pairs the two metrics of the same group on the same replica.
 */
export function newestByReplica(metric: string, by: string, selector = "", groupBy = "kind, target"): string {
  const s = selector ? `{${selector}}` : "";
  return `max by (${groupBy}) (
  ${metric}${s}
  and
  (${by}${s} == on (${groupBy}) group_left () max by (${groupBy}) (${by}${s}))
)`;
}

/**
 * The logical series of a target (no `method` label). A PITR target's base backups and point-in-time drills push the
 * same metric names in groups of their own (`method="basebackup"`, `method="pitr"`), watched by their own rules.
 */
const LOGICAL = `method=""`;

function validate(input: BackupRulesInput) {
  const seen = new Set<string>();
  for (const t of input.targets) {
    if (!TARGET_NAME.test(t.name)) throw new Error(`backup target name '${t.name}' must match ${TARGET_NAME.source}`);
    if (!TARGET_NAME.test(t.kind)) throw new Error(`backup target ${t.name}: kind '${t.kind}' must match ${TARGET_NAME.source}`);
    if (seen.has(`${t.kind}/${t.name}`)) throw new Error(`backup target ${t.kind}/${t.name} is listed twice`);
    seen.add(`${t.kind}/${t.name}`);
    for (const key of ["intervalHours", "drillIntervalHours"] as const) {
      if (!Number.isFinite(t[key]) || t[key] <= 0) throw new Error(`backup target ${t.name}: ${key} must be a positive number of hours, got ${t[key]}`);
    }
  }
}

export function buildBackupRuleGroups(input: BackupRulesInput): RuleGroup[] {
  validate(input);
  const base = input.runbookBaseUrl;
  const rule = (
    alert: string,
    severity: Severity,
    forDuration: string,
    expr: string,
    summary: string,
    description: string,
    target?: BackupAlertTarget,
  ): BackupAlertingRule => ({
    alert,
    expr: expr.trim(),
    for: forDuration,
    // A per-target rule names its target in static labels (equal to the ones its expression yields): the same alert
    // generated for two targets is then two distinct rules, not duplicates.
    labels: target ? { severity, kind: target.kind, target: target.name } : { severity },
    annotations: { summary, description: oneLine(description), runbook_url: `${base}#${headingAnchor(alert)}` },
  });
  const th = BACKUP_THRESHOLDS;
  const B = BACKUP_METRICS;
  const D = DRILL_METRICS;

  // Runs: failures of any group the runtime pushes (a target no longer in config should have its group deleted).
  const runs: RuleGroup = {
    name: "strata.backup.runs",
    rules: [
      rule(
        "StrataBackupFailed",
        "critical",
        "5m",
        `${newestByReplica(B.lastRunSuccess, B.lastCompletion, "", "kind, target, method")} == 0`,
        "The last backup of {{ $labels.kind }} target {{ $labels.target }} failed.",
        `The newest backup run of {{ $labels.target }} ({{ $labels.kind }}) reported failure; ${LAYOUT.latest} still names the
         previous good backup, which ages until a run succeeds. The job's logs start with BACKUP FAILED.`,
      ),
      rule(
        "StrataRestoreDrillFailed",
        "critical",
        "5m",
        `${newestByReplica(D.lastRunSuccess, D.lastCompletion, "", "kind, target, method")} == 0`,
        "The last restore drill of {{ $labels.kind }} target {{ $labels.target }} failed.",
        `The newest restore drill of {{ $labels.target }} ({{ $labels.kind }}) could not restore or verify the newest
         backup: until a drill passes, that backup is not known to restore. Logs start with RESTORE DRILL FAILED,
         CHECKSUM MISMATCH, DECRYPT FAILED (an age-encrypted backup the drill's identity cannot open) or RESTORED DATA
         DIFFERS.`,
      ),
      rule(
        "StrataBackupPushFailing",
        "warning",
        "5m",
        // The Pushgateway records rejected pushes per group; across replicas, the newest attempt decides.
        `
max by (job, kind, target) (${PUSHGATEWAY_METRICS.pushFailureTime}{job=~"${BACKUP_JOB}|${DRILL_JOB}"})
  >
max by (job, kind, target) (${PUSHGATEWAY_METRICS.pushTime}{job=~"${BACKUP_JOB}|${DRILL_JOB}"})`,
        "The Pushgateway rejects pushes of {{ $labels.job }} for {{ $labels.kind }} target {{ $labels.target }}.",
        `The newest push of {{ $labels.job }} to the Pushgateway for {{ $labels.target }} was rejected (typically
         inconsistent metric types or labels). The metrics shown are from an earlier run: the next failure or success
         will not be seen.`,
      ),
    ],
  };

  const perTarget: RuleGroup[] = input.targets.map((t) => {
    const sel = `kind="${t.kind}", target="${t.name}", ${LOGICAL}`;
    const interval = t.intervalHours * 3600;
    const drill = t.drillIntervalHours * 3600;
    const missingAfter = th.missingIntervals * interval;
    const drillMissingAfter = th.drillMissingIntervals * drill;
    const recent = promDuration(th.sizeRecentIntervals * interval);
    const reference = promDuration(th.sizeReferenceIntervals * interval);
    const rules: BackupAlertingRule[] = [
      rule(
        "StrataBackupMissing",
        "critical",
        "10m",
        `time() - max by (kind, target) (${B.lastSuccess}{${sel}}) > ${missingAfter}`,
        `No successful backup of ${t.kind} target ${t.name} for over ${promDuration(missingAfter)}.`,
        `The newest successful backup of ${t.name} ended {{ $value | humanizeDuration }} ago; backups are due every
         ${promDuration(interval)}. Every run since has failed, or none has run (CronJob suspended, pods not
         scheduled, pushes lost).`,
        t,
      ),
      rule(
        "StrataBackupNeverSucceeded",
        "critical",
        // A new target gets the same two intervals to succeed for the first time.
        promDuration(missingAfter),
        `absent(${B.lastSuccess}{${sel}})`,
        `${t.kind} target ${t.name} has never reported a successful backup.`,
        `Strata declares target ${t.name} (${t.kind}) but no successful backup of it has been pushed for
         ${promDuration(missingAfter)} (two backup intervals): it has never been backed up, or the Pushgateway lost its
         groups.`,
        t,
      ),
      rule(
        "StrataBackupSizeDropped",
        "warning",
        "15m",
        // Small throughout the last 1.5 intervals (so at least two runs, or one run and nothing newer) versus the
        // largest backup of the 3 intervals before: one noisy run is replaced by the next before this can fire.
        `
max_over_time((${newestByReplica(B.size, B.lastSuccess, sel)})[${recent}:5m])
  <
${th.sizeDropRatio} * max by (kind, target) (max_over_time(${B.size}{${sel}}[${reference}] offset ${recent}))`,
        `Backups of ${t.kind} target ${t.name} are less than half their recent size.`,
        `The newest backups of ${t.name} are at most {{ $value | humanize }}B, under half the largest backup of the
         ${reference} before them, for more than one run. Data may have been deleted at the source, or the dump
         misses schemas or tables.`,
        t,
      ),
      rule(
        "StrataRestoreDrillMissing",
        "warning",
        "10m",
        `time() - max by (kind, target) (${D.lastSuccess}{${sel}}) > ${drillMissingAfter}`,
        `No passing restore drill of ${t.kind} target ${t.name} for over ${promDuration(drillMissingAfter)}.`,
        `The newest passing restore drill of ${t.name} ended {{ $value | humanizeDuration }} ago; drills are due every
         ${promDuration(drill)}. Backups taken since are not proven to restore.`,
        t,
      ),
      rule(
        "StrataRestoreDrillNeverPassed",
        "warning",
        promDuration(drillMissingAfter),
        `absent(${D.lastSuccess}{${sel}})`,
        `${t.kind} target ${t.name} has never passed a restore drill.`,
        `No passing restore drill of ${t.name} (${t.kind}) has been pushed for ${promDuration(drillMissingAfter)} (two
         drill intervals): its backups have never been proven to restore.`,
        t,
      ),
    ];
    if (t.cronJobs) {
      const c = t.cronJobs;
      // The CronJob started a run long enough ago for it to have reported, and no completion was pushed since.
      const notReported = (metric: string, cronJob: CronJobRef) => {
        const scheduled = `max(${KSM_CRONJOB_LAST_SCHEDULE}{namespace="${cronJob.namespace}", cronjob="${cronJob.name}"})`;
        return `(
  max by (job, kind, target) (${metric}{${sel}}) < on () group_left () ${scheduled}
  and on ()
  time() - ${scheduled} > ${c.reportWithinSeconds}
)`;
      };
      rules.push(
        rule(
          "StrataBackupRunNotReported",
          "warning",
          "5m",
          `${notReported(B.lastCompletion, c.backup)}\nor\n${notReported(D.lastCompletion, c.drill)}`,
          `Runs of {{ $labels.job }} for ${t.kind} target ${t.name} end without reporting.`,
          `CronJob ${c.backup.namespace}/${c.backup.name} (backup) or ${c.drill.namespace}/${c.drill.name} (drill) scheduled a run over
           ${promDuration(c.reportWithinSeconds)} ago, but the newest completion {{ $labels.job }} pushed is from
           {{ $value | humanizeTimestamp }}: the run's push did not arrive (Pushgateway unreachable, a
           NetworkPolicy, the pod killed before reporting).`,
          t,
        ),
      );
    }
    return { name: `strata.backup.${t.kind}.${t.name}`, rules };
  });

  const pitrGroups: RuleGroup[] = input.targets.flatMap((t) => (t.pitr ? [pitrRuleGroup(t, t.pitr, rule)] : []));
  return [runs, ...perTarget, ...pitrGroups];
}

type RuleFactory = (alert: string, severity: Severity, forDuration: string, expr: string, summary: string, description: string, target?: BackupAlertTarget) => BackupAlertingRule;

/** Thresholds of the PITR rules, named so the runbook and the tests can cite them. */
export const PITR_THRESHOLDS = {
  /** The receiver is down when its heartbeat is older than this many upload cycles. */
  heartbeatCycles: 8,
  /** Completed segments waiting on the receiver's volume (S3 unreachable) before a warning. */
  backlogSegments: 4,
  missingIntervals: 2,
} as const;

/** One PITR target's rules: the archive behind its RPO, the receiver stopped, the slot's WAL, base backups, drills. */
function pitrRuleGroup(t: BackupAlertTarget, p: PitrAlertSettings, rule: RuleFactory): RuleGroup {
  const W = PITR_WAL_METRICS;
  const sel = `kind="${t.kind}", target="${t.name}"`;
  const base = `${sel}, method="basebackup"`;
  const drill = `${sel}, method="pitr"`;
  const th = PITR_THRESHOLDS;
  const heartbeatAfter = th.heartbeatCycles * p.uploadIntervalSeconds;
  const baseMissingAfter = th.missingIntervals * p.baseBackupIntervalHours * 3600;
  const drillMissingAfter = th.missingIntervals * p.drillIntervalHours * 3600;
  const gib = (b: number) => `${Math.round((b / 2 ** 30) * 10) / 10} GiB`;
  return {
    name: `strata.pitr.${t.kind}.${t.name}`,
    rules: [
      rule(
        "StrataPitrBehindRpo",
        "critical",
        "2m",
        `time() - max by (kind, target) (${W.archivedThrough}{${sel}}) > ${p.rpoSeconds}`,
        `The WAL archive of ${t.name} is behind its RPO of ${p.rpoSeconds}s.`,
        `S3 holds everything ${t.name} wrote only up to {{ $value | humanizeDuration }} ago (RPO ${p.rpoSeconds}s): losing
         the database now loses more than the RPO. The receiver is disconnected from the server, or cannot upload.`,
        t,
      ),
      rule(
        "StrataPitrReceiverDown",
        "critical",
        "5m",
        `time() - max by (kind, target) (${W.heartbeat}{${sel}}) > ${heartbeatAfter} or absent(${W.heartbeat}{${sel}})`,
        `The WAL receiver of ${t.name} does not report.`,
        `No upload cycle of the WAL receiver of ${t.name} was pushed for ${promDuration(heartbeatAfter)}: its pod is not
         running, or cannot reach the Pushgateway. While it is down the server keeps WAL for its slot.`,
        t,
      ),
      rule(
        "StrataPitrSlotRetainedWalHigh",
        "warning",
        "10m",
        `max by (kind, target) (${W.slotRetainedBytes}{${sel}}) > ${p.maxRetainedWalBytes}`,
        `The server keeps over ${gib(p.maxRetainedWalBytes)} of WAL for the slot of ${t.name}.`,
        `The replication slot of ${t.name}'s WAL receiver holds {{ $value | humanize1024 }}B of WAL on the source server:
         the receiver lags or is stopped. Left alone this fills the server's disk, unless max_slot_wal_keep_size stops
         it (which then breaks the WAL chain: take a new base backup once the receiver runs again).`,
        t,
      ),
      rule(
        "StrataPitrWalUploadBacklog",
        "warning",
        "10m",
        `max by (kind, target) (${W.backlogSegments}{${sel}}) > ${th.backlogSegments}`,
        `WAL segments of ${t.name} wait on the receiver's volume.`,
        `{{ $value }} completed WAL segments of ${t.name} are on the receiver's claim but not in S3: uploads fail (S3 or
         its credentials). They go up, in order, when S3 accepts them; the claim fills if this lasts.`,
        t,
      ),
      rule(
        "StrataPitrBaseBackupMissing",
        "critical",
        "10m",
        `time() - max by (kind, target) (${BACKUP_METRICS.lastSuccess}{${base}}) > ${baseMissingAfter}`,
        `No successful base backup of ${t.name} for over ${promDuration(baseMissingAfter)}.`,
        `The newest base backup of ${t.name} ended {{ $value | humanizeDuration }} ago; they are due every
         ${promDuration(p.baseBackupIntervalHours * 3600)}. A restore replays all WAL since the newest one, and
         retention will expire the older ones.`,
        t,
      ),
      rule(
        "StrataPitrDrillMissing",
        "warning",
        "10m",
        `time() - max by (kind, target) (${DRILL_METRICS.lastSuccess}{${drill}}) > ${drillMissingAfter}`,
        `No passing point-in-time drill of ${t.name} for over ${promDuration(drillMissingAfter)}.`,
        `The newest passing point-in-time drill of ${t.name} ended {{ $value | humanizeDuration }} ago; drills are due
         every ${promDuration(p.drillIntervalHours * 3600)}. The WAL archive since is not proven to replay.`,
        t,
      ),
    ],
  };
}

export interface BackupPrometheusRuleInput<Namespace = string> extends BackupRulesInput, PrometheusRuleMeta<Namespace> {}

/** A `monitoring.coreos.com/v1` PrometheusRule object holding the backup rule groups. */
export function buildBackupPrometheusRule<Namespace = string>(input: BackupPrometheusRuleInput<Namespace>) {
  return prometheusRuleObject(input, buildBackupRuleGroups(input));
}

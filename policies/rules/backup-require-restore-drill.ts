import type { StackPolicy, Violation } from "../core/types";
import { T, asArray, get, labelsOf } from "../core/util";

export const TARGET_LABEL = "strata.io/backup-target";
export const KIND_LABEL = "strata.io/job-kind";

/**
 * Conventions (documented in policies/README.md):
 * - a backup is a CronJob labelled `strata.io/job-kind: backup` and `strata.io/backup-target: <target>`;
 * - its restore drill is a CronJob labelled `strata.io/job-kind: restore-drill` with the same target;
 * - alerts are PrometheusRule alerting rules labelled `backup_target: <target>` and `job_kind: backup|restore-drill`
 *   (a rule without `job_kind` covers both).
 */
const policy: StackPolicy = {
  kind: "stack",
  // It judges backup CronJobs; PrometheusRules are only the context it looks the alerts up in.
  subjects: [T.cronJob],
  name: "strata-backup-require-restore-drill",
  description: "Every backup target (CronJob labelled strata.io/job-kind: backup) has a restore-drill CronJob and alerting rules for both its backup and its drill.",
  enforcementLevel: "mandatory",
  validate(resources) {
    const cronJobs = resources.filter((r) => r.type === T.cronJob);
    const jobs = (kind: string) => cronJobs.filter((c) => labelsOf(c)[KIND_LABEL] === kind && labelsOf(c)[TARGET_LABEL]);
    const alerts = resources
      .filter((r) => r.type === T.prometheusRule)
      .flatMap((r) => asArray<any>(get(r.props, ["spec", "groups"])).flatMap((g) => asArray<any>(g?.rules)))
      .filter((rule) => typeof rule?.alert === "string");
    const alerted = (target: string, kind: string) => alerts.some((a) => a.labels?.backup_target === target && (a.labels?.job_kind === undefined || a.labels?.job_kind === kind));
    const out: Violation[] = [];
    const drills = new Set(jobs("restore-drill").map((c) => labelsOf(c)[TARGET_LABEL]));
    for (const backup of jobs("backup")) {
      const target = labelsOf(backup)[TARGET_LABEL]!;
      if (!drills.has(target)) out.push({ urn: backup.urn, message: `backup ${backup.name} (target ${target}) has no restore-drill CronJob (labels ${KIND_LABEL}: restore-drill, ${TARGET_LABEL}: ${target}).` });
      for (const kind of ["backup", "restore-drill"]) {
        if (!alerted(target, kind)) out.push({ urn: backup.urn, message: `backup target ${target} has no alerting rule for its ${kind} (PrometheusRule rule labels backup_target: ${target}, job_kind: ${kind}).` });
      }
    }
    return out;
  },
};
export default policy;

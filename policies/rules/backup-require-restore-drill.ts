import type { StackPolicy, Violation } from "../core/types";
import { T, asArray, get, isObject, labelsOf } from "../core/util";

const KINDS = ["backup", "restore-drill"] as const;
type Kind = (typeof KINDS)[number];

/** `label=value` selectors: does any match these labels? */
function selected(labels: Record<string, string>, selectors: string[]): boolean {
  return selectors.some((s) => {
    const eq = s.indexOf("=");
    return eq > 0 && labels[s.slice(0, eq)] === s.slice(eq + 1);
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Conventions, all policy config (defaults: Strata's backup area and the scripts' Pushgateway metrics):
 * - a backup is a CronJob matching one of `backupSelectors` and carrying `targetLabel` (`strata.io/backup-target`);
 *   its restore drill matches one of `drillSelectors` with the same target;
 * - an alerting rule (any PrometheusRule) covers a target's backup or drill when
 *   - its labels say so: `backup_target: <target>` and `job_kind: backup|restore-drill` (no `job_kind`: both), or
 *   - its expression names the CronJob (`"<cronjob name>"`) or the target (`target="<target>"`) and, for a drill, its alert
 *     name or expression mentions drill/restore (and for a backup does not), or
 *   - its expression matches one of `kindMetricPatterns[kind]`: a rule over every target's metric (e.g.
 *     `time() - strata_backup_last_success_timestamp_seconds > ...`) covers every target of that kind.
 */
const policy: StackPolicy = {
  kind: "stack",
  name: "strata-backup-require-restore-drill",
  description: "Every backup target (a backup CronJob labelled strata.io/backup-target) has a restore-drill CronJob, and alerting rules cover both its backup and its drill.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      targetLabel: { type: "string", default: "strata.io/backup-target", description: "Label naming a CronJob's backup target." },
      backupSelectors: { type: "array", items: { type: "string" }, default: ["app.kubernetes.io/name=strata-backup", "strata.io/job-kind=backup"], description: "`label=value`: CronJobs that take backups." },
      drillSelectors: { type: "array", items: { type: "string" }, default: ["app.kubernetes.io/name=strata-drill", "strata.io/job-kind=restore-drill"], description: "`label=value`: CronJobs that restore and verify backups." },
      kindMetricPatterns: {
        type: "object",
        default: { backup: ["strata_backup_last_success_timestamp_seconds"], "restore-drill": ["strata_restore_drill_last_success_timestamp_seconds"] },
        description: "Per kind, regexes of alert expressions that cover every target of that kind.",
      },
    },
  },
  // It judges backup CronJobs; PrometheusRules are only the context it looks the alerts up in.
  subjects: [T.cronJob],
  validate(resources, ctx) {
    const targetLabel: string = ctx.config.targetLabel;
    const cronJobs = resources.filter((r) => r.type === T.cronJob && labelsOf(r)[targetLabel]);
    const backups = cronJobs.filter((c) => selected(labelsOf(c), ctx.config.backupSelectors));
    const drills = cronJobs.filter((c) => selected(labelsOf(c), ctx.config.drillSelectors));
    const alerts = resources
      .filter((r) => r.type === T.prometheusRule)
      .flatMap((r) => asArray<any>(get(r.props, ["spec", "groups"])).flatMap((g) => asArray<any>(g?.rules)))
      .filter((rule) => typeof rule?.alert === "string");
    // Compiled once: every target is checked against every alert.
    const compiled = new Map(KINDS.map((kind) => [kind, asArray<string>(isObject(ctx.config.kindMetricPatterns) ? ctx.config.kindMetricPatterns[kind] : undefined).map((p) => new RegExp(p))]));
    const patterns = (kind: Kind) => compiled.get(kind)!;

    const covers = (rule: any, target: string, kind: Kind, jobName: string | undefined): boolean => {
      const labels = isObject(rule.labels) ? rule.labels : {};
      if (labels.backup_target === target) return labels.job_kind === undefined || labels.job_kind === kind;
      const expr = String(rule.expr ?? "");
      if (patterns(kind).some((p) => p.test(expr))) return true;
      const aboutDrill = /drill|restore/i.test(`${rule.alert} ${expr}`);
      const names = (jobName ? new RegExp(`["'=~]${escape(jobName)}["']`).test(expr) : false) || new RegExp(`target\\s*=~?\\s*"${escape(target)}"`).test(expr);
      return names && (kind === "restore-drill" ? aboutDrill : !aboutDrill);
    };

    const out: Violation[] = [];
    for (const backup of backups) {
      const target = labelsOf(backup)[targetLabel]!;
      const drill = drills.find((d) => labelsOf(d)[targetLabel] === target);
      if (!drill) out.push({ urn: backup.urn, message: `backup ${backup.name} (target ${target}) has no restore-drill CronJob (${(ctx.config.drillSelectors as string[]).join(" or ")}, ${targetLabel}: ${target}).` });
      const jobs: [Kind, string | undefined][] = [["backup", get(backup.props, ["metadata", "name"]) ?? backup.name], ["restore-drill", drill ? (get(drill.props, ["metadata", "name"]) ?? drill.name) : undefined]];
      for (const [kind, jobName] of jobs) {
        if (!alerts.some((a) => covers(a, target, kind, jobName))) {
          out.push({ urn: backup.urn, message: `backup target ${target} has no alerting rule for its ${kind} (a PrometheusRule alert over ${patterns(kind).map((p) => p.source).join(" / ") || "its metrics"}, or labelled backup_target: ${target}, job_kind: ${kind}).` });
        }
      }
    }
    return out;
  },
};
export default policy;

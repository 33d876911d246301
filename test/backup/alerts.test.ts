import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { headingAnchor } from "../../components/alerting/platformRules";
import {
  backupRunbookBaseUrl,
  buildBackupPrometheusRule,
  buildBackupRuleGroups,
  DEFAULT_BACKUP_RUNBOOK_BASE_URL,
  promDuration,
  type BackupAlertTarget,
} from "../../components/backup/alerts";
import { render, s, type AlertCase, type Series } from "../helpers/promtoolRules";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

const work = mkdtempSync(join(tmpdir(), "strata-backup-rules-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A target backed up every 6 hours and drilled daily (short intervals keep promtool's input small), with its CronJobs.
const TARGET: BackupAlertTarget = {
  name: "app-db",
  kind: "postgresql",
  intervalHours: 6,
  drillIntervalHours: 24,
  // The backup runs beside its data in the application's namespace (like a SQLite target), the drill in the backups one.
  cronJobs: { backup: { namespace: "app", name: "strata-backup-app-db" }, drill: { namespace: "strata-backups", name: "strata-drill-app-db" }, reportWithinSeconds: 3600 },
};
const OTHER: BackupAlertTarget = { name: "prometheus", kind: "prometheus-snapshot", intervalHours: 24, drillIntervalHours: 168 };
const INPUT = { targets: [TARGET, OTHER], runbookBaseUrl: DEFAULT_BACKUP_RUNBOOK_BASE_URL };
const groups = buildBackupRuleGroups(INPUT);
const rules = groups.flatMap((g) => g.rules);
const alertNames = [...new Set(rules.map((r) => r.alert))];
// promtool evaluates only the groups of the test target (the others' long subqueries would only cost time).
const testGroups = groups.filter((g) => g.name === "strata.backup.runs" || g.name.endsWith(`.${TARGET.name}`));

// --- promtool test cases, written as data -------------------------------------------------------------------------

/** Minutes between two samples and between two rule evaluations (the windows are hours to days long). */
const STEP = 5;
/**
 * A gauge as the Pushgateway exposes it, one sample every STEP minutes until `minutes`: `points` are [minute, value]
 * steps (each value holds until the next step), starting at minute 0, on multiples of STEP.
 */
function steps(minutes: number, points: [number, number][]): string {
  if (points[0]?.[0] !== 0) throw new Error("steps start at minute 0");
  for (const [at] of points) if (at % STEP !== 0) throw new Error(`step at minute ${at} is not a multiple of ${STEP}`);
  return points
    .map(([at, v], i) => {
      const end = i + 1 < points.length ? points[i + 1]![0] : minutes + STEP;
      return `${v}x${(end - at) / STEP - 1}`;
    })
    .join(" ");
}

// Two Pushgateway replicas (a StatefulSet), scraped with honorLabels: the grouping key plus the target's own labels.
const replica = (i: number) => ({ namespace: "monitoring", service: "pushgateway", endpoint: "http", pod: `pushgateway-${i}`, instance: `10.0.5.${i + 1}:9091` });
const group = (job: string, t: BackupAlertTarget = TARGET) => ({ job, kind: t.kind, target: t.name });
const out = (t: BackupAlertTarget = TARGET) => ({ kind: t.kind, target: t.name });

const M = 60;
/** A run of the backup (or drill) script that ended at `minute`, as what it pushes. */
interface Run {
  minute: number;
  ok: boolean;
  size?: number;
}
/** The series one replica exposes after receiving `runs` (success-only metrics keep their last success). */
function pushedSeries(prefix: "strata_backup" | "strata_restore_drill", runs: Run[], minutes: number, rep = 0): Series[] {
  const labels = { ...group(prefix), ...replica(rep) };
  const out: Series[] = [];
  const completion: [number, number][] = runs.map((r) => [r.minute, r.minute * M]);
  const result: [number, number][] = runs.map((r) => [r.minute, r.ok ? 1 : 0]);
  const okRuns = runs.filter((r) => r.ok);
  out.push(s(`${prefix}_last_completion_timestamp_seconds`, labels, steps(minutes, completion)));
  out.push(s(`${prefix}_last_run_success`, labels, steps(minutes, result)));
  if (okRuns.length > 0) {
    if (okRuns[0]!.minute !== runs[0]!.minute) throw new Error("a replica whose first run failed has no success series at minute 0; start with a success");
    out.push(s(`${prefix}_last_success_timestamp_seconds`, labels, steps(minutes, okRuns.map((r) => [r.minute, r.minute * M]))));
    if (prefix === "strata_backup") out.push(s("strata_backup_size_bytes", labels, steps(minutes, okRuns.map((r) => [r.minute, r.size ?? 1e9]))));
  }
  return out;
}
// Runs every 6 hours (the test target's interval), from minute 0 to `untilMinute`.
const every = (intervalMinutes: number, untilMinute: number, size = (_i: number) => 1e9): Run[] =>
  Array.from({ length: Math.floor(untilMinute / intervalMinutes) + 1 }, (_v, i) => ({ minute: i * intervalMinutes, ok: true, size: size(i) }));

const cases: AlertCase[] = [
  {
    alert: "StrataBackupFailed",
    name: "fires when the newest run failed after a success",
    series: pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 360, ok: false }], 400),
    evalTime: "400m",
    fires: [{ labels: out(), value: "0" }],
  },
  {
    alert: "StrataBackupFailed",
    name: "fires when the newest run failed on the other Pushgateway replica than an older success",
    series: [...pushedSeries("strata_backup", [{ minute: 0, ok: true }], 400, 0), ...pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 360, ok: false }], 400, 1)],
    evalTime: "400m",
    fires: [{ labels: out(), value: "0" }],
  },
  {
    alert: "StrataBackupFailed",
    name: "stays silent when a newer success on one replica follows an old failure on the other",
    series: [
      ...pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 360, ok: false }], 800, 0),
      ...pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 720, ok: true }], 800, 1),
    ],
    evalTime: "800m",
    fires: [],
  },
  {
    alert: "StrataBackupMissing",
    name: "fires when the last success is over two intervals old",
    // Succeeded at 0, then every run failed: at 13h the newest success is 13h old (threshold 12h, for 10m).
    series: pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 360, ok: false }, { minute: 720, ok: false }], 780),
    evalTime: "13h",
    fires: [{ labels: out(), value: "13h 0m 0s" }],
  },
  {
    alert: "StrataBackupMissing",
    name: "stays silent after a failed run: the failure does not erase the earlier success",
    series: pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 360, ok: false }], 660),
    evalTime: "11h",
    fires: [],
  },
  {
    alert: "StrataBackupMissing",
    name: "stays silent while backups succeed every interval (on alternating replicas)",
    series: [
      ...pushedSeries("strata_backup", [0, 720].map((m) => ({ minute: m, ok: true })), 1500, 0),
      ...pushedSeries("strata_backup", [0, 360, 1080, 1440].map((m) => ({ minute: m, ok: true })), 1500, 1),
    ],
    evalTime: "25h",
    fires: [],
  },
  {
    alert: "StrataBackupNeverSucceeded",
    name: "fires when a target has run but never succeeded for two intervals",
    series: [s("strata_backup_last_run_success", { ...group("strata_backup"), ...replica(0) }, "0x200"), s("strata_backup_last_completion_timestamp_seconds", { ...group("strata_backup"), ...replica(0) }, "60x200")],
    evalTime: "13h",
    fires: [{ labels: out(), value: "1" }],
  },
  {
    alert: "StrataBackupNeverSucceeded",
    name: "fires when a declared target has never reported anything for two intervals",
    series: [],
    evalTime: "12h10m",
    fires: [{ labels: out(), value: "1" }],
  },
  {
    alert: "StrataBackupNeverSucceeded",
    name: "stays silent for a new target within its first two intervals",
    series: [],
    evalTime: "11h",
    fires: [],
  },
  {
    alert: "StrataBackupNeverSucceeded",
    name: "stays silent once the target has succeeded",
    series: pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 360, ok: false }], 800),
    evalTime: "13h",
    fires: [],
  },
  {
    alert: "StrataBackupSizeDropped",
    name: "fires when two runs in a row are under half the recent maximum",
    // 1 GB every 6h; from 24h the dumps are 300 MB. 1.5 intervals after the first small one the second confirms it.
    series: pushedSeries("strata_backup", every(360, 2040, (i) => (i >= 4 ? 3e8 : 1e9)), 2040),
    evalTime: "34h",
    fires: [{ labels: out(), value: "300M" }],
  },
  {
    alert: "StrataBackupSizeDropped",
    name: "fires on a drop although an old, larger backup stays on the other Pushgateway replica",
    series: [
      ...pushedSeries("strata_backup", every(360, 1080), 2040, 0),
      ...pushedSeries("strata_backup", [{ minute: 0, ok: true, size: 1e9 }, { minute: 1440, ok: true, size: 3e8 }, { minute: 1800, ok: true, size: 3e8 }], 2040, 1),
    ],
    evalTime: "34h",
    fires: [{ labels: out(), value: "300M" }],
  },
  {
    alert: "StrataBackupSizeDropped",
    name: "stays silent after a single small run that the next run corrects",
    series: pushedSeries("strata_backup", every(360, 2040, (i) => (i === 4 ? 3e8 : 1e9)), 2040),
    evalTime: "34h",
    fires: [],
  },
  {
    alert: "StrataBackupSizeDropped",
    name: "stays silent before the second run could confirm a drop",
    series: pushedSeries("strata_backup", every(360, 1740, (i) => (i >= 4 ? 3e8 : 1e9)), 1740),
    evalTime: "29h",
    fires: [],
  },
  {
    alert: "StrataBackupSizeDropped",
    name: "stays silent on a small fluctuation (20% smaller, then back and forth)",
    series: pushedSeries("strata_backup", every(360, 2040, (i) => (i >= 4 ? (i % 2 === 0 ? 8e8 : 9e8) : 1e9)), 2040),
    evalTime: "34h",
    fires: [],
  },
  {
    alert: "StrataRestoreDrillFailed",
    name: "fires when the newest drill failed",
    series: pushedSeries("strata_restore_drill", [{ minute: 0, ok: true }, { minute: 1440, ok: false }], 1500),
    evalTime: "1500m",
    fires: [{ labels: out(), value: "0" }],
  },
  {
    alert: "StrataRestoreDrillFailed",
    name: "stays silent when drills pass",
    series: pushedSeries("strata_restore_drill", [{ minute: 0, ok: true }, { minute: 1440, ok: true }], 1500),
    evalTime: "1500m",
    fires: [],
  },
  {
    alert: "StrataRestoreDrillMissing",
    name: "fires when no drill passed for over two drill intervals",
    series: pushedSeries("strata_restore_drill", [{ minute: 0, ok: true }, { minute: 1440, ok: false }], 2940),
    evalTime: "49h",
    fires: [{ labels: out(), value: "2d 1h 0m 0s" }],
  },
  {
    alert: "StrataRestoreDrillMissing",
    name: "stays silent while a drill passes every day",
    series: pushedSeries("strata_restore_drill", [0, 1440, 2880].map((m) => ({ minute: m, ok: true })), 2940),
    evalTime: "49h",
    fires: [],
  },
  {
    alert: "StrataRestoreDrillNeverPassed",
    name: "fires when a declared target has never passed a drill for two drill intervals",
    series: [],
    evalTime: "48h10m",
    fires: [{ labels: out(), value: "1" }],
  },
  {
    alert: "StrataRestoreDrillNeverPassed",
    name: "stays silent within the first two drill intervals",
    series: [],
    evalTime: "47h",
    fires: [],
  },
  {
    alert: "StrataBackupPushFailing",
    name: "fires when the Pushgateway rejected the newest push of a group",
    series: [
      s("push_time_seconds", { ...group("strata_backup"), ...replica(0) }, steps(400, [[0, 0], [10, 600]])),
      s("push_failure_time_seconds", { ...group("strata_backup"), ...replica(0) }, steps(400, [[0, 0], [370, 22200]])),
    ],
    evalTime: "400m",
    fires: [{ labels: group("strata_backup"), value: "22200" }],
  },
  {
    alert: "StrataBackupPushFailing",
    name: "stays silent when a later push succeeded on the other replica",
    series: [
      s("push_time_seconds", { ...group("strata_backup"), ...replica(0) }, steps(400, [[0, 600]])),
      s("push_failure_time_seconds", { ...group("strata_backup"), ...replica(0) }, steps(400, [[0, 0], [370, 22200]])),
      s("push_time_seconds", { ...group("strata_backup"), ...replica(1) }, steps(400, [[0, 0], [380, 22800]])),
      s("push_failure_time_seconds", { ...group("strata_backup"), ...replica(1) }, steps(400, [[0, 0]])),
    ],
    evalTime: "400m",
    fires: [],
  },
  {
    alert: "StrataBackupRunNotReported",
    name: "fires when the CronJob ran over the report deadline ago and no completion arrived since",
    series: [
      ...pushedSeries("strata_backup", [{ minute: 0, ok: true }], 480),
      s("kube_cronjob_status_last_schedule_time", { namespace: "app", cronjob: "strata-backup-app-db", job: "kube-state-metrics", instance: "10.0.6.1:8080" }, steps(480, [[0, 0], [360, 21600]])),
    ],
    evalTime: "8h",
    fires: [{ labels: group("strata_backup"), value: "1970-01-01 00:00:00 +0000 UTC" }],
  },
  {
    alert: "StrataBackupRunNotReported",
    name: "stays silent when the scheduled run reported, and while a run is still within its deadline",
    series: [
      ...pushedSeries("strata_backup", [{ minute: 0, ok: true }, { minute: 380, ok: false }], 480),
      ...pushedSeries("strata_restore_drill", [{ minute: 0, ok: true }], 480),
      s("kube_cronjob_status_last_schedule_time", { namespace: "app", cronjob: "strata-backup-app-db", job: "kube-state-metrics", instance: "10.0.6.1:8080" }, steps(480, [[0, 0], [360, 21600]])),
      s("kube_cronjob_status_last_schedule_time", { namespace: "strata-backups", cronjob: "strata-drill-app-db", job: "kube-state-metrics", instance: "10.0.6.1:8080" }, steps(480, [[0, 0], [450, 27000]])),
    ],
    evalTime: "8h",
    fires: [],
  },
];

function promtoolTest(c: AlertCase) {
  // The rule that owns this alert for the test target (its per-target group when it is generated per target).
  const candidates = rules.filter((r) => r.alert === c.alert);
  const rule = candidates.find((r) => r.expr.includes(`target="${TARGET.name}"`)) ?? candidates[0]!;
  return {
    rule_files: ["rules.yaml"],
    evaluation_interval: `${STEP}m`,
    tests: [
      {
        interval: `${STEP}m`,
        input_series: c.series,
        alert_rule_test: [
          {
            eval_time: c.evalTime,
            alertname: c.alert,
            exp_alerts: c.fires.map((f) => {
              const labels = { ...f.labels, ...rule.labels };
              return {
                exp_labels: labels,
                exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, render(v, labels, f.value)])),
              };
            }),
          },
        ],
      },
    ],
  };
}

describe("backup alert rules", () => {
  it("every rule group passes promtool check rules (including its duplicate-rule lint)", () => {
    writeFileSync(join(work, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
    const result = spawnSync("promtool", ["check", "rules", "rules.yaml"], { cwd: work, encoding: "utf8" });
    expect(result.error, "promtool is not installed: run bash scripts/setup.sh").toBeUndefined();
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });

  it("has every alert the issue asks for, with the severities it asks for", () => {
    const severity = Object.fromEntries(rules.map((r) => [r.alert, r.labels.severity]));
    expect(severity).toEqual({
      StrataBackupFailed: "critical",
      StrataBackupMissing: "critical",
      StrataBackupNeverSucceeded: "critical",
      StrataRestoreDrillFailed: "critical",
      StrataBackupSizeDropped: "warning",
      StrataRestoreDrillMissing: "warning",
      StrataRestoreDrillNeverPassed: "warning",
      StrataBackupPushFailing: "warning",
      StrataBackupRunNotReported: "warning",
    });
  });

  it("each alert has a case that fires and one that stays silent", () => {
    for (const alert of alertNames) {
      const mine = cases.filter((c) => c.alert === alert);
      expect(mine.some((c) => c.fires.length > 0), `${alert} has no firing case`).toBe(true);
      expect(mine.some((c) => c.fires.length === 0), `${alert} has no silent case`).toBe(true);
    }
  });

  it.each(cases.map((c) => [c.alert, c.name, c] as const))("promtool test rules: %s %s", (_alert, name, c) => {
    const dir = mkdtempSync(join(work, "case-"));
    writeFileSync(join(dir, "rules.yaml"), yaml.dump({ groups: testGroups }, { lineWidth: -1 }));
    writeFileSync(join(dir, "test.yaml"), yaml.dump(promtoolTest(c), { lineWidth: -1 }));
    const result = spawnSync("promtool", ["test", "rules", "test.yaml"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(result.error, "promtool is not installed: run bash scripts/setup.sh").toBeUndefined();
    expect(result.stdout + result.stderr, name).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("generates the interval-bound alerts once per target, with that target's windows", () => {
    const missing = rules.filter((r) => r.alert === "StrataBackupMissing");
    expect(missing.map((r) => r.expr)).toEqual([
      'time() - max by (kind, target) (strata_backup_last_success_timestamp_seconds{kind="postgresql", target="app-db", method=""}) > 43200',
      'time() - max by (kind, target) (strata_backup_last_success_timestamp_seconds{kind="prometheus-snapshot", target="prometheus", method=""}) > 172800',
    ]);
    const never = rules.filter((r) => r.alert === "StrataBackupNeverSucceeded");
    expect(never.map((r) => [r.expr, r.for])).toEqual([
      ['absent(strata_backup_last_success_timestamp_seconds{kind="postgresql", target="app-db", method=""})', "12h"],
      ['absent(strata_backup_last_success_timestamp_seconds{kind="prometheus-snapshot", target="prometheus", method=""})', "48h"],
    ]);
    const size = rules.filter((r) => r.alert === "StrataBackupSizeDropped");
    expect(size[1]!.expr).toContain("[36h:5m]");
    expect(size[1]!.expr).toContain("[72h] offset 36h");
    // Only targets with known CronJobs get the "not reported" rule.
    expect(rules.filter((r) => r.alert === "StrataBackupRunNotReported")).toHaveLength(1);
    expect(groups.map((g) => g.name)).toEqual(["strata.backup.runs", "strata.backup.postgresql.app-db", "strata.backup.prometheus-snapshot.prometheus"]);
  });

  it("every alert has a severity and summary, description and runbook_url annotations", () => {
    for (const r of rules) {
      expect(r.for).toMatch(/^\d+[mh]$/);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(30);
      expect(r.annotations.runbook_url).toMatch(/^docs\/runbooks\/backup-alerts\.md#strata[a-z]+$/);
    }
  });

  it("each runbook_url points at a heading of docs/runbooks/backup-alerts.md, and the page has no entry for an alert that does not exist", () => {
    const runbook = readFileSync(join(PROJECT_DIR, "docs", "runbooks", "backup-alerts.md"), "utf8");
    const anchors = [...runbook.matchAll(/^## (.+)$/gm)].map((m) => headingAnchor(m[1]!));
    // With a PITR target, the PITR alerts too (test/backup/pitrAlerts.test.ts tests them).
    const withPitr = buildBackupRuleGroups({ ...INPUT, targets: [{ ...TARGET, pitr: { rpoSeconds: 60, uploadIntervalSeconds: 15, maxRetainedWalBytes: 2 ** 33, baseBackupIntervalHours: 24, drillIntervalHours: 24 } }, OTHER] });
    const allAlerts = [...new Set(withPitr.flatMap((g) => g.rules.map((r) => r.alert)))];
    expect(anchors.sort()).toEqual(allAlerts.map(headingAnchor).sort());
  });

  it("puts the backup runbook page beside the platform one", () => {
    expect(backupRunbookBaseUrl("docs/runbooks/alerts.md")).toBe("docs/runbooks/backup-alerts.md");
    expect(backupRunbookBaseUrl("https://github.com/acme/strata/blob/main/docs/runbooks/alerts.md")).toBe("https://github.com/acme/strata/blob/main/docs/runbooks/backup-alerts.md");
    const custom = buildBackupRuleGroups({ ...INPUT, runbookBaseUrl: "https://x.example/b.md" });
    expect(custom[0]!.rules[0]!.annotations.runbook_url).toBe("https://x.example/b.md#stratabackupfailed");
  });

  it("rejects targets whose names would break a selector, duplicates and non-positive intervals", () => {
    expect(() => buildBackupRuleGroups({ ...INPUT, targets: [{ ...OTHER, name: 'a"b' }] })).toThrow(/must match/);
    expect(() => buildBackupRuleGroups({ ...INPUT, targets: [OTHER, OTHER] })).toThrow(/twice/);
    expect(() => buildBackupRuleGroups({ ...INPUT, targets: [{ ...OTHER, intervalHours: 0 }] })).toThrow(/intervalHours/);
  });

  it("formats durations the way Prometheus reads them", () => {
    expect(promDuration(43200)).toBe("12h");
    expect(promDuration(5400)).toBe("90m");
  });

  it("the PrometheusRule object validates against the prometheus-operator schema", () => {
    // Per-target rules name their target in static labels, equal to what their expressions yield.
    for (const r of groups[1]!.rules) expect(r.labels).toMatchObject({ kind: TARGET.kind, target: TARGET.name });
    const object = buildBackupPrometheusRule({ ...INPUT, name: "strata-backups", namespace: "monitoring", labels: { release: "kube-prometheus-stack" } });
    const model = new PrometheusRule(object) as unknown as { validate(): void };
    expect(() => model.validate()).not.toThrow();
    expect(object.spec.groups).toEqual(groups);
  });
});

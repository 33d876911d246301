/**
 * The PITR alert rules, run by promtool: the archive behind the RPO, the receiver down, the slot's retained WAL, the
 * upload backlog, base backups and point-in-time drills missing, and a failed base backup not masked by the logical
 * series of the same target.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { buildBackupRuleGroups, DEFAULT_BACKUP_RUNBOOK_BASE_URL, type BackupAlertTarget } from "../../components/backup/alerts";
import { render, s, type AlertCase, type Series } from "../helpers/promtoolRules";

const work = mkdtempSync(join(tmpdir(), "strata-pitr-rules-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Hourly base backups and drills keep promtool's input short; the RPO and the cycle are the defaults.
const TARGET: BackupAlertTarget = {
  name: "orders-db",
  kind: "postgresql",
  intervalHours: 24,
  drillIntervalHours: 24,
  pitr: { rpoSeconds: 60, uploadIntervalSeconds: 15, maxRetainedWalBytes: 8 * 2 ** 30, baseBackupIntervalHours: 1, drillIntervalHours: 1 },
};
const groups = buildBackupRuleGroups({ targets: [TARGET], runbookBaseUrl: DEFAULT_BACKUP_RUNBOOK_BASE_URL });
const rules = groups.flatMap((g) => g.rules);

const rep = { namespace: "monitoring", service: "pushgateway", endpoint: "http", pod: "pushgateway-0", instance: "10.0.5.1:9091" };
const wal = { job: "strata_pitr_wal", kind: "postgresql", target: "orders-db", ...rep };
const base = { job: "strata_backup", kind: "postgresql", target: "orders-db", method: "basebackup", ...rep };
const logical = { job: "strata_backup", kind: "postgresql", target: "orders-db", ...rep };
const drill = { job: "strata_restore_drill", kind: "postgresql", target: "orders-db", method: "pitr", ...rep };
const out = { kind: "postgresql", target: "orders-db" };
/** A timestamp that follows the clock: the sample at minute m is m*60 (1-minute samples). */
const live = (minutes: number) => `0+60x${minutes}`;
/** A timestamp that follows the clock until `stopAt`, then stays. */
const stops = (stopAt: number, minutes: number) => `0+60x${stopAt} ${stopAt * 60}x${minutes - stopAt}`;

const cases: AlertCase[] = [
  { alert: "StrataPitrBehindRpo", name: "fires when the archive stops advancing for longer than the RPO", series: [s("strata_pitr_wal_archived_through_timestamp_seconds", wal, stops(5, 20))], evalTime: "20m", fires: [{ labels: out, value: "15m 0s" }] },
  { alert: "StrataPitrBehindRpo", name: "stays silent while the archive keeps up", series: [s("strata_pitr_wal_archived_through_timestamp_seconds", wal, live(20))], evalTime: "20m", fires: [] },
  { alert: "StrataPitrReceiverDown", name: "fires when the uploader's heartbeat stops", series: [s("strata_pitr_wal_uploader_heartbeat_timestamp_seconds", wal, stops(5, 20))], evalTime: "20m", fires: [{ labels: out, value: "15m 0s" }] },
  { alert: "StrataPitrReceiverDown", name: "fires when the receiver never reported", series: [s("strata_pitr_wal_archived_through_timestamp_seconds", { ...wal, target: "other" }, live(20))], evalTime: "20m", fires: [{ labels: out, value: "1" }] },
  { alert: "StrataPitrReceiverDown", name: "stays silent while the heartbeat beats", series: [s("strata_pitr_wal_uploader_heartbeat_timestamp_seconds", wal, live(20))], evalTime: "20m", fires: [] },
  { alert: "StrataPitrSlotRetainedWalHigh", name: "fires when the slot holds more WAL than the threshold", series: [s("strata_pitr_slot_retained_wal_bytes", wal, "9000000000x30")], evalTime: "30m", fires: [{ labels: out, value: "8.382Gi" }] },
  { alert: "StrataPitrSlotRetainedWalHigh", name: "stays silent under the threshold", series: [s("strata_pitr_slot_retained_wal_bytes", wal, "16777216x30")], evalTime: "30m", fires: [] },
  { alert: "StrataPitrWalUploadBacklog", name: "fires when segments pile up on the volume", series: [s("strata_pitr_wal_upload_backlog_segments", wal, "10x30")], evalTime: "30m", fires: [{ labels: out, value: "10" }] },
  { alert: "StrataPitrWalUploadBacklog", name: "stays silent with a segment or two in flight", series: [s("strata_pitr_wal_upload_backlog_segments", wal, "1x30")], evalTime: "30m", fires: [] },
  {
    alert: "StrataPitrBaseBackupMissing",
    name: "fires when the base backups stop, even while the logical dumps succeed",
    series: [s("strata_backup_last_success_timestamp_seconds", base, "0x180"), s("strata_backup_last_success_timestamp_seconds", logical, live(180))],
    evalTime: "3h",
    fires: [{ labels: out, value: "3h 0m 0s" }],
  },
  { alert: "StrataPitrBaseBackupMissing", name: "stays silent while base backups succeed", series: [s("strata_backup_last_success_timestamp_seconds", base, live(180))], evalTime: "3h", fires: [] },
  { alert: "StrataPitrDrillMissing", name: "fires when no point-in-time drill passed for two intervals", series: [s("strata_restore_drill_last_success_timestamp_seconds", drill, "0x180")], evalTime: "3h", fires: [{ labels: out, value: "3h 0m 0s" }] },
  { alert: "StrataPitrDrillMissing", name: "stays silent while drills pass", series: [s("strata_restore_drill_last_success_timestamp_seconds", drill, live(180))], evalTime: "3h", fires: [] },
  {
    alert: "StrataBackupFailed",
    name: "fires for a failed base backup although the logical backup after it succeeded",
    series: [
      s("strata_backup_last_completion_timestamp_seconds", base, "600x30"),
      s("strata_backup_last_run_success", base, "0x30"),
      s("strata_backup_last_completion_timestamp_seconds", logical, "1200x30"),
      s("strata_backup_last_run_success", logical, "1x30"),
    ],
    evalTime: "30m",
    fires: [{ labels: { ...out, method: "basebackup" }, value: "0" }],
  },
];

function promtoolTest(c: AlertCase) {
  const rule = rules.find((r) => r.alert === c.alert)!;
  return {
    rule_files: ["rules.yaml"],
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: c.series as Series[],
        alert_rule_test: [
          {
            eval_time: c.evalTime,
            alertname: c.alert,
            exp_alerts: c.fires.map((f) => {
              const labels = { ...f.labels, ...rule.labels };
              return { exp_labels: labels, exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, render(v, labels, f.value)])) };
            }),
          },
        ],
      },
    ],
  };
}

describe("PITR alert rules", () => {
  it("are generated only for a PITR target, in a group of its own, with the target's thresholds", () => {
    expect(groups.map((g) => g.name)).toEqual(["strata.backup.runs", "strata.backup.postgresql.orders-db", "strata.pitr.postgresql.orders-db"]);
    const pitr = groups[2]!.rules;
    expect(pitr.map((r) => [r.alert, r.labels.severity])).toEqual([
      ["StrataPitrBehindRpo", "critical"],
      ["StrataPitrReceiverDown", "critical"],
      ["StrataPitrSlotRetainedWalHigh", "warning"],
      ["StrataPitrWalUploadBacklog", "warning"],
      ["StrataPitrBaseBackupMissing", "critical"],
      ["StrataPitrDrillMissing", "warning"],
    ]);
    expect(pitr[0]!.expr).toBe('time() - max by (kind, target) (strata_pitr_wal_archived_through_timestamp_seconds{kind="postgresql", target="orders-db"}) > 60');
    expect(buildBackupRuleGroups({ targets: [{ ...TARGET, pitr: undefined }], runbookBaseUrl: DEFAULT_BACKUP_RUNBOOK_BASE_URL }).map((g) => g.name)).not.toContain("strata.pitr.postgresql.orders-db");
  });

  it("each PITR alert has a case that fires and one that stays silent", () => {
    for (const alert of groups[2]!.rules.map((r) => r.alert)) {
      const mine = cases.filter((c) => c.alert === alert);
      expect(mine.some((c) => c.fires.length > 0), `${alert} has no firing case`).toBe(true);
      expect(mine.some((c) => c.fires.length === 0), `${alert} has no silent case`).toBe(true);
    }
  });

  it.each(cases.map((c) => [c.alert, c.name, c] as const))("promtool test rules: %s %s", (_alert, name, c) => {
    const dir = mkdtempSync(join(work, "case-"));
    writeFileSync(join(dir, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
    writeFileSync(join(dir, "test.yaml"), yaml.dump(promtoolTest(c), { lineWidth: -1 }));
    const result = spawnSync("promtool", ["test", "rules", "test.yaml"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(result.error, "promtool is not installed: run bash scripts/setup.sh").toBeUndefined();
    expect(result.stdout + result.stderr, name).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });
});

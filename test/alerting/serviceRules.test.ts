/**
 * The alerts on the services Strata runs (Loki, the log collector, the Pushgateway): promtool check and test cases
 * that fire and stay silent, the runbook headings, and the PrometheusRule objects against the operator's schema.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { headingAnchor, prometheusRuleObject, SERVICE_ALERTS_RUNBOOK, type RuleGroup } from "../../components/alerting/platformRules";
import { buildLokiRuleGroups } from "../../components/logging/lokiRules";
import { buildCollectorRuleGroups } from "../../components/logging/collectorRules";
import { buildPushgatewayRuleGroups } from "../../components/metrics/pushgatewayRules";
import { buildProtectionRuleGroups } from "../../components/archive/protectionRules";
import { buildOffsiteCopyRuleGroups } from "../../components/archive/offsiteCopyRules";
import { PUSHGATEWAY_FULLNAME } from "../../components/metrics/names";
import { render, s, type AlertCase } from "../helpers/promtoolRules";
import { validateK8sObject } from "../helpers/k8sValidate";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

const work = mkdtempSync(join(tmpdir(), "strata-service-rules-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const suites: Record<string, RuleGroup[]> = {
  loki: buildLokiRuleGroups({ namespace: "logging" }),
  collector: buildCollectorRuleGroups({ namespace: "logging" }),
  pushgateway: buildPushgatewayRuleGroups({ namespace: "monitoring" }),
  "bucket-protection": buildProtectionRuleGroups(),
  // Daily copies with a 4 h deadline: stale after 2 x 24 h + 4 h = 52 h.
  "offsite-copy": buildOffsiteCopyRuleGroups({ intervalHours: 24, runSeconds: 4 * 3600, cronJob: { namespace: "strata-backups", name: "strata-offsite-copy" } }),
};
const groups = Object.values(suites).flat();
const rules = groups.flatMap((g) => g.rules);

// --- series -------------------------------------------------------------------------------------------------------

const loki = { namespace: "logging", job: "logging/loki", instance: "10.0.5.3:3100", pod: "loki-0", container: "loki", service: "loki", endpoint: "http-metrics" };
const lokiOther = { ...loki, instance: "10.0.5.4:3100", pod: "loki-1" };
// The same metrics from another namespace (an application's own Loki) never fire Strata's alerts.
const foreign = { ...loki, namespace: "team-a", job: "team-a/loki" };
const collector = { namespace: "logging", job: "logging/log-collector-alloy", instance: "10.0.6.2:12345", pod: "log-collector-alloy-x7k2p", container: "alloy" };
const pgw = { namespace: "monitoring", job: PUSHGATEWAY_FULLNAME, instance: "10.0.7.2:9091", pod: "strata-pushgateway-0", service: PUSHGATEWAY_FULLNAME, endpoint: "http" };

// Pushed by the bucket protection check, scraped with honorLabels from two Pushgateway replicas.
const pushed = (i: number) => ({ namespace: "monitoring", job: "strata-bucket-protection", instance: "", pod: `strata-pushgateway-${i}`, service: PUSHGATEWAY_FULLNAME, endpoint: "http" });
const versioning = { bucket: "strata-prod-backups-x1", check: "versioning" };
// Pushed by the off-site copy job to the group of its destination bucket.
const copyPush = (i: number) => ({ ...pushed(i), job: "strata_offsite_copy", destination: "acme-backups-nbg1" });
const copyCron = { namespace: "strata-backups", cronjob: "strata-offsite-copy", job: "kube-state-metrics" };
/** The newest run's `metric` on replica 0 (its completion at t=1000s) and an older run's on replica 1. */
const copyRun = (metric: string, newest: string, older: string) => [
  s(metric, copyPush(0), `${newest}x20`),
  s("strata_offsite_copy_last_completion_timestamp_seconds", copyPush(0), "1000x20"),
  s(metric, copyPush(1), `${older}x20`),
  s("strata_offsite_copy_last_completion_timestamp_seconds", copyPush(1), "500x20"),
];

const requests = (errorsPerMinute: number) => [
  s("loki_request_duration_seconds_count", { ...loki, route: "loki_api_v1_push", method: "POST", status_code: "204", ws: "false" }, "0+600x40"),
  s("loki_request_duration_seconds_count", { ...loki, route: "loki_api_v1_push", method: "POST", status_code: "500", ws: "false" }, `0+${errorsPerMinute}x40`),
  s("loki_request_duration_seconds_count", { ...foreign, route: "loki_api_v1_push", method: "POST", status_code: "500", ws: "false" }, "0+600x40"),
];

/** The compactor instance (`compactor_running` 1) and one that is not (0, never succeeds: must not count). */
const compactor = (metric: string, lastSuccess: string, started: string, minutes: number) => [
  s(metric, loki, lastSuccess),
  s("process_start_time_seconds", loki, started),
  s("loki_boltdb_shipper_compactor_running", loki, `1x${minutes}`),
  s(metric, lokiOther, `0x${minutes}`),
  s("process_start_time_seconds", lokiOther, `0x${minutes}`),
  s("loki_boltdb_shipper_compactor_running", lokiOther, `0x${minutes}`),
];
const compactorCases = (alert: string, metric: string): AlertCase[] => [
  {
    alert,
    name: "fires when the last success is over 3 hours old",
    // Succeeded at minute 5, then never again: at 4h the last success is 3h55m old.
    series: compactor(metric, "0x4 300x240", "0x245", 245),
    evalTime: "4h",
    fires: [{ labels: { namespace: "logging" }, value: "3h 55m 0s" }],
  },
  {
    alert,
    name: "fires when the compactor has run for over 3 hours without ever succeeding",
    series: compactor(metric, "0x245", "0x245", 245),
    evalTime: "4h",
    fires: [{ labels: { namespace: "logging" }, value: "4h 0m 0s" }],
  },
  {
    alert,
    name: "stays silent while it succeeds every 10 minutes",
    // A gauge set to the time of each run: 0, 600, 1200, ... held for 10 minutes each.
    series: compactor(metric, Array.from({ length: 25 }, (_, i) => `${i * 600}x9`).join(" "), "0x250", 250),
    evalTime: "4h",
    fires: [],
  },
  {
    alert,
    name: "stays silent after a restart, before the first run is due",
    series: compactor(metric, "0x245", "0x179 10800x65", 245),
    evalTime: "4h",
    fires: [],
  },
];

const puts = (failuresPerMinute: number) => [
  s("loki_s3_request_duration_seconds_count", { ...loki, operation: "S3.PutObject", status_code: "200" }, "0+540x40"),
  s("loki_s3_request_duration_seconds_count", { ...loki, operation: "S3.PutObject", status_code: "500" }, `0+${failuresPerMinute}x40`),
  // Reads of missing objects count as 500 too: they must not make writes look failed.
  s("loki_s3_request_duration_seconds_count", { ...loki, operation: "S3.GetObject", status_code: "500" }, "0+600x40"),
];

const sends = (failuresPerMinute: number) => [
  s("loki_write_request_duration_seconds_count", { ...collector, status_code: "204", host: "loki-distributor.logging.svc.cluster.local:3100", tenant: "" }, "0+540x40"),
  s("loki_write_request_duration_seconds_count", { ...collector, status_code: "500", host: "loki-distributor.logging.svc.cluster.local:3100", tenant: "" }, `0+${failuresPerMinute}x40`),
];

const cases: AlertCase[] = [
  { alert: "StrataLokiRequestErrors", name: "fires at 20% 5xx for 15 minutes", series: requests(150), evalTime: "35m", fires: [{ labels: { namespace: "logging", job: loki.job, route: "loki_api_v1_push" }, value: "20" }] },
  { alert: "StrataLokiRequestErrors", name: "stays silent at 1% (and ignores another namespace's Loki)", series: requests(6), evalTime: "35m", fires: [] },
  ...compactorCases("StrataLokiCompactionNotRunning", "loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds"),
  ...compactorCases("StrataLokiRetentionNotRunning", "loki_compactor_apply_retention_last_successful_run_timestamp_seconds"),
  { alert: "StrataLokiObjectStoreWritesFailing", name: "fires when 10% of writes fail for 15 minutes", series: puts(60), evalTime: "35m", fires: [{ labels: { namespace: "logging", pod: loki.pod }, value: "10%" }] },
  { alert: "StrataLokiObjectStoreWritesFailing", name: "stays silent at 0.5% failed writes, whatever the reads do", series: puts(3), evalTime: "35m", fires: [] },
  {
    alert: "StrataLokiSamplesDiscarded",
    name: "fires when lines are rate-limited for 15 minutes",
    series: [s("loki_discarded_samples_total", { ...loki, reason: "rate_limited", tenant: "fake", retention_hours: "720", policy: "", format: "" }, "0+60x40")],
    evalTime: "35m",
    fires: [{ labels: { namespace: "logging", reason: "rate_limited" }, value: "1" }],
  },
  {
    alert: "StrataLokiSamplesDiscarded",
    name: "stays silent when nothing more is discarded",
    series: [s("loki_discarded_samples_total", { ...loki, reason: "rate_limited", tenant: "fake", retention_hours: "720", policy: "", format: "" }, "0x10 40x30")],
    evalTime: "35m",
    fires: [],
  },
  { alert: "StrataLogCollectorSendsFailing", name: "fires when 18% of pushes fail for 15 minutes", series: sends(120), evalTime: "35m", fires: [{ labels: { namespace: "logging", pod: collector.pod }, value: "18.18%" }] },
  { alert: "StrataLogCollectorSendsFailing", name: "stays silent at 1% failed pushes", series: sends(6), evalTime: "35m", fires: [] },
  {
    alert: "StrataLogCollectorDroppingEntries",
    name: "fires when entries are dropped for 5 minutes",
    series: [s("loki_write_dropped_entries_total", { ...collector, host: "loki:3100", tenant: "", reason: "ingester_error" }, "0+60x20")],
    evalTime: "15m",
    fires: [{ labels: { namespace: "logging", pod: collector.pod, reason: "ingester_error" }, value: "1" }],
  },
  {
    alert: "StrataLogCollectorDroppingEntries",
    name: "stays silent when nothing is dropped",
    series: [s("loki_write_dropped_entries_total", { ...collector, host: "loki:3100", tenant: "", reason: "ingester_error" }, "0x20")],
    evalTime: "15m",
    fires: [],
  },
  {
    alert: "StrataLogCollectorUnhealthy",
    name: "fires with unhealthy components for 15 minutes",
    series: [s("alloy_component_controller_running_components", { ...collector, health_type: "unhealthy" }, "2x30"), s("alloy_component_controller_running_components", { ...collector, health_type: "healthy" }, "5x30")],
    evalTime: "25m",
    fires: [{ labels: { namespace: "logging", pod: collector.pod }, value: "2" }],
  },
  {
    alert: "StrataLogCollectorUnhealthy",
    name: "stays silent when every component is healthy",
    series: [s("alloy_component_controller_running_components", { ...collector, health_type: "unhealthy" }, "0x30"), s("alloy_component_controller_running_components", { ...collector, health_type: "healthy" }, "7x30")],
    evalTime: "25m",
    fires: [],
  },
  { alert: "StrataPushgatewayDown", name: "fires when its target is down for 10 minutes", series: [s("up", pgw, "1x5 0x20")], evalTime: "20m", fires: [{ labels: pgw, value: "0" }] },
  {
    alert: "StrataPushgatewayDown",
    name: "fires when it is not scraped at all",
    series: [s("up", { ...pgw, namespace: "other" }, "1x20")],
    evalTime: "20m",
    fires: [{ labels: { job: PUSHGATEWAY_FULLNAME, namespace: "monitoring" }, value: "1" }],
  },
  {
    alert: "StrataBucketProtectionDrift",
    name: "fires when the newest check found a setting changed",
    series: [s("strata_bucket_protection_matches", { ...pushed(0), ...versioning }, "0x20"), s("strata_bucket_protection_last_run_timestamp_seconds", pushed(0), "1000x20")],
    evalTime: "15m",
    fires: [{ labels: versioning, value: "0" }],
  },
  {
    alert: "StrataBucketProtectionDrift",
    name: "stays silent when only an older run on another replica saw the drift",
    series: [
      s("strata_bucket_protection_matches", { ...pushed(0), ...versioning }, "1x20"),
      s("strata_bucket_protection_last_run_timestamp_seconds", pushed(0), "2000x20"),
      s("strata_bucket_protection_matches", { ...pushed(1), ...versioning }, "0x20"),
      s("strata_bucket_protection_last_run_timestamp_seconds", pushed(1), "1000x20"),
    ],
    evalTime: "15m",
    fires: [],
  },
  {
    alert: "StrataBucketProtectionUnreadable",
    name: "fires when the newest check could not read a setting",
    series: [s("strata_bucket_protection_unreadable", { ...pushed(0), ...versioning }, "1x20"), s("strata_bucket_protection_last_run_timestamp_seconds", pushed(0), "1000x20")],
    evalTime: "15m",
    fires: [{ labels: versioning, value: "1" }],
  },
  {
    alert: "StrataBucketProtectionUnreadable",
    name: "stays silent when every setting was read",
    series: [s("strata_bucket_protection_matches", { ...pushed(0), ...versioning }, "1x20"), s("strata_bucket_protection_last_run_timestamp_seconds", pushed(0), "1000x20")],
    evalTime: "15m",
    fires: [],
  },
  {
    alert: "StrataBucketProtectionCheckMissing",
    name: "fires when the last run is over 12 hours old",
    series: [s("strata_bucket_protection_last_run_timestamp_seconds", pushed(0), "0x1260")],
    evalTime: "20h",
    fires: [{ labels: {}, value: "72000" }],
  },
  { alert: "StrataBucketProtectionCheckMissing", name: "fires when no check has ever reported", series: [s("up", pgw, "1x500")], evalTime: "8h", fires: [{ labels: {}, value: "1" }] },
  {
    alert: "StrataBucketProtectionCheckMissing",
    name: "stays silent while it reports",
    // The gauge holds the time of the last run: every 6 hours.
    series: [s("strata_bucket_protection_last_run_timestamp_seconds", pushed(0), Array.from({ length: 4 }, (_, i) => `${i * 21600}x359`).join(" "))],
    evalTime: "20h",
    fires: [],
  },
  { alert: "StrataPushgatewayDown", name: "stays silent while it is up", series: [s("up", pgw, "1x20")], evalTime: "20m", fires: [] },
  {
    alert: "StrataOffsiteCopyStale",
    name: "fires when the last full success is over 52 hours old",
    // A success at t=0, then only failed runs: at 53h the copy is 53 h old.
    series: [s("strata_offsite_copy_last_success_timestamp_seconds", copyPush(0), "0x3200")],
    evalTime: "53h",
    fires: [{ labels: { destination: "acme-backups-nbg1" }, value: "190800" }],
  },
  {
    alert: "StrataOffsiteCopyStale",
    name: "fires when the CronJob has existed for 52 hours and no run ever fully succeeded",
    series: [s("kube_cronjob_created", copyCron, "0x3200")],
    evalTime: "53h",
    fires: [{ labels: { job: "strata_offsite_copy" }, value: "1" }],
  },
  {
    alert: "StrataOffsiteCopyStale",
    name: "stays silent while a daily run succeeds",
    series: [
      s("strata_offsite_copy_last_success_timestamp_seconds", copyPush(0), Array.from({ length: 3 }, (_, i) => `${i * 86400}x1439`).join(" ")),
      s("kube_cronjob_created", copyCron, "0x4320"),
    ],
    evalTime: "60h",
    fires: [],
  },
  {
    alert: "StrataOffsiteCopyStale",
    name: "stays silent for a new CronJob that has not reached its first runs",
    series: [s("kube_cronjob_created", copyCron, "0x1500")],
    evalTime: "25h",
    fires: [],
  },
  {
    alert: "StrataOffsiteCopyChecksumMismatch",
    name: "fires when the newest run found a mismatch",
    series: copyRun("strata_offsite_copy_checksum_mismatches", "2", "0"),
    evalTime: "10m",
    fires: [{ labels: { destination: "acme-backups-nbg1" }, value: "2" }],
  },
  {
    alert: "StrataOffsiteCopyChecksumMismatch",
    name: "stays silent when only an older run on another replica had one",
    series: copyRun("strata_offsite_copy_checksum_mismatches", "0", "3"),
    evalTime: "10m",
    fires: [],
  },
  {
    alert: "StrataOffsiteCopyFailing",
    name: "fires when the newest run failed",
    series: copyRun("strata_offsite_copy_last_run_success", "0", "1"),
    evalTime: "10m",
    fires: [{ labels: { destination: "acme-backups-nbg1" }, value: "0" }],
  },
  {
    alert: "StrataOffsiteCopyFailing",
    name: "stays silent when the newest run succeeded after an older failure",
    series: copyRun("strata_offsite_copy_last_run_success", "1", "0"),
    evalTime: "10m",
    fires: [],
  },
  {
    alert: "StrataOffsiteCopyDestinationUnversioned",
    name: "fires when the newest run found the destination unversioned",
    series: copyRun("strata_offsite_copy_destination_versioned", "0", "1"),
    evalTime: "10m",
    fires: [{ labels: { destination: "acme-backups-nbg1" }, value: "0" }],
  },
  {
    alert: "StrataOffsiteCopyDestinationUnversioned",
    name: "stays silent once versioning is enabled, whatever an older run on another replica saw",
    series: copyRun("strata_offsite_copy_destination_versioned", "1", "0"),
    evalTime: "10m",
    fires: [],
  },
];

function promtool(args: string[], cwd: string) {
  const result = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  expect(result.error, "promtool is not installed: run bash scripts/setup.sh").toBeUndefined();
  return result;
}

describe("service alert rules (Loki, log collector, Pushgateway, bucket protection, off-site copy)", () => {
  it("every rule group passes promtool check rules", () => {
    writeFileSync(join(work, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
    const result = promtool(["check", "rules", "rules.yaml"], work);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });

  it("each alert has a case that fires and one that stays silent", () => {
    for (const r of rules) {
      const mine = cases.filter((c) => c.alert === r.alert);
      expect(mine.some((c) => c.fires.length > 0), `${r.alert} has no firing case`).toBe(true);
      expect(mine.some((c) => c.fires.length === 0), `${r.alert} has no silent case`).toBe(true);
    }
  });

  it.each(cases.map((c) => [c.alert, c.name, c] as const))("promtool test rules: %s %s", (alert, name, c) => {
    const rule = rules.find((r) => r.alert === alert)!;
    const dir = mkdtempSync(join(work, "case-"));
    writeFileSync(join(dir, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
    const test = {
      rule_files: ["rules.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: c.series,
          alert_rule_test: [
            {
              eval_time: c.evalTime,
              alertname: alert,
              exp_alerts: c.fires.map((f) => {
                const labels = { ...f.labels, severity: rule.labels.severity };
                return { exp_labels: labels, exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, render(v, labels, f.value)])) };
              }),
            },
          ],
        },
      ],
    };
    writeFileSync(join(dir, "test.yaml"), yaml.dump(test, { lineWidth: -1 }));
    const result = promtool(["test", "rules", "test.yaml"], dir);
    expect(result.stdout + result.stderr, name).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("each runbook_url points at a heading of docs/runbooks/service-alerts.md, and the runbook has an entry for each alert", () => {
    const runbook = readFileSync(join(PROJECT_DIR, "docs", "runbooks", SERVICE_ALERTS_RUNBOOK), "utf8");
    const anchors = [...runbook.matchAll(/^## (.+)$/gm)].map((m) => headingAnchor(m[1]!));
    for (const r of rules) {
      expect(r.annotations.runbook_url).toBe(`docs/runbooks/${SERVICE_ALERTS_RUNBOOK}#${headingAnchor(r.alert)}`);
      expect(anchors, r.alert).toContain(headingAnchor(r.alert));
    }
  });

  it("follows strata:alerting.runbookBaseUrl to the page beside it", () => {
    const custom = buildLokiRuleGroups({ namespace: "logging", runbookBaseUrl: "https://github.com/acme/strata/blob/main/docs/runbooks/alerts.md" });
    expect(custom[0]!.rules[0]!.annotations.runbook_url).toBe("https://github.com/acme/strata/blob/main/docs/runbooks/service-alerts.md#stratalokirequesterrors");
  });

  it.each(Object.entries(suites))("the %s PrometheusRule validates against the prometheus-operator schema", (name, g) => {
    expect(() => validateK8sObject(prometheusRuleObject({ name: `${name}-alerts`, namespace: "logging", labels: { release: "kube-prometheus-stack" } }, g))).not.toThrow();
  });
});

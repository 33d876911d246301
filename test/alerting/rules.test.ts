import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { buildPlatformPrometheusRule, buildPlatformRuleGroups, headingAnchor, type AlertingRule } from "../../components/alerting/platformRules";
import { PROJECT_DIR } from "../../infra/plan/stackFile";
import { deriveRetention } from "../../infra/retention";
import { PROFILE_DEFAULTS } from "../../stacks/profiles";

const work = mkdtempSync(join(tmpdir(), "strata-rules-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GiB = 2 ** 30;
// The prod profile: 45 GiB retentionSize, two Alertmanagers.
const PROD = {
  prometheusRetentionSizeBytes: deriveRetention(PROFILE_DEFAULTS.prod.retention).prometheus.retentionSizeBytes,
  alertmanagerReplicas: PROFILE_DEFAULTS.prod.alerting.alertmanagerReplicas,
};
const groups = buildPlatformRuleGroups(PROD);
const rules = groups.flatMap((g) => g.rules);
const ruleNamed = (alert: string): AlertingRule => {
  const found = rules.find((r) => r.alert === alert);
  if (!found) throw new Error(`no rule ${alert}`);
  return found;
};

function promtool(args: string[]) {
  const result = spawnSync("promtool", args, { cwd: work, encoding: "utf8" });
  expect(result.error, "promtool is not installed: run bash scripts/setup.sh").toBeUndefined();
  return result;
}

// --- promtool test cases, written as data -------------------------------------------------------------------------

interface Series {
  series: string;
  values: string;
}
interface AlertCase {
  alert: string;
  name: string;
  series: Series[];
  evalTime: string;
  /** Expected firing alerts: their labels (without severity) and the rendered `$value` the description shows. */
  fires: { labels: Record<string, string>; value: string }[];
}

const s = (metric: string, labels: Record<string, string>, values: string): Series => ({
  series: `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ")}}`,
  values,
});

const compactor = { namespace: "monitoring", service: "thanos-compactor", job: "thanos-compactor", instance: "10.0.3.17:10902", pod: "thanos-compactor-0", container: "compactor" };
const sidecar = { namespace: "monitoring", job: "prometheus-thanos-discovery", instance: "10.0.1.5:10902", pod: "prometheus-main-0" };
const sidecarOut = { namespace: sidecar.namespace, job: sidecar.job, instance: sidecar.instance, pod: sidecar.pod };
const promSelf = { namespace: "monitoring", job: "prometheus", instance: "10.0.1.5:9090", pod: "prometheus-main-0", container: "prometheus", service: "prometheus" };
const store = { namespace: "monitoring", job: "thanos-storegateway", instance: "10.0.2.9:10902", pod: "thanos-storegateway-0", container: "storegateway", service: "thanos-storegateway" };
const storeOut = { namespace: store.namespace, job: store.job, instance: store.instance, pod: store.pod };
const pvc = { namespace: "databases", persistentvolumeclaim: "data-postgres-0", job: "kubelet", instance: "10.0.0.4:10250", node: "node-a", service: "kubelet", metrics_path: "/metrics" };
const am = { namespace: "monitoring", job: "alertmanager", instance: "10.0.1.8:9093", pod: "alertmanager-main-0", container: "alertmanager", service: "alertmanager" };

// Sidecar series: the bucket gauge, the process start time and the sidecar-only metric the rule joins on.
const sidecarSeries = (uploads: string, started: string, minutes: number): Series[] => [
  s("thanos_objstore_bucket_last_successful_upload_time", { ...sidecar, container: "thanos-sidecar", bucket: "strata-metrics" }, uploads),
  s("process_start_time_seconds", { ...sidecar, container: "thanos-sidecar" }, started),
  s("thanos_sidecar_prometheus_up", { ...sidecar, container: "thanos-sidecar" }, `1x${minutes}`),
  // Prometheus in the same pod: its own start time must not make it look like a sidecar.
  s("process_start_time_seconds", promSelf, `0x${minutes}`),
];
// Store gateway bucket operations at 10/s, `failuresPerMinute` of which fail; a compactor failing just as often
// must not fire the store alert (it has no thanos_bucket_store_blocks_loaded).
const bucketSeries = (failuresPerMinute: number): Series[] => [
  s("thanos_objstore_bucket_operations_total", { ...store, bucket: "strata-metrics", operation: "get_range" }, "0+600x60"),
  s("thanos_objstore_bucket_operation_failures_total", { ...store, bucket: "strata-metrics", operation: "get_range" }, `0+${failuresPerMinute}x60`),
  s("thanos_bucket_store_blocks_loaded", store, "412x60"),
  s("thanos_objstore_bucket_operations_total", { ...compactor, bucket: "strata-metrics", operation: "upload" }, "0+600x60"),
  s("thanos_objstore_bucket_operation_failures_total", { ...compactor, bucket: "strata-metrics", operation: "upload" }, "0+600x60"),
];
const tsdbSeries = (blocksGiB: number, labels: Record<string, string> = promSelf): Series[] => [
  s("prometheus_tsdb_storage_blocks_bytes", labels, `${blocksGiB * GiB}x60`),
  s("prometheus_tsdb_wal_storage_size_bytes", labels, `${1 * GiB}x60`),
  s("prometheus_tsdb_head_chunks_storage_size_bytes", labels, `${0.5 * GiB}x60`),
];
const pvcSeries = (usedGiB: number): Series[] => [
  s("kubelet_volume_stats_capacity_bytes", pvc, `${100 * GiB}x40`),
  s("kubelet_volume_stats_used_bytes", pvc, `${usedGiB * GiB}x40`),
];

const cases: AlertCase[] = [
  {
    alert: "StrataThanosCompactorHalted",
    name: "fires when the compactor has been halted for over 5 minutes",
    series: [s("thanos_compact_halted", compactor, "0x10 1x20")],
    evalTime: "20m",
    fires: [{ labels: compactor, value: "1" }],
  },
  {
    alert: "StrataThanosCompactorHalted",
    name: "stays silent while the compactor runs",
    series: [s("thanos_compact_halted", compactor, "0x30")],
    evalTime: "30m",
    fires: [],
  },
  {
    alert: "StrataThanosSidecarNotUploading",
    name: "fires when the last upload is over 3 hours old",
    // Uploaded at 2h, then nothing: at 6h the newest block in the bucket is 4 hours old.
    series: sidecarSeries("0x119 7200x300", "0x420", 420),
    evalTime: "6h",
    fires: [{ labels: sidecarOut, value: "4h 0m 0s" }],
  },
  {
    alert: "StrataThanosSidecarNotUploading",
    name: "fires when a sidecar has run for over 3 hours without ever uploading",
    series: sidecarSeries("0x300", "0x300", 300),
    evalTime: "4h",
    fires: [{ labels: sidecarOut, value: "4h 0m 0s" }],
  },
  {
    alert: "StrataThanosSidecarNotUploading",
    name: "stays silent while a block is uploaded every 2 hours",
    series: sidecarSeries("0x119 7200x119 14400x119 21600x119", "0x480", 480),
    evalTime: "7h50m",
    fires: [],
  },
  {
    alert: "StrataThanosSidecarNotUploading",
    name: "stays silent after a restart, before the first block is due",
    // Restarted at 5h: the gauge starts at 0 again and the process start time moves to 18000.
    series: sidecarSeries("0x119 7200x180 0x120", "0x299 18000x120", 420),
    evalTime: "7h",
    fires: [],
  },
  {
    alert: "StrataThanosStoreBucketErrors",
    name: "fires when over 5% of the store gateway's bucket operations fail for 15 minutes",
    series: bucketSeries(60),
    evalTime: "30m",
    fires: [{ labels: storeOut, value: "10%" }],
  },
  {
    alert: "StrataThanosStoreBucketErrors",
    name: "stays silent at a 1% failure rate (and ignores a failing compactor)",
    series: bucketSeries(6),
    evalTime: "30m",
    fires: [],
  },
  {
    alert: "StrataPrometheusTsdbNearRetentionSize",
    name: "fires when blocks, WAL and head chunks exceed 90% of retentionSize",
    // 42 + 1 + 0.5 GiB of 45 GiB.
    series: tsdbSeries(42),
    evalTime: "45m",
    fires: [{ labels: promSelf, value: "96.67%" }],
  },
  {
    alert: "StrataPrometheusTsdbNearRetentionSize",
    name: "stays silent at 70% (and ignores a Thanos ruler's own TSDB)",
    series: [...tsdbSeries(30), ...tsdbSeries(60, { ...promSelf, container: "thanos-ruler", pod: "thanos-ruler-0", instance: "10.0.4.2:10902" })],
    evalTime: "45m",
    fires: [],
  },
  {
    alert: "StrataPersistentVolumeUsageHigh",
    name: "fires when a volume is 85% full for 15 minutes",
    series: pvcSeries(85),
    evalTime: "30m",
    fires: [{ labels: pvc, value: "85%" }],
  },
  {
    alert: "StrataPersistentVolumeUsageHigh",
    name: "stays silent at 70%",
    series: pvcSeries(70),
    evalTime: "30m",
    fires: [],
  },
  {
    alert: "StrataAlertmanagerClusterDegraded",
    name: "fires when a member has seen 1 of 2 peers for 10 minutes",
    series: [s("alertmanager_cluster_members", am, "2x5 1x30")],
    evalTime: "30m",
    fires: [{ labels: am, value: "1" }],
  },
  {
    alert: "StrataAlertmanagerClusterDegraded",
    name: "stays silent with both members present",
    series: [s("alertmanager_cluster_members", am, "2x40")],
    evalTime: "30m",
    fires: [],
  },
];

/**
 * Renders the few template forms Strata's annotations use: `{{ $labels.x }}` from the alert's labels and
 * `{{ $value ... }}` from the case's expected rendering. Anything else is a template this test cannot predict.
 */
function render(template: string, labels: Record<string, string>, value: string): string {
  const out = template
    .replace(/\{\{ \$labels\.([a-zA-Z_]+) \}\}/g, (_m, name: string) => labels[name] ?? "")
    .replace(/\{\{ \$value( \| [a-zA-Z]+)? \}\}/g, value);
  if (out.includes("{{")) throw new Error(`unsupported template in ${template}`);
  return out;
}

function promtoolTest(c: AlertCase) {
  const rule = ruleNamed(c.alert);
  const group = groups.find((g) => g.rules.includes(rule))!;
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
            alertname: c.alert,
            exp_alerts: c.fires.map((f) => {
              const labels = { ...f.labels, severity: rule.labels.severity };
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
  return { test, group: group.name };
}

describe("platform alert rules", () => {
  it("every rule group passes promtool check rules", () => {
    writeFileSync(join(work, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
    const result = promtool(["check", "rules", "rules.yaml"]);
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

  it.each(cases.map((c) => [c.alert, c.name, c] as const))("promtool test rules: %s %s", (_alert, name, c) => {
    const dir = mkdtempSync(join(work, "case-"));
    writeFileSync(join(dir, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
    const { test, group } = promtoolTest(c);
    writeFileSync(join(dir, "test.yaml"), yaml.dump(test, { lineWidth: -1 }));
    const result = spawnSync("promtool", ["test", "rules", "test.yaml"], { cwd: dir, encoding: "utf8" });
    expect(result.error, "promtool is not installed: run bash scripts/setup.sh").toBeUndefined();
    expect(result.stdout + result.stderr, `${name} (group ${group})`).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("every alert has a severity and summary, description and runbook_url annotations", () => {
    for (const r of rules) {
      expect(["critical", "warning"]).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.description.length).toBeGreaterThan(30);
      expect(r.annotations.runbook_url).toMatch(/^docs\/runbooks\/alerts\.md#strata[a-z]+$/);
    }
  });

  it("compares the TSDB against the retentionSize it is given, in bytes", () => {
    const dev = buildPlatformRuleGroups({ prometheusRetentionSizeBytes: 8 * GiB, alertmanagerReplicas: 1 }).flatMap((g) => g.rules);
    expect(dev.find((r) => r.alert === "StrataPrometheusTsdbNearRetentionSize")!.expr).toContain(`/ ${8 * GiB} > 0.9`);
    expect(ruleNamed("StrataPrometheusTsdbNearRetentionSize").expr).toContain(`/ ${45 * GiB} > 0.9`);
  });

  it("leaves out the Alertmanager cluster alert when a single Alertmanager has no cluster", () => {
    const single = buildPlatformRuleGroups({ prometheusRetentionSizeBytes: GiB, alertmanagerReplicas: 1 }).flatMap((g) => g.rules);
    expect(single.map((r) => r.alert)).not.toContain("StrataAlertmanagerClusterDegraded");
    expect(ruleNamed("StrataAlertmanagerClusterDegraded").expr).toContain("< 2");
  });

  it("each runbook_url points at a heading of docs/runbooks/alerts.md, and the runbook has no entry for an alert that does not exist", () => {
    const runbook = readFileSync(join(PROJECT_DIR, "docs", "runbooks", "alerts.md"), "utf8");
    const anchors = [...runbook.matchAll(/^## (.+)$/gm)].map((m) => headingAnchor(m[1]!));
    for (const r of rules) expect(anchors, r.alert).toContain(r.annotations.runbook_url.split("#")[1]);
    expect(anchors.sort()).toEqual(rules.map((r) => headingAnchor(r.alert)).sort());
  });

  it("takes the runbook base URL from its input", () => {
    const custom = buildPlatformRuleGroups({ ...PROD, runbookBaseUrl: "https://github.com/acme/strata/blob/main/docs/runbooks/alerts.md" });
    expect(custom[0]!.rules[0]!.annotations.runbook_url).toBe("https://github.com/acme/strata/blob/main/docs/runbooks/alerts.md#stratathanoscompactorhalted");
  });

  it("rejects a retentionSize that is not a positive number of bytes", () => {
    expect(() => buildPlatformRuleGroups({ prometheusRetentionSizeBytes: 0, alertmanagerReplicas: 2 })).toThrow(/prometheusRetentionSizeBytes/);
  });

  it("the PrometheusRule object validates against the prometheus-operator schema", () => {
    const object = buildPlatformPrometheusRule({ ...PROD, name: "strata-platform", namespace: "monitoring", labels: { release: "kube-prometheus-stack" } });
    // The package ships its types only through `exports`, which this tsconfig's node10 resolution does not read, so
    // its Model base (and `validate`) is invisible to tsc; the method exists at runtime.
    const model = new PrometheusRule(object) as unknown as { validate(): void };
    expect(() => model.validate()).not.toThrow();
    const broken = new PrometheusRule({ ...object, spec: { groups: [{ name: "x", rules: [{ alert: "A" }] }] } } as never) as unknown as { validate(): void };
    expect(() => broken.validate()).toThrow();
    expect(object.spec.groups.map((g) => g.name)).toEqual(["strata.thanos", "strata.prometheus", "strata.storage", "strata.alertmanager"]);
  });
});

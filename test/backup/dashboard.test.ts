import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildBackupRuleGroups } from "../../components/backup/alerts";
import { BACKUP_DASHBOARD_FILE, BACKUP_DASHBOARD_UID, buildBackupDashboard, buildBackupDashboardConfigMap } from "../../components/backup/dashboard";
import { BACKUP_JOB, DRILL_JOB, EXTERNAL_METRIC_NAMES, KUBELET_METRICS, PUSHED_METRIC_NAMES } from "../../components/backup/metrics";
import { PUSHED_METRICS } from "../../components/backup/contract";
import { PROJECT_DIR } from "../../infra/plan/stackFile";

const TARGETS = [
  { name: "postgresql", kind: "postgresql", intervalHours: 24, drillIntervalHours: 168 },
  { name: "prometheus", kind: "prometheus-snapshot", intervalHours: 24, drillIntervalHours: 168 },
];
const dashboard = buildBackupDashboard({ targets: TARGETS, pvcNamespaces: ["databases", "monitoring"] });
type Panel = { id: number; type: string; title: string; targets?: { expr: string }[]; fieldConfig?: { defaults: { thresholds?: { steps: { value: number | null }[] } } }; datasource?: unknown };
const panels = dashboard.panels as Panel[];
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless"]);
/** The metric names a PromQL expression selects: identifiers that are neither functions, keywords nor label names. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/"[^"]*"/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ") // label lists
    .replace(/\[[^\]]*\]/g, " "); // ranges
  return [...stripped.matchAll(/(?<![a-zA-Z0-9_:.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter((m) => !stripped.slice(m.index + m[0].length).trimStart().startsWith("(")) // functions and aggregations
    .map((m) => m[0])
    .filter((n) => !KEYWORDS.has(n));
}

describe("backup dashboard", () => {
  it("is valid JSON with a stable uid, a recent schema and a Prometheus datasource variable", () => {
    const text = JSON.stringify(dashboard);
    expect(JSON.parse(text)).toEqual(dashboard);
    expect(dashboard.uid).toBe(BACKUP_DASHBOARD_UID);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }));
    for (const p of panels.filter((p) => p.type !== "row")) expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
    // Deterministic: the same input gives the same JSON (Grafana keeps its uid and history).
    expect(JSON.stringify(buildBackupDashboard({ targets: TARGETS, pvcNamespaces: ["databases", "monitoring"] }))).toBe(text);
  });

  it("gives every panel a unique id and lays none over another", () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("shows each target's age of last success with thresholds at one and two intervals", () => {
    for (const t of TARGETS) {
      const stat = panels.find((p) => p.type === "stat" && p.title.includes(t.name))!;
      expect(stat.targets![0]!.expr).toContain(`target="${t.name}"`);
      expect(stat.fieldConfig!.defaults.thresholds!.steps.map((s) => s.value)).toEqual([null, t.intervalHours * 3600, 2 * t.intervalHours * 3600]);
    }
    expect(panels.map((p) => p.title)).toEqual(expect.arrayContaining(["Backup size", "Run duration", "Restore drills", "PVC usage"]));
  });

  it("queries only metrics the backup scripts push, and kubelet's volume metrics", () => {
    const allowed = new Set([...PUSHED_METRIC_NAMES, ...Object.values(KUBELET_METRICS)]);
    const used = new Set(exprs.flatMap(metricNames));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(allowed, `dashboard queries ${name}`).toContain(name);
    expect(metricNames('time() - max by (kind, target) (x_seconds{a="b"}) > 3')).toEqual(["x_seconds"]);
  });

  it("the alerts, too, name only pushed metrics and the Pushgateway's, kubelet's and kube-state-metrics' own", () => {
    const groups = buildBackupRuleGroups({
      targets: [{ ...TARGETS[0]!, cronJobs: { backup: { namespace: "app", name: "b" }, drill: { namespace: "strata-backups", name: "d" }, reportWithinSeconds: 3600 } }],
      runbookBaseUrl: "x",
    });
    const allowed = new Set([...PUSHED_METRIC_NAMES, ...EXTERNAL_METRIC_NAMES]);
    for (const r of groups.flatMap((g) => g.rules)) for (const name of metricNames(r.expr)) expect(allowed, `${r.alert} uses ${name}`).toContain(name);
  });

  it("covers every kind the same way: a valkey or rabbitmq-definitions target gets its stat, its alerts and the shared panels", () => {
    const kinds = [
      { name: "cache", kind: "valkey", intervalHours: 24, drillIntervalHours: 720 },
      { name: "mq", kind: "rabbitmq-definitions", intervalHours: 24, drillIntervalHours: 720 },
    ];
    const d = buildBackupDashboard({ targets: kinds });
    for (const t of kinds) {
      const stat = (d.panels as Panel[]).find((p) => p.type === "stat" && p.title === `Last successful backup: ${t.name} (${t.kind})`)!;
      expect(stat.targets![0]!.expr).toContain(`kind="${t.kind}", target="${t.name}"`);
      const rules = buildBackupRuleGroups({ targets: kinds, runbookBaseUrl: "x" }).flatMap((g) => g.rules) as { alert: string; labels: Record<string, string> }[];
      expect(rules.filter((r) => r.labels.target === t.name).map((r) => r.alert)).toEqual(expect.arrayContaining(["StrataBackupMissing", "StrataRestoreDrillMissing"]));
    }
  });

  it("is carried by a ConfigMap the Grafana sidecar selects", () => {
    const cm = buildBackupDashboardConfigMap({ targets: TARGETS, name: "strata-backups-dashboard", namespace: "monitoring", labels: { "app.kubernetes.io/part-of": "strata" } });
    expect(cm.metadata.labels).toEqual({ "app.kubernetes.io/part-of": "strata", grafana_dashboard: "1" });
    expect(JSON.parse(cm.data[BACKUP_DASHBOARD_FILE]!).uid).toBe(BACKUP_DASHBOARD_UID);
  });
});

// Every name must be pushed by the runtime the jobs run (components/backup/runtime/ and the kinds' runtime parts).
describe("metric names against the runtime", () => {
  it("every metric name of the contract is pushed by the runtime through the contract's constant, and no source spells one", () => {
    const backupDir = join(PROJECT_DIR, "components/backup");
    const runtimeFiles = [
      ...readdirSync(join(backupDir, "runtime")).map((f) => join(backupDir, "runtime", f)),
      ...readdirSync(join(backupDir, "kinds"), { recursive: true, encoding: "utf8" }).filter((f) => /[Rr]untime\.ts$/.test(f)).map((f) => join(backupDir, "kinds", f)),
    ].filter((f) => f.endsWith(".ts"));
    expect(runtimeFiles.length).toBeGreaterThan(10);
    const runtime = runtimeFiles.map((f) => readFileSync(f, "utf8")).join("\n");
    const constantOf: Record<keyof typeof PUSHED_METRICS, string> = { backup: "BACKUP_METRICS", drill: "DRILL_METRICS", pitrWal: "PITR_WAL_METRICS", offsiteCopy: "OFFSITE_COPY_METRICS" };
    for (const [group, metrics] of Object.entries(PUSHED_METRICS)) {
      for (const [key, name] of Object.entries(metrics)) {
        expect(new RegExp(`\\b${constantOf[group as keyof typeof PUSHED_METRICS]}\\.${key}\\b`).test(runtime), `${name} is not pushed by the runtime`).toBe(true);
      }
    }
    // Code lines only: the runtime's doc comments document the names.
    const code = runtime.split("\n").filter((l) => !/^\s*(\*|\/\/|\/\*\*)/.test(l)).join("\n");
    for (const name of [...PUSHED_METRIC_NAMES, BACKUP_JOB, DRILL_JOB]) expect(code, name).not.toMatch(new RegExp(`\\b${name}\\b`));
  });
});

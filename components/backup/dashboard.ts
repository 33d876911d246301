/**
 * The Grafana dashboard of backups and restore drills, as plain JSON, and the ConfigMap that carries it to Grafana's
 * dashboard sidecar (which kube-prometheus-stack runs, selecting ConfigMaps labelled `grafana_dashboard: "1"`).
 * Every query names metrics from ./metrics.ts only, so it cannot drift from what the runtime pushes.
 */
import { BACKUP_METRICS, DRILL_METRICS, KUBELET_METRICS } from "./metrics";

export const BACKUP_DASHBOARD_UID = "strata-backups";
export const BACKUP_DASHBOARD_FILE = "strata-backups.json";
/** The label (and value) the Grafana sidecar selects dashboards by, its chart default. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

export interface BackupDashboardInput {
  targets: { name: string; kind: string; intervalHours: number; drillIntervalHours: number }[];
  /** Namespaces whose PVCs the usage panel shows (the stateful services backed up, and Strata's own). */
  pvcNamespaces?: string[];
}

const DS = { type: "prometheus", uid: "${datasource}" } as const;
type GridPos = { h: number; w: number; x: number; y: number };
interface Target {
  expr: string;
  legendFormat?: string;
  refId: string;
  instant?: boolean;
  format?: string;
}

const ageOfNewest = (metric: string, selector = "") => `time() - max by (kind, target) (${metric}${selector ? `{${selector}}` : ""})`;

export function buildBackupDashboard(input: BackupDashboardInput) {
  let id = 0;
  const panel = (type: string, title: string, gridPos: GridPos, targets: Target[], extra: Record<string, unknown> = {}) => ({
    id: ++id,
    type,
    title,
    datasource: DS,
    gridPos,
    targets: targets.map((t) => ({ datasource: DS, ...t })),
    ...extra,
  });
  const thresholds = (steps: { color: string; value: number | null }[]) => ({ mode: "absolute", steps });
  const panels: unknown[] = [];
  let y = 0;

  panels.push({ id: ++id, type: "row", title: "Backups", collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
  // One stat per target: its own thresholds at one and two backup intervals (two is when StrataBackupMissing fires).
  const width = Math.max(4, Math.floor(24 / Math.max(1, input.targets.length)));
  input.targets.forEach((t, i) => {
    const interval = t.intervalHours * 3600;
    panels.push(
      panel(
        "stat",
        `Last successful backup: ${t.name} (${t.kind})`,
        { h: 5, w: width, x: (i * width) % 24, y: y + Math.floor((i * width) / 24) * 5 },
        [{ expr: ageOfNewest(BACKUP_METRICS.lastSuccess, `kind="${t.kind}", target="${t.name}"`), refId: "A", instant: true }],
        {
          description: `Age of the newest successful backup; due every ${t.intervalHours}h, alerting after ${2 * t.intervalHours}h.`,
          fieldConfig: {
            defaults: {
              unit: "s",
              noValue: "never",
              thresholds: thresholds([
                { color: "green", value: null },
                { color: "orange", value: interval },
                { color: "red", value: 2 * interval },
              ]),
            },
            overrides: [],
          },
          options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "none", textMode: "value" },
        },
      ),
    );
  });
  y += Math.ceil((input.targets.length * width) / 24) * 5;

  panels.push(
    panel("timeseries", "Backup size", { h: 8, w: 12, x: 0, y }, [{ expr: `max by (kind, target) (${BACKUP_METRICS.size})`, legendFormat: "{{target}} ({{kind}})", refId: "A" }], {
      fieldConfig: { defaults: { unit: "bytes", custom: { drawStyle: "line", lineInterpolation: "stepAfter" } }, overrides: [] },
    }),
    panel(
      "timeseries",
      "Run duration",
      { h: 8, w: 12, x: 12, y },
      [
        { expr: `max by (kind, target) (${BACKUP_METRICS.duration})`, legendFormat: "backup {{target}}", refId: "A" },
        { expr: `max by (kind, target) (${DRILL_METRICS.duration})`, legendFormat: "drill {{target}}", refId: "B" },
      ],
      { fieldConfig: { defaults: { unit: "s", custom: { drawStyle: "line", lineInterpolation: "stepAfter" } }, overrides: [] } },
    ),
  );
  y += 8;

  panels.push({ id: ++id, type: "row", title: "Restore drills", collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
  panels.push(
    panel(
      "table",
      "Restore drills",
      { h: 8, w: 24, x: 0, y },
      [
        // The newest drill's result, read from the Pushgateway replica holding the newest completion.
        {
          expr: `max by (kind, target) (${DRILL_METRICS.lastRunSuccess} and (${DRILL_METRICS.lastCompletion} == on (kind, target) group_left () max by (kind, target) (${DRILL_METRICS.lastCompletion})))`,
          refId: "A",
          instant: true,
          format: "table",
        },
        { expr: ageOfNewest(DRILL_METRICS.lastSuccess), refId: "B", instant: true, format: "table" },
        { expr: ageOfNewest(DRILL_METRICS.lastVerifiedBackup), refId: "C", instant: true, format: "table" },
      ],
      {
        description: "Result of the newest drill, age of the newest passing drill, and age of the newest backup a drill restored and verified.",
        transformations: [
          { id: "merge", options: {} },
          { id: "organize", options: { excludeByName: { Time: true }, renameByName: { "Value #A": "newest drill", "Value #B": "last passing drill", "Value #C": "last verified backup" } } },
        ],
        fieldConfig: {
          defaults: {},
          overrides: [
            {
              matcher: { id: "byName", options: "newest drill" },
              properties: [
                { id: "mappings", value: [{ type: "value", options: { "0": { text: "failed", color: "red" }, "1": { text: "passed", color: "green" } } }] },
                { id: "custom.cellOptions", value: { type: "color-background" } },
              ],
            },
            { matcher: { id: "byName", options: "last passing drill" }, properties: [{ id: "unit", value: "s" }] },
            { matcher: { id: "byName", options: "last verified backup" }, properties: [{ id: "unit", value: "s" }] },
          ],
        },
      },
    ),
  );
  y += 8;

  panels.push({ id: ++id, type: "row", title: "Volumes", collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
  const ns = input.pvcNamespaces && input.pvcNamespaces.length > 0 ? `{namespace=~"${input.pvcNamespaces.join("|")}"}` : "";
  panels.push(
    panel(
      "timeseries",
      "PVC usage",
      { h: 8, w: 24, x: 0, y },
      [
        {
          expr: `max by (namespace, persistentvolumeclaim) (${KUBELET_METRICS.volumeUsed}${ns} / ${KUBELET_METRICS.volumeCapacity}${ns})`,
          legendFormat: "{{namespace}}/{{persistentvolumeclaim}}",
          refId: "A",
        },
      ],
      {
        fieldConfig: {
          defaults: {
            unit: "percentunit",
            min: 0,
            max: 1,
            thresholds: thresholds([
              { color: "green", value: null },
              { color: "red", value: 0.8 },
            ]),
            custom: { thresholdsStyle: { mode: "line" } },
          },
          overrides: [],
        },
      },
    ),
  );

  return {
    uid: BACKUP_DASHBOARD_UID,
    title: "Strata / Backups and restore drills",
    tags: ["strata", "backups"],
    schemaVersion: 39,
    version: 1,
    editable: false,
    timezone: "utc",
    refresh: "1m",
    time: { from: "now-7d", to: "now" },
    templating: {
      list: [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0, refresh: 1, regex: "" }],
    },
    annotations: { list: [] },
    panels,
  };
}

export type BackupDashboard = ReturnType<typeof buildBackupDashboard>;

export interface BackupDashboardConfigMapInput<Namespace = string> extends BackupDashboardInput {
  name: string;
  /** A string, or anything else the caller's object model takes (a Pulumi Input). */
  namespace: Namespace;
  labels: Record<string, string>;
}

/** The ConfigMap the Grafana sidecar loads the dashboard from, as plain data. */
export function buildBackupDashboardConfigMap<Namespace = string>(input: BackupDashboardConfigMapInput<Namespace>) {
  return {
    apiVersion: "v1" as const,
    kind: "ConfigMap" as const,
    metadata: { name: input.name, namespace: input.namespace, labels: { ...input.labels, ...GRAFANA_DASHBOARD_LABEL } },
    data: { [BACKUP_DASHBOARD_FILE]: JSON.stringify(buildBackupDashboard(input), null, 2) },
  };
}

/**
 * What a Helm release of each pinned chart needs from the cluster before `helm install` can succeed, as data read
 * from the charts' templates (never their code): the kinds it installs (CRDs), the custom-resource kinds it renders
 * given its values, and the objects its values make it mount or use. Helm fails a release whose templates render a
 * kind the API server does not know ("resource mapping not found ... ensure CRDs are installed first"); none of the
 * templates listed here guards such a kind with `.Capabilities.APIVersions.Has`.
 *
 * Sources: the upstream chart repositories at the commits whose values.yaml/Chart.yaml are saved in shared/charts
 * (shared/charts/SOURCES.md): prometheus-community/helm-charts cf408a290aec489277a94450bb3511432477a53a,
 * thanos-community/helm-charts aa4bd28e2bea484826ffa64ad5672e4ad7c65cce, grafana-community/helm-charts
 * 3386a1156177c6bcd7fdb1ad4c6b1dda094296e0; grafana/alloy operations/helm/charts/alloy (tag helm-chart/1.11.1).
 * Each row names its template; each condition's default is the chart's values.yaml default. A new chart version
 * is a new row, checked against its templates: a release of a version not listed here is reported as unknown.
 */

/** A condition on a release's values: a value (or the chart's default when unset) is truthy, or equals `equals`. */
export type ValueCondition = { path: string; default: unknown; equals?: unknown } | { all: ValueCondition[] } | { any: ValueCondition[] };

export interface KindRef {
  group: string;
  kind: string;
}

export interface ChartKindFacts {
  chart: string;
  versions: readonly string[];
  /** Custom-resource kinds the release installs (its CRDs), and when. */
  installs: readonly { kinds: readonly KindRef[]; when?: ValueCondition; source: string }[];
  /** Kinds outside the built-in API groups the release renders, and when. */
  renders: readonly { kind: KindRef; when: ValueCondition; source: string }[];
  /**
   * Objects the release's pods use that it does not create: value paths (`a.b[*].c`: every element of a list)
   * naming a Secret, a ConfigMap, a ServiceAccount or a StorageClass, and when they apply. References written as
   * Kubernetes pod-spec fragments anywhere in the values (secretKeyRef, envFrom, volumes) are found without a row.
   */
  references: readonly { object: "Secret" | "ConfigMap" | "ServiceAccount" | "StorageClass"; path: string; when?: ValueCondition; source: string }[];
  /**
   * Objects the release's controllers create in its namespace once it is up, that others mount: a name pattern where
   * `{path}` is the value at that path (the pattern applies only when it is set) and `{ordinal}` any replica index.
   */
  provides?: readonly { object: "PersistentVolumeClaim"; name: string; when?: ValueCondition; source: string }[];
}

const MONITORING = "monitoring.coreos.com";
const mon = (kind: string): KindRef => ({ group: MONITORING, kind });

/** The prometheus-operator CRDs (the `crds` subchart's templates; each on unless `crds.<plural>.enabled: false`). */
const OPERATOR_CRDS: readonly [string, string][] = [
  ["Alertmanager", "alertmanagers"],
  ["AlertmanagerConfig", "alertmanagerconfigs"],
  ["PodMonitor", "podmonitors"],
  ["Probe", "probes"],
  ["Prometheus", "prometheuses"],
  ["PrometheusAgent", "prometheusagents"],
  ["PrometheusRule", "prometheusrules"],
  ["ScrapeConfig", "scrapeconfigs"],
  ["ServiceMonitor", "servicemonitors"],
  ["ThanosRuler", "thanosrulers"],
];

const PC = "prometheus-community/helm-charts@cf408a290aec489277a94450bb3511432477a53a";
const TC = "thanos-community/helm-charts@aa4bd28e2bea484826ffa64ad5672e4ad7c65cce";
const GC = "grafana-community/helm-charts@3386a1156177c6bcd7fdb1ad4c6b1dda094296e0";
const AL = "grafana/alloy helm-chart/1.11.1";

/** A Thanos component's ServiceMonitor; `enabledByDefault` is the component's `enabled` default in values.yaml. */
const thanosServiceMonitor = (component: string, template: string, enabledByDefault: boolean): ChartKindFacts["renders"][number] => ({
  kind: mon("ServiceMonitor"),
  when: {
    all: [
      { path: `${component}.enabled`, default: enabledByDefault },
      { any: [{ path: `${component}.serviceMonitor.enabled`, default: false }, { path: "global.serviceMonitor.enabled", default: false }] },
    ],
  },
  source: `${TC} charts/thanos/templates/${template}/servicemonitor.yaml`,
});

export const CHART_KINDS: readonly ChartKindFacts[] = [
  {
    chart: "prometheus-operator-crds",
    versions: ["31.0.1"],
    // The CRDs are templates (charts/crds/templates/crd-*.yaml), not a crds/ directory: Helm upgrades them.
    installs: OPERATOR_CRDS.map(([kind, plural]) => ({
      kinds: [mon(kind)],
      when: { path: `crds.${plural}.enabled`, default: true },
      source: `${PC} charts/prometheus-operator-crds/charts/crds/templates/crd-${plural}.yaml`,
    })),
    renders: [],
    references: [],
  },
  {
    chart: "kube-prometheus-stack",
    versions: ["88.5.3"],
    // The `crds` subchart (condition crds.enabled) ships them in its crds/ directory: installed once, never upgraded.
    installs: [{ kinds: OPERATOR_CRDS.map(([kind]) => mon(kind)), when: { path: "crds.enabled", default: true }, source: `${PC} charts/kube-prometheus-stack/Chart.yaml (dependency crds), charts/kube-prometheus-stack/charts/crds/crds/` }],
    renders: [
      { kind: mon("Prometheus"), when: { path: "prometheus.enabled", default: true }, source: `${PC} charts/kube-prometheus-stack/templates/prometheus/prometheus.yaml` },
      { kind: mon("Alertmanager"), when: { path: "alertmanager.enabled", default: true }, source: `${PC} charts/kube-prometheus-stack/templates/alertmanager/alertmanager.yaml` },
      {
        kind: mon("ServiceMonitor"),
        when: { all: [{ path: "prometheus.enabled", default: true }, { path: "prometheus.serviceMonitor.selfMonitor", default: true }] },
        source: `${PC} charts/kube-prometheus-stack/templates/prometheus/servicemonitor.yaml`,
      },
      {
        kind: mon("PrometheusRule"),
        when: { path: "defaultRules.create", default: true },
        source: `${PC} charts/kube-prometheus-stack/templates/prometheus/rules-1.14/*.yaml`,
      },
    ],
    references: [
      { object: "Secret", path: "grafana.admin.existingSecret", source: `${PC} charts/kube-prometheus-stack values.yaml grafana.admin (grafana subchart)` },
      { object: "Secret", path: "prometheus.prometheusSpec.thanos.objectStorageConfig.existingSecret.name", source: `${PC} charts/kube-prometheus-stack values.yaml prometheus.prometheusSpec.thanos` },
      { object: "Secret", path: "alertmanager.alertmanagerSpec.secrets[*]", source: `${PC} charts/kube-prometheus-stack values.yaml alertmanager.alertmanagerSpec.secrets` },
      { object: "ServiceAccount", path: "prometheus.serviceAccount.name", when: { path: "prometheus.serviceAccount.create", default: true, equals: false }, source: `${PC} charts/kube-prometheus-stack values.yaml prometheus.serviceAccount` },
      { object: "StorageClass", path: "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName", source: `${PC} charts/kube-prometheus-stack values.yaml prometheus.prometheusSpec.storageSpec` },
      { object: "StorageClass", path: "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.storageClassName", source: `${PC} charts/kube-prometheus-stack values.yaml alertmanager.alertmanagerSpec.storage` },
    ],
    provides: [
      {
        // The Prometheus CR is `<fullname>-prometheus` (cleanPrometheusOperatorObjectNames off); the operator's
        // StatefulSet is `prometheus-<CR>` and its default claim template `prometheus-<CR>-db`.
        object: "PersistentVolumeClaim",
        name: "prometheus-{fullnameOverride}-prometheus-db-prometheus-{fullnameOverride}-prometheus-{ordinal}",
        when: { all: [{ path: "prometheus.enabled", default: true }, { path: "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate", default: {} }, { path: "cleanPrometheusOperatorObjectNames", default: false, equals: false }] },
        source: `${PC} charts/kube-prometheus-stack/templates/_helpers.tpl (kube-prometheus-stack.prometheus.crname), prometheus-operator's StatefulSet naming`,
      },
    ],
  },
  {
    chart: "prometheus-pushgateway",
    versions: ["3.8.0"],
    installs: [],
    renders: [{ kind: mon("ServiceMonitor"), when: { path: "serviceMonitor.enabled", default: false }, source: `${PC} charts/prometheus-pushgateway/templates/servicemonitor.yaml` }],
    references: [
      { object: "StorageClass", path: "persistentVolume.storageClass", when: { path: "persistentVolume.enabled", default: false }, source: `${PC} charts/prometheus-pushgateway/templates/pushgateway-pvc.yaml, statefulset.yaml` },
    ],
  },
  {
    chart: "thanos",
    versions: ["0.38.0"],
    installs: [],
    renders: [
      { kind: mon("PrometheusRule"), when: { path: "global.thanosRules.enabled", default: true }, source: `${TC} charts/thanos/templates/prometheusrule/rule.yaml` },
      thanosServiceMonitor("query", "query", true),
      thanosServiceMonitor("queryFrontend", "query-frontend", false),
      thanosServiceMonitor("storegateway", "storegateway", true),
      thanosServiceMonitor("compactor", "compactor", true),
      thanosServiceMonitor("ruler", "ruler", false),
      // Receive is on by default; its ServiceMonitor reads the merged receive config (thanos.receive.cfg).
      thanosServiceMonitor("receive", "receive", true),
      {
        kind: mon("ServiceMonitor"),
        when: { all: [{ path: "bucket.enabled", default: true }, { path: "bucket.bucketweb.enabled", default: false }, { any: [{ path: "bucket.bucketweb.serviceMonitor.enabled", default: false }, { path: "global.serviceMonitor.enabled", default: false }] }] },
        source: `${TC} charts/thanos/templates/bucket/servicemonitor.yaml`,
      },
    ],
    references: [
      { object: "Secret", path: "global.objstore.secretName", when: { path: "global.objstore.createSecret", default: false, equals: false }, source: `${TC} charts/thanos values.yaml global.objstore` },
      ...["storegateway", "compactor", "ruler", "query", "queryFrontend"].map((c) => ({
        object: "ServiceAccount" as const,
        path: `${c}.serviceAccount.name`,
        when: { path: `${c}.serviceAccount.create`, default: true, equals: false },
        source: `${TC} charts/thanos values.yaml ${c}.serviceAccount`,
      })),
      { object: "StorageClass", path: "global.storageClass", source: `${TC} charts/thanos values.yaml global.storageClass` },
      ...["storegateway", "compactor", "ruler"].map((c) => ({ object: "StorageClass" as const, path: `${c}.persistence.storageClass`, source: `${TC} charts/thanos values.yaml ${c}.persistence` })),
    ],
  },
  {
    chart: "loki",
    versions: ["18.11.0"],
    installs: [],
    renders: [
      { kind: mon("ServiceMonitor"), when: { path: "monitoring.serviceMonitor.enabled", default: false }, source: `${GC} charts/loki/templates/monitoring/servicemonitor.yaml` },
      { kind: mon("PrometheusRule"), when: { path: "monitoring.rules.enabled", default: false }, source: `${GC} charts/loki/templates/monitoring/rules/loki_rules.yaml` },
      { kind: mon("PrometheusRule"), when: { path: "monitoring.alerts.enabled", default: false }, source: `${GC} charts/loki/templates/monitoring/alerts/loki_alerts.yaml` },
      { kind: mon("PrometheusRule"), when: { path: "monitoring.additionalPrometheusRules", default: {} }, source: `${GC} charts/loki/templates/monitoring/additional-prometheus-rules.yaml` },
      {
        kind: { group: "grafana.integreatly.org", kind: "GrafanaDashboard" },
        when: { all: [{ path: "monitoring.dashboards.enabled", default: false }, { path: "monitoring.dashboards.grafanaOperator.enabled", default: false }] },
        source: `${GC} charts/loki/templates/monitoring/dashboards/*.yaml`,
      },
    ],
    references: [
      { object: "ServiceAccount", path: "serviceAccount.name", when: { path: "serviceAccount.create", default: true, equals: false }, source: `${GC} charts/loki values.yaml serviceAccount` },
      ...["ingester", "compactor", "indexGateway", "ruler", "write", "backend", "singleBinary"].flatMap((c) => [
        { object: "StorageClass" as const, path: `${c}.persistence.storageClass`, source: `${GC} charts/loki values.yaml ${c}.persistence` },
        { object: "StorageClass" as const, path: `${c}.persistence.claims[*].storageClass`, source: `${GC} charts/loki values.yaml ${c}.persistence.claims` },
      ]),
    ],
  },
  {
    chart: "alloy",
    versions: ["1.11.1"],
    installs: [{ kinds: [{ group: "monitoring.grafana.com", kind: "PodLogs" }], when: { path: "crds.create", default: true }, source: `${AL} operations/helm/charts/alloy/charts/crds/crds/monitoring.grafana.com_podlogs.yaml` }],
    renders: [
      {
        kind: mon("ServiceMonitor"),
        when: { all: [{ path: "service.enabled", default: true }, { path: "serviceMonitor.enabled", default: false }] },
        source: `${AL} operations/helm/charts/alloy/templates/servicemonitor.yaml`,
      },
    ],
    references: [],
  },
];

export function chartKindFacts(chart: string, version: string): ChartKindFacts | undefined {
  return CHART_KINDS.find((f) => f.chart === chart && f.versions.includes(version));
}

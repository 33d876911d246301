import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import Ajv from "ajv";
import * as yaml from "js-yaml";
import { plan, planOutcome, resourcesOfType, type StackName } from "./helpers/plan";
import { SHARED_CHARTS_DIR, unknownValuePaths } from "./helpers/chartValues";
import { validateRecordedK8sResource } from "./helpers/k8sValidate";
import type { Plan } from "../infra/plan/harness";
import type { RecordedResource } from "../infra/plan/recordingMonitor";
import { CHARTS, IMAGES } from "../components/versions";
import { longRangeRuleGroups } from "../components/metrics/longRangeRules";
import { effectiveSizes } from "../infra/capacity/plan";

type Any = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const release = (p: Plan, name: string) => {
  const r = p.resources.find((x) => x.type === RELEASE && x.name === name);
  if (!r) throw new Error(`no release ${name}`);
  return r;
};
const values = (r: RecordedResource) => r.inputs.values as Any;
const CHART_DIRS: Record<string, string> = {
  "kube-prometheus-stack": `kube-prometheus-stack-${CHARTS.kubePrometheusStack.version}`,
  thanos: `thanos-thanos-community-${CHARTS.thanos.version}`,
  pushgateway: `prometheus-pushgateway-${CHARTS.pushgateway.version}`,
};
/**
 * Keys the charts document other than as defaults: the Thanos ruler's `rules` is keyed by file name (its default
 * holds an example file), and the Pushgateway documents `persistentVolume.storageClass` only in a comment
 * (values.yaml, "pushgateway data Persistent Volume Storage Class").
 */
const DOCUMENTED_ELSEWHERE: Record<string, RegExp[]> = {
  thanos: [/^ruler\.rules\.[^.]+\.yaml$/],
  pushgateway: [/^persistentVolume\.storageClass$/],
  // Subchart keys: the grafana, kube-state-metrics and prometheus-node-exporter charts each have a top-level
  // `resources: {}` in their own values.yaml, which kube-prometheus-stack's defaults do not repeat.
  // `grafana.serviceAccount.name` likewise: the grafana chart's own values.yaml has it (kube-prometheus-stack repeats
  // only `create` and `autoMount`).
  "kube-prometheus-stack": [/^grafana\.resources\./, /^grafana\.serviceAccount\.name$/, /^kube-state-metrics\.resources\./, /^prometheus-node-exporter\.resources\./],
};

/** Helm's merge of user values over chart defaults: maps merge key by key, anything else replaces. */
function helmMerge(base: unknown, over: unknown): unknown {
  const isMap = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over;
  const out: Any = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = helmMerge(base[k], v);
  return out;
}

const work = mkdtempSync(join(tmpdir(), "strata-metrics-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(["dev", "prod"] as StackName[])("%s: every Helm value Strata sets exists in the pinned chart", (stack) => {
  it("the releases are pinned to exact chart versions", async () => {
    const p = await plan(stack);
    const releases = resourcesOfType(p, RELEASE).filter((r) => r.name in CHART_DIRS);
    expect(releases.map((r) => r.name).sort()).toEqual(stack === "prod" ? ["kube-prometheus-stack", "pushgateway", "thanos"] : ["kube-prometheus-stack", "pushgateway"]);
    for (const r of releases) expect(r.inputs.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(release(p, "kube-prometheus-stack").inputs).toEqual(expect.objectContaining({ chart: "kube-prometheus-stack", version: "88.5.3", atomic: true }));
  });

  it.each(Object.keys(CHART_DIRS))("%s: no value path the chart does not have", async (name) => {
    const p = await plan(stack);
    const r = p.resources.find((x) => x.type === RELEASE && x.name === name);
    if (!r) return expect(stack === "dev" && name === "thanos").toBe(true);
    const unknown = unknownValuePaths(CHART_DIRS[name]!, values(r)).filter((path) => !DOCUMENTED_ELSEWHERE[name]!.some((re) => re.test(path)));
    expect(unknown).toEqual([]);
  });
});

describe("the value-path check is not vacuous", () => {
  it("catches a misspelt kube-prometheus-stack key", () => {
    expect(unknownValuePaths(CHART_DIRS["kube-prometheus-stack"]!, { prometheus: { prometheusSpec: { retension: "1d" } } })).toEqual(["prometheus.prometheusSpec.retension"]);
  });
});

describe("prod: Prometheus x2 with the Thanos sidecar", () => {
  it("is HA, keeps the model's local retention, and labels itself for Thanos", async () => {
    const p = await plan("prod");
    const spec = values(release(p, "kube-prometheus-stack")).prometheus.prometheusSpec;
    expect(spec).toEqual(
      expect.objectContaining({
        replicas: 2,
        podAntiAffinity: "hard",
        retention: "15d",
        retentionSize: "45GB",
        replicaExternalLabelName: "prometheus_replica",
        externalLabels: { cluster: "prod-cluster", region: "eu-central-1", environment: "prod" },
        disableCompaction: true,
        enableAdminAPI: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
      }),
    );
    // The planner sizes it (strata:capacity); the model's retentionSize must fit with headroom.
    const size = effectiveSizes(p.config as never).prometheusVolumeGiB.gib;
    expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({ storageClassName: "ebs-gp3", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${size}Gi` } } });
    expect(45).toBeLessThanOrEqual(Math.floor(size * 0.85));
    // Seed 003's "Vertical Scaling" table, the prod profile's default (strata:metrics.prometheus.resources).
    expect(spec.resources).toEqual({ requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "8Gi" } });
    expect(effectiveSizes(p.config as never).prometheusMemoryGiB.gib * 1024).toBeLessThanOrEqual(8 * 1024);
    expect(spec.evaluationInterval).toBe(spec.scrapeInterval);
    expect(spec.thanos).toEqual({
      image: `quay.io/thanos/thanos:${IMAGES.thanos.tag}`,
      objectStorageConfig: { existingSecret: { name: "strata-thanos-objstore", key: "objstore.yml" } },
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    });
    expect(values(release(p, "kube-prometheus-stack")).prometheus.thanosService).toEqual({ enabled: true });
  });

  it("Thanos Query deduplicates on the very label Prometheus sets, and discovers the sidecars", async () => {
    const p = await plan("prod");
    const spec = values(release(p, "kube-prometheus-stack")).prometheus.prometheusSpec;
    const query = values(release(p, "thanos")).query;
    expect(query.replicaLabels).toContain(spec.replicaExternalLabelName);
    expect(query.replicaCount).toBe(2);
    expect(query.endpoints.static).toEqual(["dnssrv+_grpc._tcp.strata-thanos-discovery.monitoring.svc.cluster.local"]);
  });

  it("the object-store Secret names the metrics bucket, its region and the archive key", async () => {
    const p = await plan("prod");
    const objstore = yaml.load((p.outputs.metrics as Any).thanosObjstoreConfig) as Any;
    const archive = p.outputs.archive as Any;
    expect(objstore).toEqual({
      type: "S3",
      config: { bucket: archive.buckets.metrics.name, endpoint: "s3.eu-central-1.amazonaws.com", region: "eu-central-1", sse_config: { type: "SSE-KMS", kms_key_id: archive.kmsKeyArn } },
    });
    expect(JSON.stringify(objstore)).not.toMatch(/access_key|secret_key/);
  });

  it("each Thanos component and Prometheus runs as the ServiceAccount carrying its own identity", async () => {
    const p = await plan("prod");
    const thanos = values(release(p, "thanos"));
    const kps = values(release(p, "kube-prometheus-stack"));
    const identities = (p.outputs.archive as Any).identities as Record<string, Any>;
    const expected: [string, Any][] = [
      ["thanos-storegateway", thanos.storegateway.serviceAccount],
      ["thanos-compactor", thanos.compactor.serviceAccount],
      ["thanos-ruler", thanos.ruler.serviceAccount],
      ["prometheus", kps.prometheus.serviceAccount],
    ];
    for (const [workload, sa] of expected) {
      expect(sa).toEqual({ create: false, name: identities[workload]!.serviceAccount });
      const serviceAccount = p.resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount" && r.name === workload)!;
      expect((serviceAccount.inputs.metadata as Any).annotations["eks.amazonaws.com/role-arn"]).toBe(identities[workload]!.roleArn);
    }
    // Query never reads the bucket: it runs as the chart's own account, with no cloud identity and no API token.
    expect(thanos.query.serviceAccount).toBeUndefined();
    expect(thanos.global.serviceAccount).toEqual({ create: true, perComponent: false, automountServiceAccountToken: false });
  });

  it("store gateway x2 with a 1 GB index cache, a 2 GB bucket cache, 50Gi; one compactor with the model's retention; ruler x2", async () => {
    const t = values(release(await plan("prod"), "thanos"));
    expect(t.storegateway.replicaCount).toBe(2);
    expect(t.storegateway.extraArgs).toEqual(["--index-cache.config={type: IN-MEMORY, config: {max_size: 1GB}}"]);
    expect(yaml.load(t.storegateway.extraArgs[0].split("=")[1])).toEqual({ type: "IN-MEMORY", config: { max_size: "1GB" } });
    expect(yaml.load(t.storegateway.cachingBucketConfig)).toEqual({ type: "IN-MEMORY", config: { max_size: "2GB" } });
    expect(t.storegateway.persistence).toEqual({ enabled: true, size: "50Gi" });
    expect(t.storegateway.resources).toEqual({ requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "4Gi" } });
    expect(t.query.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } });
    expect(t.compactor.resources).toEqual({ requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "4Gi" } });
    expect(t.compactor.replicaCount).toBe(1);
    expect(t.compactor.retention).toEqual({ resolutionRaw: "30d", resolution5m: "120d", resolution1h: "730d" });
    expect(t.compactor.persistence.size).toBe("100Gi");
    expect(t.ruler.replicaCount).toBe(2);
    expect(yaml.load(t.ruler.alertmanagers.config)).toEqual({ alertmanagers: [{ static_configs: ["strata-alertmanager.monitoring.svc.cluster.local:9093"], scheme: "http", api_version: "v2" }] });
    expect(t.ruler.autoImportPrometheusRules.enabled).toBe(false);
    expect(t.global.image).toEqual(IMAGES.thanos);
  });

  it("the Thanos values, merged over the chart's defaults as Helm does, validate against its values.schema.json", async () => {
    const dir = join(SHARED_CHARTS_DIR, CHART_DIRS.thanos!);
    const schema = JSON.parse(readFileSync(join(dir, "values.schema.json"), "utf8"));
    const defaults = yaml.load(readFileSync(join(dir, "values.yaml"), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(helmMerge(defaults, values(release(await plan("prod"), "thanos"))));
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("after Helm's merge, the ruler loads no example alert from the chart's defaults", async () => {
    const defaults = yaml.load(readFileSync(join(SHARED_CHARTS_DIR, CHART_DIRS.thanos!, "values.yaml"), "utf8")) as Any;
    expect(JSON.stringify(defaults.ruler.rules)).toContain("ExampleAlwaysFiring");
    const merged = helmMerge(defaults, values(release(await plan("prod"), "thanos"))) as Any;
    const ruleFiles = Object.values(merged.ruler.rules as Record<string, string>).map((text) => yaml.load(text) as Any);
    expect(JSON.stringify(ruleFiles)).not.toContain("ExampleAlwaysFiring");
    expect(ruleFiles.flatMap((f) => f.groups.map((g: Any) => g.name))).toEqual(["strata-long-range"]);
  });

  it("Alertmanager x2 with pinned image and resources", async () => {
    const am = values(release(await plan("prod"), "kube-prometheus-stack")).alertmanager;
    expect(am.alertmanagerSpec.replicas).toBe(2);
    expect(am.alertmanagerSpec.image).toEqual(IMAGES.alertmanager);
    expect(am.alertmanagerSpec.resources.limits.memory).toBeDefined();
  });

  it("Grafana, kube-state-metrics and node-exporter run with requests and limits", async () => {
    const v = values(release(await plan("prod"), "kube-prometheus-stack"));
    for (const r of [v.grafana.resources, v["kube-state-metrics"].resources, v["prometheus-node-exporter"].resources]) {
      expect(r.requests.memory).toBe(r.limits.memory);
      expect(r.limits.cpu).toBeDefined();
    }
  });

  it("Pushgateway with persistence, as a StatefulSet of 2, scraped with honorLabels", async () => {
    const pg = values(release(await plan("prod"), "pushgateway"));
    expect(pg).toEqual(expect.objectContaining({ replicaCount: 2, runAsStatefulSet: true }));
    expect(pg.extraArgs).toContain("--persistence.file=/data/pushgateway.metrics");
    expect(pg.persistentVolume).toEqual(expect.objectContaining({ enabled: true, size: "2Gi", storageClass: "ebs-gp3", mountPath: "/data" }));
    expect(pg.serviceMonitor).toEqual({ enabled: true, honorLabels: true, namespace: "" });
  });

  it("the Pushgateway owns its alert, a PrometheusRule in the monitoring namespace that waits for the CRDs", async () => {
    const p = await plan("prod");
    const rule = resourcesOfType(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").find((r) => r.name === "pushgateway-alerts")!;
    expect(rule.parent).toContain("strata:metrics:Pushgateway");
    expect((rule.inputs as Any).metadata).toEqual(expect.objectContaining({ namespace: "monitoring", labels: expect.objectContaining({ release: "kube-prometheus-stack" }) }));
    expect(JSON.stringify((rule.inputs as Any).spec.groups)).toContain('up{job=\\"strata-pushgateway\\", namespace=\\"monitoring\\"}');
    expect(rule.options.dependsOn).toContain(release(p, "prometheus-operator-crds").urn);
  });

  it("Grafana reads Thanos Query Frontend by default, with a generated admin password kept secret", async () => {
    const p = await plan("prod");
    const grafana = values(release(p, "kube-prometheus-stack")).grafana;
    expect(grafana.additionalDataSources[0]).toEqual(expect.objectContaining({ type: "prometheus", isDefault: true, url: "http://strata-thanos-query-frontend.monitoring.svc.cluster.local:9090" }));
    expect(grafana.sidecar.datasources.defaultDatasourceEnabled).toBe(false);
    expect(grafana.admin.existingSecret).toBe("strata-grafana-admin");
    const admin = p.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "kube-prometheus-stack-grafana-admin")!;
    expect(admin.inputs.stringData).toBe("[secret]");
    expect(p.resources.some((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name === "kube-prometheus-stack-grafana-admin")).toBe(true);
  });
});

describe("dev: a single Prometheus without Thanos (seed 000)", () => {
  it("has no Thanos, no sidecar, and Grafana reads Prometheus directly; snapshots enable the admin API", async () => {
    const p = await plan("dev");
    expect(p.resources.some((r) => r.type === RELEASE && r.name === "thanos")).toBe(false);
    const kps = values(release(p, "kube-prometheus-stack"));
    expect(kps.prometheus.prometheusSpec.replicas).toBe(1);
    expect(kps.prometheus.prometheusSpec.thanos).toBeUndefined();
    expect(kps.prometheus.thanosService).toEqual({ enabled: false });
    expect(kps.prometheus.prometheusSpec.enableAdminAPI).toBe(true); // dev backs up Prometheus snapshots
    expect(kps.grafana.additionalDataSources[0].url).toBe("http://strata-prometheus.monitoring.svc.cluster.local:9090");
    expect(kps.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName).toBe("hcloud-volumes");
  });

  it("Thanos on hcloud injects each component's own static credentials", async () => {
    const p = await plan("dev", { metrics: { thanos: { enabled: true } } });
    const t = values(release(p, "thanos"));
    expect(t.compactor.extraEnvFrom).toEqual([{ secretRef: { name: "strata-thanos-compactor-s3-credentials" } }]);
    expect(t.storegateway.extraEnvFrom).toEqual([{ secretRef: { name: "strata-thanos-storegateway-s3-credentials" } }]);
    const containers = values(release(p, "kube-prometheus-stack")).prometheus.prometheusSpec.containers;
    expect(containers).toEqual([{ name: "thanos-sidecar", envFrom: [{ secretRef: { name: "strata-prometheus-s3-credentials" } }] }]);
  });
});

describe("metrics config is validated naming the key", () => {
  it.each([
    ["two compactors", { metrics: { thanos: { compactor: { replicas: 2 } } } }, "strata:metrics.thanos.compactor.replicas"],
    ["a TSDB cap that fills the volume", { retention: { localTsdbSizeGiB: 50 }, capacity: { overrides: { prometheusVolumeGiB: 55 } } }, "strata:retention.localTsdbSizeGiB"],
    ["a scrape interval in minutes", { metrics: { prometheus: { scrapeInterval: "1m" } } }, "strata:metrics.prometheus.scrapeInterval"],
    ["zero query replicas", { metrics: { thanos: { query: { replicas: 0 } } } }, "strata:metrics.thanos.query.replicas"],
  ])("prod: %s", async (_name, changes, key) => {
    const outcome = await planOutcome("prod", changes);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.problems.map((x) => x.key)).toContain(key);
  });

  it("dev: a Pushgateway volume under Hetzner's 10 GiB minimum", async () => {
    const outcome = await planOutcome("dev", { metrics: { pushgateway: { volumeSizeGiB: 2 } } });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.problems.map((x) => x.key)).toContain("strata:metrics.pushgateway.volumeSizeGiB");
  });
});

describe("NetworkPolicies (seed 003)", () => {
  it.each(["dev", "prod"] as StackName[])("%s: default deny everywhere, monitoring open only to itself, backup jobs' pushes and the webhook", async (stack) => {
    const p = await plan(stack);
    const policies = resourcesOfType(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    for (const np of policies) validateRecordedK8sResource(np);
    const spec = (name: string) => (policies.find((x) => x.name === `strata-${name}`)!.inputs as Any).spec;
    for (const ns of ["monitoring", "logging", "backups"]) expect(spec(`${ns}-default-deny-ingress`)).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    const sources = policies
      .filter((x) => (x.inputs as Any).metadata.namespace === "monitoring")
      .flatMap((x) => ((x.inputs as Any).spec.ingress ?? []).flatMap((rule: Any) => (rule.from ?? [{ any: true }]).map((f: Any) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ?? "any")));
    // prod backs its SQLite telemetry up from the application's namespace: only Strata's backup pods there may push.
    expect([...new Set(sources)].sort()).toEqual(stack === "prod" ? ["any", "monitoring", "openfinops", "strata-backups"] : ["any", "monitoring", "strata-backups"]);
    const pushgateway = spec("monitoring-allow-pushgateway-from-backups");
    expect(pushgateway.ingress[0].ports).toEqual([{ protocol: "TCP", port: 9091 }]);
    expect(pushgateway.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "strata-backups" } } },
      ...(stack === "prod" ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openfinops" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "strata-backup" } } }] : []),
    ]);
    expect(spec("monitoring-allow-operator-webhook").ingress).toEqual([{ ports: [{ protocol: "TCP", port: 10250 }] }]);
  });
});

describe("images", () => {
  /** Every image a release's values name, as `repo:tag` or an image object. */
  function images(value: unknown, path = ""): [string, unknown][] {
    if (value === null || typeof value !== "object") return [];
    if (Array.isArray(value)) return value.flatMap((v, i) => images(v, `${path}[${i}]`));
    const found: [string, unknown][] = [];
    for (const [k, v] of Object.entries(value as Any)) {
      if (k === "image") found.push([`${path}.image`, v]);
      else found.push(...images(v, `${path}.${k}`));
    }
    return found;
  }

  it.each(["dev", "prod"] as StackName[])("%s: every image a release names has an exact tag, never latest", async (stack) => {
    const p = await plan(stack);
    const all = resourcesOfType(p, RELEASE).flatMap((r) => images(values(r), r.name));
    expect(all.length).toBeGreaterThan(2);
    for (const [where, image] of all) {
      const tag = typeof image === "string" ? image.split(":").at(-1) : (image as Any).tag;
      expect(tag, where).toMatch(/^v?\d+\.\d+\.\d+/);
    }
  });
});

describe("the Thanos ruler's long-range rules", () => {
  it("pass promtool check rules", () => {
    const file = join(work, "long-range.yaml");
    writeFileSync(file, yaml.dump({ groups: longRangeRuleGroups() }));
    const result = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
    expect(result.error, "promtool is not installed: run bash scripts/setup.sh").toBeUndefined();
    expect(result.stdout + result.stderr).toMatch(/SUCCESS: 3 rules found/);
    expect(result.status).toBe(0);
  });
});

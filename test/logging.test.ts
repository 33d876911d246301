import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import Ajv from "ajv";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { plan, resourcesOfType, type StackName } from "./helpers/plan";
import { SHARED_CHARTS_DIR, unknownValuePaths } from "./helpers/chartValues";
import { validateRecordedK8sResource } from "./helpers/k8sValidate";
import { resolveConfig } from "../infra/config/load";
import { configProblems } from "./helpers/configProblems";
import { retentionTable } from "../infra/retention";
import { PROFILE_DEFAULTS } from "../stacks/profiles";
import { alloyLogConfig } from "../components/logging/alloyConfig";
import { ALLOY_CHART } from "../components/logging/alloyValues";
import { LOKI_CHART } from "../components/logging/lokiValues";
import type { Plan } from "../infra/plan/harness";

type Any = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const LOKI_DIR = join(SHARED_CHARTS_DIR, `loki-${LOKI_CHART.version}`);

const plans = new Map<string, Promise<Plan>>();
const planOf = (stack: StackName, changes: Record<string, unknown> = {}) => {
  const key = `${stack}:${JSON.stringify(changes)}`;
  if (!plans.has(key)) plans.set(key, plan(stack, changes));
  return plans.get(key)!;
};
const release = (p: Plan, name: string) => {
  const r = resourcesOfType(p, RELEASE).find((x) => x.name === name);
  if (!r) throw new Error(`no Helm release ${name}`);
  return r.inputs as Any;
};
const lokiValuesOf = async (stack: StackName) => release(await planOf(stack), "loki").values as Any;

/** Helm merges user values over the chart's defaults before checking the schema: maps merge, the rest replaces. */
function helmMerge(base: unknown, over: unknown): unknown {
  if (over === null) return undefined;
  const isMap = (v: unknown): v is Any => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over;
  const out: Any = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const merged = helmMerge(base[k], v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

const STACKS: StackName[] = ["dev", "prod"];

describe.each(STACKS)("Loki values in %s", (stack) => {
  it("validate against the chart's values.schema.json (merged over its defaults, as Helm does)", async () => {
    const schema = JSON.parse(readFileSync(join(LOKI_DIR, "values.schema.json"), "utf8"));
    const defaults = yaml.load(readFileSync(join(LOKI_DIR, "values.yaml"), "utf8"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const ok = validate(helmMerge(defaults, await lokiValuesOf(stack)));
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
    expect(errors, `schema errors:\n${errors.join("\n")}`).toEqual([]);
    expect(ok).toBe(true);
  });

  it("set only keys the chart has (values.yaml or values.schema.json)", async () => {
    expect(unknownValuePaths(LOKI_DIR, await lokiValuesOf(stack))).toEqual([]);
  });

  it("store chunks and rules in the logs bucket with SSE-KMS by the archive key, schema v13 on TSDB with a 24h index", async () => {
    const p = await planOf(stack);
    const archive = p.outputs.archive as Any;
    const { loki } = await lokiValuesOf(stack);
    expect(loki.storage.type).toBe("s3");
    expect(loki.storage.bucketNames).toEqual({ chunks: archive.buckets.logs.name, ruler: archive.buckets.logs.name });
    expect(loki.storage.s3.region).toBe(archive.buckets.logs.region);
    expect(loki.storage.s3.sse).toEqual({ type: "SSE-KMS", kms_key_id: archive.kmsKeyArn });
    expect(loki.schemaConfig.configs).toEqual([expect.objectContaining({ store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "index_", period: "24h" } })]);
  });

  it("retention comes from the model and the compactor applies it, keeping deletion requests in S3", async () => {
    const { loki } = await lokiValuesOf(stack);
    const days = PROFILE_DEFAULTS[stack].retention.logsDays;
    expect(loki.limits_config.retention_period).toBe(`${days * 24}h`);
    expect(loki.limits_config.max_query_lookback).toBe(`${days * 24}h`);
    expect(loki.compactor).toEqual(expect.objectContaining({ retention_enabled: true, delete_request_store: "s3", retention_delete_delay: "2h" }));
  });

  it("runs as the archive's strata-loki identity, never creating its own ServiceAccount, with no bundled minio", async () => {
    const values = await lokiValuesOf(stack);
    expect(values.serviceAccount).toEqual(expect.objectContaining({ create: false, name: "strata-loki" }));
    expect(values.minio.enabled).toBe(false);
    expect(values.loki.auth_enabled).toBe(false);
  });

  it("runs non-root with every capability dropped, and every Loki container has requests and limits", async () => {
    const values = await lokiValuesOf(stack);
    for (const ctx of [values.loki.containerSecurityContext, values.memcached.containerSecurityContext]) {
      expect(ctx).toEqual(expect.objectContaining({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }));
    }
    expect(values.loki.podSecurityContext.runAsNonRoot).toBe(true);
    const running = Object.entries(values).filter(([, v]) => (v as Any)?.replicas > 0 && (v as Any)?.enabled !== false);
    expect(running.length).toBeGreaterThan(0);
    for (const [name, v] of running) {
      const r = (v as Any).resources;
      expect(r?.requests?.cpu && r?.requests?.memory && r?.limits?.cpu && r?.limits?.memory, `${name} resources`).toBeTruthy();
    }
  });

  it("the Release pins the chart from the grafana-community repository into the logging namespace", async () => {
    const r = release(await planOf(stack), "loki");
    expect(r).toEqual(expect.objectContaining({ name: "loki", chart: "loki", version: "18.11.0", namespace: "logging", repositoryOpts: { repo: "https://grafana-community.github.io/helm-charts" } }));
    expect(r.values.loki.image.tag).toBe("3.7.6");
  });
});

describe("deployment mode per environment", () => {
  it("dev: Monolithic (the single binary) with one replica, replication factor 1, on hcloud-volumes, keys from the Secret", async () => {
    const values = await lokiValuesOf("dev");
    expect(values.deploymentMode).toBe("Monolithic");
    expect(values.singleBinary).toEqual(expect.objectContaining({ replicas: 1, sidecar: false }));
    expect(values.singleBinary.persistence).toEqual(expect.objectContaining({ enabled: true, storageClass: "hcloud-volumes", size: "10Gi" }));
    expect(values.loki.commonConfig.replication_factor).toBe(1);
    expect(values.global.extraEnv).toEqual(
      ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: "strata-loki-s3-credentials", key } } })),
    );
    expect(values.chunksCache.enabled).toBe(false);
    expect(values.resultsCache.enabled).toBe(false);
  });

  it("prod: Distributed (SimpleScalable is deprecated), three ingesters with replication factor 3 on ebs-gp3, one compactor, no static keys", async () => {
    const values = await lokiValuesOf("prod");
    expect(values.deploymentMode).toBe("Distributed");
    for (const unused of ["singleBinary", "write", "read", "backend"]) expect(values[unused].replicas, unused).toBe(0);
    expect(values.ingester.replicas).toBe(3);
    expect(values.loki.commonConfig.replication_factor).toBe(3);
    expect(values.ingester.persistence.claims).toEqual([expect.objectContaining({ storageClass: "ebs-gp3", size: "20Gi" })]);
    expect(values.compactor.replicas).toBe(1);
    expect(values.compactor.persistence.enabled).toBe(true);
    expect(values.global.extraEnv).toEqual([]);
    expect(values.chunksCache).toEqual(expect.objectContaining({ enabled: true, allocatedMemory: 1024 }));
    // memcached reserves its item memory up front: its container limit must hold it.
    expect(parseInt(values.chunksCache.resources.limits.memory)).toBeGreaterThan(1024);
  });

  it("prod on hcloud: the same microservices on hcloud-volumes, with the static keys of strata-loki from its Secret", async () => {
    // Hetzner's 10 GiB volume minimum applies to prod's 2 GiB Pushgateway volumes too.
    const values = release(await planOf("prod", { cloud: "hcloud", metrics: { pushgateway: { volumeSizeGiB: 10 } }, storage: { claims: { rabbitmq: { size: "10Gi" }, valkey: { size: "10Gi" } } } }), "loki").values as Any;
    expect(values.deploymentMode).toBe("Distributed");
    expect(values.ingester.persistence.claims[0].storageClass).toBe("hcloud-volumes");
    expect(values.global.extraEnv.map((e: Any) => e.valueFrom.secretKeyRef)).toEqual([
      { name: "strata-loki-s3-credentials", key: "AWS_ACCESS_KEY_ID" },
      { name: "strata-loki-s3-credentials", key: "AWS_SECRET_ACCESS_KEY" },
    ]);
    // The archive is AWS S3 on both clouds, so SSE-KMS applies on hcloud too.
    expect(values.loki.storage.s3.sse.type).toBe("SSE-KMS");
  });

  it("the chart calls SimpleScalable deprecated and Monolithic the current name, as the modes above assume", () => {
    const text = readFileSync(join(LOKI_DIR, "values.yaml"), "utf8");
    expect(text).toMatch(/SimpleScalable \(deprecated, removed in Loki 4\)/);
    expect(text).toMatch(/Monolithic \(deprecated: SingleBinary\)/);
  });
});

describe("outputs: push and query URLs, and the Grafana datasource", () => {
  it.each([
    ["dev", "http://loki.logging.svc.cluster.local:3100"],
    ["prod", "http://loki-query-frontend.logging.svc.cluster.local:3100"],
  ] as const)("%s", async (stack, queryUrl) => {
    const logging = (await planOf(stack)).outputs.logging as Any;
    expect(logging.loki.queryUrl).toBe(queryUrl);
    expect(logging.loki.pushUrl).toMatch(/^http:\/\/loki(-distributor)?\.logging\.svc\.cluster\.local:3100\/loki\/api\/v1\/push$/);
    expect(logging.grafanaDatasource).toEqual(expect.objectContaining({ name: "Loki", type: "loki", url: queryUrl }));
  });
});

describe.each(STACKS)("the log collector in %s", (stack) => {
  it("is the pinned Alloy chart as a DaemonSet shipping to Loki's push URL with namespace/pod/container labels", async () => {
    const p = await planOf(stack);
    const r = release(p, "log-collector");
    expect(r).toEqual(expect.objectContaining({ chart: "alloy", version: ALLOY_CHART.version, namespace: "logging", repositoryOpts: { repo: "https://grafana.github.io/helm-charts" } }));
    const values = r.values as Any;
    expect(values.controller.type).toBe("daemonset");
    const config: string = values.alloy.configMap.content;
    expect(config).toContain(`url = "${(p.outputs.logging as Any).loki.pushUrl}"`);
    expect(config).toMatch(/discovery\.kubernetes "pods"[\s\S]*field = "spec\.nodeName=" \+ sys\.env\("HOSTNAME"\)/);
    expect(config).toContain("loki.source.kubernetes");
    for (const label of ["namespace", "pod", "container"]) expect(config).toContain(`target_label  = "${label}"`);
    expect(config).toContain(`environment = "${stack}",`);
  });

  it("runs non-root with no host mounts, bounded resources and an RBAC role that cannot read Secrets", async () => {
    const values = release(await planOf(stack), "log-collector").values as Any;
    expect(values.alloy.mounts).toEqual(expect.objectContaining({ varlog: false, dockercontainers: false }));
    expect(values.alloy.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }));
    for (const r of [values.alloy.resources, values.configReloader.resources]) expect(Object.keys(r).sort()).toEqual(["limits", "requests"]);
    const resources = values.rbac.rules.flatMap((rule: Any) => rule.resources);
    expect(resources).not.toContain("secrets");
    expect(values.rbac.clusterRules).toEqual([]);
  });

  it("starts after Loki", async () => {
    const p = await planOf(stack);
    const collector = resourcesOfType(p, RELEASE).find((x) => x.name === "log-collector")!;
    const loki = resourcesOfType(p, RELEASE).find((x) => x.name === "loki")!;
    expect(collector.options.dependsOn).toContain(loki.urn);
  });

  it("every Kubernetes object in the plan validates strictly", async () => {
    const p = await planOf(stack);
    const objects = p.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== RELEASE && !r.type.startsWith("pulumi:"));
    expect(objects.length).toBeGreaterThan(0);
    for (const r of objects) validateRecordedK8sResource(r);
  });

  it("the logging namespace enforces the restricted Pod Security level", async () => {
    const ns = resourcesOfType(await planOf(stack), "kubernetes:core/v1:Namespace").find((r) => (r.inputs as Any).metadata.name === "logging")!;
    expect((ns.inputs as Any).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

// The Alloy chart's defaults are not in shared/charts; set ALLOY_CHART_DIR to a folder holding its values.yaml
// (operations/helm/charts/alloy/values.yaml at tag helm-chart/1.11.1 of grafana/alloy) to check every key.
const ALLOY_DIR = process.env.ALLOY_CHART_DIR ?? join(SHARED_CHARTS_DIR, `alloy-${ALLOY_CHART.version}`);
// Paths the defaults do not show but the chart renders verbatim: configReloader.resources defaults to requests only
// and is written with `toYaml` as the container's resources (templates/containers/_watch.yaml), so limits apply.
const ALLOY_PASSTHROUGH = /^configReloader\.resources\.limits\.(cpu|memory)$/;
describe.skipIf(!existsSync(join(ALLOY_DIR, "values.yaml")))("Alloy values against the chart's defaults", () => {
  it.each(STACKS)("%s sets only keys the chart has", async (stack) => {
    const unknown = unknownValuePaths(ALLOY_DIR, release(await planOf(stack), "log-collector").values as object);
    expect(unknown.filter((path) => !ALLOY_PASSTHROUGH.test(path))).toEqual([]);
  });
});

describe("the Alloy configuration generator", () => {
  const base = { pushUrl: "http://loki.logging.svc.cluster.local:3100/loki/api/v1/push", externalLabels: { environment: "dev" }, nodeNameEnv: "HOSTNAME" };

  it("escapes values as Alloy string literals", () => {
    expect(alloyLogConfig({ ...base, externalLabels: { environment: 'a"b\\c' } })).toContain('environment = "a\\"b\\\\c",');
  });

  it("refuses a label name Loki would reject and a URL that is not a push endpoint", () => {
    expect(() => alloyLogConfig({ ...base, externalLabels: { "bad-label": "x" } })).toThrow(/not a valid Loki label name/);
    expect(() => alloyLogConfig({ ...base, pushUrl: "http://loki:3100/" })).toThrow(/not a Loki push endpoint/);
  });

  it("is accepted by `alloy fmt` when the alloy binary is installed", () => {
    let alloy: string | undefined;
    try {
      alloy = execFileSync("sh", ["-c", "command -v alloy"], { encoding: "utf8" }).trim();
    } catch {
      alloy = undefined;
    }
    if (!alloy) return expect(alloyLogConfig(base)).toMatch(/^loki\.write "loki" \{$/m);
    expect(() => execFileSync(alloy!, ["fmt"], { input: alloyLogConfig(base) })).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Retention consistency: Loki's retention, its compactor and the logs bucket's expiry come from one model.

const CLUSTER = JSON.stringify({ source: "stack", stack: "acme/clusters/prod" });

describe("retention consistency", () => {
  it("a longer retention moves Loki's retention_period, its query lookback and the bucket's safety net together", async () => {
    const p = await planOf("prod", { retention: { logsDays: 14 } });
    const values = release(p, "loki").values as Any;
    expect(values.loki.limits_config.retention_period).toBe("336h");
    const lifecycle = p.resources.find((r) => r.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration" && r.name === "logs")!;
    const tiers = (lifecycle.inputs as Any).rules.find((r: Any) => r.id === "tiers-and-expiration");
    expect(tiers.expiration.days).toBe(44);
    // The compactor's delete delay ends well before the bucket expires anything.
    expect(14 * 24 + parseInt(values.loki.compactor.retention_delete_delay)).toBeLessThan(44 * 24);
  });

  it("stream overrides shorten retention for the streams they select", async () => {
    const logging = { loki: { streamRetention: [{ selector: '{namespace="dev"}', days: 3, priority: 10 }] } };
    const values = release(await planOf("prod", { logging }), "loki").values as Any;
    expect(values.loki.limits_config.retention_stream).toEqual([{ selector: '{namespace="dev"}', priority: 10, period: "72h" }]);
  });

  it("the plan's retention table shows Loki's retention, its compactor and the bucket expiry side by side", async () => {
    const rows = (await planOf("prod")).outputs.retention as Any[];
    const logs = rows.filter((r) => r.tier.startsWith("logs"));
    expect(logs.map((r) => [r.setting, r.value])).toEqual([
      ["Loki limits_config.retention_period", "720h"],
      ["Loki compactor retention_enabled, delete_request_store", "true, s3"],
      ["Loki compactor retention_delete_delay", "2h"],
      ["S3 expiration (safety net)", "60d"],
    ]);
    const withStream = retentionTable(PROFILE_DEFAULTS.prod.retention, { logging: { ...PROFILE_DEFAULTS.prod.logging, loki: { ...PROFILE_DEFAULTS.prod.logging.loki, streamRetention: [{ selector: '{app="x"}', days: 7, priority: 1 }] } } });
    expect(withStream).toContainEqual(expect.objectContaining({ setting: "Loki retention_stream", value: "168h", from: "logging.loki.streamRetention[0].days" }));
  });

  const base = { profile: "prod", cluster: CLUSTER };
  const loki = (changes: Record<string, unknown>) => ({ ...base, logging: { loki: changes } });
  const cases: [string, Record<string, unknown>, string][] = [
    ["a stream kept longer than retention.logsDays (past the bucket's safety net)", loki({ streamRetention: [{ selector: '{namespace="audit"}', days: 90, priority: 1 }] }), "strata:logging.loki.streamRetention[0].days"],
    ["a compactor delete delay that outlives the safety-net margin", loki({ retentionDeleteDelayHours: 720 }), "strata:logging.loki.retentionDeleteDelayHours"],
    ["a stream override with a selector that is not LogQL", loki({ streamRetention: [{ selector: "namespace=dev", days: 3, priority: 1 }] }), "strata:logging.loki.streamRetention[0].selector"],
    ["a replication factor above the ingester count", loki({ replicas: 2, replicationFactor: 3 }), "strata:logging.loki.replicationFactor"],
    ["a Loki volume below the Hetzner minimum", { profile: "dev", cluster: CLUSTER, logging: { loki: { volumeSizeGiB: 5 } } }, "strata:logging.loki.volumeSizeGiB"],
    ["a memory limit below its request", loki({ resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "1Gi" } } }), "strata:logging.loki.resources.limits.memory"],
    ["an unknown Loki mode (SimpleScalable is deprecated)", loki({ mode: "simple-scalable" }), "strata:logging.loki.mode"],
    ["a misspelt logging key", loki({ retentionDays: 3 }), "strata:logging.loki.retentionDays"],
  ];
  it.each(cases)("rejects %s, naming the key", (_, values, key) => {
    const problems = configProblems(values);
    expect(problems.map((p) => p.key)).toContain(key);
  });

  it("the stream check follows the model: the same override is valid once retention.logsDays covers it", () => {
    expect(() => resolveConfig({ values: { profile: "prod", cluster: CLUSTER, retention: JSON.stringify({ logsDays: 90 }), logging: JSON.stringify({ loki: { streamRetention: [{ selector: '{namespace="audit"}', days: 90, priority: 1 }] } }) }, secretKeys: new Set() })).not.toThrow();
  });
});

describe.each(STACKS)("Loki and the collector are watched in %s", (stack) => {
  const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
  const crdsUrn = (p: Plan) => resourcesOfType(p, RELEASE).find((x) => x.name === "prometheus-operator-crds")!.urn;

  it("both charts render their ServiceMonitor, so both releases wait for the CRDs", async () => {
    const p = await planOf(stack);
    expect((release(p, "log-collector").values as Any).serviceMonitor).toEqual({ enabled: true });
    expect((release(p, "loki").values as Any).monitoring.serviceMonitor).toEqual({ enabled: true, interval: "" });
    for (const name of ["loki", "log-collector"]) {
      const r = resourcesOfType(p, RELEASE).find((x) => x.name === name)!;
      expect(r.options.dependsOn, name).toContain(crdsUrn(p));
    }
  });

  it("each owns a PrometheusRule in the logging namespace, selected by kube-prometheus-stack's release label, after the CRDs", async () => {
    const p = await planOf(stack);
    for (const [name, parentType, alert] of [
      ["loki-alerts", "strata:logging:Loki", "StrataLokiRetentionNotRunning"],
      ["log-collector-alerts", "strata:logging:LogCollector", "StrataLogCollectorDroppingEntries"],
    ] as const) {
      const r = resourcesOfType(p, RULE).find((x) => x.name === name);
      expect(r, name).toBeDefined();
      const inputs = r!.inputs as Any;
      expect(inputs.metadata).toEqual(expect.objectContaining({ name, namespace: "logging" }));
      expect(inputs.metadata.labels.release).toBe("kube-prometheus-stack");
      expect(JSON.stringify(inputs.spec.groups)).toContain(alert);
      expect(JSON.stringify(inputs.spec.groups)).toContain('namespace=\\"logging\\"');
      expect(r!.parent).toContain(parentType);
      expect(r!.options.dependsOn).toContain(crdsUrn(p));
    }
  });
});

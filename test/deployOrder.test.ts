import { beforeAll, describe, expect, it } from "vitest";
import { fromPlan } from "../policies/core/evaluate";
import type { StrataResource } from "../policies/core/types";
import { dependencyGraph, holds, kubernetesKind, podSpecRefs, releaseChart, simulateDeploy, type DeployOrderResult } from "../policies/core/deployOrder";
import { chartKindFacts } from "../policies/core/chartKinds";
import { CHARTS } from "../components/versions";
import { planOfStackFile, stackFiles, stackLabel } from "./helpers/stackFiles";
import { plan } from "./helpers/plan";
import { renderPlan } from "../infra/plan/report";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const MONITORING = "monitoring.coreos.com";

const named = (rs: StrataResource[], type: string, name: string) => {
  const r = rs.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const crdsRelease = (rs: StrataResource[]) => rs.find((r) => r.type === RELEASE && releaseChart(r).chart === CHARTS.prometheusOperatorCrds.chart);

/** Releases whose chart, given their values, renders a monitoring.coreos.com object. */
const rendersMonitoringKinds = (r: StrataResource) => {
  const { chart, version } = releaseChart(r);
  const facts = chartKindFacts(chart, version);
  return (facts?.renders ?? []).some((x) => x.kind.group === MONITORING && holds(x.when, (r.props.values ?? {}) as Record<string, unknown>));
};

describe.each(stackFiles().map((f) => [stackLabel(f), f]))("%s: the first `pulumi up` on an empty cluster converges", (_label, file) => {
  let resources: StrataResource[];
  let result: DeployOrderResult;
  let ownNamespaces: string[];
  beforeAll(async () => {
    const p = await planOfStackFile(file);
    resources = fromPlan(p.resources);
    result = simulateDeploy(resources);
    ownNamespaces = Object.values(p.config.namespaces as Record<string, string>);
  });

  it("no resource starts before its kind, namespace, mounts, StorageClass or identity exist, and nothing waits in a cycle", () => {
    expect(result.problems).toEqual([]);
    expect(result.waves.flat()).toHaveLength(dependencyGraph(resources).custom.length);
  });

  it("every chart the stack installs is one whose rendered kinds are known", () => {
    expect(result.unknownCharts).toEqual([]);
  });

  it("the cluster is assumed to hold only what applications own: never one of Strata's own namespaces", () => {
    for (const ns of ownNamespaces) expect(result.assumed.namespace ?? []).not.toContain(ns);
    expect(Object.keys(result.assumed)).not.toContain("StorageClass");
  });

  it("every monitoring.coreos.com object and every release rendering one depends on the CRD installer, which depends on none of them", () => {
    const graph = dependencyGraph(resources);
    const installer = crdsRelease(resources);
    expect(installer).toBeDefined();
    const users = resources.filter((r) => kubernetesKind(r.type)?.group === MONITORING || (r.type === RELEASE && rendersMonitoringKinds(r)));
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) expect([u.name, graph.before(u.urn).has(installer!.urn)]).toEqual([u.name, true]);
    const installerNeeds = graph.before(installer!.urn);
    expect(users.filter((u) => installerNeeds.has(u.urn)).map((u) => u.name)).toEqual([]);
  });
});

/**
 * Shapes the profiles do not show today, each wiring a prerequisite differently: Thanos on hcloud (static keys in
 * Secrets the sidecar and every component read), Alertmanager receivers (their Secret), pod identity, a SQLite
 * target in an application's namespace, telemetry on PostgreSQL (its credentials Secret in the backups namespace).
 */
const VARIANTS: [string, "dev" | "prod", Record<string, unknown>, string[]][] = [
  ["dev with Thanos (hcloud keys)", "dev", { metrics: { thanos: { enabled: true } } }, []],
  [
    "prod with every receiver",
    "prod",
    {
      alerting: { pagerduty: { enabled: true }, slack: { enabled: true, channel: "#platform" }, email: { enabled: true, to: ["oncall@example.com"], from: "am@example.com", smarthost: "smtp.example.com:587", authUsername: "alerts" } },
      pagerdutyRoutingKey: "0123456789abcdef0123456789abcdef",
      slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/secret",
      smtpPassword: "smtp-very-secret-password",
    },
    ["pagerdutyRoutingKey", "slackWebhookUrl", "smtpPassword"],
  ],
  ["prod with pod identity", "prod", { archive: { identity: "pod-identity" } }, []],
  [
    "dev with a SQLite target in an application's namespace",
    "dev",
    { backups: { targets: [{ name: "orders", kind: "sqlite", namespace: "orders", claimName: "orders-data", path: "orders.sqlite3", writerSelector: { matchLabels: { app: "orders" } } }] } },
    [],
  ],
  [
    "prod with telemetry on PostgreSQL",
    "prod",
    { telemetry: { backend: "postgresql", database: { host: "postgresql.databases.svc.cluster.local", port: 5432, name: "openfinops", user: "openfinops_telemetry", sslMode: "require" }, sqlite: null }, telemetryDbPassword: "n0t-in-any-0utput!" },
    ["telemetryDbPassword"],
  ],
];

describe.each(VARIANTS)("%s: the first deploy converges too", (_label, stack, changes, secretKeys) => {
  it("starts nothing before what it needs, with known charts and no cycle", async () => {
    const result = simulateDeploy(fromPlan((await plan(stack, changes, secretKeys)).resources));
    expect(result.problems).toEqual([]);
    expect(result.unknownCharts).toEqual([]);
  });
});

describe("the simulation fails a plan that deploys out of order (prod, deliberately broken)", () => {
  let prod: StrataResource[];
  beforeAll(async () => {
    prod = fromPlan((await plan("prod")).resources);
  });

  /** A copy of the plan where `target` no longer depends on what `drop` matches. */
  const without = (rs: StrataResource[], target: StrataResource, drop: (dep: StrataResource) => boolean) => {
    const byUrn = new Map(rs.map((r) => [r.urn, r]));
    return rs.map((r) => (r.urn === target.urn ? { ...r, dependencies: (r.dependencies ?? []).filter((d) => !drop(byUrn.get(d)!)) } : r));
  };
  const problemsOf = (rs: StrataResource[], urn: string) => simulateDeploy(rs).problems.filter((p) => p.urn === urn);

  it("the unbroken plan passes", () => {
    expect(simulateDeploy(prod).problems).toEqual([]);
  });

  it("a PrometheusRule created before its CRD", () => {
    const rule = named(prod, `kubernetes:${MONITORING}/v1:PrometheusRule`, "strata-alerting-platform-rules");
    const broken = without(prod, rule, (d) => d.urn === crdsRelease(prod)!.urn);
    expect(problemsOf(broken, rule.urn)).toEqual([expect.objectContaining({ kind: "kind", message: expect.stringMatching(/monitoring\.coreos\.com\/PrometheusRule .*prometheus-operator-crds/) })]);
  });

  it("a release whose chart renders a ServiceMonitor (pushgateway) installed before the CRDs", () => {
    const release = named(prod, RELEASE, "pushgateway");
    const broken = without(prod, release, (d) => d.urn === crdsRelease(prod)!.urn);
    expect(problemsOf(broken, release.urn)).toEqual([expect.objectContaining({ kind: "kind", message: expect.stringMatching(/ServiceMonitor .*prometheus-pushgateway 3\.8\.0 renders it/) })]);
  });

  it("a custom resource whose kind nothing in the stack installs", () => {
    const installer = crdsRelease(prod)!;
    const broken = prod.filter((r) => r.urn !== installer.urn).map((r) => ({ ...r, dependencies: (r.dependencies ?? []).filter((d) => d !== installer.urn) }));
    const problems = simulateDeploy(broken).problems;
    expect(problems.filter((p) => p.kind === "kind").map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^backups-rules needs kind monitoring\.coreos\.com\/PrometheusRule .*nothing in the stack installs/)]));
  });

  it("an object created before its namespace", () => {
    const dashboard = named(prod, "kubernetes:core/v1:ConfigMap", "backups-dashboard");
    const broken = without(prod, dashboard, (d) => d.type === "kubernetes:core/v1:Namespace");
    expect(problemsOf(broken, dashboard.urn)).toEqual([expect.objectContaining({ kind: "namespace", message: expect.stringMatching(/namespace monitoring .*strata-monitoring/) })]);
  });

  it("a release created before the Secret its values mount", () => {
    const kps = named(prod, RELEASE, "kube-prometheus-stack");
    const broken = without(prod, kps, (d) => d.type === "kubernetes:core/v1:Secret" && d.name === "thanos-objstore");
    expect(problemsOf(broken, kps.urn)).toEqual([expect.objectContaining({ kind: "mount", message: expect.stringMatching(/Secret monitoring\/strata-thanos-objstore .*prometheus\.prometheusSpec\.thanos\.objectStorageConfig/) })]);
  });

  it("a CronJob created before the ConfigMap its pods mount", () => {
    const job = named(prod, "kubernetes:batch/v1:CronJob", "postgresql-backup");
    const broken = without(prod, job, (d) => d.type === "kubernetes:core/v1:ConfigMap");
    expect(problemsOf(broken, job.urn)).toEqual([expect.objectContaining({ kind: "mount", message: expect.stringMatching(/ConfigMap strata-backups\/backup-scripts-[a-z0-9]{8} .*backup-scripts/) })]);
  });

  it("a claim created before its StorageClass", () => {
    const claim = named(prod, "kubernetes:core/v1:PersistentVolumeClaim", "postgresql-data");
    const broken = without(prod, claim, (d) => d.type === "kubernetes:storage.k8s.io/v1:StorageClass");
    expect(problemsOf(broken, claim.urn)).toEqual([expect.objectContaining({ kind: "storage-class", message: expect.stringMatching(/StorageClass ebs-gp3/) })]);
  });

  it("a workload created before the identity it runs as", () => {
    const job = named(prod, "kubernetes:batch/v1:CronJob", "postgresql-backup");
    const broken = without(prod, job, (d) => d.type === "kubernetes:core/v1:ServiceAccount");
    expect(problemsOf(broken, job.urn)).toEqual([expect.objectContaining({ kind: "identity", message: expect.stringMatching(/ServiceAccount strata-backups\/strata-backup-postgresql/) })]);
  });

  it("a cycle: the CRD installer waiting for a release that waits for it", () => {
    const installer = crdsRelease(prod)!;
    const kps = named(prod, RELEASE, "kube-prometheus-stack");
    const broken = prod.map((r) => (r.urn === installer.urn ? { ...r, dependencies: [...(r.dependencies ?? []), kps.urn] } : r));
    const cycles = simulateDeploy(broken).problems.filter((p) => p.kind === "cycle");
    expect(cycles).toEqual([expect.objectContaining({ message: expect.stringMatching(/dependency cycle: .*prometheus-operator-crds.*kube-prometheus-stack|dependency cycle: .*kube-prometheus-stack.*prometheus-operator-crds/) })]);
  });

  it("the CRD installer waiting for a user of its kinds, even without a cycle", () => {
    const installer = crdsRelease(prod)!;
    const pushgateway = named(prod, RELEASE, "pushgateway");
    const broken = without(prod, pushgateway, (d) => d.urn === installer.urn).map((r) => (r.urn === installer.urn ? { ...r, dependencies: [...(r.dependencies ?? []), pushgateway.urn] } : r));
    const problems = simulateDeploy(broken).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "crd-installer", urn: installer.urn, message: expect.stringMatching(/installs monitoring\.coreos\.com\/ServiceMonitor but depends on pushgateway/) }),
        expect.objectContaining({ kind: "kind", urn: pushgateway.urn }),
      ]),
    );
  });

  it("a chart version it has no facts about is reported, not guessed", () => {
    const pushgateway = named(prod, RELEASE, "pushgateway");
    const broken = prod.map((r) => (r.urn === pushgateway.urn ? { ...r, props: { ...r.props, version: "9.9.9" } } : r));
    expect(simulateDeploy(broken).unknownCharts).toEqual([{ urn: pushgateway.urn, chart: "prometheus-pushgateway", version: "9.9.9" }]);
  });

  it("kube-prometheus-stack with its own CRDs on provides the kinds to itself (Helm installs crds/ first)", () => {
    const kps = named(prod, RELEASE, "kube-prometheus-stack");
    const values = { ...(kps.props.values as Record<string, unknown>) };
    delete values.crds;
    const broken = without(prod, kps, (d) => d.urn === crdsRelease(prod)!.urn).map((r) => (r.urn === kps.urn ? { ...r, props: { ...r.props, values } } : r));
    expect(problemsOf(broken, kps.urn)).toEqual([]);
  });
});

describe("the simulation fails a dev (hcloud) plan whose volumes do not wait for the LUKS passphrase", () => {
  let dev: StrataResource[];
  beforeAll(async () => {
    dev = fromPlan((await plan("dev")).resources);
  });
  // The volume also reaches the Secret through its StorageClass, so that path is cut too.
  const dropSecret = (target: StrataResource) => dev.map((r) => (r.urn === target.urn ? { ...r, dependencies: (r.dependencies ?? []).filter((d) => !/core\/v1:Secret|:StorageClass::/.test(d)) } : r));

  it("the unbroken plan passes", () => {
    expect(simulateDeploy(dev).problems).toEqual([]);
  });

  it.each([
    ["kubernetes:storage.k8s.io/v1:StorageClass", "hcloud-volumes", /csi\.storage\.k8s\.io\/node-publish-secret-name/],
    ["kubernetes:core/v1:PersistentVolume", "postgresql-data", /csi\.nodePublishSecretRef/],
  ])("a %s %s created before the Secret its CSI driver reads", (type, name, why) => {
    const target = named(dev, type, name);
    const problems = simulateDeploy(dropSecret(target)).problems.filter((p) => p.urn === target.urn && p.kind === "mount");
    expect(problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/Secret kube-system\/strata-hcloud-volumes-luks/) })]);
    expect(problems[0]!.message).toMatch(why);
  });
});

describe("the simulation fails a Prometheus snapshot backup that does not wait for the operator's claim (dev)", () => {
  it("names the claim kube-prometheus-stack's operator makes", async () => {
    const dev = fromPlan((await plan("dev")).resources);
    const job = named(dev, "kubernetes:batch/v1:CronJob", "prometheus-backup");
    const kps = named(dev, RELEASE, "kube-prometheus-stack");
    expect(simulateDeploy(dev).problems).toEqual([]);
    const broken = dev.map((r) => (r.urn === job.urn ? { ...r, dependencies: (r.dependencies ?? []).filter((d) => d !== kps.urn) } : r));
    expect(simulateDeploy(broken).problems).toEqual([
      expect.objectContaining({ kind: "mount", urn: job.urn, message: expect.stringMatching(/PersistentVolumeClaim monitoring\/prometheus-strata-prometheus-db-prometheus-strata-prometheus-0 .*kube-prometheus-stack/) }),
    ]);
  });
});

describe("what a pod spec uses", () => {
  it("finds env, envFrom, volumes and projected sources, and skips optional references", () => {
    const spec = {
      containers: [
        {
          env: [{ name: "A", valueFrom: { secretKeyRef: { name: "s1", key: "k" } } }, { name: "B", valueFrom: { configMapKeyRef: { name: "c1", key: "k", optional: true } } }],
          envFrom: [{ secretRef: { name: "s2" } }, { configMapRef: { name: "c2" } }],
        },
      ],
      volumes: [
        { name: "v1", secret: { secretName: "s3" } },
        { name: "v2", configMap: { name: "c3" } },
        { name: "v3", persistentVolumeClaim: { claimName: "data" } },
        { name: "v4", projected: { sources: [{ secret: { name: "s4" } }, { configMap: { name: "c4", optional: true } }] } },
      ],
    };
    expect(podSpecRefs(spec)).toEqual({ secrets: ["s1", "s2", "s3", "s4"], configMaps: ["c2", "c3"], claims: ["data"] });
  });
});

describe("the offline plan reports the deploy order of any stack file", () => {
  it("prod: no problem, and what the cluster must already have", async () => {
    const text = renderPlan(await plan("prod"));
    expect(text).toMatch(/^Deploy order on an empty cluster: \d+ waves, no problem\nThe cluster must already have .*\n  namespace openfinops\n  Secret strata-backups\/postgresql-backup$/m);
  });
});

describe("the engine's view of dependencies", () => {
  const r = (type: string, name: string, deps: string[] = [], parent?: string): StrataResource => ({ type, name, urn: `urn:${name}`, props: {}, opts: parent ? { parent } : {}, dependencies: deps });

  it("a dependency on a component is one on everything inside it, and the component itself is never created", () => {
    const rs = [r("strata:x:Thing", "thing"), r("kubernetes:core/v1:ConfigMap", "inside", [], "urn:thing"), r("kubernetes:core/v1:Secret", "user", ["urn:thing"])];
    const g = dependencyGraph(rs);
    expect(g.custom).toEqual(["urn:inside", "urn:user"]);
    expect([...g.before("urn:user")]).toEqual(["urn:inside"]);
  });

  it("resources of any package the stack has a provider for are created, so cycles through them are found", () => {
    const rs = [r("pulumi:providers:cloudflare", "cf"), r("cloudflare:index/record:Record", "dns", ["urn:secret"]), r("kubernetes:core/v1:Secret", "secret", ["urn:dns"])];
    expect(simulateDeploy(rs).problems.map((p) => p.kind)).toEqual(["cycle"]);
  });

  it("a resource waits for its provider", () => {
    const provider = r("pulumi:providers:kubernetes", "cluster", ["urn:ref"]);
    const rs = [r("pulumi:pulumi:StackReference", "ref"), provider, { ...r("kubernetes:core/v1:Namespace", "ns"), provider: { type: provider.type, urn: provider.urn, props: {} } }];
    expect([...dependencyGraph(rs).before("urn:ns")].sort()).toEqual(["urn:cluster", "urn:ref"]);
  });
});

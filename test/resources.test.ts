import { describe, expect, it } from "vitest";
import { plan, resourcesOfType } from "./helpers/plan";
import { configProblems } from "./helpers/configProblems";
import { formatProblems } from "../infra/config/errors";
import { effectiveSizes } from "../infra/capacity/plan";
import { unknownValuePaths } from "./helpers/chartValues";

type Any = Record<string, any>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const valuesOf = (p: Awaited<ReturnType<typeof plan>>, name: string) => resourcesOfType(p, RELEASE).find((r) => r.name === name)!.inputs.values as Any;
const res = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });
const CLUSTER = { source: "stack", stack: "acme/clusters/dev" };

/** A stack that sizes every metrics component itself, the way seed 003's table reads. */
const SIZED = {
  metrics: {
    prometheus: { scrapeInterval: "15s", evaluationInterval: "15s", resources: res("1", "4Gi", "2", "8Gi") },
    thanos: {
      enabled: true,
      sidecar: { resources: res("50m", "128Mi", "250m", "256Mi") },
      query: { resources: res("250m", "512Mi", "1000m", "2Gi") },
      queryFrontend: { resources: res("100m", "256Mi", "500m", "512Mi") },
      storeGateway: { resources: res("250m", "1Gi", "1000m", "4Gi") },
      compactor: { resources: res("250m", "1Gi", "1000m", "4Gi") },
      ruler: { resources: res("200m", "512Mi", "1", "1Gi") },
    },
    pushgateway: { resources: res("100m", "128Mi", "500m", "512Mi") },
  },
  alerting: { alertmanagerResources: res("100m", "256Mi", "500m", "512Mi") },
};

describe("resources of Prometheus, each Thanos component, Alertmanager and the Pushgateway", () => {
  it("go from config to the paths the pinned charts define", async () => {
    const p = await plan("prod", SIZED);
    const kps = valuesOf(p, "kube-prometheus-stack");
    expect(kps.prometheus.prometheusSpec.resources).toEqual(SIZED.metrics.prometheus.resources);
    expect(kps.prometheus.prometheusSpec.evaluationInterval).toBe("15s");
    expect(kps.prometheus.prometheusSpec.thanos.resources).toEqual(SIZED.metrics.thanos.sidecar.resources);
    expect(kps.alertmanager.alertmanagerSpec.resources).toEqual(SIZED.alerting.alertmanagerResources);
    const thanos = valuesOf(p, "thanos");
    expect(thanos.query.resources).toEqual(SIZED.metrics.thanos.query.resources);
    expect(thanos.queryFrontend.resources).toEqual(SIZED.metrics.thanos.queryFrontend.resources);
    expect(thanos.storegateway.resources).toEqual(SIZED.metrics.thanos.storeGateway.resources);
    expect(thanos.compactor.resources).toEqual(SIZED.metrics.thanos.compactor.resources);
    expect(thanos.ruler.resources).toEqual(SIZED.metrics.thanos.ruler.resources);
    expect(valuesOf(p, "pushgateway").resources).toEqual(SIZED.metrics.pushgateway.resources);
    // The paths set here exist in the pinned charts' values.yaml (the rest of each file is test/metrics.test.ts's).
    const ours = /^(prometheus\.prometheusSpec\.(resources|evaluationInterval|thanos)|alertmanager\.alertmanagerSpec\.resources|resources)\b/;
    expect(unknownValuePaths("kube-prometheus-stack-88.5.3", kps).filter((path) => ours.test(path))).toEqual([]);
    expect(unknownValuePaths("prometheus-pushgateway-3.8.0", valuesOf(p, "pushgateway")).filter((path) => ours.test(path))).toEqual([]);
  });

  it("dev keeps Prometheus' memory at the capacity estimate and evaluates rules at the scrape interval", async () => {
    const p = await plan("dev");
    const spec = valuesOf(p, "kube-prometheus-stack").prometheus.prometheusSpec;
    const gib = effectiveSizes(p.config as never).prometheusMemoryGiB.gib;
    expect(spec.resources).toEqual(res("500m", `${gib}Gi`, "2", `${gib}Gi`));
    expect(spec.evaluationInterval).toBe(spec.scrapeInterval);
    expect(valuesOf(p, "pushgateway").resources).toEqual(res("50m", "128Mi", "250m", "128Mi"));
  });
});

describe("bad quantities and intervals are refused, naming the key", () => {
  const lines = (values: Record<string, unknown>) => formatProblems(configProblems({ profile: "dev", cluster: CLUSTER, ...values })).split("\n").slice(1).map((l) => l.trim());

  it.each([
    [{ metrics: { pushgateway: { resources: res("100m", "128M", "500m", "512Mi") } } }, '- strata:metrics.pushgateway.resources.requests.memory: must be a memory quantity in Mi or Gi such as 512Mi (got "128M", set in this stack)'],
    [{ metrics: { thanos: { query: { resources: res("a lot", "1Gi", "1", "1Gi") } } } }, '- strata:metrics.thanos.query.resources.requests.cpu: must be a CPU quantity such as 250m or 2 (got "a lot", set in this stack)'],
    [{ alerting: { alertmanagerResources: res("1", "1Gi", "500m", "1Gi") } }, '- strata:alerting.alertmanagerResources.limits.cpu: must be >= requests.cpu (1) (got "500m", set in this stack)'],
    [{ metrics: { prometheus: { resources: res("1", "4Gi", "2", "2Gi") } } }, '- strata:metrics.prometheus.resources.limits.memory: must be >= requests.memory (4Gi) (got "2Gi", set in this stack)'],
    [
      { metrics: { thanos: { storeGateway: { indexCacheGiB: 2, bucketCacheGiB: 2, resources: res("250m", "1Gi", "1", "4Gi") } } } },
      '- strata:metrics.thanos.storeGateway.resources.limits.memory: must be more than 4Gi: both in-memory caches (indexCacheGiB 2 + bucketCacheGiB 2) live in the store gateway\'s heap (got "4Gi", set in this stack)',
    ],
    [{ metrics: { prometheus: { evaluationInterval: "1 minute" } } }, '- strata:metrics.prometheus.evaluationInterval: must be a Prometheus duration such as 30s or 1m (got "1 minute", set in this stack)'],
    [{ metrics: { prometheus: { evaluationInterval: "10s" } } }, '- strata:metrics.prometheus.evaluationInterval: must be at least the scrape interval (30s): rules evaluated more often than samples arrive only repeat the same result (got "10s", set in this stack)'],
    [{ alerting: { email: { repeatInterval: "weekly" } } }, '- strata:alerting.email.repeatInterval: must be an Alertmanager duration such as 24h or 1w (got "weekly", set in this stack)'],
    [{ alerting: { email: { repeatInterval: "30m" } } }, "- strata:alerting.email.repeatInterval: must be at least 1h: the summary's group interval (a summary cannot repeat before its group is next flushed) (got \"30m\", set in this stack)"],
  ])("%j", (values, line) => {
    expect(lines(values)).toEqual([line]);
  });
});

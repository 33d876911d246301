import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { CHARTS } from "../components/versions";
import { PROMETHEUS_OPERATOR_CRDS_VALUES } from "../components/metrics/prometheusOperatorCrds";
import { SHARED_CHARTS_DIR, unknownValuePaths } from "./helpers/chartValues";
import { plan, resourceNamed, STACKS } from "./helpers/plan";
import { PROJECT_DIR } from "../infra/plan/stackFile";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const fixture = JSON.parse(readFileSync(join(PROJECT_DIR, "test", "fixtures", "prometheus-operator-crds-values.json"), "utf8")) as { version: string; appVersion: string; defaults: object };
const KPS_DIR = `kube-prometheus-stack-${CHARTS.kubePrometheusStack.version}`;

// shared/charts has no copy of this chart: its recorded defaults stand in for values.yaml.
const work = mkdtempSync(join(tmpdir(), "strata-crds-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, "values.yaml"), yaml.dump(fixture.defaults));

describe("the prometheus-operator CRDs, a release of their own", () => {
  it("are pinned to the operator version kube-prometheus-stack runs (the recorded facts are of the pinned version)", () => {
    expect(fixture.version).toBe(CHARTS.prometheusOperatorCrds.version);
    const kpsChart = yaml.load(readFileSync(join(SHARED_CHARTS_DIR, KPS_DIR, "Chart.yaml"), "utf8")) as { appVersion: string };
    expect(fixture.appVersion).toBe(kpsChart.appVersion);
  });

  it("set only values the chart has", () => {
    expect(unknownValuePaths(work, PROMETHEUS_OPERATOR_CRDS_VALUES)).toEqual([]);
    expect(unknownValuePaths(work, { crds: { prometheusrule: { enabled: true } } })).toEqual(["crds.prometheusrule.enabled"]);
  });

  it.each(STACKS)("%s: installed with every CRD, kept by Helm and by Pulumi; kube-prometheus-stack's own copy is off", async (stack) => {
    const p = await plan(stack);
    const crds = resourceNamed(p, RELEASE, "prometheus-operator-crds");
    expect(crds.inputs).toEqual(expect.objectContaining({ chart: CHARTS.prometheusOperatorCrds.chart, version: CHARTS.prometheusOperatorCrds.version, values: PROMETHEUS_OPERATOR_CRDS_VALUES }));
    expect(crds.options.retainOnDelete).toBe(true);
    expect(crds.options.protect).toBe(stack === "prod");
    const kps = resourceNamed(p, RELEASE, "kube-prometheus-stack");
    expect((kps.inputs.values as { crds: unknown }).crds).toEqual({ enabled: false });
    expect(unknownValuePaths(KPS_DIR, { crds: { enabled: false } })).toEqual([]);
  });
});

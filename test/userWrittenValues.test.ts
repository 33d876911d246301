import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { runPlan } from "../infra/plan/harness";
import { parseStackConfig, PROJECT_DIR, readStackConfigFile, stackNameFromFile } from "../infra/plan/stackFile";
import { applyEnvironments, EnvironmentError, parseEnvironmentArg } from "../infra/plan/escEnvironment";
import { runPlanCli } from "./helpers/cli";

/**
 * Stack files written the way users write them (test/fixtures/stacks/): values `pulumi config set --path` stored as
 * strings, schedules as a CronJob takes them, and a stack that imports a Pulumi ESC environment.
 */
const FIXTURES = join(PROJECT_DIR, "test", "fixtures", "stacks");
const fixture = (name: string) => join(FIXTURES, name);
type Any = Record<string, any>;

async function planFile(file: string) {
  const outcome = await runPlan({ project: "strata", stack: stackNameFromFile(file), config: readStackConfigFile(file, { passphrase: undefined }) });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.plan;
}

describe("numbers and booleans written as strings (Pulumi.strings.yaml)", () => {
  it("plans green, reading each as the number or boolean it is", async () => {
    const p = await planFile(fixture("Pulumi.strings.yaml"));
    const c = p.config as Any;
    expect(c.retention.metricsRawDays).toBe(30);
    expect(c.retention.backupDailyDays).toBe(14);
    expect(c.metrics.prometheus.replicas).toBe(1);
    expect(c.storage.defaultClass).toBe(false);
    expect(c.storage.claims.postgresql.critical).toBe(true);
    expect(c.backups.targets[0]).toMatchObject({ port: 5432, scratchSizeGiB: 20 });
    expect(c.alerting.alertmanagerReplicas).toBe(1);
    expect(p.policies.violations).toEqual([]);
  });
});

describe("schedules as Kubernetes takes them (Pulumi.daily.yaml)", () => {
  it("plans green with @daily, @weekly and day names, and alerts after two of their intervals", async () => {
    const p = await planFile(fixture("Pulumi.daily.yaml"));
    const schedules = p.resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob").map((r) => (r.inputs as Any).spec.schedule);
    expect(schedules).toEqual(expect.arrayContaining(["@daily", "30 5 1-7 * SUN", "@weekly"]));
    const rules = JSON.stringify(p.resources.filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => r.inputs));
    // Two intervals: 48 h for @daily, two weeks for @weekly.
    expect(rules).toMatch(/strata_backup_last_success_timestamp_seconds\{kind=\\"postgresql\\", target=\\"postgresql\\", method=\\"\\"\}\) > 172800/);
    expect(rules).toMatch(/target=\\"prometheus\\", method=\\"\\"\}\) > 1209600/);
    expect(p.policies.violations).toEqual([]);
  });
});

describe("a stack that imports a Pulumi ESC environment (Pulumi.esc.yaml)", () => {
  const work = mkdtempSync(join(tmpdir(), "strata-esc-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const stackFile = fixture("Pulumi.esc.yaml");
  const opened = fixture("esc-open.acme-strata-dev.json");

  it("without the environment: exit 2, naming the environment it cannot see and how to hand it in", () => {
    const result = runPlanCli(["--config", stackFile]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      "cannot plan without the stack's environments: the stack file imports the Pulumi ESC environment(s) acme/strata-dev, which this offline plan cannot open: run `esc open acme/strata-dev > env.json` and pass --environment env.json (one per environment)",
    );
    expect(result.stdout).toBe("");
  });

  it("with what `esc open` printed: plans green, the stack's own values winning over the environment's", () => {
    const json = join(work, "plan.json");
    const result = runPlanCli(["--config", stackFile, "--environment", opened, "--json", json]);
    expect(result.status, result.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(json, "utf8")) as Any;
    // strata:retention is set in the stack file: it wins as a whole key, as in Pulumi.
    expect(plan.config.retention.logsDays).toBe(7);
    expect(plan.config.cluster).toEqual({ source: "stack", stack: "acme/clusters/dev" });
    expect(plan.config.alerting.slack).toEqual({ enabled: true, channel: "#platform-alerts" });
    expect(plan.config.slackWebhookUrl).toBe("[secret]");
  });

  it("names each environment when the stack imports several, and refuses one it does not import", () => {
    const config = { values: { "strata:profile": "dev" }, secretKeys: [], environments: ["acme/base", "acme/dev"] };
    expect(() => applyEnvironments(config, "strata", [parseEnvironmentArg(opened)])).toThrow(EnvironmentError);
    expect(() => applyEnvironments(config, "strata", [parseEnvironmentArg(`acme/base=${opened}`)])).toThrow(/acme\/dev, which this offline plan cannot open/);
    expect(() => applyEnvironments(config, "strata", [parseEnvironmentArg(`acme/other=${opened}`)])).toThrow(/does not import acme\/other/);
    const merged = applyEnvironments(config, "strata", [parseEnvironmentArg(`acme/base=${opened}`), parseEnvironmentArg(`acme/dev=${opened}`)]);
    expect(merged.values["strata:profile"]).toBe("dev");
    expect(JSON.parse(merged.values["strata:cluster"]!)).toEqual({ source: "stack", stack: "acme/clusters/dev" });
    expect(merged.secretKeys).toEqual(["strata:slackWebhookUrl"]);
  });

  it("reads `environment:` in both forms Pulumi writes", () => {
    const list = readStackConfigFile(stackFile, { passphrase: undefined });
    expect(list.environments).toEqual(["acme/strata-dev"]);
    expect(parseStackConfig("environment:\n  imports: [acme/a, acme/b]\nconfig: {}\n", "inline").environments).toEqual(["acme/a", "acme/b"]);
    expect(() => parseStackConfig("environment: [1]\nconfig: {}\n", "inline")).toThrow(/list of Pulumi ESC environment names/);
  });
});

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildAlertmanagerConfig,
  receiverSecretKeys,
  RECEIVER_SECRET_KEYS,
  type AlertmanagerConfig,
  type ReceiversInput,
} from "../../components/alerting/alertmanagerConfig";
import { alertmanagerChartValues, alertmanagerSecretsDir } from "../../components/alerting/alertmanagerValues";
import { SHARED_CHARTS_DIR, unknownValuePaths } from "../helpers/chartValues";

const KPS = "kube-prometheus-stack-88.5.3";
const work = mkdtempSync(join(tmpdir(), "strata-alertmanager-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ALL: ReceiversInput = {
  pagerduty: {},
  slack: { channel: "#platform-alerts" },
  email: { to: ["oncall@example.com", "platform@example.com"], from: "alertmanager@example.com", smarthost: "smtp.example.com:587", authUsername: "alerts" },
};

const RESOURCES = { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } };

let counter = 0;
/** Writes the config, with placeholder credential files for every file it reads, and returns its path. */
function writeConfig(config: AlertmanagerConfig, secretsDir?: string, keys: string[] = []): string {
  if (secretsDir) {
    mkdirSync(secretsDir, { recursive: true });
    for (const key of keys) writeFileSync(join(secretsDir, key), `placeholder-${key}\n`);
  }
  const path = join(work, `alertmanager-${++counter}.yaml`);
  writeFileSync(path, yaml.dump(config, { lineWidth: -1 }));
  return path;
}

function amtool(args: string[]) {
  const result = spawnSync("amtool", args, { cwd: work, encoding: "utf8" });
  expect(result.error, "amtool is not installed: run bash scripts/setup.sh").toBeUndefined();
  return result;
}

function checkConfig(path: string) {
  const result = amtool(["check-config", path]);
  expect(result.stdout + result.stderr).toContain("SUCCESS");
  expect(result.status).toBe(0);
  return result.stdout;
}

/** The receivers an alert with these labels is sent to, as Alertmanager itself resolves the routing tree. */
function routesFor(path: string, labels: Record<string, string>): string[] {
  const result = amtool(["config", "routes", "test", `--config.file=${path}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split(/[,\s]+/).filter(Boolean);
}

/** What Helm gives the chart: user values deep-merged over the chart's defaults, maps merged, lists replaced. */
function helmMerge(base: unknown, over: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? helmMerge(base[k], v) : v;
  return out;
}

describe("the Alertmanager config passes amtool check-config (Alertmanager 0.25)", () => {
  it("with no receiver configured: everything goes to the root null receiver", () => {
    const path = writeConfig(buildAlertmanagerConfig({ receivers: {}, secretsDir: join(work, "none") }));
    expect(checkConfig(path)).toContain("1 receivers");
    expect(routesFor(path, { alertname: "StrataThanosSidecarNotUploading", severity: "critical" })).toEqual(["null"]);
  });

  it("with every receiver enabled, reading each credential from its file", () => {
    const dir = join(work, "secrets-all");
    const config = buildAlertmanagerConfig({ receivers: ALL, secretsDir: dir });
    const path = writeConfig(config, dir, receiverSecretKeys(ALL));
    expect(checkConfig(path)).toContain("4 receivers");
    const text = readFileSync(path, "utf8");
    expect(text).toContain(`routing_key_file: ${dir}/${RECEIVER_SECRET_KEYS.pagerduty}`);
    expect(text).toContain(`api_url_file: ${dir}/${RECEIVER_SECRET_KEYS.slack}`);
    expect(text).toContain(`auth_password_file: ${dir}/${RECEIVER_SECRET_KEYS.smtp}`);
    // Never an inline credential field.
    expect(text).not.toMatch(/^\s*(routing_key|service_key|api_url|auth_password|auth_secret):/m);
  });

  it.each(["1w", "168h", "24h", "1h30m"])("with the email summary repeated every %s (seed 003: weekly)", (repeatInterval) => {
    const dir = join(work, `secrets-repeat-${repeatInterval}`);
    const receivers = { email: { ...ALL.email!, repeatInterval } };
    const config = buildAlertmanagerConfig({ receivers, secretsDir: dir });
    const path = writeConfig(config, dir, receiverSecretKeys(receivers));
    checkConfig(path);
    expect(config.route.routes!.find((r) => r.receiver === "email")).toMatchObject({ repeat_interval: repeatInterval, group_interval: "1h" });
  });

  it("as the chart renders it: Strata's config merged over the chart's default alertmanager.config", () => {
    const defaults = yaml.load(readFileSync(join(SHARED_CHARTS_DIR, KPS, "values.yaml"), "utf8")) as { alertmanager: { config: unknown } };
    const dir = join(work, "secrets-merged");
    const merged = helmMerge(defaults.alertmanager.config, buildAlertmanagerConfig({ receivers: ALL, secretsDir: dir })) as AlertmanagerConfig;
    const path = writeConfig(merged, dir, receiverSecretKeys(ALL));
    checkConfig(path);
    // Our inhibit rule and routes replace the chart's lists rather than sit beside them.
    expect(merged.inhibit_rules).toHaveLength(1);
    expect(merged.templates).toEqual([]);
    expect(routesFor(path, { alertname: "KubePodCrashLooping", severity: "warning", cluster: "prod" })).toEqual(["email", "slack"]);
  });
});

describe("routing", () => {
  const dir = join(work, "secrets-routing");
  const all = writeConfig(buildAlertmanagerConfig({ receivers: ALL, secretsDir: dir }), dir, receiverSecretKeys(ALL));

  it.each([
    ["critical pages and is in the email digest", { severity: "critical" }, ["email", "pagerduty"]],
    ["warning goes to Slack and the email digest", { severity: "warning" }, ["email", "slack"]],
    ["info reaches no one", { severity: "info" }, ["null"]],
    ["Watchdog reaches no one, not even the digest", { alertname: "Watchdog", severity: "critical" }, ["null"]],
  ])("%s", (_name, labels, receivers) => {
    expect(routesFor(all, { alertname: "StrataThanosCompactorHalted", cluster: "prod", service: "thanos-compactor", ...labels })).toEqual(receivers);
  });

  it("without PagerDuty, critical alerts go to Slack", () => {
    const receivers = { slack: {} };
    const d = join(work, "secrets-slack-only");
    const path = writeConfig(buildAlertmanagerConfig({ receivers, secretsDir: d }), d, receiverSecretKeys(receivers));
    expect(routesFor(path, { alertname: "X", severity: "critical" })).toEqual(["slack"]);
  });

  it("groups by alertname, cluster and service with the agreed timings; email is a slower digest", () => {
    const config = buildAlertmanagerConfig({ receivers: ALL, secretsDir: dir });
    expect(config.route).toMatchObject({ receiver: "null", group_by: ["alertname", "cluster", "service"], group_wait: "30s", group_interval: "5m", repeat_interval: "4h" });
    const email = config.route.routes!.find((r) => r.receiver === "email")!;
    expect(email).toMatchObject({ continue: true, repeat_interval: "24h" });
  });

  it("a critical alert inhibits the warning for the same alertname, cluster and service", () => {
    expect(buildAlertmanagerConfig({ receivers: {}, secretsDir: dir }).inhibit_rules).toEqual([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "cluster", "service"] },
    ]);
  });

  it("email without a user sends no credentials and needs no secret file", () => {
    const receivers = { email: { to: ["a@example.com"], from: "b@example.com", smarthost: "relay.internal:25" } };
    const config = buildAlertmanagerConfig({ receivers, secretsDir: dir });
    expect(config.receivers.find((r) => r.name === "email")!.email_configs![0]).not.toHaveProperty("auth_password_file");
    expect(receiverSecretKeys(receivers)).toEqual([]);
  });
});

describe("kube-prometheus-stack values for Alertmanager", () => {
  it("sets only keys the chart has (88.5.3)", () => {
    for (const receivers of [{}, ALL]) {
      expect(unknownValuePaths(KPS, alertmanagerChartValues({ receivers, replicas: 2, resources: RESOURCES, secretName: "strata-alertmanager-receivers" }))).toEqual([]);
    }
  });

  it("mounts the receivers Secret only when a receiver reads from it, at the path the config reads", () => {
    const none = alertmanagerChartValues({ receivers: {}, replicas: 1, resources: RESOURCES, secretName: "strata-alertmanager-receivers" });
    expect(none.alertmanager.alertmanagerSpec.secrets).toEqual([]);
    const all = alertmanagerChartValues({ receivers: ALL, replicas: 2, resources: RESOURCES, secretName: "strata-alertmanager-receivers" });
    expect(all.alertmanager.alertmanagerSpec.secrets).toEqual(["strata-alertmanager-receivers"]);
    expect(alertmanagerSecretsDir("strata-alertmanager-receivers")).toBe("/etc/alertmanager/secrets/strata-alertmanager-receivers");
    const pd = all.alertmanager.config.receivers.find((r) => r.name === "pagerduty")!.pagerduty_configs![0]!;
    expect(pd.routing_key_file).toBe("/etc/alertmanager/secrets/strata-alertmanager-receivers/pagerduty-routing-key");
  });

  it("sets each Alertmanager's requests and limits from its input", () => {
    expect(alertmanagerChartValues({ receivers: {}, replicas: 2, resources: RESOURCES, secretName: "s" }).alertmanager.alertmanagerSpec.resources).toEqual(RESOURCES);
  });

  it("takes replicas from its input and keeps one Alertmanager through a drain when there are two", () => {
    const two = alertmanagerChartValues({ receivers: {}, replicas: 2, resources: RESOURCES, secretName: "s" }).alertmanager;
    expect(two.alertmanagerSpec.replicas).toBe(2);
    expect(two.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    const one = alertmanagerChartValues({ receivers: {}, replicas: 1, resources: RESOURCES, secretName: "s" }).alertmanager;
    expect(one.alertmanagerSpec.replicas).toBe(1);
    expect(one.podDisruptionBudget.enabled).toBe(false);
  });
});

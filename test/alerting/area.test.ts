import { describe, expect, it } from "vitest";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { plan, resourcesOfType } from "../helpers/plan";
import { SECRET_TEXT } from "../../infra/plan/serialized";
import type { AlertingRule, RuleGroup } from "../../components/alerting/platformRules";
import { alertmanagerValuesFor } from "../../infra/areas/alerting";
import { PROFILE_DEFAULTS } from "../../stacks/profiles";
import { unknownValuePaths } from "../helpers/chartValues";

const PD_KEY = "0123456789abcdef0123456789abcdef";
const WEBHOOK = "https://hooks.slack.com/services/T000/B000/very-secret-token";
const SMTP = "smtp-very-secret-password";
const allReceivers = {
  alerting: {
    pagerduty: { enabled: true },
    slack: { enabled: true, channel: "#platform-alerts" },
    email: { enabled: true, to: ["oncall@example.com"], from: "am@example.com", smarthost: "smtp.example.com:587", authUsername: "alerts" },
  },
  pagerdutyRoutingKey: PD_KEY,
  slackWebhookUrl: WEBHOOK,
  smtpPassword: SMTP,
};
const SECRET_KEYS = ["pagerdutyRoutingKey", "slackWebhookUrl", "smtpPassword"];

const rulesOf = (inputs: Record<string, unknown>) => ((inputs.spec as { groups: RuleGroup[] }).groups).flatMap((g): AlertingRule[] => g.rules);

/** The Secrets the alerting component declares (other areas have Secrets of their own). */
const alertingSecrets = (p: Awaited<ReturnType<typeof plan>>) =>
  resourcesOfType(p, "kubernetes:core/v1:Secret").filter((r) => r.parent?.includes("strata:alerting:Alerting"));

describe("the alerting area in the plan", () => {
  it.each(["dev", "prod"] as const)("%s declares the platform PrometheusRule in the monitoring namespace, valid for the operator", async (stack) => {
    const p = await plan(stack);
    // The backups area declares its own rule; this suite owns the platform one.
    const [rule, ...others] = resourcesOfType(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").filter((r) => r.parent?.includes("strata:alerting:Alerting"));
    expect(others).toEqual([]);
    const inputs = rule!.inputs as Record<string, any>;
    expect(inputs.metadata.namespace).toBe("monitoring");
    expect(inputs.metadata.labels).toMatchObject({ release: "kube-prometheus-stack", "app.kubernetes.io/part-of": "strata" });
    const model = new PrometheusRule(inputs as never) as unknown as { validate(): void };
    expect(() => model.validate()).not.toThrow();
    const names = rulesOf(inputs).map((r) => r.alert);
    // dev runs one Alertmanager: no cluster to degrade.
    expect(names.includes("StrataAlertmanagerClusterDegraded")).toBe(stack === "prod");
    const tsdb = rulesOf(inputs).find((r) => r.alert === "StrataPrometheusTsdbNearRetentionSize")!;
    expect(tsdb.expr).toContain(`/ ${(stack === "prod" ? 45 : 8) * 2 ** 30} > 0.9`);
  });

  it("creates no receivers Secret while no receiver is enabled", async () => {
    const p = await plan("prod");
    expect(alertingSecrets(p)).toEqual([]);
  });

  it("with every receiver enabled, puts each credential in the receivers Secret and never in the plan", async () => {
    const p = await plan("prod", allReceivers, SECRET_KEYS);
    const [secret, ...others] = alertingSecrets(p);
    expect(others).toEqual([]);
    const inputs = secret!.inputs as Record<string, any>;
    expect(inputs.metadata).toMatchObject({ name: "strata-alertmanager-receivers", namespace: "monitoring" });
    // The whole of stringData is a secret output, so the plan shows it redacted (its keys are tested in the unit suite).
    expect(inputs.stringData).toBe(SECRET_TEXT);
    const everything = JSON.stringify(p);
    for (const value of [PD_KEY, WEBHOOK, SMTP]) expect(everything).not.toContain(value);
  });

  it("uses the stack's runbook base URL", async () => {
    const base = "https://github.com/acme/strata/blob/main/docs/runbooks/alerts.md";
    const p = await plan("dev", { alerting: { runbookBaseUrl: base } });
    const rule = resourcesOfType(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0]!;
    for (const r of rulesOf(rule.inputs as Record<string, unknown>)) expect(r.annotations.runbook_url.startsWith(`${base}#`)).toBe(true);
  });
});

describe("alertmanagerValuesFor", () => {
  it.each([
    ["dev", 1],
    ["prod", 2],
  ] as const)("%s runs %i Alertmanager(s), with values the chart has", (profile, replicas) => {
    const values = alertmanagerValuesFor(PROFILE_DEFAULTS[profile].alerting);
    expect(values.alertmanager.alertmanagerSpec.replicas).toBe(replicas);
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual([]);
    expect(unknownValuePaths("kube-prometheus-stack-88.5.3", values)).toEqual([]);
  });

  it("mounts the receivers Secret and routes to what the config enables", () => {
    const values = alertmanagerValuesFor({ ...PROFILE_DEFAULTS.prod.alerting, ...allReceivers.alerting, email: { ...PROFILE_DEFAULTS.prod.alerting.email, ...allReceivers.alerting.email } });
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual(["strata-alertmanager-receivers"]);
    expect(values.alertmanager.config.receivers.map((r) => r.name)).toEqual(["null", "email", "pagerduty", "slack"]);
    const email = values.alertmanager.config.receivers.find((r) => r.name === "email")!.email_configs![0]!;
    expect(email).toMatchObject({ auth_username: "alerts", auth_password_file: "/etc/alertmanager/secrets/strata-alertmanager-receivers/smtp-password" });
  });
});

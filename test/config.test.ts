import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { resolveConfig, type RawStackConfig } from "../infra/config/load";
import { ConfigError } from "../infra/config/errors";
import { PROFILE_DEFAULTS } from "../stacks/profiles";
import { planOutcome } from "./helpers/plan";

const CLUSTER = JSON.stringify({ source: "stack", stack: "acme/clusters/prod" });

function raw(values: Record<string, unknown>, secretKeys: string[] = []): RawStackConfig {
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) encoded[k] = typeof v === "string" ? v : JSON.stringify(v);
  return { values: encoded, secretKeys: new Set(secretKeys) };
}

function problemsOf(values: Record<string, unknown>, secretKeys: string[] = []) {
  try {
    resolveConfig(raw(values, secretKeys));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the config to be rejected");
}

const prodBase = { profile: "prod", cluster: CLUSTER };
const retention = (changes: Record<string, number | string>) => ({ ...prodBase, retention: changes });
const alerting = (changes: Record<string, unknown>) => ({ ...prodBase, alerting: changes });
const EMAIL = { enabled: true, to: ["oncall@example.com"], from: "alertmanager@example.com", smarthost: "smtp.example.com:587" };
const PD_KEY = "0123456789abcdef0123456789abcdef";

describe("valid config", () => {
  it.each(["dev", "prod"] as const)("the %s profile alone with a cluster is complete", (profile) => {
    const { config } = resolveConfig(raw({ profile, cluster: CLUSTER }));
    expect(config.profile).toBe(profile);
    expect(config.retention).toEqual(PROFILE_DEFAULTS[profile].retention);
  });

  it("stack values override profile defaults key by key, keeping the rest", () => {
    const { config } = resolveConfig(raw({ ...prodBase, retention: { logsDays: 14 } }));
    expect(config.retention.logsDays).toBe(14);
    expect(config.retention.metricsRawDays).toBe(PROFILE_DEFAULTS.prod.retention.metricsRawDays);
  });

  it("secret values come back only as Pulumi secrets, never in the plain config", async () => {
    const loaded = resolveConfig(
      raw({ profile: "dev", cluster: { source: "config", name: "dev-cluster" }, kubeconfig: "apiVersion: v1", hcloudToken: "t0ken" }, ["kubeconfig", "hcloudToken"]),
    );
    expect(loaded.config).not.toHaveProperty("kubeconfig");
    expect(loaded.config).not.toHaveProperty("hcloudToken");
    expect(await pulumi.isSecret(loaded.secrets.kubeconfig!)).toBe(true);
    expect(await pulumi.isSecret(loaded.secrets.hcloudToken!)).toBe(true);
  });
});

// Each case: the config, and the full key path the error must name. The value must appear in the message too.
const invalid: [string, Record<string, unknown>, string, string[]?][] = [
  ["no profile", { cluster: CLUSTER }, "strata:profile"],
  ["unknown profile", { profile: "staging", cluster: CLUSTER }, "strata:profile"],
  ["unknown cloud", { ...prodBase, cloud: "gcp" }, "strata:cloud"],
  ["region that is not an AWS region", { ...prodBase, region: "europe" }, "strata:region"],
  ["environment with capitals and punctuation", { ...prodBase, environment: "Prod!" }, "strata:environment"],
  ["environment too long for resource names", { ...prodBase, environment: "production-environment-one" }, "strata:environment"],
  ["Hetzner location without volumes", { ...prodBase, hcloud: { location: "fra1" } }, "strata:hcloud.location"],
  ["misspelt top-level key", { ...prodBase, retension: { logsDays: 3 } }, "strata:retension"],
  ["misspelt retention key", retention({ metricsRaw: 30 }), "strata:retention.metricsRaw"],
  ["fractional days", retention({ metricsRawDays: 1.5 }), "strata:retention.metricsRawDays"],
  ["days as a duration string", retention({ metricsRawDays: "30d" }), "strata:retention.metricsRawDays"],
  ["zero local retention", retention({ localTsdbDays: 0 }), "strata:retention.localTsdbDays"],
  ["negative TSDB size", retention({ localTsdbSizeGiB: -1 }), "strata:retention.localTsdbSizeGiB"],
  ["raw kept longer than 5m", retention({ metricsRawDays: 200 }), "strata:retention.metricsDownsampled5mDays"],
  ["5m kept longer than 1h", retention({ metricsDownsampled5mDays: 800 }), "strata:retention.metricsDownsampled1hDays"],
  ["local kept longer than raw", retention({ localTsdbDays: 60 }), "strata:retention.localTsdbDays"],
  ["raw shorter than Thanos's first downsampling", retention({ localTsdbDays: 1, metricsRawDays: 1 }), "strata:retention.metricsRawDays"],
  ["5m shorter than 1h downsampling needs", retention({ localTsdbDays: 2, metricsRawDays: 3, metricsDownsampled5mDays: 5 }), "strata:retention.metricsDownsampled5mDays"],
  ["daily backups outliving the archive", retention({ backupDailyDays: 400 }), "strata:retention.backupArchiveDays"],
  ["no snapshots kept", retention({ snapshotRetainCount: 0 }), "strata:retention.snapshotRetainCount"],
  ["more snapshots than DLM allows", retention({ snapshotRetainCount: 5000 }), "strata:retention.snapshotRetainCount"],
  ["namespace that is not a DNS label", { ...prodBase, namespaces: { monitoring: "Monitoring" } }, "strata:namespaces.monitoring"],
  ["two roles in one namespace", { ...prodBase, namespaces: { logging: "monitoring" } }, "strata:namespaces.logging"],
  ["unknown cluster source", { ...prodBase, cluster: { source: "terraform" } }, "strata:cluster.source"],
  ["cluster stack without a stack name", { ...prodBase, cluster: { source: "stack" } }, "strata:cluster.stack"],
  ["cluster stack name with spaces", { ...prodBase, cluster: { source: "stack", stack: "my cluster" } }, "strata:cluster.stack"],
  ["unknown cluster output name", { ...prodBase, cluster: { source: "stack", stack: "a/b/c", outputs: { kubeConfig: "kc" } } }, "strata:cluster.outputs.kubeConfig"],
  ["cluster from config without a kubeconfig", { ...prodBase, cluster: { source: "config", name: "prod" } }, "strata:kubeconfig"],
  ["malformed OIDC provider ARN", { ...prodBase, cluster: { source: "config", name: "prod", oidcProviderArn: "arn:aws:iam::1:role/x" }, kubeconfig: "k" }, "strata:cluster.oidcProviderArn", ["kubeconfig"]],
  ["OIDC issuer over plain http", { ...prodBase, cluster: { source: "config", name: "prod", oidcIssuerUrl: "http://oidc.example" }, kubeconfig: "k" }, "strata:cluster.oidcIssuerUrl", ["kubeconfig"]],
  ["kubeconfig in plaintext", { ...prodBase, cluster: { source: "config", name: "prod" }, kubeconfig: "apiVersion: v1" }, "strata:kubeconfig"],
  ["hcloud token in plaintext", { ...prodBase, hcloudToken: "abc" }, "strata:hcloudToken"],
  ["tag key AWS rejects", { ...prodBase, tags: { "bad key!": "x" } }, "strata:tags.bad key!"],
  ["PagerDuty enabled without its routing key", alerting({ pagerduty: { enabled: true } }), "strata:pagerdutyRoutingKey"],
  ["Slack enabled without its webhook", alerting({ slack: { enabled: true } }), "strata:slackWebhookUrl"],
  ["email with a user but no SMTP password", alerting({ email: { ...EMAIL, authUsername: "alerts" } }), "strata:smtpPassword"],
  ["email without recipients", alerting({ email: { ...EMAIL, to: [] } }), "strata:alerting.email.to"],
  ["email without a sender", alerting({ email: { ...EMAIL, from: undefined } }), "strata:alerting.email.from"],
  ["email without an SMTP server", alerting({ email: { ...EMAIL, smarthost: undefined } }), "strata:alerting.email.smarthost"],
  ["recipient that is not an email address", alerting({ email: { ...EMAIL, to: ["oncall@example.com", "platform team"] } }), "strata:alerting.email.to[1]"],
  ["sender that is not an email address", alerting({ email: { ...EMAIL, from: "alertmanager" } }), "strata:alerting.email.from"],
  ["SMTP server without a port", alerting({ email: { ...EMAIL, smarthost: "smtp.example.com" } }), "strata:alerting.email.smarthost"],
  ["SMTP password without a user", { ...alerting({ email: EMAIL }), smtpPassword: "pw" }, "strata:alerting.email.authUsername", ["smtpPassword"]],
  ["Slack channel without #", alerting({ slack: { enabled: false, channel: "alerts" } }), "strata:alerting.slack.channel"],
  ["Slack webhook over plain http", { ...alerting({ slack: { enabled: true } }), slackWebhookUrl: "http://hooks.slack.com/x" }, "strata:slackWebhookUrl", ["slackWebhookUrl"]],
  ["malformed PagerDuty routing key", { ...alerting({ pagerduty: { enabled: true } }), pagerdutyRoutingKey: "abc" }, "strata:pagerdutyRoutingKey", ["pagerdutyRoutingKey"]],
  ["Slack webhook in plaintext", { ...alerting({ slack: { enabled: true } }), slackWebhookUrl: "https://hooks.slack.com/services/T/B/x" }, "strata:slackWebhookUrl"],
  ["no Alertmanager", alerting({ alertmanagerReplicas: 0 }), "strata:alerting.alertmanagerReplicas"],
  ["misspelt receiver", alerting({ pagerDuty: { enabled: true } }), "strata:alerting.pagerDuty"],
];

describe("alerting config", () => {
  it("every receiver enabled with its secrets is accepted, and the secrets stay out of the plain config", async () => {
    const loaded = resolveConfig(
      raw(
        {
          ...alerting({ pagerduty: { enabled: true }, slack: { enabled: true, channel: "#platform-alerts" }, email: { ...EMAIL, authUsername: "alerts" } }),
          pagerdutyRoutingKey: PD_KEY,
          slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
          smtpPassword: "smtp-pw",
        },
        ["pagerdutyRoutingKey", "slackWebhookUrl", "smtpPassword"],
      ),
    );
    expect(loaded.config.alerting.slack).toEqual({ enabled: true, channel: "#platform-alerts" });
    expect(loaded.config.alerting.alertmanagerReplicas).toBe(2);
    for (const key of ["pagerdutyRoutingKey", "slackWebhookUrl", "smtpPassword"] as const) {
      expect(loaded.config).not.toHaveProperty(key);
      expect(await pulumi.isSecret(loaded.secrets[key]!)).toBe(true);
    }
  });

  it("email to an SMTP relay without authentication needs no password", () => {
    expect(resolveConfig(raw(alerting({ email: EMAIL }))).config.alerting.email.enabled).toBe(true);
  });

  it("a missing receiver secret is named with the command that sets it", () => {
    const problems = problemsOf(alerting({ pagerduty: { enabled: true } }));
    expect(new ConfigError(problems).message).toContain("strata:pagerdutyRoutingKey: is required when alerting.pagerduty.enabled is true (set it with `pulumi config set --secret strata:pagerdutyRoutingKey`)");
  });
});

describe("invalid config names the key, the value and what is allowed", () => {
  it(`covers at least 20 distinct invalid inputs (has ${invalid.length})`, () => {
    expect(invalid.length).toBeGreaterThanOrEqual(20);
    expect(new Set(invalid.map(([name]) => name)).size).toBe(invalid.length);
  });

  it.each(invalid.map(([name, values, key, secretKeys]) => [name, key, values, secretKeys] as const))("%s -> %s", (_name, key, values, secretKeys) => {
    const problems = problemsOf(values, secretKeys);
    const problem = problems.find((p) => p.key === key);
    expect(problem, `problems were: ${JSON.stringify(problems)}`).toBeDefined();
    expect(problem!.message.length).toBeGreaterThan(10);
    const error = new ConfigError(problems);
    expect(error.message).toContain(key);
  });

  it("the message carries the offending value", () => {
    const problems = problemsOf(retention({ metricsRawDays: 200 }));
    expect(new ConfigError(problems).message).toMatch(/strata:retention\.metricsDownsampled5mDays: must be >= retention\.metricsRawDays \(200\).*\(got 120\)/);
  });

  it("secret values never appear in an error, even when they are wrong", () => {
    const problems = problemsOf({ ...prodBase, kubeconfig: "super-secret-kubeconfig" });
    expect(JSON.stringify(problems)).not.toContain("super-secret-kubeconfig");
  });

  it("lists every problem at once, type errors and ordering errors together", () => {
    const problems = problemsOf({ ...prodBase, cloud: "gcp", retention: { metricsRawDays: 400 }, namespaces: { backups: "Backups" } });
    expect(problems.map((p) => p.key).sort()).toEqual(["strata:cloud", "strata:namespaces.backups", "strata:retention.metricsDownsampled5mDays"]);
  });
});

describe("invalid config stops the program before any resource is declared", () => {
  it.each([
    ["an unknown cloud", { cloud: "gcp" }, "strata:cloud"],
    ["an inverted retention", { retention: { metricsDownsampled5mDays: 10, metricsDownsampled1hDays: 5 } }, "strata:retention.metricsDownsampled1hDays"],
  ])("%s", async (_name, changes, key) => {
    const outcome = await planOutcome("prod", changes);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.problems.map((p) => p.key)).toContain(key);
    // Only the stack itself: no provider, no StackReference, nothing else.
    expect(outcome.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});

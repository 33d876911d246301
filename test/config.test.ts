import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../infra/config/load";
import { configProblems, rawConfig } from "./helpers/configProblems";
import { ConfigError } from "../infra/config/errors";
import { PROFILE_DEFAULTS } from "../stacks/profiles";
import { planOutcome } from "./helpers/plan";

const CLUSTER = JSON.stringify({ source: "stack", stack: "acme/clusters/prod" });

const raw = rawConfig;
const problemsOf = configProblems;

const prodBase = { profile: "prod", cluster: CLUSTER };
const retention = (changes: Record<string, number | string>) => ({ ...prodBase, retention: changes });
const alerting = (changes: Record<string, unknown>) => ({ ...prodBase, alerting: changes });
const EMAIL = { enabled: true, to: ["oncall@example.com"], from: "alertmanager@example.com", smarthost: "smtp.example.com:587" };
const PD_KEY = "0123456789abcdef0123456789abcdef";
const devBase = { profile: "dev", cluster: CLUSTER };
const storage = (changes: Record<string, unknown>) => ({ ...prodBase, storage: changes });

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
  ["claim size in GB, not Gi", storage({ claims: { postgresql: { size: "10GB" } } }), "strata:storage.claims.postgresql.size"],
  ["claim size in fractional Gi", storage({ claims: { rabbitmq: { size: "1.5Gi" } } }), "strata:storage.claims.rabbitmq.size"],
  ["claim of zero Gi", storage({ claims: { valkey: { size: "0Gi" } } }), "strata:storage.claims.valkey.size"],
  ["claim larger than any gp3 volume", storage({ claims: { postgresql: { size: "20000Gi" } } }), "strata:storage.claims.postgresql.size"],
  ["claim under the Hetzner CSI minimum", { ...devBase, storage: { claims: { valkey: { namespace: "valkey", size: "2Gi", critical: false } } } }, "strata:storage.claims.valkey.size"],
  ["a stack's own 5Gi claim on hcloud", { ...prodBase, cloud: "hcloud", storage: { claims: { rabbitmq: { namespace: "rabbitmq", size: "5Gi", critical: false } } } }, "strata:storage.claims.rabbitmq.size"],
  ["new claim without a namespace", storage({ claims: { mariadb: { size: "10Gi", critical: false } } }), "strata:storage.claims.mariadb.namespace"],
  ["claim namespace that is not a DNS label", storage({ claims: { postgresql: { namespace: "Data_Bases" } } }), "strata:storage.claims.postgresql.namespace"],
  ["service name that cannot name a claim", storage({ claims: { Redis_Cache: { namespace: "redis", size: "10Gi", critical: false } } }), "strata:storage.claims.Redis_Cache"],
  ["gp3 IOPS under the baseline", storage({ ebs: { iops: 2000 } }), "strata:storage.ebs.iops"],
  ["gp3 throughput above 0.25 MiB/s per IOPS", storage({ ebs: { throughputMiBps: 1000 } }), "strata:storage.ebs.throughputMiBps"],
  ["gp3 IOPS a 2Gi claim cannot carry", storage({ ebs: { iops: 6000 }, claims: { valkey: { namespace: "valkey", size: "2Gi", critical: false } } }), "strata:storage.claims.valkey.size"],
  ["filesystem the CSI drivers are not given", storage({ fsType: "btrfs" }), "strata:storage.fsType"],
  ["misspelt storage key", storage({ ebs: { type: "io2" } }), "strata:storage.ebs.type"],
  ["snapshot time that is not HH:MM", storage({ snapshots: { time: "3am" } }), "strata:storage.snapshots.time"],
  ["snapshot copy into strata:region", storage({ snapshots: { crossRegionCopy: { region: "eu-central-1" } } }), "strata:storage.snapshots.crossRegionCopy.region"],
  ["snapshot copy region that is not an AWS region", storage({ snapshots: { crossRegionCopy: { region: "frankfurt" } } }), "strata:storage.snapshots.crossRegionCopy.region"],
  ["snapshot copies kept zero days", retention({ snapshotCopyRetainDays: 0 }), "strata:retention.snapshotCopyRetainDays"],
  ["aws cluster from config without the EBS CSI role", { ...prodBase, cluster: { source: "config", name: "prod" }, kubeconfig: "k" }, "strata:cluster.ebsCsiRoleArn", ["kubeconfig"]],
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
    expect(new ConfigError(problems).message).toMatch(/strata:retention\.metricsDownsampled5mDays: must be >= retention\.metricsRawDays \(200\).*\(got 120, the prod profile's default \(stacks\/profiles\.ts\); set strata:retention\.metricsDownsampled5mDays in the stack to override it\)/);
  });

  it("storage messages say what is allowed", () => {
    const message = (values: Record<string, unknown>) => new ConfigError(problemsOf(values)).message;
    expect(message({ ...devBase, storage: { claims: { valkey: { namespace: "valkey", size: "2Gi", critical: false } } } })).toMatch(/strata:storage\.claims\.valkey\.size: must be at least 10Gi on cloud hcloud.*\(got "2Gi", set in this stack\)/);
    expect(message(storage({ claims: { postgresql: { size: "10GB" } } }))).toMatch(/strata:storage\.claims\.postgresql\.size: must be a Kubernetes quantity in whole Gi, such as 10Gi/);
    expect(message(storage({ snapshots: { crossRegionCopy: { region: "eu-central-1" } } }))).toMatch(/must differ from strata:region \(eu-central-1\)/);
    expect(message(storage({ claims: { Redis_Cache: { namespace: "redis", size: "10Gi", critical: false } } }))).toMatch(/strata:storage\.claims\.Redis_Cache: is not an allowed name here: must be a DNS-1123 label.*\(got "Redis_Cache"\)/);
  });

  it("a disabled snapshot copy may name any region, and hcloud claims of 10Gi are fine", () => {
    expect(() => resolveConfig(raw(storage({ snapshots: { crossRegionCopy: { enabled: false, region: "eu-central-1" } } })))).not.toThrow();
    expect(resolveConfig(raw({ ...devBase, storage: { claims: { valkey: { namespace: "valkey", size: "10Gi", critical: false } } } })).config.storage.claims.valkey!.size).toBe("10Gi");
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

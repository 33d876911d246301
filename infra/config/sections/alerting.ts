import { z } from "zod";
import type { RefinementCtx } from "zod";
import { checkResources, containerResources } from "./resources";
import { PROMETHEUS_DURATION, promDurationSeconds } from "./duration";

// host:port, as Alertmanager's `smarthost` requires (it refuses a host without a port).
const SMARTHOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?:\d{1,5}$/;
// Slack channel names: lowercase letters, digits, '-', '_' and '.', at most 80 characters.
const SLACK_CHANNEL = /^#[a-z0-9][a-z0-9._-]{0,79}$/;

const enabled = (what: string) => z.boolean().describe(what);
// The email route's group_interval (components/alerting/alertmanagerConfig.ts EMAIL_SUMMARY): 1h.
const EMAIL_GROUP_INTERVAL_SECONDS = 3600;

/**
 * Where Alertmanager sends notifications. Receiver credentials are never here: they are the top-level secrets
 * below, mounted into Alertmanager from a Kubernetes Secret and read through the receivers' `*_file` fields.
 */
export const alertingSection = {
  alerting: z
    .strictObject({
      alertmanagerReplicas: z
        .number()
        .int()
        .min(1)
        .max(5)
        .describe("Alertmanager replicas; two or more form a gossip cluster that deduplicates notifications (HA)."),
      alertmanagerResources: containerResources("each Alertmanager"),
      runbookBaseUrl: z
        .string()
        .min(1)
        .regex(/^[^#\s]+$/, "must be a URL or repository path without a fragment or spaces")
        .describe("Base of every alert's `runbook_url` (an alert's anchor is appended); a repository path or an https URL of docs/runbooks/alerts.md."),
      pagerduty: z
        .strictObject({
          enabled: enabled("Send `severity=critical` alerts to PagerDuty (Events API v2); needs the secret `strata:pagerdutyRoutingKey`."),
        })
        .describe("PagerDuty receiver (pages for critical alerts)."),
      slack: z
        .strictObject({
          enabled: enabled("Send `severity=warning` alerts (and critical ones when PagerDuty is off) to Slack; needs the secret `strata:slackWebhookUrl`."),
          channel: z
            .string()
            .regex(SLACK_CHANNEL, "must be a Slack channel such as #platform-alerts")
            .optional()
            .describe("Channel to post to; when unset, the incoming webhook's own channel."),
        })
        .describe("Slack receiver."),
      email: z
        .strictObject({
          enabled: enabled("Send an email summary of firing critical and warning alerts, every `repeatInterval`."),
          to: z.array(z.email("must be an email address")).describe("Recipients of the summary."),
          from: z.email("must be an email address").optional().describe("Sender address."),
          smarthost: z
            .string()
            .regex(SMARTHOST, "must be host:port of an SMTP server, e.g. email-smtp.eu-central-1.amazonaws.com:587")
            .optional()
            .describe("SMTP server as host:port (STARTTLS is required)."),
          authUsername: z
            .string()
            .min(1)
            .optional()
            .describe("SMTP user; when set, the password comes from the secret `strata:smtpPassword`."),
          repeatInterval: z
            .string()
            .regex(PROMETHEUS_DURATION, "must be an Alertmanager duration such as 24h or 1w")
            .refine((d) => !PROMETHEUS_DURATION.test(d) || promDurationSeconds(d) >= EMAIL_GROUP_INTERVAL_SECONDS, "must be at least 1h: the summary's group interval (a summary cannot repeat before its group is next flushed)")
            .describe("How often the summary of alerts still firing is sent again (the email route's `repeat_interval`).")
            .meta({ examples: ["1w"] }),
        })
        .describe("Email receiver (summaries)."),
    })
    .describe("Alertmanager: replicas and the receivers notifications go to."),
  pagerdutyRoutingKey: z
    .string()
    .regex(/^[A-Za-z0-9]{32}$/, "must be a 32-character PagerDuty Events API v2 integration (routing) key")
    .optional()
    .describe("Secret. PagerDuty Events API v2 routing key, required when `alerting.pagerduty.enabled`."),
  slackWebhookUrl: z
    .string()
    .url()
    .startsWith("https://", "must be an https URL")
    .optional()
    .describe("Secret. Slack incoming webhook URL, required when `alerting.slack.enabled`."),
  smtpPassword: z
    .string()
    .min(1)
    .optional()
    .describe("Secret. SMTP password of `alerting.email.authUsername`, required when email is enabled with a user."),
};

export type AlertingConfig = z.infer<typeof alertingSection.alerting>;
type AlertingSecrets = Partial<Record<"pagerdutyRoutingKey" | "slackWebhookUrl" | "smtpPassword", string>>;

/**
 * An enabled receiver must have what it needs to deliver: without it Alertmanager would start fine and then fail
 * every notification, which is discovered only when an alert is missed. Each problem names the key to set.
 */
export function checkAlertingReceivers(c: { alerting: AlertingConfig } & AlertingSecrets, ctx: RefinementCtx): void {
  const missing = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, input: undefined, message });
  const secret = (key: keyof AlertingSecrets, why: string) => {
    if (c[key] === undefined) missing([key], `is required when ${why} (set it with \`pulumi config set --secret strata:${key}\`)`);
  };
  const { pagerduty, slack, email } = c.alerting;
  checkResources(c.alerting.alertmanagerResources, ["alerting", "alertmanagerResources"], ctx);
  if (pagerduty.enabled) secret("pagerdutyRoutingKey", "alerting.pagerduty.enabled is true");
  if (slack.enabled) secret("slackWebhookUrl", "alerting.slack.enabled is true");
  if (email.enabled) {
    if (email.to.length === 0) missing(["alerting", "email", "to"], "must list at least one recipient when alerting.email.enabled is true");
    if (email.from === undefined) missing(["alerting", "email", "from"], "is required when alerting.email.enabled is true");
    if (email.smarthost === undefined) missing(["alerting", "email", "smarthost"], "is required when alerting.email.enabled is true");
    if (email.authUsername !== undefined) secret("smtpPassword", "alerting.email.authUsername is set");
  }
  // A password with no user is never sent (Alertmanager authenticates only with a username): say so, not ignore it.
  if (c.smtpPassword !== undefined && email.authUsername === undefined) {
    missing(["alerting", "email", "authUsername"], "is required when strata:smtpPassword is set: Alertmanager only authenticates with a username");
  }
}

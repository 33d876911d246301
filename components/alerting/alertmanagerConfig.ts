/**
 * Strata's Alertmanager configuration, as a plain object (the `alertmanager.config` value of kube-prometheus-stack).
 *
 * It must load in Alertmanager 0.25 (Debian's `amtool check-config`, what CI has) and in the newer Alertmanager the
 * chart ships, so it uses only fields both know: `matchers` / `source_matchers` (0.22+) rather than the deprecated
 * `match`, and the `*_file` credential fields that 0.25 introduced for PagerDuty (`routing_key_file`) and email
 * (`auth_password_file`); Slack's `api_url_file` is older still. No credential is ever written into this object: each
 * is a file in a mounted Kubernetes Secret (see alertmanagerValues.ts).
 */

/** Where the Prometheus Operator mounts each Secret named in `alertmanagerSpec.secrets`: `<dir>/<secretName>/<key>`. */
export const ALERTMANAGER_SECRETS_MOUNT = "/etc/alertmanager/secrets";

/** Keys of the receivers Secret, one per credential. */
export const RECEIVER_SECRET_KEYS = {
  pagerduty: "pagerduty-routing-key",
  slack: "slack-webhook-url",
  smtp: "smtp-password",
} as const;
export type ReceiverSecretKey = (typeof RECEIVER_SECRET_KEYS)[keyof typeof RECEIVER_SECRET_KEYS];

/** Receivers to configure; a receiver that is absent is off and gets no route. */
export interface ReceiversInput {
  pagerduty?: Record<string, never>;
  slack?: { channel?: string };
  /** `repeatInterval`: how often a summary of what still fires is sent again (default EMAIL_SUMMARY's, daily). */
  email?: { to: string[]; from: string; smarthost: string; authUsername?: string; repeatInterval?: string };
}

export interface AlertmanagerConfigInput {
  receivers: ReceiversInput;
  /** Directory holding the credential files, named by RECEIVER_SECRET_KEYS (the mounted Secret). */
  secretsDir: string;
}

export interface Route {
  receiver?: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  routes?: Route[];
}

export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

export interface Receiver {
  name: string;
  pagerduty_configs?: { routing_key_file: string; send_resolved: boolean; description: string }[];
  slack_configs?: { api_url_file: string; channel?: string; send_resolved: boolean; title: string; text: string }[];
  email_configs?: {
    to: string;
    from: string;
    smarthost: string;
    require_tls: boolean;
    send_resolved: boolean;
    auth_username?: string;
    auth_password_file?: string;
  }[];
}

export interface AlertmanagerConfig {
  route: Route;
  inhibit_rules: InhibitRule[];
  receivers: Receiver[];
  templates: string[];
}

/** Alerts that differ only in these labels are one notification. */
export const GROUP_BY = ["alertname", "cluster", "service"];
export const NULL_RECEIVER = "null";
// Email is a digest, not a pager: one message per cluster with everything that fires, at most hourly, repeated daily
// unless the stack chooses another interval (seed 003: weekly).
export const EMAIL_SUMMARY: Required<Pick<Route, "group_by" | "group_wait" | "group_interval" | "repeat_interval">> = {
  group_by: ["cluster"],
  group_wait: "5m",
  group_interval: "1h",
  repeat_interval: "24h",
};

const SLACK_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.cluster }})';
const SLACK_TEXT =
  "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}";
const PAGERDUTY_DESCRIPTION = "{{ .CommonLabels.alertname }} ({{ .CommonLabels.cluster }}): {{ .CommonAnnotations.summary }}";

export function buildAlertmanagerConfig(input: AlertmanagerConfigInput): AlertmanagerConfig {
  const { pagerduty, slack, email } = input.receivers;
  const file = (key: ReceiverSecretKey) => `${input.secretsDir.replace(/\/+$/, "")}/${key}`;
  const receivers: Receiver[] = [{ name: NULL_RECEIVER }];
  // Watchdog (kube-prometheus-stack's always-firing heartbeat) is for an external dead-man's switch; it must never
  // reach a human, including the email digest, so it is routed first and stops there.
  const routes: Route[] = [{ receiver: NULL_RECEIVER, matchers: ['alertname="Watchdog"'] }];

  if (email) {
    receivers.push({
      name: "email",
      email_configs: [
        {
          to: email.to.join(", "),
          from: email.from,
          smarthost: email.smarthost,
          require_tls: true,
          send_resolved: false,
          ...(email.authUsername !== undefined ? { auth_username: email.authUsername, auth_password_file: file(RECEIVER_SECRET_KEYS.smtp) } : {}),
        },
      ],
    });
    // `continue` so the same alerts still reach the pager and chat routes below.
    routes.push({ receiver: "email", matchers: ['severity=~"critical|warning"'], ...EMAIL_SUMMARY, repeat_interval: email.repeatInterval ?? EMAIL_SUMMARY.repeat_interval, continue: true });
  }
  if (pagerduty) {
    receivers.push({
      name: "pagerduty",
      pagerduty_configs: [{ routing_key_file: file(RECEIVER_SECRET_KEYS.pagerduty), send_resolved: true, description: PAGERDUTY_DESCRIPTION }],
    });
    routes.push({ receiver: "pagerduty", matchers: ['severity="critical"'] });
  }
  if (slack) {
    receivers.push({
      name: "slack",
      slack_configs: [
        { api_url_file: file(RECEIVER_SECRET_KEYS.slack), ...(slack.channel ? { channel: slack.channel } : {}), send_resolved: true, title: SLACK_TITLE, text: SLACK_TEXT },
      ],
    });
    // Without PagerDuty, critical alerts would otherwise reach no one in real time: Slack takes them too.
    routes.push({ receiver: "slack", matchers: [pagerduty ? 'severity="warning"' : 'severity=~"critical|warning"'] });
  }

  return {
    route: {
      // The root receiver catches what no route matches; `null` keeps the config valid with no receiver at all.
      receiver: NULL_RECEIVER,
      group_by: GROUP_BY,
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes,
    },
    inhibit_rules: [
      // A critical alert already pages: the warning for the same thing on the same service is noise.
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: GROUP_BY },
    ],
    receivers,
    // Set explicitly so Helm's merge does not keep the chart's default template glob: Strata ships no templates.
    templates: [],
  };
}

/** The credential files the config reads, i.e. the keys the receivers Secret must hold. */
export function receiverSecretKeys(receivers: ReceiversInput): ReceiverSecretKey[] {
  const keys: ReceiverSecretKey[] = [];
  if (receivers.pagerduty) keys.push(RECEIVER_SECRET_KEYS.pagerduty);
  if (receivers.slack) keys.push(RECEIVER_SECRET_KEYS.slack);
  if (receivers.email?.authUsername !== undefined) keys.push(RECEIVER_SECRET_KEYS.smtp);
  return keys;
}

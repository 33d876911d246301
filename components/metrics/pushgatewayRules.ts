/**
 * Alerts on the Pushgateway. There is no upstream mixin for it. kube-prometheus-stack's TargetDown covers a down
 * target in general; this alert says what it means for Strata (no backup or drill result arrives) and also fires
 * when the Pushgateway is not scraped at all (its ServiceMonitor gone), which TargetDown cannot see.
 * The ServiceMonitor's job label is the service name, which `fullnameOverride` fixes (names.ts).
 */
import { alertingRuleFactory, siblingRunbookUrl, SERVICE_ALERTS_RUNBOOK, type RuleGroup } from "../alerting/platformRules";
import { PUSHGATEWAY_FULLNAME } from "./names";

export interface PushgatewayRulesInput {
  namespace: string;
  runbookBaseUrl?: string;
}

export function buildPushgatewayRuleGroups(input: PushgatewayRulesInput): RuleGroup[] {
  const rule = alertingRuleFactory(siblingRunbookUrl(input.runbookBaseUrl, SERVICE_ALERTS_RUNBOOK));
  const sel = `job="${PUSHGATEWAY_FULLNAME}", namespace="${input.namespace}"`;
  return [
    {
      name: "strata.pushgateway",
      rules: [
        rule(
          "StrataPushgatewayDown",
          "critical",
          "10m",
          `up{${sel}} == 0 or absent(up{${sel}})`,
          "The Pushgateway in {{ $labels.namespace }} is down or not scraped.",
          `Backup jobs, restore drills and WAL receivers report through the Pushgateway. While it is down (or
           Prometheus does not scrape it) their results do not arrive: failures go unseen, and the backup alerts
           fire as missing once the intervals pass.`,
        ),
      ],
    },
  ];
}

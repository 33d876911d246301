import * as yaml from "js-yaml";
import { BACKUP_METRICS } from "../backup/contract";

/**
 * Rules the Thanos ruler evaluates against Thanos Query, over ranges longer than any Prometheus keeps locally:
 * month-long growth and availability figures that capacity planning and backup reviews read.
 */
export function longRangeRuleGroups(): { name: string; interval: string; rules: Record<string, unknown>[] }[] {
  return [
    {
      name: "strata-long-range",
      interval: "1h",
      rules: [
        { record: "strata:prometheus_tsdb_head_series:avg30d", expr: "avg_over_time(sum by (cluster) (prometheus_tsdb_head_series)[30d:1h])" },
        { record: "strata:prometheus_samples_appended:rate30d", expr: "sum by (cluster) (rate(prometheus_tsdb_head_samples_appended_total[30d]))" },
        {
          record: "strata:backup_success_days:ratio30d",
          expr: `count_over_time((max by (target, kind) (changes(${BACKUP_METRICS.lastSuccess}[1d])) > 0)[30d:1d]) / 30`,
        },
      ],
    },
  ];
}

export function longRangeRuleFiles(): Record<string, string> {
  return { "strata-long-range.yaml": yaml.dump({ groups: longRangeRuleGroups() }) };
}

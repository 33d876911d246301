import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

/**
 * Advisory: neither setting can lose or corrupt data. Without startingDeadlineSeconds a run missed while the
 * controller was down starts whenever it comes back, however late (concurrencyPolicy Forbid, which
 * strata-cronjob-require-run-limits makes mandatory, still keeps it from overlapping another run); Kubernetes keeps
 * 3 successful and 1 failed Job when the history limits are unset.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-cronjob-limit-lateness-and-history",
  description: "CronJobs bound how late a missed run may still start (startingDeadlineSeconds) and how many finished Jobs they keep (successfulJobsHistoryLimit, failedJobsHistoryLimit).",
  enforcementLevel: "advisory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.cronJob],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const spec = r.props.spec ?? {};
    const out: Violation[] = [];
    if (!(typeof spec.startingDeadlineSeconds === "number" && spec.startingDeadlineSeconds > 0)) out.push({ message: `CronJob ${r.name} has no startingDeadlineSeconds.` });
    for (const key of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
      if (typeof spec[key] !== "number") out.push({ message: `CronJob ${r.name} does not set ${key}.` });
    }
    return out;
  },
};
export default policy;

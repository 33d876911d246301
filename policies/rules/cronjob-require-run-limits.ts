import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, get, isExcepted } from "../core/util";

/**
 * Mandatory, because each breach can lose or corrupt a backup: two runs of one backup CronJob at once race on the
 * same objects (the target's `latest.json` pointer, its Pushgateway group), and without activeDeadlineSeconds one
 * hung run under Forbid blocks every later run, so no new backup is taken until someone notices.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-cronjob-require-run-limits",
  description: "CronJobs never overlap (concurrencyPolicy Forbid) and stop hung runs (jobTemplate.spec.activeDeadlineSeconds).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.cronJob],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const spec = r.props.spec ?? {};
    const deadline = get(spec, ["jobTemplate", "spec", "activeDeadlineSeconds"]);
    const out: Violation[] = [];
    if (spec.concurrencyPolicy !== "Forbid") out.push({ message: `CronJob ${r.name} has concurrencyPolicy ${spec.concurrencyPolicy ?? "unset (Allow)"}; use Forbid.` });
    if (!(typeof deadline === "number" && deadline > 0)) out.push({ message: `CronJob ${r.name} has no jobTemplate.spec.activeDeadlineSeconds.` });
    return out;
  },
};
export default policy;

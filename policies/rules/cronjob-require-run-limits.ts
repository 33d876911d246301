import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, get, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-cronjob-require-run-limits",
  description: "CronJobs never overlap (concurrencyPolicy Forbid), skip late runs (startingDeadlineSeconds), stop hung runs (activeDeadlineSeconds) and keep a bounded history.",
  enforcementLevel: "advisory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.cronJob],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const spec = r.props.spec ?? {};
    const positive = (v: unknown) => typeof v === "number" && v > 0;
    const out: Violation[] = [];
    if (spec.concurrencyPolicy !== "Forbid") out.push({ message: `CronJob ${r.name} has concurrencyPolicy ${spec.concurrencyPolicy ?? "unset (Allow)"}; use Forbid.` });
    if (!positive(spec.startingDeadlineSeconds)) out.push({ message: `CronJob ${r.name} has no startingDeadlineSeconds.` });
    if (!positive(get(spec, ["jobTemplate", "spec", "activeDeadlineSeconds"]))) out.push({ message: `CronJob ${r.name} has no jobTemplate.spec.activeDeadlineSeconds.` });
    for (const key of ["successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
      if (typeof spec[key] !== "number") out.push({ message: `CronJob ${r.name} does not set ${key}.` });
    }
    return out;
  },
};
export default policy;

import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, asArray, isExcepted } from "../core/util";

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-dlm-require-enabled-retention",
  description: "DLM lifecycle policies are ENABLED, have a schedule, and every schedule retains at least one snapshot.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA, minimumRetain: { type: "integer", default: 1, description: "Smallest retain count." } } },
  types: [T.dlmPolicy],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const out: Violation[] = [];
    if (r.props.state !== undefined && r.props.state !== "ENABLED") out.push({ message: `DLM policy ${r.name} is ${r.props.state}.` });
    const schedules = asArray<any>(r.props.policyDetails?.schedules);
    if (!schedules.length) out.push({ message: `DLM policy ${r.name} has no schedule.` });
    for (const s of schedules) {
      const count = Number(s?.retainRule?.count ?? 0);
      const interval = Number(s?.retainRule?.interval ?? 0);
      if (count < ctx.config.minimumRetain && interval < 1) out.push({ message: `DLM policy ${r.name} schedule ${s?.name ?? "?"} retains ${count} snapshot(s); keep at least ${ctx.config.minimumRetain}.` });
    }
    return out;
  },
};
export default policy;

import type { StackPolicy, Violation } from "../core/types";
import { T, get, isObject } from "../core/util";
import { EBS_PROVISIONER } from "./storageclass-require-encryption";

/** The `key=value` tags a StorageClass puts on every volume it provisions (`tagSpecification_N` parameters). */
export function volumeTags(storageClass: { props: Record<string, any> }): Record<string, string> {
  const params = isObject(storageClass.props.parameters) ? storageClass.props.parameters : {};
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (!/^tagSpecification_\d+$/.test(key) || typeof value !== "string") continue;
    const eq = value.indexOf("=");
    if (eq > 0) tags[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return tags;
}

/**
 * DLM only snapshots volumes that carry its target tags. The EBS StorageClass(es) in `storageClasses` must tag every
 * volume they create with exactly those tags, and an EBS class without any enabled DLM policy is a stack whose
 * volumes are never snapshotted.
 */
const policy: StackPolicy = {
  kind: "stack",
  subjects: [T.storageClass, T.dlmPolicy],
  name: "strata-dlm-require-storageclass-target-tag",
  description: "The ebs-gp3 StorageClass tags every volume (tagSpecification_N) with exactly the tags the DLM policy targets, and an EBS class is covered by an enabled DLM policy.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      storageClasses: { type: "array", items: { type: "string" }, default: ["ebs-gp3"], description: "EBS StorageClass names (metadata.name) whose volumes DLM must snapshot." },
    },
  },
  validate(resources, ctx) {
    const out: Violation[] = [];
    const wanted: string[] = ctx.config.storageClasses ?? [];
    const classes = resources.filter((r) => r.type === T.storageClass && r.props.provisioner === EBS_PROVISIONER && wanted.includes(get(r.props, ["metadata", "name"]) ?? r.name));
    const policies = resources.filter((r) => r.type === T.dlmPolicy && (r.props.state ?? "ENABLED") === "ENABLED");
    if (classes.length && !policies.length) {
      for (const c of classes) out.push({ urn: c.urn, message: `StorageClass ${c.name} provisions EBS volumes but no enabled DLM policy snapshots them.` });
    }
    for (const dlm of policies) {
      const target = get(dlm.props, ["policyDetails", "targetTags"]);
      if (!isObject(target) || !Object.keys(target).length) {
        out.push({ urn: dlm.urn, message: `DLM policy ${dlm.name} has no policyDetails.targetTags.` });
        continue;
      }
      if (!classes.length) out.push({ urn: dlm.urn, message: `DLM policy ${dlm.name} targets ${JSON.stringify(target)} but no StorageClass named ${wanted.join(" or ")} tags volumes.` });
      for (const c of classes) {
        const tags = volumeTags(c);
        const missing = Object.entries(target).filter(([k, v]) => tags[k] !== v).map(([k, v]) => `${k}=${v}`);
        if (missing.length) out.push({ urn: c.urn, message: `StorageClass ${c.name} does not tag volumes with DLM ${dlm.name}'s target tag(s) ${missing.join(", ")} (parameters tagSpecification_N).` });
      }
    }
    return out;
  },
};
export default policy;

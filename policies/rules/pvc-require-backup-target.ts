import type { StackPolicy, Violation } from "../core/types";
import { T, asArray, get, labelsOf } from "../core/util";

/** `label=value` selectors: does any match these labels? */
const selected = (labels: Record<string, string>, selectors: string[]) =>
  selectors.some((s) => {
    const eq = s.indexOf("=");
    return eq > 0 && labels[s.slice(0, eq)] === s.slice(eq + 1);
  });

/**
 * A data claim (a PVC matching `claimSelectors`; Strata labels the claims of `strata:storage.claims`
 * `app.kubernetes.io/component: data`) is protected by a backup when a backup CronJob (matching `backupSelectors`)
 * names it, `<namespace>/<claim>`, in its `protectsAnnotation` (comma-separated: Strata writes it for targets that
 * dump the store over the network), or mounts it in its pod (a job that reads the claim's files). Advisory: volume
 * snapshots still exist, but nothing restores the store's data and proves it.
 */
const policy: StackPolicy = {
  kind: "stack",
  name: "strata-pvc-require-backup-target",
  description: "Every data claim (a PVC labelled app.kubernetes.io/component: data) is protected by a backup CronJob: one that names it in its strata.io/protects-claims annotation or mounts it.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      claimSelectors: { type: "array", items: { type: "string" }, default: ["app.kubernetes.io/component=data"], description: "`label=value`: PVCs whose data must be backed up." },
      backupSelectors: { type: "array", items: { type: "string" }, default: ["app.kubernetes.io/name=strata-backup", "strata.io/job-kind=backup"], description: "`label=value`: CronJobs that take backups." },
      protectsAnnotation: { type: "string", default: "strata.io/protects-claims", description: "Annotation of a backup CronJob listing `<namespace>/<claim>` it protects, comma-separated." },
    },
  },
  subjects: [T.pvc],
  validate(resources, ctx) {
    const claims = resources.filter((r) => r.type === T.pvc && selected(labelsOf(r), ctx.config.claimSelectors));
    const backups = resources.filter((r) => r.type === T.cronJob && selected(labelsOf(r), ctx.config.backupSelectors));
    const protectedClaims = new Set<string>();
    for (const b of backups) {
      const annotation = get(b.props, ["metadata", "annotations", ctx.config.protectsAnnotation]);
      if (typeof annotation === "string") for (const c of annotation.split(",")) protectedClaims.add(c.trim());
      const namespace = get(b.props, ["metadata", "namespace"]);
      for (const v of asArray<any>(get(b.props, ["spec", "jobTemplate", "spec", "template", "spec", "volumes"]))) {
        const claimName = get(v, ["persistentVolumeClaim", "claimName"]);
        if (typeof claimName === "string") protectedClaims.add(`${namespace}/${claimName}`);
      }
    }
    const out: Violation[] = [];
    for (const pvc of claims) {
      const id = `${get(pvc.props, ["metadata", "namespace"])}/${get(pvc.props, ["metadata", "name"]) ?? pvc.name}`;
      if (!protectedClaims.has(id)) {
        out.push({ urn: pvc.urn, message: `claim ${id} holds data no backup target protects: add a target for its store to strata:backups.targets, named after the service or listing it in protectsClaims, or the plan's restorability matrix keeps this gap.` });
      }
    }
    return out;
  },
};
export default policy;

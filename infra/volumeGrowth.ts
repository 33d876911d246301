import type { RefinementCtx } from "zod";
import type { StorageConfig } from "./config/sections/storage";
import { gibOf, GROWABLE_VOLUMES } from "./config/sections/storage";
import type { LoggingConfig } from "./config/sections/logging";
import type { NamespacesConfig } from "./config/sections/namespaces";
import { effectiveSizes, type SizingInput } from "./capacity/plan";
import { KPS_FULLNAME, kpsDefaultFullname, prometheusResourceName, PUSHGATEWAY_FULLNAME, THANOS_FULLNAME } from "../components/metrics/names";
import { LOKI_RELEASE } from "../components/logging/lokiValues";
import { lokiClaimNames, prometheusClaimNames, pushgatewayClaimNames, thanosClaimNames, type LokiVolumeComponent } from "../components/storage/claimNames";

/**
 * Volumes grow when config says so (issue 25). Every volume Strata's stack holds data on has one size in config;
 * `storage.deployedSizes` records the size each has in the cluster now. A size above its record grows the volume on
 * the next `pulumi up`: Strata's own claims by their spec, the claims a StatefulSet made by a patch of each claim
 * (a StatefulSet's `volumeClaimTemplates` are immutable and never resize existing claims:
 * prometheus-community/helm-charts#3746, kubernetes/enhancements#661). A size below its record is refused: a
 * Kubernetes claim can grow but never shrink.
 *
 * Why a record, not "always patch": a patch of a claim that does not exist yet fails (a server-side apply of a
 * claim with only its size is an invalid object), and on a first deploy the StatefulSets have not made their claims
 * yet (Prometheus's are made by the operator after the release is ready). The record says the claims exist, and
 * what they hold now, which is also what a shrink is checked against: the offline plan cannot read Pulumi's state.
 */

export type GrowableVolume = (typeof GROWABLE_VOLUMES)[number];

export type VolumeGrowthInput = SizingInput & {
  storage: StorageConfig;
  logging: LoggingConfig;
  namespaces: NamespacesConfig;
};

export interface StackVolume {
  /** `prometheus`, ..., or `claims.<service>`: its key under `storage.deployedSizes`. */
  volume: string;
  what: string;
  /** The config key whose value sets the size (for Prometheus and Thanos: the capacity override). */
  sizeKey: string;
  /** True when the stack did not write `sizeKey` and the size is the capacity estimate. */
  estimated: boolean;
  gib: number;
  namespace: string;
  /** The claims holding it. */
  claims: string[];
  /** `template`: claims a StatefulSet made (patched in place); `spec`: a claim whose own spec Strata or Helm sets. */
  grownBy: "template" | "spec";
  /** What the workload needs beside the claims, when the size changes. */
  workloadNeeds: string;
}

const ORPHAN = (ns: string, statefulSets: string[]) =>
  `its Helm chart's claim template is immutable: before \`pulumi up\`, \`kubectl -n ${ns} delete statefulset ${statefulSets.join(" ")} --cascade=orphan\` (the pods keep running; the release recreates the StatefulSet with the new template)`;

/** Every volume of the stack's enabled components, with its size and the claims that hold it. */
export function stackVolumes(c: VolumeGrowthInput): StackVolume[] {
  const sizes = effectiveSizes(c);
  const mon = c.namespaces.monitoring;
  const derived = (key: "prometheusVolumeGiB" | "storeGatewayVolumeGiB" | "compactorVolumeGiB") => ({ sizeKey: `capacity.overrides.${key}`, estimated: sizes[key].source !== "override" });
  const kpsFullname = c.metrics.adopt?.mode === "adopt" ? kpsDefaultFullname(c.metrics.adopt.release) : KPS_FULLNAME;
  const out: StackVolume[] = [
    {
      volume: "prometheus",
      what: "Prometheus (each replica)",
      ...derived("prometheusVolumeGiB"),
      gib: sizes.prometheusVolumeGiB.gib,
      namespace: mon,
      claims: prometheusClaimNames(prometheusResourceName(kpsFullname), c.metrics.prometheus.replicas),
      grownBy: "template",
      workloadNeeds: "nothing by hand: the operator deletes and recreates its StatefulSet when the template changes (prometheus-operator pkg/k8s/statefulset.go ForceUpdateStatefulSet); the pods restart once",
    },
  ];
  if (c.metrics.thanos.enabled) {
    const sg = `${THANOS_FULLNAME}-storegateway`;
    const compactor = `${THANOS_FULLNAME}-compactor`;
    out.push(
      { volume: "thanosStoreGateway", what: "Thanos store gateway (each replica)", ...derived("storeGatewayVolumeGiB"), gib: sizes.storeGatewayVolumeGiB.gib, namespace: mon, claims: thanosClaimNames(THANOS_FULLNAME, "storegateway", c.metrics.thanos.storeGateway.replicas), grownBy: "template", workloadNeeds: ORPHAN(mon, [sg]) },
      { volume: "thanosCompactor", what: "Thanos compactor", ...derived("compactorVolumeGiB"), gib: sizes.compactorVolumeGiB.gib, namespace: mon, claims: thanosClaimNames(THANOS_FULLNAME, "compactor", 1), grownBy: "template", workloadNeeds: ORPHAN(mon, [compactor]) },
    );
  }
  if (c.logging.enabled) {
    const l = c.logging.loki;
    // The replicas lokiValues.ts gives each component that has a volume.
    const components: [LokiVolumeComponent, number][] =
      l.mode === "monolithic" ? [["single-binary", l.replicas]] : [["ingester", l.replicas], ["index-gateway", Math.min(l.replicas, 2)], ["compactor", 1], ["ruler", Math.min(l.replicas, 2)]];
    const statefulSets = components.map(([comp]) => (comp === "single-binary" ? LOKI_RELEASE : `${LOKI_RELEASE}-${comp}`));
    out.push({
      volume: "loki",
      what: l.mode === "monolithic" ? "Loki (each replica)" : "Loki ingesters, index gateways, compactor and rulers",
      sizeKey: "logging.loki.volumeSizeGiB",
      estimated: false,
      gib: l.volumeSizeGiB,
      namespace: c.namespaces.logging,
      claims: components.flatMap(([comp, n]) => lokiClaimNames(LOKI_RELEASE, comp, n)),
      grownBy: "template",
      workloadNeeds: ORPHAN(c.namespaces.logging, statefulSets),
    });
  }
  if (c.metrics.pushgateway.enabled) {
    const p = c.metrics.pushgateway;
    const statefulSet = p.replicas > 1;
    out.push({
      volume: "pushgateway",
      what: statefulSet ? "Pushgateway (each replica)" : "Pushgateway",
      sizeKey: "metrics.pushgateway.volumeSizeGiB",
      estimated: false,
      gib: p.volumeSizeGiB,
      namespace: mon,
      claims: pushgatewayClaimNames(PUSHGATEWAY_FULLNAME, p.replicas, statefulSet),
      grownBy: statefulSet ? "template" : "spec",
      workloadNeeds: statefulSet ? ORPHAN(mon, [PUSHGATEWAY_FULLNAME]) : "nothing: the chart's own claim (a Deployment's) grows with the release",
    });
  }
  for (const [service, claim] of Object.entries(c.storage.claims)) {
    out.push({
      volume: `claims.${service}`,
      what: `claim of ${service}`,
      sizeKey: `storage.claims.${service}.size`,
      estimated: false,
      gib: gibOf(claim.size),
      namespace: claim.namespace,
      claims: [`${service}-data`],
      grownBy: "spec",
      workloadNeeds: "nothing: Strata owns the claim and changes its size",
    });
  }
  return out;
}

export interface VolumeGrowth extends StackVolume {
  fromGiB: number;
}

/** The volumes whose size is above the size recorded in `storage.deployedSizes`: these grow on the next `pulumi up`. */
export function volumeGrowths(c: VolumeGrowthInput): VolumeGrowth[] {
  return stackVolumes(c).flatMap((v) => {
    const from = recordedGiB(c.storage, v.volume);
    return from !== undefined && v.gib > from ? [{ ...v, fromGiB: from }] : [];
  });
}

function recordedGiB(storage: StorageConfig, volume: string): number | undefined {
  const d = storage.deployedSizes;
  if (!d) return undefined;
  if (volume.startsWith("claims.")) return d.claims?.[volume.slice("claims.".length)];
  return d[volume as GrowableVolume];
}

/**
 * Refuses a shrink: a size below the recorded one. The error sits on the key that sets the size (on the record when
 * the size is derived, since the stack wrote no size key), and a record of a volume the stack does not have is
 * refused too (a typo would otherwise silently grow nothing).
 */
export function checkVolumeSizes(c: VolumeGrowthInput, ctx: RefinementCtx): void {
  const d = c.storage.deployedSizes;
  if (!d) return;
  const volumes = stackVolumes(c);
  const byName = new Map(volumes.map((v) => [v.volume, v]));
  const recorded: [string, number][] = [
    ...GROWABLE_VOLUMES.flatMap((v) => (d[v] !== undefined ? [[v, d[v]] as [string, number]] : [])),
    ...Object.entries(d.claims ?? {}).map(([s, gib]) => [`claims.${s}`, gib] as [string, number]),
  ];
  for (const [volume, from] of recorded) {
    const recordKey = ["storage", "deployedSizes", ...volume.split(/\.(.*)/s).filter(Boolean)];
    const v = byName.get(volume);
    if (!v) {
      ctx.addIssue({ code: "custom", path: recordKey, input: from, message: `names no volume of this stack: the volumes it has are ${volumes.map((x) => x.volume).join(", ")} (a component that is off has none)` });
      continue;
    }
    if (v.gib >= from) continue;
    const claim = v.sizeKey.endsWith(".size");
    const never = "a Kubernetes volume can grow but never shrink";
    if (v.estimated) {
      ctx.addIssue({ code: "custom", path: recordKey, input: from, message: `is above the ${v.gib} GiB the capacity estimate now gives the ${v.what} volume: ${never}; set ${v.sizeKey} to at least ${from}` });
    } else {
      ctx.addIssue({ code: "custom", path: v.sizeKey.split("."), input: claim ? `${v.gib}Gi` : v.gib, message: `must be at least ${from}${claim ? "Gi" : ""} (storage.deployedSizes.${volume} records ${from} GiB in the cluster): ${never}; keep it at ${from}${claim ? "Gi" : ""} or raise it` });
    }
  }
}

/** The claims the stack patches in place (a StatefulSet's), with their new size. */
export function claimPatches(c: VolumeGrowthInput): { namespace: string; name: string; size: string }[] {
  return volumeGrowths(c)
    .filter((g) => g.grownBy === "template")
    .flatMap((g) => g.claims.map((name) => ({ namespace: g.namespace, name, size: `${g.gib}Gi` })));
}

/**
 * What the plan says about growth: each volume that grows (from, to, its claims, how, and what the workload needs),
 * and a warning for a grown claim on a class Strata does not declare, whose `allowVolumeExpansion` only the cluster
 * knows. Empty when nothing grows.
 */
export function volumeGrowthReport(c: VolumeGrowthInput & { cloud: string }, strataClass: string): { rows: string[][]; notes: string[] } {
  const growths = volumeGrowths(c);
  const rows = growths.map((g) => [g.volume, `${g.fromGiB} GiB`, `${g.gib} GiB`, g.grownBy === "template" ? "patch of each claim" : "claim spec", `${g.namespace}/${g.claims.join(", ")}`, g.workloadNeeds]);
  const notes: string[] = [];
  for (const g of growths) {
    if (!g.volume.startsWith("claims.")) continue;
    const cls = c.storage.claims[g.volume.slice("claims.".length)]?.storageClass;
    if (cls !== undefined && cls !== strataClass) {
      notes.push(`${g.volume} uses StorageClass ${cls}, which Strata does not declare: it grows only if that class has allowVolumeExpansion: true (kubectl get storageclass ${cls} -o jsonpath='{.allowVolumeExpansion}'); otherwise the claim stays at ${g.fromGiB} GiB with a resize error in its events`);
    }
  }
  if (growths.length > 0 && c.storage.adoptClass) notes.push(`the adopted class ${strataClass} is imported with Strata's declaration, which sets allowVolumeExpansion: true on it`);
  return { rows, notes };
}

import type { Plan } from "./harness";
import type { RecordedResource } from "./recordingMonitor";
import type { RetentionRow } from "../retention";
import type { CapacityReport } from "../capacity/plan";
import { fromPlan } from "../../policies/core/evaluate";
import { simulateDeploy, type DeployOrderResult } from "../../policies/core/deployOrder";
import type { CapabilityLine } from "../capabilities";
import { volumeGrowthReport } from "../volumeGrowth";
import { strataStorageClassName } from "../adoption";
import { ARCHIVE_CAPABILITIES, type ArchiveProvider } from "../../components/archive/providers";
import { COLUMN_TITLES, RESTORABILITY_COLUMNS, type Restorability } from "../restorability/matrix";

/** A fixed-width text table; the plan is read in terminals and CI logs. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function flags(r: RecordedResource): string {
  const f: string[] = [];
  if (r.options.protect) f.push("protect");
  if (r.options.retainOnDelete) f.push("retainOnDelete");
  if (r.read) f.push("read");
  return f.length ? `  [${f.join(", ")}]` : "";
}

/** Resources as a tree under their components, children in declaration order. */
export function resourceTree(resources: RecordedResource[]): string {
  const children = new Map<string | undefined, RecordedResource[]>();
  for (const r of resources) {
    const key = r.parent;
    if (!children.has(key)) children.set(key, []);
    children.get(key)!.push(r);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${"  ".repeat(depth)}${r.custom ? "" : "▸ "}${r.type}  ${r.name}${flags(r)}`);
      walk(r.urn, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join("\n");
}

export function countsByType(resources: RecordedResource[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function renderPlan(plan: Plan): string {
  const c = plan.config as { profile?: string; cloud?: string; region?: string; environment?: string };
  const sections: string[] = [];
  sections.push(`Strata offline plan: project ${plan.project}, stack ${plan.stack} (profile ${c.profile}, environment ${c.environment}, cloud ${c.cloud}, region ${c.region})`);
  const { uncheckedSecrets, adjustedDefaults, capabilities } = plan.configNotes;
  if (capabilities?.length) sections.push(capabilitiesSection(capabilities));
  if (uncheckedSecrets.length > 0 || adjustedDefaults.length > 0) {
    const lines = [
      ...adjustedDefaults.map((n) => `  default adjusted  ${n.key}: ${n.message}`),
      ...uncheckedSecrets.map((k) => `  not checked  ${k}: set, but its ciphertext cannot be decrypted here, so only its presence was checked (set PULUMI_CONFIG_PASSPHRASE for a passphrase stack; \`pulumi preview\` checks it)`),
    ];
    sections.push(`Config notes:\n${lines.join("\n")}`);
  }
  sections.push(`Resources (${plan.resources.length}), grouped by component (▸ component):\n${resourceTree(plan.resources)}`);
  sections.push(`Counts by type:\n${table(["count", "type"], countsByType(plan.resources).map(([t, n]) => [String(n), t]))}`);
  const retention = plan.outputs.retention as RetentionRow[] | undefined;
  if (retention) {
    sections.push(`Retention, derived from strata:retention:\n${table(["tier", "setting", "value", "from"], retention.map((r) => [r.tier, r.setting, r.value, r.from]))}`);
  }
  const archive = plan.outputs.archive as { tiers?: { bucket: string; from: string; storageClass: string; note: string }[]; store?: { provider: ArchiveProvider; endpoint?: string; region: string; atRest?: string[] } } | undefined;
  const tiers = archive?.tiers;
  if (tiers?.length) {
    sections.push(`S3 lifecycle tiers per bucket, derived from strata:retention and strata:archive:\n${table(["bucket", "from", "storage class", "note"], tiers.map((t) => [t.bucket, t.from, t.storageClass, t.note]))}`);
  }
  if (archive?.store) sections.push(archiveStoreSection(archive.store));
  const capacity = plan.outputs.capacity as CapacityReport | undefined;
  if (capacity) sections.push(capacitySection(capacity));
  const growth = volumeGrowthSection(plan.config);
  if (growth) sections.push(growth);
  sections.push(deployOrderSection(simulateDeploy(fromPlan(plan.resources)), nodeRequirements(plan.config)));
  const restorability = plan.outputs.restorability as Restorability | undefined;
  if (restorability) sections.push(restorabilitySection(restorability));
  const { evaluated, violations } = plan.policies;
  const policyLines = violations.map((v) => `  ${v.level.toUpperCase()}  ${v.policy}  ${v.urn}\n    ${v.message}`);
  sections.push(`Policies: ${evaluated.length} evaluated, ${violations.filter((v) => v.level === "mandatory").length} mandatory and ${violations.filter((v) => v.level === "advisory").length} advisory violation(s)${policyLines.length ? `\n${policyLines.join("\n")}` : ""}`);
  return sections.join("\n\n") + "\n";
}

/** Which capabilities the stack runs, and who turned each on or off (infra/capabilities.ts). */
/** Volumes above their recorded size (strata:storage.deployedSizes) grow on the next `pulumi up` (infra/volumeGrowth.ts). */
export function volumeGrowthSection(config: Record<string, unknown>): string | undefined {
  const c = config as unknown as Parameters<typeof volumeGrowthReport>[0];
  if (!c.storage?.deployedSizes) return undefined;
  const { rows, notes } = volumeGrowthReport(c, strataStorageClassName(c as unknown as Parameters<typeof strataStorageClassName>[0]));
  if (rows.length === 0) return "Volumes: none is above its size in strata:storage.deployedSizes; nothing grows";
  return [
    `Volumes that grow on the next \`pulumi up\` (above their size in strata:storage.deployedSizes; docs/runbooks/grow-a-volume.md):`,
    table(["volume", "from", "to", "grown by", "claims", "the workload needs"], rows),
    ...notes.map((n) => `  note: ${n}`),
  ].join("\n");
}

export function capabilitiesSection(lines: readonly CapabilityLine[]): string {
  return `Capabilities (each off declares nothing of it):\n${table(["capability", "state", "by", "declares"], lines.map((l) => [l.capability, l.on ? "on" : "off", l.by, l.what]))}`;
}

/**
 * What the cluster must offer for the posture the stack asks for: replicas kept one per node by hard anti-affinity
 * need as many schedulable nodes (components/metrics/*Values.ts set it for Prometheus and the Pushgateway; the Loki
 * chart sets it for its components by default).
 */
export function nodeRequirements(config: Record<string, unknown>): string[] {
  const m = config.metrics as { prometheus?: { replicas?: number }; pushgateway?: { enabled?: boolean; replicas?: number } } | undefined;
  const spread: [string, number][] = [];
  if ((m?.prometheus?.replicas ?? 1) > 1) spread.push(["Prometheus", m!.prometheus!.replicas!]);
  if (m?.pushgateway?.enabled && (m.pushgateway.replicas ?? 1) > 1) spread.push(["the Pushgateway", m.pushgateway.replicas!]);
  // The Loki chart's own default (loki-18 values.yaml): hard anti-affinity for each component's replicas.
  const logging = config.logging as { enabled?: boolean; loki?: { replicas?: number } } | undefined;
  if (logging?.enabled && (logging.loki?.replicas ?? 1) > 1) spread.push(["each Loki component", logging.loki!.replicas!]);
  if (spread.length === 0) return [];
  const nodes = Math.max(...spread.map(([, n]) => n));
  return [`  nodes: at least ${nodes} schedulable nodes (${spread.map(([what, n]) => `${what} x${n}`).join(", ")}: hard pod anti-affinity on kubernetes.io/hostname keeps one replica per node; a replica without its own node stays Pending)`];
}

/**
 * The first `pulumi up` on an empty cluster, simulated (policies/core/deployOrder.ts): whether anything would start
 * before what it needs, and what the cluster must already hold because nothing in the stack creates it.
 */
export function deployOrderSection(result: DeployOrderResult, clusterNeeds: readonly string[] = []): string {
  const lines = [`Deploy order on an empty cluster: ${result.waves.length} waves, ${result.problems.length === 0 ? "no problem" : `${result.problems.length} problem(s)`}`];
  for (const p of result.problems) lines.push(`  ${p.kind}: ${p.message}`);
  for (const u of result.unknownCharts) lines.push(`  not judged: ${u.chart} ${u.version} (${u.urn}) has no row in policies/core/chartKinds.ts`);
  const assumed = [...Object.entries(result.assumed).flatMap(([what, names]) => names.map((n) => `  ${what} ${n}`)), ...clusterNeeds];
  if (assumed.length) lines.push("The cluster must already have (nothing in the stack creates it; applications' own):", ...assumed);
  return lines.join("\n");
}

/** The capacity and cost estimate (infra/capacity/): per line its size, medium and monthly list price. */
export function capacitySection(c: CapacityReport): string {
  const w = c.workload;
  const money = (n: number, currency: string) => `${n.toFixed(2)} ${currency}`;
  const lines = [
    `Capacity and cost, estimated from strata:capacity (${w.activeSeries} series at ${w.scrapeIntervalSeconds}s = ${w.samplesPerSecond} samples/s, ${w.logGBPerDay} GB/day of logs):`,
    table(
      ["area", "item", "count", "GiB each", "medium", "per month", "from"],
      c.rows.map((r) => [r.area, r.item, String(r.count), r.sizeGiB.toFixed(r.sizeGiB < 10 ? 3 : 1), r.medium, money(r.monthly, r.currency), r.from]),
    ),
    `Total per month: ${c.totals.map((t) => money(t.monthly, t.currency)).join(" + ") || "0"} (list prices for storage only, ${c.prices.region}/${c.prices.hcloudLocation}, as of ${c.prices.date}; ${c.prices.source})`,
    `Effective sizes: ${Object.entries(c.sizes)
      // The Thanos components' sizes only when the stack runs them (their rows say so).
      .filter(([k]) => !["storeGatewayVolumeGiB", "compactorVolumeGiB"].includes(k) || c.rows.some((r) => r.item.startsWith("Thanos")))
      .map(([k, s]) => `${k} ${s.gib}${s.source === "override" ? ` (override; estimate ${s.estimateGiB})` : ""}`).join(", ")}`,
    ...c.notes.map((n) => `Note: ${n}`),
    ...c.warnings.map((x) => `  ADVISORY  ${x.key}\n    ${x.message}`),
  ];
  return lines.join("\n");
}

/** The restorability matrix (infra/restorability/matrix.ts): a grid of yes/GAP, then every gap with its reason. */
export function restorabilitySection(m: Restorability): string {
  const headers = ["store", "type", ...RESTORABILITY_COLUMNS.map((c) => COLUMN_TITLES[c])];
  const rows = m.rows.map((r) => [r.store, r.type, ...RESTORABILITY_COLUMNS.map((c) => (r[c].ok ? "yes" : "GAP"))]);
  const gaps = m.rows.flatMap((r) => RESTORABILITY_COLUMNS.filter((c) => !r[c].ok).map((c) => `  ${r.store} / ${COLUMN_TITLES[c]}: ${r[c].text}`));
  return [
    `Restorability: every store Strata protects, and what proves it comes back (${m.gaps} gap(s), each named below):`,
    table(headers, rows),
    ...(gaps.length ? ["Gaps:", ...gaps] : ["No gaps."]),
  ].join("\n");
}

/** Where the archive is, and plainly what its store cannot do or restrict (components/archive/providers.ts). */
export function archiveStoreSection(store: { provider: ArchiveProvider; endpoint?: string; region: string; atRest?: string[] }): string {
  const can = ARCHIVE_CAPABILITIES[store.provider];
  const lacks = (["kms", "storageClasses", "replication", "accessLogs", "ownershipControls", "bucketTagging", "bucketPolicy", "copyObject", "storageMetrics"] as const).filter((c) => !can[c]);
  const lines = [
    `Archive store: ${store.provider}${store.endpoint ? ` at ${store.endpoint}` : ""} (${store.region}); buckets declared by ${can.declaredBy}`,
    `  credentials: ${can.credentialScope}${can.iam ? "" : ": Strata cannot limit a workload to its own bucket or prefix there"}`,
  ];
  if (lacks.length) lines.push(`  the store has no: ${lacks.join(", ")} (docs/archive.md)`);
  if (!can.iam) {
    lines.push(`  bucket policies: ${can.bucketGuards.length ? `${can.bucketGuards.join(", ")}, for every principal` : "none"}; they cannot restrict: ${can.policyLimits}`);
  }
  for (const line of store.atRest ?? []) lines.push(`  at rest, ${line}`);
  return lines.join("\n");
}

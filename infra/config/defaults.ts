import { ARCHIVE_STORAGE_CLASSES, type Transition } from "../../components/archive/storageClasses";
import { PROFILE_DEFAULTS, type ProfileDefaults } from "../../stacks/profiles";
import type { PROFILES } from "./sections/core";
import { HCLOUD_VOLUME } from "./sections/storage";
import { partnerRegion } from "./regions";
import { ARCHIVE_CAPABILITIES, CAPABILITY_NEEDS, type ArchiveProvider } from "../../components/archive/providers";
import { effectiveBackupEncryption } from "./sections/archive";

/**
 * A profile is posture (replicas, retention, protection, replication, sizes); a stack is the stack's own choices.
 * Some of a profile's values only make sense relative to those choices, so they are derived from them here instead
 * of being refused later for a collision the user never wrote:
 * - the second region of snapshot copies and bucket replication is the partner of the stack's region;
 * - the backups bucket's tiers keep the profile's classes but start when the stack's daily backups stop being hot,
 *   and a class is left out when its minimum storage duration no longer fits before the archive expiry;
 * - the backups bucket's object lock protects exactly the hot daily window;
 * - a volume size below the minimum of the stack's cloud is raised to it;
 * - what the archive's store cannot do (transitions, replication, access logs on Hetzner) is turned off, with a note.
 * Nothing here touches a value the stack wrote: those are validated as written, and errors say so.
 */

/** One adjustment the user should know about, shown in the plan. */
export interface DefaultsNote {
  key: string;
  message: string;
}

export interface ProfileDefaultsForStack {
  defaults: ProfileDefaults;
  /** Paths (as dotted keys without `strata:`) whose defaults were derived from the stack's own choices. */
  derived: Map<string, string>;
  notes: DefaultsNote[];
}

type Path = readonly (string | number)[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: Path): unknown {
  let node: unknown = root;
  for (const segment of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** Whether the stack wrote this key itself (`null`, which removes an entry, counts as written). */
export function stackWrote(stack: Record<string, unknown>, path: Path): boolean {
  return valueAt(stack, path) !== undefined;
}

/** The stack's value when it wrote one, else the profile's. */
function effective<T>(stack: Record<string, unknown>, base: ProfileDefaults, path: Path): T {
  const own = valueAt(stack, path);
  return (own === undefined || own === null ? valueAt(base, path) : own) as T;
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  let node: Record<string | number, unknown> = root;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
}

/**
 * The profile's backup classes, in its order, placed by the retention model: the first when daily backups stop
 * being hot, each next one when the previous class's minimum storage duration has passed; a class whose own minimum
 * would outlast the archive expiry, and every colder one after it, is left out.
 */
export function placeBackupTiers(classes: readonly Transition["storageClass"][], dailyDays: number, archiveDays: number): Transition[] {
  const placed: Transition[] = [];
  let day = dailyDays;
  for (const storageClass of classes) {
    const rules = ARCHIVE_STORAGE_CLASSES[storageClass];
    const at = Math.max(day, rules.minTransitionDays);
    if (archiveDays - at < rules.minStorageDays) break;
    placed.push({ afterDays: at, storageClass });
    day = at + Math.max(rules.minStorageDays, storageClass === "STANDARD_IA" ? 30 : 0);
  }
  return placed;
}

/** Volume sizes a profile sets, in GiB, that the Hetzner CSI driver would refuse below its minimum. */
const HCLOUD_SIZED_VOLUMES: readonly Path[] = [
  ["metrics", "pushgateway", "volumeSizeGiB"],
  ["logging", "loki", "volumeSizeGiB"],
  ["telemetry", "sqlite", "sizeGiB"],
];

const dotted = (path: Path) => path.join(".");

/** What each derived default follows, for the config reference (docs/config-reference.md): the rule, not one stack's numbers. */
export const DERIVED_DEFAULT_RULES: Readonly<Record<string, string>> = {
  "storage.snapshots.crossRegionCopy.region": "the partner region of `strata:region` (infra/config/regions.ts)",
  "archive.replication.region": "the partner region of `strata:region` (infra/config/regions.ts)",
  "archive.backups.transitions": "the profile's classes, placed from `retention.backupDailyDays` until `retention.backupArchiveDays` (a class whose minimum storage no longer fits is left out)",
  "archive.backups.objectLock.days": "`retention.backupDailyDays`",
  "archive.backupEncryption": "`archive.provider`: `age` where the store has no KMS (`hetzner`, `s3-compatible`), `none` on `aws`",
  "capacity.metrics.scrapeIntervalSeconds": "`metrics.prometheus.scrapeInterval`",
  "metrics.prometheus.replicas": "the profile's replicas while Thanos deduplicates them (`metrics.thanos.enabled`), else 1",
  "retention.localTsdbSizeGiB": "the profile's size, set to 85% of the Prometheus volume the stack gets when it does not fit that volume or would cut `retention.localTsdbDays` short (with a note in the plan)",
  ...Object.fromEntries(HCLOUD_SIZED_VOLUMES.map((p) => [dotted(p), `the profile's size, raised to ${HCLOUD_VOLUME.minGiB} on \`hcloud\` (with a note in the plan)`])),
};

/** The profile's defaults as they apply to this stack (see the comment at the top of this file). */
export function profileDefaultsFor(profile: (typeof PROFILES)[number], stack: Record<string, unknown>): ProfileDefaultsForStack {
  const base = PROFILE_DEFAULTS[profile];
  const defaults = structuredClone(base) as ProfileDefaults & Record<string, unknown>;
  const derived = new Map<string, string>();
  const notes: DefaultsNote[] = [];

  const region = effective<string>(stack, base, ["region"]);
  const partner = partnerRegion(region);
  for (const path of [
    ["storage", "snapshots", "crossRegionCopy", "region"],
    ["archive", "replication", "region"],
  ] as const) {
    if (stackWrote(stack, path) || partner === undefined) continue;
    setAt(defaults, path, partner);
    derived.set(dotted(path), `the partner region of strata:region (${region})`);
  }

  const dailyDays = effective<number>(stack, base, ["retention", "backupDailyDays"]);
  const archiveDays = effective<number>(stack, base, ["retention", "backupArchiveDays"]);
  if (!stackWrote(stack, ["archive", "backups", "transitions"]) && base.archive.backups.transitions.length > 0) {
    const classes = base.archive.backups.transitions.map((t) => t.storageClass as Transition["storageClass"]);
    defaults.archive.backups.transitions = placeBackupTiers(classes, dailyDays, archiveDays);
    derived.set("archive.backups.transitions", `the ${profile} profile's classes (${classes.join(", ")}), placed from retention.backupDailyDays (${dailyDays}) to retention.backupArchiveDays (${archiveDays})`);
  }
  if (!stackWrote(stack, ["archive", "backups", "objectLock", "days"])) {
    defaults.archive.backups.objectLock.days = Math.min(dailyDays, archiveDays);
    derived.set("archive.backups.objectLock.days", `retention.backupDailyDays (${dailyDays}): the lock covers the hot daily window`);
  }

  // The capacity estimate samples at the interval Prometheus scrapes at.
  const scrape = /^([1-9][0-9]*)s$/.exec(String(effective<string>(stack, base, ["metrics", "prometheus", "scrapeInterval"])));
  if (scrape && !stackWrote(stack, ["capacity", "metrics", "scrapeIntervalSeconds"])) {
    defaults.capacity.metrics.scrapeIntervalSeconds = Number(scrape[1]);
    derived.set("capacity.metrics.scrapeIntervalSeconds", `metrics.prometheus.scrapeInterval (${scrape[0]})`);
  }
  // Two Prometheus replicas are HA only when something deduplicates them (Thanos Query); without it each scrapes the
  // same series into its own volume and Grafana reads one or the other.
  const thanos = effective<boolean>(stack, base, ["metrics", "thanos", "enabled"]);
  if (!thanos && !stackWrote(stack, ["metrics", "prometheus", "replicas"]) && base.metrics.prometheus.replicas > 1) {
    defaults.metrics.prometheus.replicas = 1;
    derived.set("metrics.prometheus.replicas", "metrics.thanos.enabled (false): nothing deduplicates a second replica");
    notes.push({ key: "strata:metrics.prometheus.replicas", message: `the ${profile} profile's ${base.metrics.prometheus.replicas} replicas need Thanos to deduplicate them; with metrics.thanos.enabled false it runs 1` });
  }
  const provider = effective<ArchiveProvider>(stack, base, ["archive", "provider"]);
  if (ARCHIVE_CAPABILITIES[provider] !== undefined) {
    const row = ARCHIVE_CAPABILITIES[provider];
    for (const need of CAPABILITY_NEEDS) {
      if (row[need.capability] || stackWrote(stack, need.path) || !need.needs(defaults.archive)) continue;
      setAt(defaults, need.path, need.off);
      derived.set(dotted(need.path), `archive.provider (${provider}), whose store lacks it`);
      notes.push({ key: `strata:${dotted(need.path)}`, message: `the ${profile} profile's default is off on archive.provider \`${provider}\`: the store ${need.refusal.replace(/:.*$/, "")}` });
    }
    // Defaults follow the stack: a store without KMS gets client-side encryption of backups.
    if (!stackWrote(stack, ["archive", "backupEncryption"])) {
      const encryption = effectiveBackupEncryption({ provider, backupEncryption: undefined });
      defaults.archive.backupEncryption = encryption;
      derived.set("archive.backupEncryption", `archive.provider (${provider}), ${encryption === "age" ? "whose store has no KMS" : "where SSE-KMS encrypts in the store"}`);
      if (encryption === "age") notes.push({ key: "strata:archive.backupEncryption", message: `backups are encrypted with age before they leave their pods on archive.provider \`${provider}\` (no KMS); drills decrypt with strata:backupAgeIdentity` });
    }
  }

  if (effective<string>(stack, base, ["cloud"]) === "hcloud") {
    for (const path of HCLOUD_SIZED_VOLUMES) {
      const size = valueAt(defaults, path);
      if (stackWrote(stack, path) || typeof size !== "number" || size >= HCLOUD_VOLUME.minGiB) continue;
      setAt(defaults, path, HCLOUD_VOLUME.minGiB);
      notes.push({ key: `strata:${dotted(path)}`, message: `the ${profile} profile's ${size} GiB is below Hetzner's ${HCLOUD_VOLUME.minGiB} GiB minimum volume; raised to ${HCLOUD_VOLUME.minGiB} GiB` });
    }
  }
  return { defaults, derived, notes };
}

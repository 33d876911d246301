import type { Transition } from "./storageClasses";

export interface LifecycleInput {
  transitions: readonly Transition[];
  /** Current objects expire this many days after creation. */
  expireAfterDays: number;
  noncurrentVersionDays: number;
  abortIncompleteUploadsDays: number;
  /**
   * When a bucket also holds objects under other key layouts (an adopted backups bucket), the tiers apply only under
   * `ownPrefixes` and each legacy prefix expires on its own: one unfiltered expiration would also expire the old
   * objects, and S3 applies the shortest of overlapping expirations.
   */
  scoped?: { ownPrefixes: readonly string[]; legacy: readonly { prefix: string; days: number }[] };
}

export interface LifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix?: string };
  transitions?: { days: number; storageClass: string }[];
  expiration?: { days?: number; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/**
 * Objects smaller than 128 KB are not worth transitioning (per-object fees exceed the savings), and S3 has used
 * that default since 2024; Strata says so explicitly so the behaviour does not depend on when a bucket was made.
 */
export const TRANSITION_MINIMUM_OBJECT_SIZE = "all_storage_classes_128K";

/**
 * Two rules, because S3 refuses `expiredObjectDeleteMarker` beside an expiration in days: one moves current objects
 * down the tiers and expires them; the other cleans what versioning keeps: old versions after a recovery window,
 * delete markers with nothing behind them, and multipart uploads that never finished.
 */
export function lifecycleRules(input: LifecycleInput): LifecycleRule[] {
  const tieringUnder = (filter: LifecycleRule["filter"], id: string): LifecycleRule => ({
    id,
    status: "Enabled",
    filter,
    ...(input.transitions.length ? { transitions: input.transitions.map((t) => ({ days: t.afterDays, storageClass: t.storageClass })) } : {}),
    expiration: { days: input.expireAfterDays },
  });
  const tiering = input.scoped
    ? [
        ...input.scoped.ownPrefixes.map((prefix) => tieringUnder({ prefix }, `tiers-and-expiration-${prefix.replace(/\/$/, "")}`)),
        // S3 rule ids are unique and at most 255 characters: the index keeps `mongo/` and `mongo-` apart.
        ...input.scoped.legacy.map((l, i): LifecycleRule => ({ id: `legacy-expiration-${i}-${l.prefix.replace(/\/$/, "").replace(/[^A-Za-z0-9-]/g, "-").slice(0, 200)}`, status: "Enabled", filter: { prefix: l.prefix }, expiration: { days: l.days } })),
      ]
    : [tieringUnder({}, "tiers-and-expiration")];
  const housekeeping: LifecycleRule = {
    id: "versions-markers-uploads",
    status: "Enabled",
    filter: {},
    noncurrentVersionExpiration: { noncurrentDays: input.noncurrentVersionDays },
    expiration: { expiredObjectDeleteMarker: true },
    abortIncompleteMultipartUpload: { daysAfterInitiation: input.abortIncompleteUploadsDays },
  };
  return [...tiering, housekeeping];
}

export interface TierRow {
  bucket: string;
  from: string;
  storageClass: string;
  note: string;
}

/** The tier table the plan prints per bucket: where an object lives on each day of its life. */
export function tierTable(bucket: string, input: LifecycleInput, note: string): TierRow[] {
  const rows: TierRow[] = [{ bucket, from: "day 0", storageClass: "STANDARD", note }];
  for (const t of input.transitions) rows.push({ bucket, from: `day ${t.afterDays}`, storageClass: t.storageClass, note: "" });
  rows.push({ bucket, from: `day ${input.expireAfterDays}`, storageClass: "(expired)", note: `old versions kept ${input.noncurrentVersionDays}d` });
  for (const l of input.scoped?.legacy ?? []) rows.push({ bucket, from: `day ${l.days}`, storageClass: "(expired)", note: `legacy ${l.prefix} (before Strata)` });
  return rows;
}

/**
 * The archive's key layout: where every object of a backup target lives in the backups bucket. Read by the plan (IAM
 * prefixes, the restorability matrix), by the in-pod runtime (which bundles it), and by the tests to find what the
 * runtime wrote.
 *
 *   [prefix/]<kind>/<target>/YYYY/MM/DD/<target>-<YYYYMMDDTHHMMSSZ>.<ext>   a logical backup
 *   <object key>.manifest.json                                              its manifest (manifest.ts)
 *   [prefix/]<kind>/<target>/latest.json                                    byte-identical copy of the newest verified manifest
 *   [prefix/]postgresql/<target>/base/...                                   PITR base backups: the same layout, own latest.json
 *   [prefix/]postgresql/<target>/wal/<segment>.zst[.age]                    the WAL archive of a PITR target
 */

/** The layout of a backup object's key, as the stack output `backups.backupKeyLayout` says it. */
export const KEY_LAYOUT = "<kind>/<target>/YYYY/MM/DD/<target>-<UTC timestamp>.<ext>";

/** Every kind the backup and drill scripts implement: the first key segment under the prefix. */
export const BACKUP_KINDS = ["postgresql", "mongodb", "prometheus-snapshot", "rabbitmq-definitions", "sqlite", "valkey"] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** What a target's name must be: a key segment and a Pushgateway label value. */
export const TARGET_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const LAYOUT = {
  /** The pointer to the newest verified backup of a series, beside its dated objects. */
  latest: "latest.json",
  /** Appended to an object's key for its manifest. */
  manifestSuffix: ".manifest.json",
  /** The sub-prefix of a PITR target's physical base backups (a series with its own latest.json). */
  baseSeries: "base",
  /** The sub-prefix of a PITR target's WAL archive. */
  walSeries: "wal",
} as const;

/** The series a run writes: logical dumps at the target prefix, physical base backups under `base/`. */
export type Series = "dump" | "basebackup";

const trimSlashes = (p: string) => p.replace(/^\/+/, "").replace(/\/+$/, "");

/** `[prefix/]<kind>/<target>`: under which every object of one target lives. */
export function targetPrefix(prefix: string, kind: BackupKind, target: string): string {
  const p = trimSlashes(prefix);
  return `${p ? `${p}/` : ""}${kind}/${target}`;
}

/** Where a series' dated objects and its latest.json go. */
export const seriesPrefix = (prefix: string, kind: BackupKind, target: string, series: Series = "dump") =>
  targetPrefix(prefix, kind, target) + (series === "basebackup" ? `/${LAYOUT.baseSeries}` : "");

/** The WAL archive of a PITR target. */
export const walPrefix = (prefix: string, target: string) => `${targetPrefix(prefix, "postgresql", target)}/${LAYOUT.walSeries}`;

/** The latest.json of a series. */
export const latestKey = (prefix: string, kind: BackupKind, target: string, series: Series = "dump") => `${seriesPrefix(prefix, kind, target, series)}/${LAYOUT.latest}`;

/** YYYYMMDDTHHMMSSZ of a Unix time, the stamp in an object's name. */
export const runStamp = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");

/** The object key of a run that started at `epochSeconds`, with the artifact's extension (`pgdump.zst`, `rdb.zst.age`). */
export function objectKey(prefix: string, kind: BackupKind, target: string, epochSeconds: number, ext: string, series: Series = "dump"): string {
  const day = new Date(epochSeconds * 1000).toISOString().slice(0, 10).replace(/-/g, "/");
  return `${seriesPrefix(prefix, kind, target, series)}/${day}/${target}-${runStamp(epochSeconds)}.${ext}`;
}

/** The manifest's key of an object. */
export const manifestKey = (objectKey: string) => objectKey + LAYOUT.manifestSuffix;

/**
 * The physical replication slot a PITR target's WAL receiver holds on the source server: `strata_` and the target's
 * name with `-` and `.` as `_` (a slot name allows [a-z0-9_] only). The plan hands it to the WAL receiver as PITR_SLOT.
 */
export const PITR_SLOT_PREFIX = "strata_";
export const pitrSlotName = (target: string) => `${PITR_SLOT_PREFIX}${target.replace(/[-.]/g, "_")}`;

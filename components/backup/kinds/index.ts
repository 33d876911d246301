/**
 * Every backup kind's driver: one folder per kind (components/backup/kinds/<kind>/) holding its images and users,
 * backup and drill pods, artifact format, what its drill proves, its capacity ratio and its restorability facts.
 * The plan reads kinds only through this Record; a kind in BACKUP_KINDS without a driver does not compile, and
 * test/backup/kinds.test.ts fails on a switch over kinds anywhere else. How to add one: docs/adding-a-backup-kind.md.
 */
import { BACKUP_KINDS, type BackupKind } from "../targetSpec";
import type { KindDriver } from "./driver";
import { mongodb } from "./mongodb";
import { postgresql } from "./postgresql";
import { prometheusSnapshot } from "./prometheus-snapshot";
import { rabbitmqDefinitions } from "./rabbitmq-definitions";
import { sqlite } from "./sqlite";
import { valkey } from "./valkey";

export type { DrillProof, ExtraPhase, IntegrationSuite, JobNamespace, KindDriver, TargetOf } from "./driver";

export const KIND_DRIVERS: { [K in BackupKind]: KindDriver<K> } = {
  postgresql,
  mongodb,
  "prometheus-snapshot": prometheusSnapshot,
  "rabbitmq-definitions": rabbitmqDefinitions,
  sqlite,
  valkey,
};

/**
 * The driver of a target's kind, typed over every kind (a target's own kind is not tracked through the Record's
 * index: TypeScript does not correlate `KIND_DRIVERS[t.kind]` with `t`).
 */
export const kindDriver = (kind: BackupKind): KindDriver => KIND_DRIVERS[kind] as KindDriver;

/** One fact of every kind, in BACKUP_KINDS order, as a Record (the restorability tables, the capacity ratios). */
export const perKind = <T>(fact: (driver: KindDriver) => T): Record<BackupKind, T> =>
  Object.fromEntries(BACKUP_KINDS.map((k) => [k, fact(kindDriver(k))])) as Record<BackupKind, T>;

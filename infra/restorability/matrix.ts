import type { StrataConfig } from "../config/schema";
import { resolveBackups, type ResolvedBackups } from "../backupTargets";
import { claimStorageClass, strataStorageClassName } from "../adoption";
import { buildBackupRuleGroups, backupRunbookBaseUrl, type BackupAlertingRule } from "../../components/backup/alerts";
import { cronJobName } from "../../components/backup/cronJob";
import { claimCoverage } from "./coverage";
import { DRILL_OF_KIND, INTEGRATION_TEST_OF_KIND, runbookOfKind } from "./kinds";
import { kindDriver } from "../../components/backup/kinds";
import { archivePurposes, capabilitiesOf } from "../capabilities";
import { ARCHIVE_CAPABILITIES } from "../../components/archive/providers";
import { OFFSITE_COPY_NAME } from "../../components/archive/offsiteCopySettings";
import { offsiteCopyPlan } from "../offsiteCopyPlan";
import { LAYOUT } from "../../components/backup/contract";

/**
 * The restorability matrix: every store Strata protects (each backup target, each claim of `strata:storage.claims`,
 * each archive bucket, the volume class) against what proves it comes back: a backup, a restore drill, alerts, a
 * runbook, and a test that ran it for real on this repository's machines. A cell is either filled (`ok`) or names the
 * gap. Derived from the stack's config and from what the components declare (the alert rules the backup area builds,
 * the runbooks and integration suites in the repository), so it changes when they do.
 */
export const RESTORABILITY_COLUMNS = ["backup", "drill", "alerts", "runbook", "tested"] as const;
export type RestorabilityColumn = (typeof RESTORABILITY_COLUMNS)[number];
export const COLUMN_TITLES: Record<RestorabilityColumn, string> = {
  backup: "backup",
  drill: "restore drill",
  alerts: "alerts",
  runbook: "runbook",
  tested: "tested for real here",
};

export interface RestorabilityCell {
  ok: boolean;
  /** What fills the cell, or the gap and why. */
  text: string;
}

export type StoreType = "backup target" | "claim" | "bucket" | "off-site copy" | "volume class";

export type RestorabilityRow = { store: string; type: StoreType } & Record<RestorabilityColumn, RestorabilityCell>;

export interface Restorability {
  rows: RestorabilityRow[];
  /** Cells that name a gap, over all rows. */
  gaps: number;
}

export type RestorabilityInput = Pick<StrataConfig, "cloud" | "backups" | "telemetry" | "storage" | "retention" | "archive" | "metrics" | "alerting" | "logging">;

const ok = (text: string): RestorabilityCell => ({ ok: true, text });
const gap = (text: string): RestorabilityCell => ({ ok: false, text });

/**
 * Pure: computed from config and declared facts only. The program runs it during `pulumi up`, where the repository's
 * test/ and docs/ need not exist; the runbooks and suites it names are held to existing by test/restorability.test.ts
 * (every path any matrix names), not looked up here.
 */
export function restorabilityMatrix(config: RestorabilityInput, backups: ResolvedBackups = resolveBackups(config)): Restorability {
  // The program passes the targets it resolved once; tests may let the matrix resolve them from config.
  const scheduled = backups.targets;
  const targets = scheduled.map((s) => s.target);
  // The rules the backup area deploys (infra/areas/backups.ts builds the same groups through BackupMonitoring).
  const groups = buildBackupRuleGroups({
    runbookBaseUrl: backupRunbookBaseUrl(config.alerting.runbookBaseUrl),
    targets: scheduled.map((s) => ({ name: s.target.name, kind: s.target.kind, intervalHours: s.intervalHours, drillIntervalHours: s.drillIntervalHours })),
  });
  const rules = groups.flatMap((g) => g.rules) as BackupAlertingRule[];
  const sharedRules = rules.filter((r) => r.labels.target === undefined).map((r) => r.alert);

  const rows: RestorabilityRow[] = [];

  // --- backup targets ------------------------------------------------------------------------------------------------
  const runbookCell = (kind: (typeof targets)[number]["kind"]) => ok(runbookOfKind(kind));
  const testedCell = (kind: (typeof targets)[number]["kind"]) => {
    const t = INTEGRATION_TEST_OF_KIND[kind];
    return t.stubbed ? gap(`${t.stubbed} (${t.file})`) : ok(t.file);
  };
  for (const s of scheduled) {
    const t = s.target;
    // The target's own variant of its kind's drill, when it has one (a postgresql target with timescaledb: true).
    const variant = kindDriver(t.kind).drillOfTarget?.(t);
    const drill = variant ? { ...DRILL_OF_KIND[t.kind], restores: variant.restores } : DRILL_OF_KIND[t.kind];
    const own = rules.filter((r) => r.labels.target === t.name).map((r) => r.alert);
    rows.push({
      store: `${t.name} (${t.kind})`,
      type: "backup target",
      backup: ok(`${cronJobName(t, "backup")} ${s.schedule}`),
      drill: drill.realRestore ? ok(`${cronJobName(t, "drill")} ${s.drillSchedule}: ${drill.restores}`) : gap(`${drill.gap} (${cronJobName(t, "drill")} ${s.drillSchedule})`),
      alerts: own.length > 0 ? ok(`${own.length} for this target, ${sharedRules.length} shared (${[...new Set(own)].join(", ")})`) : gap("no alerting rule names this target"),
      runbook: runbookCell(t.kind),
      tested: variant?.notTested ? gap(variant.notTested) : testedCell(t.kind),
    });
  }

  // --- claims --------------------------------------------------------------------------------------------------------
  const snapshotsOn = capabilitiesOf(config).snapshots;
  const untestedVariants = new Set(targets.filter((t) => kindDriver(t.kind).drillOfTarget?.(t)?.notTested).map((t) => t.name));
  const volume = snapshotsOn ? "EBS daily snapshots (crash-consistent)" : undefined;
  for (const [service, claim] of Object.entries(config.storage.claims)) {
    const covering = claimCoverage(service, claim, targets);
    const whole = covering.filter((c) => !c.partial);
    const list = covering.map((c) => `${c.target} (${c.how}${c.partial ? `; ${c.partial}` : ""})`).join(", ");
    const protectedVolume = config.cloud === "hcloud" && claim.critical ? "delete-protected Hetzner volume" : undefined;
    const volumeNote = [volume, protectedVolume].filter(Boolean).join(", ");
    const noTarget = `no backup target protects it (policy strata-pvc-require-backup-target)${volumeNote ? `; only ${volumeNote}` : ""}`;
    const realDrills = whole.filter((c) => DRILL_OF_KIND[c.kind].realRestore);
    const testedReal = whole.filter((c) => !untestedVariants.has(c.target) && !INTEGRATION_TEST_OF_KIND[c.kind].stubbed);
    const runbooks = [...new Set(whole.map((c) => runbookOfKind(c.kind)))];
    const partialOnly = covering.length > 0 && whole.length === 0 ? `only part of its data is backed up: ${list}` : undefined;
    rows.push({
      store: `${service}-data (${claim.namespace})`,
      type: "claim",
      backup: whole.length > 0 ? ok(`${list}${volumeNote ? `; ${volumeNote}` : ""}`) : gap(partialOnly ?? noTarget),
      drill: realDrills.length > 0 ? ok(`drills of ${realDrills.map((c) => c.target).join(", ")}`) : gap(whole.length > 0 ? "its targets' drills are not real restores" : "nothing restores its data"),
      alerts: whole.length > 0 ? ok(`the alerts of ${whole.map((c) => c.target).join(", ")}`) : gap("no backup alerts: no target"),
      runbook: runbooks.length > 0 ? ok(runbooks.join(", ")) : gap(whole.length > 0 ? "its targets' kinds have no restore runbook" : "no restore runbook: no target (docs/runbooks/reattach-retained-volume.md reattaches the volume only)"),
      tested: testedReal.length > 0 ? ok(`through ${testedReal.map((c) => INTEGRATION_TEST_OF_KIND[c.kind].file).join(", ")}`) : gap(whole.length > 0 ? `its targets' kinds are not tested for real here (${whole.map((c) => c.kind).join(", ")})` : "no target to test"),
    });
  }

  // --- buckets -------------------------------------------------------------------------------------------------------
  const { archive } = config;
  // Rows only for the buckets the stack declares (infra/capabilities.ts).
  for (const purpose of archivePurposes(config)) {
    const settings = archive[purpose];
    const protections = [`versioning, noncurrent versions kept ${settings.noncurrentVersionDays} d`];
    if (purpose === "backups" && archive.backups.objectLock.enabled) protections.push(`Object Lock ${archive.backups.objectLock.mode} ${archive.backups.objectLock.days} d`);
    if (purpose === "backups" && archive.replication.enabled) protections.push(`replicated to ${archive.replication.region}`);
    const isBackups = purpose === "backups";
    const versionsRunbook = "docs/runbooks/recover-thanos-loki-from-versions.md";
    const drRunbook = "docs/runbooks/dr-drill.md";
    rows.push({
      store: `${purpose} bucket`,
      type: "bucket",
      backup: ok(protections.join(", ")),
      drill: isBackups
        ? targets.length > 0
          ? ok(`every target's drill reads it (${LAYOUT.latest}, manifest, SHA-256): ${targets.length} drill(s)`)
          : gap("no target: no drill reads it")
        : gap("no drill restores noncurrent versions of its objects"),
      // The bucket protection check (components/archive/protectionCheck.ts) reads every bucket's settings back.
      // It runs only where the backups namespace and the Pushgateway exist (infra/areas/archive.ts).
      alerts: capabilitiesOf(config).backups && capabilitiesOf(config).pushgateway
        ? ok(`${isBackups && targets.length > 0 ? "the backup and drill alerts fail when it cannot be written or read; " : ""}StrataBucketProtectionDrift when its versioning, encryption, lifecycle or object lock changes outside Pulumi (checked every 6 h)`)
        : gap("no check reads its protection back: the bucket protection check runs in the backups namespace and pushes to the Pushgateway, and this stack has no backup target or no Pushgateway"),
      runbook: ok(isBackups ? drRunbook : versionsRunbook),
      tested: isBackups ? ok("every backup suite writes and reads s3rver with the AWS CLI v2 (test/integration/helpers/servers.ts)") : gap("recovering object versions needs real S3 versioning: no test here (s3rver keeps no versions)"),
    });
  }

  // --- a second copy of the backups bucket elsewhere (replication on aws, the off-site copy job anywhere) ---------
  if (archivePurposes(config).includes("backups")) {
    const copy = offsiteCopyPlan(config);
    const serviceRunbook = "docs/runbooks/service-alerts.md";
    const copyTest = "test/integration/offsite-copy.test.ts";
    const provider = archive.provider;
    const none = `no second copy: archive.provider \`${provider}\` ${ARCHIVE_CAPABILITIES[provider].replication ? "can replicate but archive.replication is off" : "has no replication"} and archive.offsiteCopy is not set (docs/archive.md)`;
    const replicated = archive.replication.enabled ? `S3 replication to ${archive.replication.region}` : undefined;
    rows.push({
      store: "off-site copy of the backups bucket",
      type: "off-site copy",
      backup: copy ? ok(`${OFFSITE_COPY_NAME} ${copy.schedule} to ${copy.destination.provider} ${copy.destination.endpoint ?? copy.destination.region} bucket ${copy.destination.bucket}`) : replicated ? ok(replicated) : gap(none),
      drill: copy ? ok("every copied object is read back and its SHA-256 compared with the source's") : gap(replicated ? "nothing reads the replica back" : "no copy to read back"),
      alerts: copy ? ok("StrataOffsiteCopyStale, StrataOffsiteCopyChecksumMismatch, StrataOffsiteCopyFailing, StrataOffsiteCopyDestinationUnversioned") : gap(replicated ? "no alert on replication" : "no copy to alert on"),
      runbook: copy ? ok(`${serviceRunbook} (restoring from the off-site copy)`) : gap("no copy to restore from"),
      tested: copy ? ok(`${copyTest} (two s3rver, a corrupted copy caught)`) : gap(replicated ? "S3 replication exists only on AWS: not run here" : "no copy to test"),
    });
  }

  // --- the volume class ----------------------------------------------------------------------------------------------
  const reattach = "docs/runbooks/reattach-retained-volume.md";
  // Claims that name another (existing) class are not this class's (storage.claims.<service>.storageClass).
  const claims = Object.keys(config.storage.claims).filter((service) => claimStorageClass(config, service) === strataStorageClassName(config)).length;
  if (config.cloud === "aws" && !snapshotsOn) {
    rows.push({
      store: `StorageClass ${strataStorageClassName(config)} (${claims} claim(s))`,
      type: "volume class",
      backup: gap("no volume snapshots: storage.snapshots.enabled is false, so claims rely on their backup targets"),
      drill: gap("no volume-level restore without snapshots"),
      alerts: gap("no volume-level backup to alert on"),
      runbook: ok(reattach),
      tested: gap("EBS volumes exist only on AWS: checked by the plan's policies, not run here"),
    });
  } else if (config.cloud === "aws") {
    const copy = config.storage.snapshots.crossRegionCopy;
    rows.push({
      store: `StorageClass ${strataStorageClassName(config)} (${claims} claim(s))`,
      type: "volume class",
      backup: ok(`DLM daily snapshots at ${config.storage.snapshots.time} UTC, ${config.retention.snapshotRetainCount} kept${copy.enabled ? `, copied to ${copy.region} for ${config.retention.snapshotCopyRetainDays} d` : ""}`),
      drill: gap("no drill restores a snapshot into a volume"),
      alerts: ok("CloudWatch alarms on DLM failures, to the snapshot SNS topic"),
      runbook: ok(reattach),
      tested: gap("EBS and DLM exist only on AWS: checked by the plan's policies, not run here"),
    });
  } else {
    rows.push({
      store: `StorageClass ${strataStorageClassName(config)} (${claims} claim(s))`,
      type: "volume class",
      backup: gap("Hetzner volumes have no snapshots: claims rely on their backup targets; critical ones are delete-protected"),
      drill: gap("no volume-level restore exists on Hetzner"),
      alerts: gap("no volume-level backup to alert on"),
      runbook: ok(reattach),
      tested: gap("Hetzner volumes exist only on Hetzner Cloud: checked by the plan's policies, not run here"),
    });
  }

  return { rows, gaps: rows.reduce((n, r) => n + RESTORABILITY_COLUMNS.filter((c) => !r[c].ok).length, 0) };
}

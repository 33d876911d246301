import type { RefinementCtx } from "zod";
import { BACKUP_KINDS } from "../../../components/backup/targetSpec";
import { checkClaimAdoption, checkMetricsAdoption } from "./adoption";
import type { StorageConfig } from "./storage";
import type { MetricsConfig } from "./metrics";
import type { RetentionConfig } from "./retention";
import type { ArchiveConfig } from "./archive";

interface AdoptionView {
  cloud: "aws" | "hcloud";
  hcloud: { location: string };
  storage: StorageConfig;
  metrics: MetricsConfig;
  retention: RetentionConfig;
  archive: ArchiveConfig;
  namespaces: { monitoring: string };
  backups: { targets: { kind: string; name: string }[] };
}

/** Rules across the adoption keys (infra/config/sections/adoption.ts) and the sections they sit in. */
export function checkAdoption(c: AdoptionView, ctx: RefinementCtx): void {
  for (const [service, spec] of Object.entries(c.storage.claims)) {
    if (spec.adopt) checkClaimAdoption(c.cloud, c.cloud === "hcloud" ? c.hcloud.location : undefined, service, spec.adopt, ctx);
  }
  checkMetricsAdoption(c.metrics.adopt, ctx);
  const kps = c.metrics.adopt;
  if (kps?.mode === "adopt") {
    // Strata's Prometheus identity, network policies and snapshot jobs live in its monitoring namespace and address
    // Prometheus by Strata's names; an adopted release keeps its own, so they must meet in one namespace, and
    // snapshot jobs (whose pod and claim names are Strata's) need mode replace.
    if (kps.namespace !== c.namespaces.monitoring) {
      ctx.addIssue({ code: "custom", path: ["metrics", "adopt", "namespace"], input: kps.namespace, message: `must be namespaces.monitoring (${c.namespaces.monitoring}) to adopt the release in place; write namespaces.monitoring: ${kps.namespace}, or mode: replace` });
    }
    const snapshot = c.backups.targets.find((t) => t.kind === "prometheus-snapshot");
    if (snapshot) {
      ctx.addIssue({ code: "custom", path: ["metrics", "adopt", "mode"], input: "adopt", message: `must be \`replace\` while backups target ${snapshot.name} takes Prometheus snapshots: snapshot jobs find Prometheus by Strata's names` });
    }
  }
  if (c.storage.adoptClass && c.storage.className === undefined) {
    ctx.addIssue({ code: "custom", path: ["storage", "adoptClass"], input: true, message: "needs storage.className: name the existing class to import (e.g. className: ebs-gp3)" });
  }
  // A legacy prefix expires by its own rule; Strata's kinds then expire by theirs. Two overlapping prefixes would put
  // one object under two expirations, and S3 applies the shorter one.
  const prefixes = c.retention.legacyBackupPrefixes ?? [];
  const seen = new Set<string>();
  prefixes.forEach((p, i) => {
    const path = ["retention", "legacyBackupPrefixes", i, "prefix"];
    const kind = BACKUP_KINDS.find((k) => `${k}/`.startsWith(p.prefix) || p.prefix.startsWith(`${k}/`));
    if (kind) ctx.addIssue({ code: "custom", path, input: p.prefix, message: `must not overlap Strata's own prefix ${kind}/ (backups of kind ${kind} are written there); name the old layout's own prefix, e.g. mongo/` });
    const other = [...seen].find((s) => s.startsWith(p.prefix) || p.prefix.startsWith(s));
    if (other) ctx.addIssue({ code: "custom", path, input: p.prefix, message: `must not overlap another legacy prefix (${other}): S3 would apply the shorter expiry to both` });
    seen.add(p.prefix);
    if (p.days < c.retention.backupDailyDays) {
      // Not a loss Strata causes, but rarely meant: say it rather than let a year of dumps go in a week.
      ctx.addIssue({ code: "custom", path: ["retention", "legacyBackupPrefixes", i, "days"], input: p.days, message: `must be >= retention.backupDailyDays (${c.retention.backupDailyDays}): old backups would expire before Strata's newest ones` });
    }
  });
  if (prefixes.length > 0 && !c.archive.adopt?.buckets?.backups) {
    ctx.addIssue({ code: "custom", path: ["retention", "legacyBackupPrefixes"], input: prefixes, message: "needs archive.adopt.buckets.backups: legacy backups live in an adopted bucket (a bucket Strata creates holds none)" });
  }
}

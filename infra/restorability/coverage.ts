import { kindDriver } from "../../components/backup/kinds";
import type { BackupTarget } from "../config/sections/backups";

/** Why a backup target counts as protecting a claim's data. */
export interface ClaimCoverage {
  target: string;
  kind: BackupTarget["kind"];
  how: string;
  /** Set when the target restores only part of what the claim holds. */
  partial?: string;
}

/**
 * The backup targets that protect the data on claim `<service>-data` in `namespace`, each with the reason, only when
 * the target says so: its kind's own rule (an sqlite target mounts that very claim), else a target named after the
 * service; a target that lists
 * the service in `protectsClaims`. A target of another service in the same namespace never counts: a PostgreSQL dump
 * does not restore the Valkey beside it.
 */
export function claimCoverage(service: string, claim: { namespace: string }, targets: readonly BackupTarget[]): ClaimCoverage[] {
  const out: ClaimCoverage[] = [];
  for (const t of targets) {
    const driver = kindDriver(t.kind);
    let how = driver.coversClaim ? driver.coversClaim(t, service, claim) : t.name === service ? "named after the service" : undefined;
    if (!how && t.protectsClaims?.includes(service)) how = "lists it in protectsClaims";
    if (how) out.push({ target: t.name, kind: t.kind, how, ...(driver.partial ? { partial: driver.partial } : {}) });
  }
  return out;
}

import type { BackupTarget } from "../config/sections/backups";

/** Why a backup target counts as protecting a claim's data. */
export interface ClaimCoverage {
  target: string;
  kind: BackupTarget["kind"];
  how: string;
  /** Set when the target restores only part of what the claim holds. */
  partial?: string;
}

/** What a kind's backup leaves out of the store's volume, when it is not the whole of it. */
const PARTIAL: Partial<Record<BackupTarget["kind"], string>> = {
  "rabbitmq-definitions": "definitions only: messages in the queues are not backed up",
};

/**
 * The backup targets that protect the data on claim `<service>-data` in `namespace`, each with the reason, only when
 * the target says so: an sqlite target mounts that very claim; a target named after the service; a target that lists
 * the service in `protectsClaims`. A target of another service in the same namespace never counts: a PostgreSQL dump
 * does not restore the Valkey beside it.
 */
export function claimCoverage(service: string, claim: { namespace: string }, targets: readonly BackupTarget[]): ClaimCoverage[] {
  const out: ClaimCoverage[] = [];
  for (const t of targets) {
    let how: string | undefined;
    if (t.kind === "sqlite") {
      if (t.namespace === claim.namespace && t.claimName === `${service}-data`) how = "mounts the claim";
    } else if (t.name === service) {
      how = "named after the service";
    }
    if (!how && t.protectsClaims?.includes(service)) how = "lists it in protectsClaims";
    if (how) out.push({ target: t.name, kind: t.kind, how, ...(PARTIAL[t.kind] ? { partial: PARTIAL[t.kind] } : {}) });
  }
  return out;
}

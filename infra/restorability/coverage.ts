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
 * The namespace a cluster-internal host names: `<service>.<namespace>`, `<service>.<namespace>.svc` or
 * `<service>.<namespace>.svc.cluster.local`; undefined for anything else (an external host names no namespace).
 */
export function hostNamespace(host: string): string | undefined {
  const labels = host.split(".");
  if (labels.length === 2 || (labels.length >= 3 && labels[2] === "svc")) return labels[1];
  return undefined;
}

function targetHost(t: BackupTarget): string | undefined {
  switch (t.kind) {
    case "postgresql":
    case "valkey":
      return t.host;
    case "rabbitmq-definitions":
      try {
        return new URL(t.url).hostname;
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}

/** What a kind's backup leaves out of the store's volume, when it is not the whole of it. */
const PARTIAL: Partial<Record<BackupTarget["kind"], string>> = {
  "rabbitmq-definitions": "definitions only: messages in the queues are not backed up",
};

/**
 * The backup targets that protect the data on claim `<service>-data` in `namespace`, each with the reason, derived
 * from the targets' own config: an sqlite target mounts that very claim; any target named after the service; a target
 * whose server is addressed by a Service in the claim's namespace.
 */
export function claimCoverage(service: string, claim: { namespace: string }, targets: readonly BackupTarget[]): ClaimCoverage[] {
  const out: ClaimCoverage[] = [];
  for (const t of targets) {
    let how: string | undefined;
    if (t.kind === "sqlite") {
      if (t.namespace === claim.namespace && t.claimName === `${service}-data`) how = "mounts the claim";
    } else if (t.name === service) {
      how = "named after the service";
    } else {
      const host = targetHost(t);
      if (host && hostNamespace(host) === claim.namespace) how = `its host ${host} is in namespace ${claim.namespace}`;
    }
    if (how) out.push({ target: t.name, kind: t.kind, how, ...(PARTIAL[t.kind] ? { partial: PARTIAL[t.kind] } : {}) });
  }
  return out;
}

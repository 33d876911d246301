import type { StrataConfig } from "./config/schema";
import type { BucketPurpose } from "../components/archive/storageClasses";
import { allBackupTargets } from "./backupTargets";

/**
 * The capabilities a stack can have, each with its one switch. Every area asks here whether it declares anything,
 * so a capability that is off leaves no resource, rule, dashboard, output or report row behind (issue 21).
 * - metrics: Prometheus, Alertmanager and Grafana; always on (it is what Strata is).
 * - thanos: `metrics.thanos.enabled`: Thanos and the metrics bucket.
 * - pushgateway: `metrics.pushgateway.enabled`: where batch jobs push (required by backup targets).
 * - logging: `logging.enabled`: Loki, the collector, the logs bucket and their identities.
 * - snapshots: `storage.snapshots.enabled` on aws: DLM daily EBS snapshots, their role, copy key and alarms.
 * - backups: on when something writes to the backups bucket: a backup target (written, or derived from telemetry).
 * - telemetry: on when `telemetry.backend` is set: the OpenFinOps contract objects in `telemetry.namespace`.
 */
export const CAPABILITIES = ["metrics", "thanos", "pushgateway", "logging", "snapshots", "backups", "telemetry"] as const;
export type Capability = (typeof CAPABILITIES)[number];

export type CapabilityInput = Pick<StrataConfig, "cloud" | "metrics" | "logging" | "storage" | "backups" | "telemetry">;

export function capabilitiesOf(config: CapabilityInput): Record<Capability, boolean> {
  return {
    metrics: true,
    thanos: config.metrics.thanos.enabled,
    pushgateway: config.metrics.pushgateway.enabled,
    logging: config.logging.enabled,
    snapshots: config.cloud === "aws" && config.storage.snapshots.enabled,
    backups: allBackupTargets(config).length > 0,
    telemetry: config.telemetry.backend !== undefined,
  };
}

/** The archive buckets the stack declares: each exists only while something writes to it. */
export function archivePurposes(config: CapabilityInput): BucketPurpose[] {
  const on = capabilitiesOf(config);
  return [...(on.thanos ? (["metrics"] as const) : []), ...(on.logging ? (["logs"] as const) : []), ...(on.backups ? (["backups"] as const) : [])];
}

/** The config key that switches each capability, or what turns it on when no key does. */
const SWITCH: Record<Capability, { key?: string[]; what: string }> = {
  metrics: { what: "Prometheus, Alertmanager, Grafana (always on)" },
  thanos: { key: ["metrics", "thanos", "enabled"], what: "Thanos and the metrics bucket" },
  pushgateway: { key: ["metrics", "pushgateway", "enabled"], what: "the Pushgateway" },
  logging: { key: ["logging", "enabled"], what: "Loki, the log collector and the logs bucket" },
  snapshots: { key: ["storage", "snapshots", "enabled"], what: "daily EBS snapshots (DLM)" },
  backups: { what: "backup jobs, drills and the backups bucket" },
  telemetry: { key: ["telemetry", "backend"], what: "the OpenFinOps telemetry contract" },
};

export interface CapabilityLine {
  capability: Capability;
  on: boolean;
  /** Who decided: the stack (it wrote the switch), the profile (its default), or what it follows. */
  by: string;
  what: string;
}

/**
 * The capabilities with their provenance, for the plan's header. `wrote` says whether the stack file set a key
 * (infra/config/defaults.ts `stackWrote`).
 */
export function capabilityLines(config: CapabilityInput & { profile: string }, wrote: (path: string[]) => boolean): CapabilityLine[] {
  const on = capabilitiesOf(config);
  return CAPABILITIES.map((capability) => {
    const { key, what } = SWITCH[capability];
    let by: string;
    if (capability === "metrics") by = "always";
    else if (capability === "snapshots" && config.cloud !== "aws") by = "cloud hcloud (Hetzner volumes have no snapshots)";
    else if (capability === "backups") {
      const targets = allBackupTargets(config);
      by = targets.length > 0 ? `${targets.length} backup target(s): ${targets.map((t) => t.name).join(", ")}` : "no backup target";
    } else if (capability === "telemetry") by = on.telemetry ? `the stack (telemetry.backend ${config.telemetry.backend})` : "telemetry.backend not set";
    else by = wrote(key!) ? `the stack (${key!.join(".")})` : `the ${config.profile} profile`;
    return { capability, on: on[capability], by, what };
  });
}

import type { LoadedConfig } from "./config/load";
import type { OffsiteDestination } from "../components/archive/offsiteCopy";
import { OFFSITE_COPY_DEFAULT_SCHEDULE } from "../components/archive/offsiteCopySettings";

/**
 * What the stack's archive.offsiteCopy resolves to, from config alone: read by the providers (the destination's
 * store), the archive area (its bucket), the copy's CronJob and the restorability matrix.
 */

type ArchiveOf = Pick<LoadedConfig["config"], "archive">;

/** The destination with its region filled in, and the schedule; undefined without a copy. */
export function offsiteCopyPlan(config: ArchiveOf): { destination: OffsiteDestination; schedule: string } | undefined {
  const c = config.archive.offsiteCopy;
  if (!c) return undefined;
  return {
    // Validated: `aws` and `hetzner` name their region; an S3-compatible store defaults to us-east-1 as the archive does.
    destination: { provider: c.provider, bucket: c.bucket, region: c.region ?? "us-east-1", ...(c.endpoint ? { endpoint: c.endpoint } : {}) },
    schedule: c.schedule ?? OFFSITE_COPY_DEFAULT_SCHEDULE,
  };
}

/** Whether Strata declares the destination bucket (archive.offsiteCopy.manage `create` or `adopt`; default `external`). */
export function offsiteCopyManaged(config: ArchiveOf): boolean {
  return (config.archive.offsiteCopy?.manage ?? "external") !== "external";
}

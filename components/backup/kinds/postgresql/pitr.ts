import { IMAGES, type ImagePin } from "../../../versions";
import { env, resources, runtimeJob, type Recipe } from "../../containers";
import { pitrSettings, type PitrSettings } from "../../pitr";
import type { TargetOf } from "../driver";
import { libpqEnv, POSTGRES_UID } from "./shared";

/** The pinned postgres image of a PITR target's server major version (physical backups need the same major). */
export function pitrPostgresImage(settings: PitrSettings): ImagePin {
  switch (settings.serverMajorVersion) {
    case 15:
      return IMAGES.postgres15;
    default:
      throw new Error(`no pinned postgres image for major version ${settings.serverMajorVersion}`);
  }
}

/** The message of a PITR phase asked of a target without PITR (or of another kind: cronJob.ts says the same). */
export const pitrRequired = (name: string) => `backup target ${name}: PITR jobs need kind postgresql with pitr.enabled`;

function requirePitr(t: TargetOf<"postgresql">): PitrSettings {
  const settings = pitrSettings(t);
  if (!settings) throw new Error(pitrRequired(t.name));
  return settings;
}

/** The runtime's basebackup: pg_basebackup streamed to the archive, verified by pg_verifybackup before it completes. */
export function baseBackupRecipe(t: TargetOf<"postgresql">): Recipe {
  const settings = requirePitr(t);
  return runtimeJob(POSTGRES_UID, "basebackup", { image: pitrPostgresImage(settings), env: libpqEnv(t), resources: resources("600m", "768Mi", "2") }, { compression: "zstd", fsGroup: POSTGRES_UID });
}

/** The runtime's pitr-restore with PITR_TARGET=drill: the newest base backup replayed to a commit inside the window. */
export function pitrDrillRecipe(t: TargetOf<"postgresql">): Recipe {
  const settings = requirePitr(t);
  return runtimeJob(
    POSTGRES_UID,
    "pitr-restore",
    { image: pitrPostgresImage(settings), resources: resources("1", "2304Mi", "2") },
    { compression: "zstd", fsGroup: POSTGRES_UID, env: [env("PITR_TARGET", "drill"), env("PITR_DRILL_WINDOW_SECONDS", settings.targetTimeWindowHours * 3600)] },
  );
}

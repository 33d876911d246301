import { IMAGES, type ImagePin } from "../../../versions";
import { dumpThenUpload, env, resources, S3, type Recipe } from "../../containers";
import { pitrSettings, type PitrSettings } from "../../pitr";
import type { TargetOf } from "../driver";
import { libpqEnv, POSTGRES_UID } from "./shared";
import { PHASES } from "../../contract";

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

/** backup.sh with PG_BACKUP_METHOD=basebackup: pg_basebackup streamed, verified by pg_verifybackup, uploaded. */
export function baseBackupRecipe(t: TargetOf<"postgresql">): Recipe {
  const settings = requirePitr(t);
  return dumpThenUpload(
    POSTGRES_UID,
    { image: pitrPostgresImage(settings), env: libpqEnv(t), resources: resources("500m", "512Mi", "2") },
    { compression: "zstd", fsGroup: POSTGRES_UID, env: [env("PG_BACKUP_METHOD", "basebackup")] },
  );
}

/** pitr-restore.sh with PITR_TARGET=drill: the newest base backup replayed to a commit inside the window. */
export function pitrDrillRecipe(t: TargetOf<"postgresql">): Recipe {
  const settings = requirePitr(t);
  return {
    compression: "zstd",
    fsGroup: POSTGRES_UID,
    env: [env("PITR_TARGET", "drill"), env("PITR_DRILL_WINDOW_SECONDS", settings.targetTimeWindowHours * 3600)],
    containers: [
      S3("fetch", ["pitr-restore.sh", PHASES.pitrRestore.fetch], POSTGRES_UID),
      { name: "restore", image: pitrPostgresImage(settings), args: ["pitr-restore.sh", PHASES.pitrRestore.restore], resources: resources("1", "2Gi", "2"), runAsUser: POSTGRES_UID },
    ],
  };
}

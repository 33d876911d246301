import { IMAGES } from "../../../versions";
import { dumpThenUpload, env, fetchThenRestore, resources } from "../../containers";
import type { KindDriver } from "../driver";
import { baseBackupRecipe, pitrDrillRecipe } from "./pitr";
import { libpqEnv, POSTGRES_UID } from "./shared";
import { TIMESCALEDB_DRILL, timescaledbDrillRecipe } from "./timescaledb";

export { pitrPostgresImage } from "./pitr";

/** PostgreSQL: a logical pg_dump each day; with `pitr`, base backups, a WAL receiver and point-in-time drills. */
export const postgresql: KindDriver<"postgresql"> = {
  kind: "postgresql",
  artifact: { format: "pg_dump-custom", extension: "pgdump" },
  backup: (t) =>
    dumpThenUpload(
      POSTGRES_UID,
      { image: IMAGES.postgres15, env: libpqEnv(t), resources: resources("500m", "512Mi", "2") },
      // The TimescaleDB drill image has no zstd; gzip is in every image both sides use.
      { compression: t.timescaledb ? "gzip" : "zstd", fsGroup: POSTGRES_UID },
    ),
  drill: (t) =>
    t.timescaledb
      ? timescaledbDrillRecipe()
      : fetchThenRestore(POSTGRES_UID, { image: IMAGES.postgres15, env: [env("RESTORE_JOBS", 2)], resources: resources("1", "2Gi", "2") }, { compression: "zstd", fsGroup: POSTGRES_UID }),
  phase: (phase, t) => (phase === "basebackup" ? baseBackupRecipe(t) : pitrDrillRecipe(t)),
  drillProves: { restores: "pg_restore -j into a throwaway PostgreSQL, row counts per table", realRestore: true },
  drillOfTarget: (t) => (t.timescaledb === true ? TIMESCALEDB_DRILL : undefined),
  integrationSuite: { file: "test/integration/backup-postgresql.test.ts" },
  // The backup relative to the data it protects: pg_dump custom format (compressed) ~ 1/4 of the database on disk
  // (indexes are not dumped, only their definitions).
  capacity: { dumpRatio: 0.25 },
};

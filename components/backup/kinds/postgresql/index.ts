import { IMAGES } from "../../../versions";
import { env, resources, runtimeJob } from "../../containers";
import { POSTGRESQL_ARTIFACT } from "./artifact";
import type { KindDriver } from "../driver";
import { baseBackupRecipe, pitrDrillRecipe } from "./pitr";
import { libpqEnv, POSTGRES_UID } from "./shared";
import { TIMESCALEDB_DRILL, timescaledbDrillRecipe } from "./timescaledb";

export { pitrPostgresImage } from "./pitr";

/** PostgreSQL: a logical pg_dump each day; with `pitr`, base backups, a WAL receiver and point-in-time drills. */
export const postgresql: KindDriver<"postgresql"> = {
  kind: "postgresql",
  artifact: POSTGRESQL_ARTIFACT,
  // One container: the runtime supervises pg_dump and streams it to the archive (its memory is node's, up to 256 MiB,
  // beside pg_dump's). A TimescaleDB database dumps the same way (pg_dump of the extension's catalog and chunks).
  backup: (t) => runtimeJob(POSTGRES_UID, "backup", { image: IMAGES.postgres15, env: libpqEnv(t), resources: resources("600m", "768Mi", "2") }, { compression: "zstd", fsGroup: POSTGRES_UID }),
  // The throwaway server's 2 GiB and the runtime's 256 MiB; TimescaleDB's in its own image (timescaledb.ts).
  drill: (t) =>
    t.timescaledb
      ? timescaledbDrillRecipe()
      : runtimeJob(POSTGRES_UID, "drill", { image: IMAGES.postgres15, env: [env("RESTORE_JOBS", 2)], resources: resources("1", "2304Mi", "2") }, { compression: "zstd", fsGroup: POSTGRES_UID }),
  phase: (phase, t) => (phase === "basebackup" ? baseBackupRecipe(t) : pitrDrillRecipe(t)),
  drillProves: { restores: "pg_restore -j into a throwaway PostgreSQL, row counts per table", realRestore: true },
  drillOfTarget: (t) => (t.timescaledb === true ? TIMESCALEDB_DRILL : undefined),
  integrationSuite: { file: "test/integration/backup-postgresql.test.ts" },
  // The backup relative to the data it protects: pg_dump custom format (compressed) ~ 1/4 of the database on disk
  // (indexes are not dumped, only their definitions).
  capacity: { dumpRatio: 0.25 },
};

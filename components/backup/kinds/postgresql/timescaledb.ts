import { IMAGES } from "../../../versions";
import { env, fetchThenRestore, resources, type Recipe } from "../../containers";
import { POSTGRES_UID } from "./shared";

/** The TimescaleDB image's postgres user (Alpine): uid 70, sharing the scratch volume through the pod's fsGroup. */
export const TIMESCALEDB_UID = 70;

/**
 * TimescaleDB's own restore steps around a single-job pg_restore (its catalog is restored in dump order). The drill
 * image has no zstd, so a timescaledb target's backups are gzip (see the postgresql driver's backup).
 */
export const timescaledbDrillRecipe = (): Recipe =>
  fetchThenRestore(
    POSTGRES_UID,
    { image: IMAGES.timescaledb15, env: [env("RESTORE_JOBS", 1), env("PG_TIMESCALEDB", 1)], resources: resources("1", "2Gi", "2") },
    { compression: "gzip", fsGroup: POSTGRES_UID },
    TIMESCALEDB_UID,
  );

/**
 * A postgresql target with `timescaledb: true`: its drill runs the TimescaleDB image and the extension's own restore
 * steps, which no suite here runs, since TimescaleDB is not installed on this machine (only plain PostgreSQL 15 is).
 */
export const TIMESCALEDB_DRILL = {
  restores: "pg_restore into a throwaway TimescaleDB (timescale/timescaledb, docs/versions.md) between timescaledb_pre_restore() and timescaledb_post_restore(), row counts per table",
  notTested: "TimescaleDB is not installed on this machine: the drill's TimescaleDB image and restore steps are not tested for real here (test/integration/backup-postgresql.test.ts runs plain PostgreSQL 15)",
} as const;

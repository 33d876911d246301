import { IMAGES } from "../../../versions";
import { env, resources, runtimeJob, type Recipe } from "../../containers";

/** The TimescaleDB image's postgres user (Alpine): uid 70, owner of the scratch volume through the pod's fsGroup. */
export const TIMESCALEDB_UID = 70;

/**
 * The runtime's PostgreSQL drill (components/backup/kinds/postgresql/runtime.ts) in the TimescaleDB image, with node's
 * musl build copied in (the image is Alpine: IMAGES.timescaledb15's libc): the throwaway server preloads the extension
 * and the restore runs TimescaleDB's own steps around a single-job pg_restore (its catalog is restored in dump order).
 * The runtime decompresses, so backups written as gzip before it still drill, and new ones are zstd.
 */
export const timescaledbDrillRecipe = (): Recipe =>
  runtimeJob(
    TIMESCALEDB_UID,
    "drill",
    { image: IMAGES.timescaledb15, env: [env("RESTORE_JOBS", 1), env("PG_TIMESCALEDB", 1)], resources: resources("1", "2304Mi", "2") },
    { compression: "zstd", fsGroup: TIMESCALEDB_UID },
  );

/**
 * A postgresql target with `timescaledb: true`: its drill runs the TimescaleDB image and the extension's own restore
 * steps, which no suite here runs, since TimescaleDB is not installed on this machine (only plain PostgreSQL 15 is).
 */
export const TIMESCALEDB_DRILL = {
  restores: "pg_restore into a throwaway TimescaleDB (timescale/timescaledb, docs/versions.md) between timescaledb_pre_restore() and timescaledb_post_restore(), row counts per table",
  notTested:
    "TimescaleDB is not installed on this machine, nor is an Alpine system: the drill's TimescaleDB image, its restore steps and node's musl build in it are not tested for real here (test/integration/backup-postgresql.test.ts runs the same runtime drill on plain PostgreSQL 15, PG_TIMESCALEDB=1's steps aside)",
} as const;

import { env, secretEnv } from "../../containers";
import type { TargetOf } from "../driver";

/** The postgres image's own user (Debian images), owner of the scratch volume through the pod's fsGroup. */
export const POSTGRES_UID = 999;

/** Libpq settings of a postgresql target (the role needs REPLICATION for the physical phases). */
export const libpqEnv = (t: TargetOf<"postgresql">) => [
  env("PGHOST", t.host),
  env("PGPORT", t.port ?? 5432),
  env("PGDATABASE", t.database),
  env("PGUSER", t.user),
  secretEnv("PGPASSWORD", t.passwordSecret),
];

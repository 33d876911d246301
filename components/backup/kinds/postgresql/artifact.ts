/** The stored object of a PostgreSQL logical backup, as the manifest records it (the plan's driver and the runtime's). */
export const POSTGRESQL_ARTIFACT = { format: "pg_dump-custom", extension: "pgdump" } as const;

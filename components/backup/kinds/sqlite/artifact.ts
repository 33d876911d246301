/** The stored object of a SQLite backup, as the manifest records it (the plan's driver and the runtime's). */
export const SQLITE_ARTIFACT = { format: "sqlite3-database", extension: "sqlite3" } as const;

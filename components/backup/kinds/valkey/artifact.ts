/** The stored object of a Valkey backup, as the manifest records it (the plan's driver and the runtime's). */
export const VALKEY_ARTIFACT = { format: "valkey-rdb", extension: "rdb" } as const;

/** The stored object of a MongoDB backup, as the manifest records it (the plan's driver and the runtime's). */
export const MONGODB_ARTIFACT = { format: "mongodump-archive", extension: "archive" } as const;

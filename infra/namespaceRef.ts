export type NamespaceRole = "monitoring" | "logging" | "backups";

/** A namespace something is declared in: one of Strata's own, by role, or an application's, by name. */
export type NamespaceRef = { role: NamespaceRole } | { application: string };

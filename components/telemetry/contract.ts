/**
 * The contract between Strata and the OpenFinOps application: the environment its telemetry store reads. Pure.
 * Plain settings go to a ConfigMap; the database URL (which carries the password for PostgreSQL) only to a Secret.
 */

export type TelemetryBackend = "memory" | "sqlite" | "postgresql" | "timescaledb";

export interface TelemetryContractInput {
  backend: TelemetryBackend;
  retentionDays: number;
  batchSize: number;
  batchIntervalSeconds: number;
  enableCompression: boolean;
  maxMemoryEntries: number;
  sqlite?: { path: string };
  database?: { host: string; port: number; name: string; user: string; sslMode: string };
}

/** Name of the contract's ConfigMap and Secret in the application's namespace. */
export const CONTRACT_NAME = "openfinops-telemetry";
/** Name of the claim that holds a SQLite store (backend `sqlite`), beside them. */
export const SQLITE_CLAIM_NAME = `${CONTRACT_NAME}-sqlite`;

/**
 * The labels of the contract's objects, and the ones the pod that writes a SQLite store is expected to carry unless
 * config names others (`telemetry.sqlite.writerSelector`): the backup job finds the ReadWriteOnce claim's node by
 * them.
 */
export const TELEMETRY_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "openfinops", "app.kubernetes.io/component": "telemetry" };

/** Keys of the contract Secret; everything else is in the ConfigMap. */
export const SECRET_CONTRACT_KEYS = ["OPENFINOPS_DB_URL"] as const;

export function telemetryConfigMapData(c: TelemetryContractInput): Record<string, string> {
  const data: Record<string, string> = {
    OPENFINOPS_BACKEND: c.backend,
    OPENFINOPS_RETENTION_DAYS: String(c.retentionDays),
    OPENFINOPS_BATCH_SIZE: String(c.batchSize),
    OPENFINOPS_BATCH_INTERVAL_SECONDS: String(c.batchIntervalSeconds),
    OPENFINOPS_ENABLE_COMPRESSION: String(c.enableCompression),
    OPENFINOPS_MAX_MEMORY_ENTRIES: String(c.maxMemoryEntries),
  };
  if (c.sqlite) data.OPENFINOPS_SQLITE_PATH = c.sqlite.path;
  if (c.database) {
    // Non-secret parts of the URL, for tools and dashboards that should not read the Secret.
    data.OPENFINOPS_DB_HOST = c.database.host;
    data.OPENFINOPS_DB_PORT = String(c.database.port);
    data.OPENFINOPS_DB_NAME = c.database.name;
    data.OPENFINOPS_DB_USER = c.database.user;
    data.OPENFINOPS_DB_SSLMODE = c.database.sslMode;
  }
  return data;
}

/**
 * The database URL the application connects with, or undefined for `memory`. SQLite uses the absolute-path form
 * (`sqlite:////var/...`); TimescaleDB is reached with the PostgreSQL scheme, as libpq and every driver expect.
 */
export function telemetryDbUrl(c: TelemetryContractInput, password: string | undefined): string | undefined {
  switch (c.backend) {
    case "memory":
      return undefined;
    case "sqlite":
      if (!c.sqlite) throw new Error("backend sqlite needs a database path");
      return `sqlite:///${c.sqlite.path}`;
    case "postgresql":
    case "timescaledb": {
      if (!c.database || password === undefined) throw new Error(`backend ${c.backend} needs a database and a password`);
      const d = c.database;
      return `postgresql://${encodeURIComponent(d.user)}:${encodeURIComponent(password)}@${d.host}:${d.port}/${encodeURIComponent(d.name)}?sslmode=${d.sslMode}`;
    }
  }
}

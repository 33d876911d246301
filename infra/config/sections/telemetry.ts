import { z } from "zod";
import type { RefinementCtx } from "zod";
import { HCLOUD_MIN_VOLUME_GIB } from "./metrics";
import { podSelector, writerFsGroup } from "./podSelector";
import { TELEMETRY_LABELS } from "../../../components/telemetry/contract";

export const TELEMETRY_BACKENDS = ["memory", "sqlite", "postgresql", "timescaledb"] as const;
export type TelemetryBackend = (typeof TELEMETRY_BACKENDS)[number];
/** Backends that keep data in a PostgreSQL database (TimescaleDB is a PostgreSQL extension). */
export const POSTGRES_BACKENDS: readonly TelemetryBackend[] = ["postgresql", "timescaledb"];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A DNS name (in-cluster Service or external endpoint) or an IPv4 address.
const HOST = /^(([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*|\d{1,3}(\.\d{1,3}){3})$/;
// PostgreSQL identifiers Strata is willing to put in a URL unquoted.
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
// A file in a directory (the claim is mounted at the directory), with no `.` or `..` segments.
const ABSOLUTE_PATH = /^(\/(?!\.\.?(\/|$))[A-Za-z0-9._-]+){2,}$/;

export const telemetrySection = {
  telemetry: z
    .strictObject({
      backend: z
        .enum(TELEMETRY_BACKENDS)
        .optional()
        .describe("Where OpenFinOps keeps telemetry; unset (the default), Strata declares nothing for telemetry: `memory` (lost on restart), `sqlite` (a file on a Retain volume), `postgresql` or `timescaledb` (a role on the environment's PostgreSQL)."),
      namespace: z
        .string()
        .regex(DNS1123_LABEL, "must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
        .describe("Namespace of the OpenFinOps application (created by its own stack); the contract ConfigMap and Secret, and the SQLite claim, are declared there.").meta({ examples: ["openfinops"] }),
      retentionDays: z.number().int().min(1).max(3650).describe("Days the application keeps telemetry before pruning it (`OPENFINOPS_RETENTION_DAYS`)."),
      batchSize: z.number().int().min(1).max(10000).describe("Entries written per batch (`OPENFINOPS_BATCH_SIZE`); at most maxMemoryEntries."),
      batchIntervalSeconds: z.number().int().min(1).max(3600).describe("Seconds between batch flushes (`OPENFINOPS_BATCH_INTERVAL_SECONDS`)."),
      enableCompression: z.boolean().describe("Compress older telemetry chunks; only TimescaleDB has native compression."),
      maxMemoryEntries: z.number().int().min(100).max(10_000_000).describe("Entries the application buffers in memory (the whole store for `memory`)."),
      writers: z.number().int().min(1).max(64).describe("Application replicas that write telemetry; SQLite allows exactly one writer."),
      sqlite: z
        .strictObject({
          sizeGiB: z.number().int().min(1).max(1024).describe("Size of the SQLite volume."),
          path: z
            .string()
            .regex(ABSOLUTE_PATH, "must be an absolute, normalised file path below a directory (no `.` or `..` segments), such as /var/lib/openfinops/telemetry.db")
            .describe("Path of the database file inside the application's container; its directory is where the claim is mounted.").meta({ examples: ["/var/lib/openfinops/telemetry.db"] }),
          writerSelector: podSelector(
            `Labels of the OpenFinOps pod that writes the database (it mounts the claim), which the telemetry backup job is scheduled beside; default \`${JSON.stringify({ matchLabels: TELEMETRY_LABELS })}\`, published as the \`telemetry.sqlite.writerLabels\` output.`,
          ).optional(),
          writerFsGroup: writerFsGroup("The writer pod's fsGroup: the backup job's dump container joins it, to read database files that are not world-readable."),
        })
        .nullable()
        .optional()
        .describe("backend `sqlite` only: the volume that holds the database file (null drops a profile's default)."),
      database: z
        .strictObject({
          host: z.string().regex(HOST, "must be a DNS name or an IPv4 address").describe("Host of the environment's PostgreSQL.").meta({ examples: ["postgres.platform.svc.cluster.local"] }),
          port: z.number().int().min(1).max(65535).describe("Port of the environment's PostgreSQL."),
          name: z.string().regex(PG_IDENTIFIER, "must be a lowercase PostgreSQL identifier").describe("Database OpenFinOps writes to.").meta({ examples: ["openfinops"] }),
          user: z.string().regex(PG_IDENTIFIER, "must be a lowercase PostgreSQL identifier").describe("Dedicated role of OpenFinOps; its password is the secret `strata:telemetryDbPassword`.").meta({ examples: ["openfinops"] }),
          sslMode: z.enum(["require", "verify-ca", "verify-full"]).describe("libpq sslmode; plaintext modes are not offered."),
        })
        .nullable()
        .optional()
        .describe("backend `postgresql`/`timescaledb` only: where the telemetry database lives (null drops a profile's default)."),
    })
    .describe("Telemetry persistence of the OpenFinOps application (seed 002): Strata provisions what the backend needs and publishes the contract."),
  telemetryDbPassword: z
    .string()
    .min(12, "must be at least 12 characters")
    .optional()
    .describe("Secret. Password of the telemetry database role (`telemetry.database.user`); required for `postgresql` and `timescaledb`."),
};

export type TelemetryConfig = z.infer<typeof telemetrySection.telemetry>;

/** Each backend gets exactly the settings it uses: anything else would be silently ignored, so it is an error. */
export function checkTelemetry(t: TelemetryConfig, password: string | undefined, cloud: "aws" | "hcloud", ctx: RefinementCtx): void {
  const issue = (path: (string | number)[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
  if (t.batchSize > t.maxMemoryEntries) {
    issue(["telemetry", "batchSize"], t.batchSize, `must be <= telemetry.maxMemoryEntries (${t.maxMemoryEntries}): a batch is buffered in memory before it is written`);
  }
  if (t.backend === undefined) {
    // Nothing is declared for telemetry: settings that only a backend reads would be silently ignored.
    if (t.sqlite) issue(["telemetry", "sqlite"], t.sqlite, "is only used with telemetry.backend `sqlite`: set strata:telemetry.backend (memory, sqlite, postgresql or timescaledb) or drop it");
    if (t.database) issue(["telemetry", "database"], t.database, "is only used with telemetry.backend `postgresql` or `timescaledb`: set strata:telemetry.backend or drop it");
    if (password !== undefined) issue(["telemetryDbPassword"], undefined, "is only used with telemetry.backend `postgresql` or `timescaledb`: set strata:telemetry.backend or drop it");
    return;
  }
  const postgres = POSTGRES_BACKENDS.includes(t.backend);
  if (t.enableCompression && t.backend !== "timescaledb") {
    issue(["telemetry", "enableCompression"], t.enableCompression, `is only supported with backend \`timescaledb\` (native compression), not \`${t.backend}\``);
  }
  if (t.backend === "sqlite" && t.writers !== 1) {
    issue(["telemetry", "writers"], t.writers, "must be 1 with backend `sqlite`: SQLite allows one writer, and the volume mounts on one node (ReadWriteOnce)");
  }
  if (t.backend === "sqlite") {
    if (!t.sqlite) issue(["telemetry", "sqlite"], undefined, "is required with backend `sqlite` (volume size and database path)");
    else if (cloud === "hcloud" && t.sqlite.sizeGiB < HCLOUD_MIN_VOLUME_GIB) {
      issue(["telemetry", "sqlite", "sizeGiB"], t.sqlite.sizeGiB, `must be >= ${HCLOUD_MIN_VOLUME_GIB} on hcloud: the Hetzner CSI driver's minimum volume size`);
    }
  } else if (t.sqlite) {
    issue(["telemetry", "sqlite"], t.sqlite, `is only used with backend \`sqlite\`, not \`${t.backend}\` (set it to null to drop the profile's default)`);
  }
  if (postgres) {
    if (!t.database) issue(["telemetry", "database"], undefined, `is required with backend \`${t.backend}\` (host, port, name, user, sslMode)`);
    if (password === undefined) issue(["telemetryDbPassword"], undefined, `is required with backend \`${t.backend}\` (set it with \`pulumi config set --secret strata:telemetryDbPassword\`)`);
  } else {
    if (t.database) issue(["telemetry", "database"], t.database, `is only used with backends \`postgresql\` and \`timescaledb\`, not \`${t.backend}\` (set it to null to drop the profile's default)`);
    if (password !== undefined) issue(["telemetryDbPassword"], undefined, `is only used with backends \`postgresql\` and \`timescaledb\`, not \`${t.backend}\``);
  }
}

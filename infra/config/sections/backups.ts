import { z } from "zod";
import type { RefinementCtx } from "zod";
import { podSelector, writerFsGroup } from "./podSelector";
import { pinnedImage } from "./image";

import { cronScheduleProblem } from "../../../components/backup/cron";
import { BACKUP_KINDS, MAX_SCRATCH_GIB, type BackupKind, type BackupTargetSpec, type PitrSpec } from "../../../components/backup/targetSpec";
export { BACKUP_KINDS, MAX_SCRATCH_GIB, type BackupKind };

// Target names become object key prefixes, Kubernetes names and IAM role names: a short DNS label.
const TARGET_NAME = /^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
// A PersistentVolumeClaim name: a DNS-1123 subdomain.
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;


/** A CronJob schedule, accepted and refused exactly as Kubernetes does (components/backup/cron.ts). */
const cronSchedule = (what: string) =>
  z
    .string()
    .superRefine((schedule, ctx) => {
      const problem = cronScheduleProblem(schedule);
      if (problem) ctx.addIssue({ code: "custom", message: `${problem} (write five fields such as \`15 2 * * *\`, or a macro such as \`@daily\`; UTC)` });
    })
    .optional()
    .describe(what);

const secretKeyRef = (what: string) =>
  z
    .strictObject({
      name: z.string().regex(DNS_LABEL, "must be a Secret name").describe("Secret in the backups namespace.").meta({ examples: ["orders-db-backup"] }),
      key: z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key").describe("Key in that Secret.").meta({ examples: ["password"] }),
    })
    .describe(what);

const common = {
  name: z.string().regex(TARGET_NAME, "must be a DNS label of at most 32 characters").describe("Target name: its key prefix in the backups bucket and the name of its jobs and identities.").meta({ examples: ["orders-db"] }),
  schedule: cronSchedule("Backup schedule (UTC); default daily at 02:MM with MM staggered per target."),
  drillSchedule: cronSchedule("Restore-drill schedule (UTC); default monthly, staggered per target."),
  scratchSizeGiB: z.number().int().min(1).max(MAX_SCRATCH_GIB).optional().describe("Size limit of the job's scratch space in GiB (default 10)."),
  protectsClaims: z
    .array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,56}[a-z0-9])?$/, "must be a service name of strata:storage.claims"))
    .max(50)
    .optional()
    .describe("Services of strata:storage.claims whose data this target backs up (the restorability matrix counts the claim as protected); a target named after the service protects its claim without this."),
};

/**
 * Why a path inside a claim is unusable, or undefined: it must stay inside the claim (relative, normalised, no
 * `..`), name a file, and name the database rather than one of SQLite's side files beside it.
 */
export function claimFilePathProblem(path: string): string | undefined {
  if (path.startsWith("/")) return "must be relative to the claim's root (no leading `/`): the job mounts the claim itself";
  const segments = path.split("/");
  if (segments.some((s) => s === "")) return "must name a file: no empty segments (`//`) and no trailing `/`";
  if (segments.some((s) => s === "." || s === "..")) return "must be normalised: no `.` or `..` segments (`..` would leave the claim)";
  if (segments.some((s) => !PATH_SEGMENT.test(s))) return "may hold only letters, digits, `.`, `_` and `-` in each `/`-separated segment";
  if (/-(wal|shm|journal)$/.test(path)) return "names one of SQLite's side files (-wal, -shm, -journal): name the database file itself";
  return undefined;
}

const claimFilePath = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((path, ctx) => {
    const problem = claimFilePathProblem(path);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** The PostgreSQL major versions PITR has a pinned server image for (components/versions.ts). */
export const PITR_SERVER_MAJOR_VERSIONS = [15] as const;

/**
 * Point-in-time recovery of a postgresql target (components/backup/runtime/README.md, "PITR"): a WAL receiver on a
 * replication slot, physical base backups, and point-in-time drills. The logical dump keeps running beside it.
 */
export const pitrConfig = z
  .strictObject({
    enabled: z.boolean().describe("Run the WAL receiver, the base backups and the point-in-time drills for this target."),
    rpoSeconds: z
      .number()
      .int()
      .min(30, "must be at least 30: the receiver stages and uploads WAL every rpoSeconds/4, and S3 requests have their own latency")
      .max(3600)
      .optional()
      .describe("Recovery point objective in seconds (default 60): the current partial WAL segment goes to S3 every rpoSeconds/4, and an alert fires when the archive is further behind than this."),
    baseBackupSchedule: cronSchedule("Base backup schedule (UTC); default daily at 01:MM, MM staggered per target. Replay time after a restore grows with the WAL since the newest base backup."),
    drillSchedule: cronSchedule("Point-in-time drill schedule (UTC); default daily at 05:MM, staggered per target."),
    targetTimeWindowHours: z.number().int().min(1).max(8760).optional().describe("The drill restores to a commit picked at random within this many hours before it runs, after the newest base backup (default 24)."),
    serverMajorVersion: z
      .number()
      .int()
      .refine((v) => (PITR_SERVER_MAJOR_VERSIONS as readonly number[]).includes(v), `must be one of ${PITR_SERVER_MAJOR_VERSIONS.join(", ")}: PITR restores with the pinned postgres image of the server's own major version (components/versions.ts)`)
      .describe("The source server's PostgreSQL major version: the receiver, base backup and drill run that version's pinned postgres image (physical backups restore only on the same major version)."),
    receiverVolumeGiB: z.number().int().min(1).max(1024).optional().describe("Size of the WAL receiver's Retain claim in GiB (default 10): WAL waits there while S3 is unreachable."),
    maxRetainedWalGiB: z.number().min(1).max(10240).optional().describe("Alert when the server keeps more WAL than this for the receiver's slot (default 8); set the server's max_slot_wal_keep_size above it."),
  })
  .describe("Point-in-time recovery: continuous WAL to S3 and physical base backups (off unless enabled).");

export type PitrConfig = z.infer<typeof pitrConfig>;

export const backupTarget = z.discriminatedUnion("kind", [
  z.strictObject({
    ...common,
    kind: z.literal("postgresql"),
    host: z.string().regex(HOST, "must be a host name").describe("PostgreSQL host (a Service DNS name).").meta({ examples: ["orders-db.orders.svc.cluster.local"] }),
    port: z.number().int().min(1).max(65535).optional().describe("PostgreSQL port (default 5432)."),
    database: z.string().min(1).max(63).describe("Database to dump.").meta({ examples: ["orders"] }),
    user: z.string().min(1).max(63).describe("Role the dump connects as (needs read access to every table).").meta({ examples: ["backup"] }),
    passwordSecret: secretKeyRef("The role's password."),
    pitr: pitrConfig.optional(),
    timescaledb: z
      .boolean()
      .optional()
      .describe("The database uses the TimescaleDB extension: the drill restores into the pinned TimescaleDB image (docs/versions.md) between `timescaledb_pre_restore()` and `timescaledb_post_restore()` (default false)."),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("mongodb"),
    uriSecret: secretKeyRef("The MongoDB connection URI (with credentials)."),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("prometheus-snapshot"),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("rabbitmq-definitions"),
    url: z.string().url().regex(/^https?:\/\//, "must be an http(s) URL").describe("Management API base URL.").meta({ examples: ["http://rabbitmq.messaging.svc:15672"] }),
    user: z.string().min(1).describe("Management API user.").meta({ examples: ["backup"] }),
    passwordSecret: secretKeyRef("The management user's password."),
    drillImage: pinnedImage()
      .optional()
      .describe("The RabbitMQ image the drill's throwaway broker runs (rabbitmq-server, rabbitmqctl and epmd, on glibc: the runtime's node, copied in, is glibc's); default the pinned official `rabbitmq` image. Use the broker's own major version: a 4.x broker rejects some 3.x definitions (classic mirroring policies)."),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("valkey"),
    host: z.string().regex(HOST, "must be a host name").describe("Valkey (or Redis) host: a Service DNS name; the backup connects to it as a replica would (`valkey-cli --rdb`), so the user needs SYNC.").meta({ examples: ["valkey.cache.svc.cluster.local"] }),
    port: z.number().int().min(1).max(65535).optional().describe("Valkey port (default 6379)."),
    // Optional: Valkey's own default is no AUTH (its charts often leave it to NetworkPolicies), and such a server
    // must be protectable too; when the server has a password, the backup reads it from this Secret.
    passwordSecret: secretKeyRef("The default user's password (AUTH); leave out for a server without one.").optional(),
    memoryGiB: z.number().int().min(1).max(256).optional().describe("Memory of the dump and drill containers in GiB (default 2): their throwaway server loads the whole RDB, so at least the server's `used_memory`."),
    databases: z.number().int().min(1).max(1024).optional().describe("The server's `databases` setting (default 16): the throwaway servers that count and restore the RDB need at least as many."),
    image: pinnedImage()
      .optional()
      .describe("Image of the dump and drill containers (valkey-cli and valkey-server, or the redis-* ones, on glibc: the runtime's node, copied in, is glibc's); default the pinned official `valkey` image. A server newer than it writes RDBs it cannot load: pin the server's version or newer."),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("sqlite"),
    namespace: z
      .string()
      .regex(DNS_LABEL, "must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
      .describe("Namespace of the application and its claim; the backup job, its ServiceAccount and a copy of the backup runtime's ConfigMap are declared there.")
      .meta({ examples: ["app"] }),
    claimName: z.string().regex(DNS_SUBDOMAIN, "must be a PersistentVolumeClaim name (a DNS-1123 subdomain)").describe("The ReadWriteOnce claim that holds the database file; the backup job mounts it read-only.").meta({ examples: ["app-data"] }),
    path: claimFilePath.describe("The database file inside the claim, relative to its root (e.g. `data/app.db`).").meta({ examples: ["data/app.db"] }),
    writerSelector: podSelector("Labels of the one pod that writes the database (it mounts the claim): the job must run on that pod's node, the only one where the ReadWriteOnce claim can be mounted."),
    writerFsGroup: writerFsGroup("The writer pod's fsGroup (the group Kubernetes gives the claim's files): the job's dump container joins it, to read files that are not world-readable."),
  }),
]);

export const backupsSection = {
  backups: z
    .strictObject({
      targets: z.array(backupTarget).max(200).describe("What Strata backs up; each target gets a backup CronJob, a restore drill, alerts and its own identities."),
    })
    .describe("Backups that are proven to restore."),
};

export type BackupTarget = z.infer<typeof backupTarget>;

// The schema validates into exactly what the backup components take (components/backup/targetSpec.ts): tsc fails
// here when either side gains or changes a field the other does not have.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemaMatchesComponents: Same<BackupTarget, BackupTargetSpec> & Same<PitrConfig, PitrSpec> = true;
void schemaMatchesComponents;
export type BackupsConfig = z.infer<typeof backupsSection.backups>;

/** The database an sqlite target reads, as one comparable string. */
const sqliteDatabase = (t: Extract<BackupTarget, { kind: "sqlite" }>) => `namespace ${t.namespace}, claim ${t.claimName}, file ${t.path}`;

/**
 * Rules over the list of targets: names are unique, none takes the name of a target Strata derives from other config
 * (`derived`), and no two sqlite targets back up the same database file (two jobs would copy it side by side).
 */
export function checkBackupTargets(targets: readonly BackupTarget[], derived: { from: string; targets: readonly BackupTarget[] }, ctx: RefinementCtx): void {
  const issue = (i: number, key: string, input: unknown, message: string) => ctx.addIssue({ code: "custom", path: ["backups", "targets", i, key], input, message });
  const derivedNames = new Set(derived.targets.map((t) => t.name));
  const names = new Set<string>();
  const databases = new Map<string, string>();
  for (const t of derived.targets) if (t.kind === "sqlite") databases.set(sqliteDatabase(t), `\`${t.name}\` (derived from ${derived.from})`);
  targets.forEach((t, i) => {
    if (names.has(t.name)) issue(i, "name", t.name, "must be unique among backup targets");
    else if (derivedNames.has(t.name)) issue(i, "name", t.name, `is the backup target Strata derives from ${derived.from}; choose another name`);
    names.add(t.name);
    if (t.kind !== "sqlite") return;
    const database = sqliteDatabase(t);
    const other = databases.get(database);
    if (other) issue(i, "path", t.path, `is the database target ${other} already backs up (${database}); one target per database`);
    else databases.set(database, `\`${t.name}\``);
  });
}

/**
 * What every run of the runtime reads from its environment, validated before anything else happens: a wrong value
 * ends the run with the contract's configuration status, naming the variable, what it held and what is allowed.
 * The plan sets these (components/backup/containers.ts archiveEnv, the kinds' drivers); runtime/README.md lists them.
 */
import { z } from "zod";
import { BACKUP_KINDS, TARGET_NAME_PATTERN, type BackupKind } from "../contract";
import { AGE_RECIPIENT_PATTERN } from "../encryption";
import { ConfigError } from "./errors";


export const optional = z
  .string()
  .optional()
  .transform((v) => (v === "" ? undefined : v));
const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** A setting without a default: absent or empty says "is required", with what it is for. */
export const requiredText = (what = "") => z.string({ error: `is required${what}` }).min(1, `is required${what}`);

/** The Pushgateway of a command that always reports (the archive's own jobs). */
export const requiredPushgatewayUrl = requiredText(" (e.g. http://pushgateway.monitoring:9091)").pipe(z.url({ error: "must be the Pushgateway's URL, e.g. http://pushgateway.monitoring:9091" }));

export const runEnvSchema = z.object({
  BACKUP_KIND: z.enum(BACKUP_KINDS, { error: `must be one of ${BACKUP_KINDS.join(", ")}` }),
  BACKUP_TARGET: requiredText().regex(TARGET_NAME_PATTERN, `must match ${TARGET_NAME_PATTERN.source}`),
  /** Scratch space of the pod (an emptyDir). */
  WORK_DIR: requiredText(" (the scratch directory, an emptyDir)"),
  /** How long the run may work before it gives up and reports (the Job's deadline less the time to report). */
  /** Absent only for the WAL receiver, which runs until it is stopped (main.ts requires it of every other command). */
  PHASE_WAIT_SECONDS: optional.pipe(z.string().regex(/^\d+$/, "must be a whole number of seconds").transform(Number).optional()),
  S3_BUCKET: requiredText(),
  S3_PREFIX: z.string().default(""),
  S3_ENDPOINT_URL: optional.pipe(z.url({ error: "must be a URL (http:// or https://)" }).optional()),
  S3_SSE_KMS_KEY_ID: optional,
  /** `false` on stores where server-side CopyObject may fail. */
  S3_SERVER_SIDE_COPY: z.enum(["true", "false"]).default("true"),
  AWS_REGION: requiredText(),
  /** Absent only for a real point-in-time restore, which reports to whoever runs it (main.ts requires it of the rest). */
  PUSHGATEWAY_URL: optional.pipe(z.url({ error: "must be the Pushgateway's URL, e.g. http://pushgateway.monitoring:9091" }).optional()),
  PUSH_TIMEOUT_SECONDS: seconds(15),
  BACKUP_COMPRESSION: z.enum(["zstd", "gzip", "none"]).default("zstd"),
  ZSTD_LEVEL: z.coerce.number().int().min(1).max(19).default(1),
  // `auto`: the image's zstd CLI where it has one (streams.ts says why), Node's zlib otherwise; `node`: Node's always.
  ZSTD_PROGRAM: z.enum(["auto", "node"]).default("auto"),
  GZIP_LEVEL: z.coerce.number().int().min(1).max(9).default(1),
  AGE_RECIPIENT: optional.pipe(z.string().regex(AGE_RECIPIENT_PATTERN, "must be an age X25519 recipient (age1 followed by 58 Bech32 characters, as age-keygen -y prints)").optional()),
  AGE_IDENTITY_FILE: optional,
  /** Directory of the tools the pod's init containers copied (age), searched before PATH. */
  TOOLS_DIR: optional,
});

export type RunEnv = z.output<typeof runEnvSchema> & { BACKUP_KIND: BackupKind };

/** Validates the environment; a ConfigError names every variable that is wrong. */
export function readRunEnv(env: NodeJS.ProcessEnv = process.env): RunEnv {
  return readEnv(runEnvSchema, env) as RunEnv;
}

/** Validates an environment against a command's schema; a ConfigError names every variable that is wrong, its value and what is allowed. */
export function readEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const name = String(i.path[0]);
    const value = env[name];
    return `${name}${value === undefined ? " (not set)" : ` '${value}'`} ${i.message}`;
  });
  throw new ConfigError(`the run's environment is wrong: ${problems.join("; ")}`);
}

/** A kind's own setting: set and not empty, or a ConfigError saying what it is for. */
export function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (value === undefined || value === "") throw new ConfigError(`${name} is required: ${what}`);
  return value;
}

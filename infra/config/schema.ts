import { z } from "zod";
import { coreSection } from "./sections/core";
import { clusterSection } from "./sections/cluster";
import { namespacesSection } from "./sections/namespaces";
import { checkRetentionOrdering, retentionSection } from "./sections/retention";
import { archiveCredentialsSection, archiveSection, backupEncryptionSection, checkArchiveCredentials, checkBackupEncryption, checkArchiveProvider, checkArchiveTiers, checkOffsiteCopy, checkReplicationRegion, checkSseCustomerKeyTransport, checkMetricsSseC, offsiteCopyCredentialsSection, thanosSseCKeySection } from "./sections/archive";
import { checkMetrics, metricsSection } from "./sections/metrics";
import { backupsSection, checkBackupTargets } from "./sections/backups";
import { alertingSection, checkAlertingReceivers } from "./sections/alerting";
import { capacitySection } from "./sections/capacity";
import { effectiveSizes } from "../capacity/plan";
import { checkVolumeSizes } from "../volumeGrowth";
import { checkLokiRetention, checkLokiTopology, loggingSection } from "./sections/logging";
import { checkTelemetry, telemetrySection } from "./sections/telemetry";
import { allBackupTargets, telemetryBackupTargets } from "../backupTargets";
import { checkStorage, storageSection } from "./sections/storage";
import { coerceWrittenScalars } from "./coerce";
import { nodeOf, schemaAt } from "./schemaWalk";
import { checkAdoption } from "./sections/adoptionChecks";

/**
 * The `strata:` config namespace. Each concern contributes a section (a map of top-level keys) and, where values
 * constrain each other, a cross-field check. Objects are strict: an unknown or misspelt key is an error, never
 * silently ignored.
 */
const sections = {
  ...coreSection,
  ...clusterSection,
  ...namespacesSection,
  ...retentionSection,
  ...archiveSection,
  ...archiveCredentialsSection,
  ...offsiteCopyCredentialsSection,
  ...backupEncryptionSection,
  ...thanosSseCKeySection,
  ...metricsSection,
  ...backupsSection,
  ...alertingSection,
  ...capacitySection,
  ...loggingSection,
  ...telemetrySection,
  ...storageSection,
};

type SectionShape = typeof sections;
export const baseConfigSchema = z.strictObject(sections);
export type StrataConfig = z.infer<typeof baseConfigSchema>;

/**
 * A rule over several values. It names the top-level keys it reads and runs whenever those keys are valid on
 * their own, so one typo elsewhere never hides an ordering mistake: every problem is reported in one pass.
 */
interface CrossFieldCheck<K extends keyof SectionShape = keyof SectionShape> {
  keys: readonly K[];
  check(config: Pick<StrataConfig, K>, ctx: z.RefinementCtx): void;
}
const crossField = <K extends keyof SectionShape>(keys: readonly K[], check: CrossFieldCheck<K>["check"]) =>
  ({ keys, check }) as unknown as CrossFieldCheck;

const crossFieldChecks: CrossFieldCheck[] = [
  crossField(["retention"], (c, ctx) => checkRetentionOrdering(c.retention, ctx)),
  crossField(["cloud", "hcloud", "storage", "metrics", "retention", "archive", "namespaces", "backups"], (c, ctx) => checkAdoption(c, ctx)),
  crossField(["cloud", "region", "storage"], (c, ctx) => checkStorage(c, ctx)),
  crossField(["namespaces"], (c, ctx) => {
    const seen = new Map<string, string>();
    for (const [role, name] of Object.entries(c.namespaces)) {
      const other = seen.get(name);
      if (other) ctx.addIssue({ code: "custom", path: ["namespaces", role], input: name, message: `must differ from namespaces.${other}` });
      seen.set(name, role);
    }
  }),
  crossField(["archive", "retention"], (c, ctx) => checkArchiveTiers(c.archive, c.retention, ctx)),
  crossField(["archive", "region"], (c, ctx) => checkReplicationRegion(c.archive, c.region, ctx)),
  crossField(["archive", "hcloud"], (c, ctx) => checkArchiveProvider(c.archive, c.hcloud.location, ctx)),
  crossField(["archive", "archiveAccessKeyId", "archiveSecretAccessKey"], (c, ctx) => checkArchiveCredentials(c, ctx)),
  crossField(["archive", "metrics"], (c, ctx) => checkSseCustomerKeyTransport(c.archive, c.metrics.thanos.enabled, ctx)),
  crossField(["archive", "region", "hcloud", "offsiteCopyAccessKeyId", "offsiteCopySecretAccessKey"], (c, ctx) => checkOffsiteCopy(c, ctx)),
  crossField(["archive", "backupAgeIdentity"], (c, ctx) => checkBackupEncryption(c, ctx)),
  crossField(["archive", "metrics", "thanosSseCKey"], (c, ctx) => checkMetricsSseC(c, ctx)),
  crossField(["archive", "cloud", "cluster"], (c, ctx) => {
    // With the cluster in config we can check at plan time what IRSA needs; from a cluster stack it is checked
    // when the stack's outputs arrive (infra/areas/archive.ts).
    if (c.cloud !== "aws" || c.archive.identity !== "irsa" || c.cluster.source !== "config") return;
    for (const key of ["oidcProviderArn", "oidcIssuerUrl"] as const) {
      if (!c.cluster[key]) ctx.addIssue({ code: "custom", path: ["cluster", key], input: undefined, message: "is required on aws when archive.identity is `irsa`" });
    }
  }),
  crossField(["metrics", "retention", "cloud", "archive", "backups", "capacity"], (c, ctx) =>
    checkMetrics(c.metrics, c.retention, c.cloud, effectiveSizes(c).prometheusVolumeGiB, ctx),
  ),
  crossField(["metrics", "retention", "cloud", "archive", "backups", "capacity", "storage", "logging", "namespaces"], (c, ctx) => checkVolumeSizes(c, ctx)),
  crossField(["backups", "telemetry"], (c, ctx) => checkBackupTargets(c.backups.targets, { from: `telemetry.backend (\`${c.telemetry.backend}\`)`, targets: telemetryBackupTargets(c.telemetry) }, ctx)),
  crossField(["metrics", "backups", "telemetry"], (c, ctx) => {
    const targets = allBackupTargets(c);
    if (!c.metrics.pushgateway.enabled && targets.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["metrics", "pushgateway", "enabled"],
        input: false,
        message: `must be true while backup targets exist (${targets.map((t) => t.name).join(", ")}): every backup job and drill reports its result to the Pushgateway, and the backup alerts read it there`,
      });
    }
  }),
  crossField(["alerting", "pagerdutyRoutingKey", "slackWebhookUrl", "smtpPassword"], (c, ctx) => checkAlertingReceivers(c, ctx)),
  crossField(["logging", "retention"], (c, ctx) => checkLokiRetention(c.logging, c.retention, ctx)),
  crossField(["logging", "cloud"], (c, ctx) => checkLokiTopology(c.logging, c.cloud, ctx)),
  crossField(["telemetry", "telemetryDbPassword", "cloud"], (c, ctx) => checkTelemetry(c.telemetry, c.telemetryDbPassword, c.cloud, ctx)),
  crossField(["cloud", "cluster"], (c, ctx) => {
    // On a stack-sourced cluster the role arrives at run time and infra/areas/storage.ts checks it there.
    if (c.cloud === "aws" && c.cluster.source === "config" && c.cluster.ebsCsiRoleArn === undefined) {
      ctx.addIssue({ code: "custom", path: ["cluster", "ebsCsiRoleArn"], input: undefined, message: "is required when cloud is `aws`: the EBS key policy must name the CSI driver's role, or it cannot create encrypted volumes" });
    }
  }),
  crossField(["cluster", "kubeconfig"], (c, ctx) => {
    if (c.cluster.source === "config" && c.kubeconfig === undefined) {
      ctx.addIssue({ code: "custom", path: ["kubeconfig"], input: undefined, message: "is required when cluster.source is `config` (set it with `pulumi config set --secret strata:kubeconfig`)" });
    }
  }),
];

export type ValidationResult = { success: true; data: StrataConfig } | { success: false; issues: z.core.$ZodIssue[] };

interface CompiledValidation {
  schema: z.ZodType<StrataConfig>;
  checks: { sections: z.ZodType; refinement: z.ZodType }[];
}

function compile(shape: SectionShape): CompiledValidation {
  return {
    schema: z.strictObject(shape) as unknown as z.ZodType<StrataConfig>,
    checks: crossFieldChecks.map(({ keys, check }) => ({
      // A non-strict object of just these sections: other keys are not this check's business.
      sections: z.object(Object.fromEntries(keys.map((k) => [k, shape[k]]))),
      refinement: z.any().superRefine((value, ctx) => check(value as StrataConfig, ctx)),
    })),
  };
}

// Built once: zod compiles each object schema on its first parse, which costs more than the parse itself.
const standard: CompiledValidation = { ...compile(sections), schema: baseConfigSchema as unknown as z.ZodType<StrataConfig> };
const presenceOnlyVariants = new Map<string, CompiledValidation>();

/**
 * `presenceOnly` names secret keys whose value is present but unknown here (a ciphertext the offline plan cannot
 * decrypt): they count as set for every rule that asks whether they are, and their format is not checked.
 */
export function validateStrataConfig(input: unknown, options: { presenceOnly?: readonly SecretKey[] } = {}): ValidationResult {
  const presenceOnly = [...new Set(options.presenceOnly ?? [])].sort();
  let compiled = standard;
  if (presenceOnly.length > 0) {
    const id = presenceOnly.join(",");
    compiled = presenceOnlyVariants.get(id) ?? compile({ ...sections, ...Object.fromEntries(presenceOnly.map((k) => [k, z.string().optional()])) } as SectionShape);
    presenceOnlyVariants.set(id, compiled);
  }
  const issues: z.core.$ZodIssue[] = [];
  input = coerceWrittenScalars(compiled.schema, input);
  const parsed = compiled.schema.safeParse(input, { reportInput: true });
  if (!parsed.success) issues.push(...parsed.error.issues);
  for (const { sections: sectionSchema, refinement } of compiled.checks) {
    // When the whole config is valid its sections are too, parsed already; otherwise each check parses its own.
    let value: unknown = parsed.data;
    let originalPath = (path: readonly PropertyKey[]) => [...path];
    if (!parsed.success) {
      const repaired = parseWithoutBadParts(sectionSchema, input);
      if (!repaired) continue;
      ({ data: value, originalPath } = repaired);
    }
    const refined = refinement.safeParse(value, { reportInput: true });
    if (!refined.success) issues.push(...refined.error.issues.map((i) => ({ ...i, path: originalPath(i.path) })));
  }
  return issues.length === 0 && parsed.success ? { success: true, data: parsed.data } : { success: false, issues };
}

const startsWith = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) => prefix.every((p, i) => path[i] === p);

// Each round sets aside one entry (list indices shift when an item is left out); a stack has few broken entries.
const MAX_REPAIRS = 16;

/**
 * The sections a cross-field rule reads, with what is wrong in them set aside, so the rule still runs on the rest
 * (one typo in a backup target must not hide a retention ordering mistake until the typo is fixed). Unknown keys
 * are dropped (they never affect a rule), and an invalid map entry or list item is left out whole; anything else
 * wrong (a required scalar) stops the rule, whose sections are then reported by the parse itself. `originalPath`
 * maps a finding about the repaired value back to the stack's own list indices.
 */
function parseWithoutBadParts(schema: z.ZodType, input: unknown): { data: unknown; originalPath: (path: readonly PropertyKey[]) => PropertyKey[] } | undefined {
  let value = input;
  const removed: PropertyKey[][] = [];
  for (let round = 0; round < MAX_REPAIRS; round++) {
    const result = schema.safeParse(value);
    if (result.success) {
      const originalPath = (path: readonly PropertyKey[]) =>
        removed.reduceRight<PropertyKey[]>((p, entry) => {
          const at = entry.length - 1;
          const index = entry[at];
          if (typeof index !== "number" || !startsWith(p, entry.slice(0, at)) || typeof p[at] !== "number" || (p[at] as number) < index) return p;
          return [...p.slice(0, at), (p[at] as number) + 1, ...p.slice(at + 1)];
        }, [...path]);
      return { data: result.data, originalPath };
    }
    const unknown = result.error.issues.filter((i) => i.code === "unrecognized_keys");
    if (unknown.length > 0) {
      for (const issue of unknown) for (const key of issue.keys) value = withoutPath(value, [...issue.path, key]);
      continue;
    }
    const entry = innermostEntry(schema, value, result.error.issues[0]!.path);
    if (!entry) return undefined;
    removed.push(entry);
    value = withoutPath(value, entry);
  }
  return undefined;
}

/** The path of the innermost map entry or list item that holds this path, if any. */
function innermostEntry(schema: z.ZodType, value: unknown, path: readonly PropertyKey[]): PropertyKey[] | undefined {
  for (let n = path.length; n >= 1; n--) {
    const parentPath = path.slice(0, n - 1);
    const parent = schemaAt(schema, value, parentPath);
    if (!parent) continue;
    const parentValue = parentPath.reduce<unknown>((node, seg) => (node && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[seg] : undefined), value);
    const kind = nodeOf(parent, parentValue).kind;
    if (kind === "record" || kind === "array") return path.slice(0, n);
  }
  return undefined;
}

function withoutPath(root: unknown, path: readonly PropertyKey[]): unknown {
  if (path.length === 0 || root === null || typeof root !== "object") return root;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    if (rest.length === 0) return root.filter((_, i) => i !== head);
    return root.map((item, i) => (i === head ? withoutPath(item, rest) : item));
  }
  const copy = { ...(root as Record<PropertyKey, unknown>) };
  if (rest.length === 0) delete copy[head!];
  else copy[head!] = withoutPath(copy[head!], rest);
  return copy;
}

/** Top-level keys whose values must be Pulumi secrets (`pulumi config set --secret`), never plaintext. */
export const SECRET_KEYS = ["hcloudToken", "kubeconfig", "pagerdutyRoutingKey", "slackWebhookUrl", "smtpPassword", "telemetryDbPassword", "archiveAccessKeyId", "archiveSecretAccessKey", "offsiteCopyAccessKeyId", "offsiteCopySecretAccessKey", "backupAgeIdentity", "thanosSseCKey"] as const satisfies readonly (keyof StrataConfig)[];
export type SecretKey = (typeof SECRET_KEYS)[number];

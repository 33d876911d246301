import { z } from "zod";
import type { RefinementCtx } from "zod";

/**
 * What a stack says already exists and must be taken over rather than created (issue 22, DESIGN §7). Each adopted
 * resource is declared with Pulumi's `import` option (infra/adoption.ts) and protected until the stack says
 * otherwise; `npm run adopt` writes these keys from what a cluster and an account hold.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Helm release names: a DNS-1123 label of at most 53 characters (Helm's own limit). */
const HELM_RELEASE = /^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/;
const EBS_VOLUME_ID = /^vol-[0-9a-f]{8}([0-9a-f]{9})?$/;
const AVAILABILITY_ZONE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]$/;
const HCLOUD_LOCATION = /^[a-z]{3}[0-9]$/;
// S3 bucket naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending alphanumeric.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KMS_KEY_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KMS_ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

const protect = z
  .boolean()
  .optional()
  .describe("Protect the adopted resource (`protect`) in every environment; default true. Set false only once it is Strata's for good.");

/** One adoption block: what it names, and `protect`, which every block has. */
const adoption = <S extends z.ZodRawShape>(shape: S, description: string) => z.strictObject({ ...shape, protect }).describe(description);

export const claimAdoption = adoption(
  {
    claim: z
      .string()
      .regex(DNS1123_SUBDOMAIN, "must be the name of an existing PersistentVolumeClaim (a DNS-1123 subdomain)")
      .optional()
      .describe("Import the existing PersistentVolumeClaim of this name in the claim's namespace (it keeps its name; the service mounts it as before)."),
    persistentVolume: z
      .string()
      .regex(DNS1123_SUBDOMAIN, "must be the name of an existing PersistentVolume (a DNS-1123 subdomain)")
      .optional()
      .describe("Import this released PersistentVolume (reclaim Retain) and bind a new `<service>-data` claim to it."),
    ebsVolume: z
      .strictObject({
        id: z.string().regex(EBS_VOLUME_ID, "must be an EBS volume id such as vol-0123456789abcdef0").describe("The EBS volume id (`aws ec2 describe-volumes`)."),
        availabilityZone: z.string().regex(AVAILABILITY_ZONE, "must be an availability zone such as eu-central-1a").describe("Zone of the volume: the PersistentVolume's node affinity."),
      })
      .optional()
      .describe("aws: bind a new `<service>-data` claim to this EBS volume through a static PersistentVolume (the volume itself stays outside Pulumi)."),
    hcloudVolume: z
      .strictObject({
        id: z.number().int().min(1).describe("The Hetzner volume id (`hcloud volume list`)."),
        location: z.string().regex(HCLOUD_LOCATION, "must be a Hetzner location such as fsn1").describe("Location of the volume; must be the stack's `hcloud.location`."),
      })
      .optional()
      .describe("hcloud: import this Hetzner volume (made delete-protected) and bind a new `<service>-data` claim to it."),
  },
  "Adopt existing data instead of creating an empty volume: exactly one of `claim`, `persistentVolume`, `ebsVolume`, `hcloudVolume`.",
);

export type ClaimAdoption = z.infer<typeof claimAdoption>;
export type ClaimAdoptionSource = "claim" | "persistentVolume" | "ebsVolume" | "hcloudVolume";
export const CLAIM_ADOPTION_SOURCES: readonly ClaimAdoptionSource[] = ["claim", "persistentVolume", "ebsVolume", "hcloudVolume"];

export const storageClassName = z
  .string()
  .regex(DNS1123_SUBDOMAIN, "must be a StorageClass name (a DNS-1123 subdomain)")
  .optional()
  .describe("Name of Strata's StorageClass; default `ebs-gp3` (aws) or `hcloud-volumes` (hcloud). Choose another when a class of that name exists and is not Strata's (the Hetzner CSI driver's chart installs its own `hcloud-volumes`, reclaim Delete).");

export const adoptStorageClass = z
  .boolean()
  .optional()
  .describe("Import the existing StorageClass named `storage.className` instead of creating it (its provisioner, parameters and reclaim policy must be exactly Strata's: they cannot change in place).");

/** How the metrics bucket's blocks are encrypted on a store without KMS (components/metrics/thanos.ts). */
export const METRICS_SSE_C_MODES = ["generate", "existing", "none"] as const;
export type MetricsSseCMode = (typeof METRICS_SSE_C_MODES)[number];

export const archiveAdoption = adoption(
  {
    buckets: z
      .strictObject({
        metrics: z.string().regex(BUCKET_NAME, "must be an S3 bucket name").optional().describe("Existing bucket for Thanos blocks."),
        logs: z.string().regex(BUCKET_NAME, "must be an S3 bucket name").optional().describe("Existing bucket for Loki chunks."),
        backups: z.string().regex(BUCKET_NAME, "must be an S3 bucket name").optional().describe("Existing bucket holding backups (its old key layout stays readable: `retention.legacyBackupPrefixes`)."),
      })
      .optional()
      .describe("Existing buckets to import by name; their objects are kept, Strata's guards (versioning, encryption, lifecycle, policy) are applied to them."),
    kmsKey: z
      .strictObject({
        id: z.string().regex(KMS_KEY_ID, "must be a KMS key id (a UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab, or mrk-…)").describe("The key id (`aws kms describe-key --key-id alias/…`), the form `pulumi import` takes for a key."),
        alias: z.string().regex(KMS_ALIAS, "must be an alias name such as alias/archive").optional().describe("Its existing alias, imported and kept; default Strata's `alias/strata-<environment>-archive`, created."),
      })
      .optional()
      .describe("Existing KMS key that already encrypts the archive, imported by key id."),
    metricsSseC: z
      .enum(METRICS_SSE_C_MODES)
      .optional()
      .describe(
        "Store without KMS, adopted metrics bucket: how its Thanos blocks were written, so Thanos can read them. `existing`: with SSE-C under the key in the Pulumi secret strata:thanosSseCKey; `none`: without SSE-C (Thanos keeps writing without it: an SSE-C read of a plain object fails); `generate`: the bucket holds no blocks yet, so a key is generated as for a new bucket. Required there: Strata cannot tell.",
      ),
  },
  "Adopt an existing archive: buckets by name, the KMS key by id and alias, and how an adopted metrics bucket's blocks are encrypted.",
);

export type ArchiveAdoption = z.infer<typeof archiveAdoption>;

export const metricsAdoption = adoption(
  {
    mode: z
      .enum(["adopt", "replace"])
      .describe("`adopt`: Strata manages the existing kube-prometheus-stack release under its own name, namespace and object names. `replace`: Strata installs its own release and the old Prometheus volume is bound to the claim Strata's Prometheus looks for."),
    release: z.string().regex(HELM_RELEASE, "must be a Helm release name (a DNS-1123 label of at most 53 characters)").describe("Name of the existing kube-prometheus-stack release (e.g. `prometheus` after `helm install prometheus`)."),
    namespace: z.string().regex(DNS1123_LABEL, "must be a DNS-1123 label").describe("Namespace of the existing release."),
    persistentVolume: z
      .string()
      .regex(DNS1123_SUBDOMAIN, "must be the name of a PersistentVolume (a DNS-1123 subdomain)")
      .optional()
      .describe("`replace` only: the old Prometheus's data volume (reclaim Retain, claimRef cleared), bound to Strata's Prometheus's first claim."),
  },
  "An existing kube-prometheus-stack release: adopted as it is, or replaced with its data carried over.",
);

export type MetricsAdoption = z.infer<typeof metricsAdoption>;

export const legacyBackupPrefixes = z
  .array(
    z.strictObject({
      // An S3 lifecycle filter is a plain string prefix: an old layout need not end in '/' (seed 001's old dumps are
      // `postgres/backup-<date>.sql.gz`; a root-level `backup-<date>.sql.gz` layout is the prefix `backup-`).
      prefix: z
        .string()
        .regex(/^[^/\u0000-\u001f\u007f][^\u0000-\u001f\u007f]{0,1023}$/, "must be an S3 key prefix (1-1024 characters, no leading '/', no control characters), such as mongo/")
        .describe("Key prefix of the old layout, as S3 lifecycle filters match it (e.g. `mongo/` for `mongo/YYYY/MM/DD/...`, `backup-` for `backup-<date>.sql.gz` at the bucket's root)."),
      days: z.number().int().min(1).max(3650).describe("Days after creation objects under the prefix expire."),
    }),
  )
  .max(20)
  .optional()
  .describe("Key prefixes of an adopted backups bucket that hold backups from before Strata (e.g. `mongo/` with `mongo/YYYY/MM/DD`), each with its own expiry; Strata's own kinds then expire by their prefixes.");

export type LegacyBackupPrefix = NonNullable<z.infer<typeof legacyBackupPrefixes>>[number];

/** The volume sources that exist on one cloud only, and what to write on the other. */
const CLOUD_VOLUME_SOURCES = {
  ebsVolume: { on: "aws", instead: "on hcloud write `hcloudVolume: { id, location }`" },
  hcloudVolume: { on: "hcloud", instead: "on aws write `ebsVolume: { id, availabilityZone }`" },
} as const;

/** Exactly one source per adopted claim, on the cloud it belongs to. */
export function checkClaimAdoption(cloud: "aws" | "hcloud", hcloudLocation: string | undefined, service: string, adopt: ClaimAdoption, ctx: RefinementCtx): void {
  const path = ["storage", "claims", service, "adopt"];
  const given = CLAIM_ADOPTION_SOURCES.filter((k) => adopt[k] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: "custom",
      path,
      input: adopt,
      message: `must name exactly one of ${CLAIM_ADOPTION_SOURCES.join(", ")} (got ${given.length === 0 ? "none" : given.join(", ")}), e.g. { claim: data-postgresql-0 }`,
    });
  }
  for (const [source, { on, instead }] of Object.entries(CLOUD_VOLUME_SOURCES) as [keyof typeof CLOUD_VOLUME_SOURCES, (typeof CLOUD_VOLUME_SOURCES)[keyof typeof CLOUD_VOLUME_SOURCES]][]) {
    if (adopt[source] && cloud !== on) ctx.addIssue({ code: "custom", path: [...path, source], input: adopt[source], message: `is for cloud ${on}; ${instead}` });
  }
  if (adopt.hcloudVolume && hcloudLocation && adopt.hcloudVolume.location !== hcloudLocation) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "hcloudVolume", "location"],
      input: adopt.hcloudVolume.location,
      message: `must be hcloud.location (${hcloudLocation}): a Hetzner volume attaches only to servers in its own location`,
    });
  }
}

/** `replace` carries a volume over; `adopt` keeps the release's own volumes and takes none. */
export function checkMetricsAdoption(adopt: MetricsAdoption | undefined, ctx: RefinementCtx): void {
  if (!adopt) return;
  if (adopt.mode === "adopt" && adopt.persistentVolume !== undefined) {
    ctx.addIssue({ code: "custom", path: ["metrics", "adopt", "persistentVolume"], input: adopt.persistentVolume, message: "is for mode `replace` only: an adopted release keeps its own claims; remove it or write mode: replace" });
  }
  if (adopt.mode === "replace" && adopt.persistentVolume === undefined) {
    ctx.addIssue({ code: "custom", path: ["metrics", "adopt", "persistentVolume"], input: undefined, message: "is required for mode `replace`: name the old Prometheus's PersistentVolume (e.g. pvc-0f3c…) so its history is carried over" });
  }
}

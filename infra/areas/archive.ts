import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { resolveNamespace, type NamespaceRef, type Platform } from "../platform";
import { ArchiveBucket } from "../../components/archive/archiveBucket";
import { BucketReplication } from "../../components/archive/bucketReplication";
import { lifecycleRules, tierTable, type LifecycleInput, type TierRow } from "../../components/archive/lifecycle";
import type { BucketPurpose, Transition } from "../../components/archive/storageClasses";
import { CustomerManagedKey, keyPolicy } from "../../components/security/customerManagedKey";
import { s3AccessPolicy, type S3AccessLevel } from "../../components/identity/s3Access";
import { protectionCheckPolicy } from "../../components/archive/protectionCheck";
import { credentialsSecretName, principalArn, WorkloadIdentity, IAM_PATH, type IdentityMode } from "../../components/identity/workloadIdentity";
import { BACKUP_KINDS } from "../config/sections/backups";
import { metricsSseCMode } from "../config/sections/archive";
import { offsiteCopyManaged } from "../offsiteCopyPlan";
import type { ResolvedBackups, TargetWorkload } from "../backupTargets";
import { archivePurposes } from "../capabilities";
import { importIds } from "../adoption";
import { ARCHIVE_CAPABILITIES, type ArchiveProvider } from "../../components/archive/providers";
import { archiveProviderMap, archiveStoreEndpoint, awsProvider, offsiteProviderMap } from "../providers";
import { SSE_C_SECRET_NAME } from "../../components/metrics/thanos";
import { LOKI_IMAGE_TAG, LOKI_SSE_TYPES } from "../../components/logging/lokiValues";
import { OFFSITE_COPY_NAME, OFFSITE_COPY_WORKLOAD, OFFSITE_DESTINATION_RESOURCE } from "../../components/archive/offsiteCopySettings";
import { KEY_LAYOUT } from "../../components/backup/contract";

/** Where backups go in the backups bucket; the backup scripts, drills and IAM prefixes all follow it (the backup contract's layout). */
export const BACKUP_KEY_LAYOUT = KEY_LAYOUT;

/** A workload that reads or writes the archive, and exactly what it may do there. */
export interface ArchiveWorkload {
  workload: string;
  namespace: NamespaceRef;
  serviceAccount: string;
  purpose: BucketPurpose;
  access: S3AccessLevel;
  prefix?: string;
  automountServiceAccountToken: boolean;
}

/**
 * Every archive consumer the config implies. Thanos Query and Query Frontend are absent on purpose: they read
 * through the store gateway and sidecars over gRPC and never touch the bucket, so they get no S3 access at all.
 */
export function archiveWorkloads(config: Platform["config"], backups: ResolvedBackups): ArchiveWorkload[] {
  const workloads: ArchiveWorkload[] = [];
  if (config.metrics.thanos.enabled) {
    // The sidecar runs in the Prometheus pod, so it uses Prometheus's ServiceAccount, which also needs the API.
    const monitoring = { role: "monitoring" } as const;
    workloads.push({ workload: "prometheus", namespace: monitoring, serviceAccount: "strata-prometheus", purpose: "metrics", access: "write", automountServiceAccountToken: true });
    workloads.push({ workload: "thanos-storegateway", namespace: monitoring, serviceAccount: "strata-thanos-storegateway", purpose: "metrics", access: "read", automountServiceAccountToken: false });
    workloads.push({ workload: "thanos-compactor", namespace: monitoring, serviceAccount: "strata-thanos-compactor", purpose: "metrics", access: "manage", automountServiceAccountToken: false });
    workloads.push({ workload: "thanos-ruler", namespace: monitoring, serviceAccount: "strata-thanos-ruler", purpose: "metrics", access: "write", automountServiceAccountToken: false });
  }
  if (config.logging.enabled) {
    workloads.push({ workload: "loki", namespace: { role: "logging" }, serviceAccount: "strata-loki", purpose: "logs", access: "manage", automountServiceAccountToken: false });
  }
  // Targets from backups.targets and those other config implies (telemetry), resolved once (infra/backupTargets.ts).
  // A backup job's identity lives where the job runs (beside its data); a drill's in the backups namespace. The WAL
  // receiver appends under the target's wal/ only (never deletes; versioning keeps overwritten partials).
  const targetWorkload = (w: TargetWorkload, access: S3AccessLevel): ArchiveWorkload => ({ ...w, purpose: "backups", access, automountServiceAccountToken: false });
  for (const { identities } of backups.targets) {
    workloads.push(targetWorkload(identities.backup, "append"), targetWorkload(identities.drill, "read"));
    if (identities.wal) workloads.push(targetWorkload(identities.wal, "append"));
  }
  // The off-site copy reads the whole backups bucket (and never writes it): only while that bucket exists.
  if (config.archive.offsiteCopy && backups.targets.length > 0) {
    workloads.push({ workload: OFFSITE_COPY_WORKLOAD, namespace: { role: "backups" }, serviceAccount: OFFSITE_COPY_NAME, purpose: "backups", access: "read", automountServiceAccountToken: false });
  }
  return workloads;
}

export interface BucketOutputs {
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
  region: pulumi.Output<string>;
}

export interface IdentityOutputs {
  namespace: pulumi.Output<string>;
  serviceAccount: pulumi.Output<string>;
  mode: IdentityMode;
  /** Absent on a store without IAM (every workload uses the stack's access key). */
  principalArn?: pulumi.Output<string>;
  roleArn?: pulumi.Output<string>;
  credentialsSecret?: pulumi.Output<string>;
}

/** Where the archive's store is and how clients must talk to it (components/archive/providers.ts). */
export interface ArchiveStore {
  provider: ArchiveProvider;
  /** The S3 endpoint URL; absent on AWS, where clients find it from the region. */
  endpoint?: string;
  /** The signing region (an AWS region, a Hetzner location, or what an S3-compatible store expects). */
  region: string;
  /** Clients must compute and check checksums only when an operation requires them (AWS CLI/SDK 2025 defaults break these stores). */
  checksumsWhenRequired: boolean;
  /** Path-style requests (bucket in the path, not the host name). */
  pathStyle: boolean;
  /** Server-side CopyObject works; where it may fail, writers download and upload again instead. */
  copyObject: boolean;
  /** On a store without KMS, how each bucket's objects rest there (the plan prints it; docs/archive.md says more). */
  atRest?: string[];
}

/**
 * How the metrics and logs buckets are encrypted on a store without KMS: Thanos writes with SSE-C under a key Strata
 * generates (components/metrics/thanos.ts); Loki cannot (its client has no SSE-C), and that is said, not hidden.
 */
export function atRestWithoutKms(config: Platform["config"]): string[] {
  const lines: string[] = [];
  const secret = `${config.namespaces.monitoring}/${SSE_C_SECRET_NAME}`;
  const metrics = {
    generate: `metrics bucket: SSE-C, with a 32-byte key generated once, kept in Pulumi state (random:RandomBytes thanos-sse-c) and in the Secret ${secret}; losing it loses every block in the bucket: back it up (docs/archive.md)`,
    existing: `metrics bucket: SSE-C, with the adopted bucket's own key (strata:thanosSseCKey, archive.adopt.metricsSseC: existing), kept in Pulumi state and in the Secret ${secret}; losing it loses every block in the bucket`,
    none: "metrics bucket: not encrypted by Strata: the adopted bucket's blocks were written without SSE-C (archive.adopt.metricsSseC: none), and Thanos cannot read plain and SSE-C blocks side by side",
  };
  const mode = metricsSseCMode(config);
  if (mode) lines.push(metrics[mode]);
  if (config.logging.enabled) {
    lines.push(`logs bucket: not encrypted by Strata: Loki ${LOKI_IMAGE_TAG} writes with ${LOKI_SSE_TYPES.join(" or ")} only (no SSE-C) and the store has no KMS, so chunks rest as the store keeps them (docs/archive.md)`);
  }
  return lines;
}

export function archiveStore(config: Platform["config"]): ArchiveStore {
  const provider = config.archive.provider;
  const endpoint = archiveStoreEndpoint(config);
  return {
    provider,
    ...(endpoint ? { endpoint: endpoint.endpoint } : {}),
    region: endpoint?.region ?? config.region,
    checksumsWhenRequired: ARCHIVE_CAPABILITIES[provider].checksumsWhenRequired,
    pathStyle: provider === "s3-compatible",
    copyObject: ARCHIVE_CAPABILITIES[provider].copyObject,
    ...(ARCHIVE_CAPABILITIES[provider].kms ? {} : { atRest: atRestWithoutKms(config) }),
  };
}

export interface IdentityNames {
  serviceAccountName: string;
  credentialsSecretName?: string;
}

/** One workload's identity: its names (fixed by config), the component to wait for, and its outputs. */
export interface ArchiveIdentity {
  names: IdentityNames;
  component: WorkloadIdentity;
  outputs: IdentityOutputs;
}

export interface Archive {
  /** The archive's KMS key; absent on stores without SSE-KMS. */
  kmsKeyArn?: pulumi.Output<string>;
  store: ArchiveStore;
  /** The identity components, for releases and jobs that must wait for their ServiceAccounts. */
  identityComponents: Record<string, WorkloadIdentity>;
  buckets: Partial<Record<BucketPurpose, BucketOutputs>>;
  identities: Record<string, IdentityOutputs>;
  /**
   * The identities' names as plain strings, fixed by config: for the many objects that only name them and wait for
   * the identity's resources through `dependsOn` on identityComponents instead of through its outputs.
   */
  identityNames: Record<string, IdentityNames>;
  /** Each backup target's identities by target name (its backup job, drill and WAL receiver), as resolved once. */
  targetIdentities: Record<string, { backup: ArchiveIdentity; drill: ArchiveIdentity; wal?: ArchiveIdentity }>;
  replica?: BucketOutputs & { kmsKeyArn: pulumi.Output<string> };
  /** The off-site copy's destination bucket, where Strata declares it (archive.offsiteCopy.manage). */
  offsiteDestination?: ArchiveBucket;
  accessLogBucket?: BucketOutputs;
  tiers: TierRow[];
  /** Every bucket with its declared protection, and the identity that reads it back (infra/areas/bucketProtection.ts); none without buckets. */
  protection?: {
    buckets: { name: pulumi.Output<string>; protection: ArchiveBucket["protection"] }[];
    identity: WorkloadIdentity;
    serviceAccountName: string;
    credentialsSecretName?: string;
  };
}

/** The bucket protection check's identity: reads the buckets' settings, never their objects. */
export const BUCKET_PROTECTION_IDENTITY = { workload: "bucket-protection", serviceAccount: "strata-bucket-protection" } as const;

const requireOutput = (value: pulumi.Output<string | undefined>, what: string) =>
  value.apply((v) => {
    if (!v) throw new Error(`strata:archive.identity is \`irsa\` but the cluster provides no ${what}; set it on the cluster stack or use \`pod-identity\``);
    return v;
  });

export function declareArchive(platform: Platform): Archive {
  const { config, retention } = platform;
  const env = config.environment;
  const can = ARCHIVE_CAPABILITIES[config.archive.provider];
  // Everything declared here goes to the archive's store: AWS S3 through the stack's aws provider, another store
  // through a provider of its own (infra/providers.ts).
  const archiveOpts = archiveProviderMap(platform.providers);
  // AWS account lookups only where IAM and KMS exist: a stack whose archive is elsewhere needs no AWS account.
  const account = can.iam
    ? (() => {
        const provider = { provider: awsProvider(platform.providers, "archive.provider `aws`") };
        return { caller: aws.getCallerIdentityOutput({}, provider), partition: aws.getPartitionOutput({}, provider) };
      })()
    : undefined;
  const mode: IdentityMode = !can.iam ? "store-key" : config.cloud === "hcloud" ? "static-keys" : config.archive.identity;
  const workloads = archiveWorkloads(config, platform.backups);
  // Each bucket exists only while something writes to it (infra/capabilities.ts); with none, the archive is empty:
  // no key, no access-log bucket, no identities.
  const purposes = archivePurposes(config);
  if (purposes.length === 0) return { store: archiveStore(config), identityComponents: {}, identityNames: {}, targetIdentities: {}, buckets: {}, identities: {}, tiers: [] };
  const principalName = (w: ArchiveWorkload) => `strata-${env}-${w.workload}`;
  const replicationRoleName = `strata-${env}-backups-replication`;
  const s3Service = (region: string) => `s3.${region}.amazonaws.com`;

  const adopt = config.archive.adopt;
  // Adopted buckets and keys are protected in every environment until the stack says otherwise.
  const adoptedOptions = { ...platform.stateful, protect: adopt?.protect ?? true };
  const archiveKey =
    can.kms && account
      ? new CustomerManagedKey(
          "archive",
          {
            description: `Strata ${env}: encrypts the S3 archive (metrics, logs, backups)`,
            alias: `strata-${env}-archive`,
            keyOptions: adopt?.kmsKey ? adoptedOptions : platform.stateful,
            ...(adopt?.kmsKey ? { adopt: { keyId: importIds.kmsKey(adopt.kmsKey.id), ...(adopt.kmsKey.alias ? { alias: importIds.kmsAlias(adopt.kmsKey.alias) } : {}) } } : {}),
            policy: pulumi.all([account.caller.accountId, account.partition.partition]).apply(([accountId, part]) =>
              keyPolicy({
                accountId,
                partition: part,
                users: [
                  { sid: "ArchiveWorkloadsThroughS3", principalArns: workloads.map((w) => principalArn(mode, part, accountId, principalName(w))), actions: ["kms:Decrypt", "kms:GenerateDataKey"], viaService: s3Service(config.region) },
                  ...(config.archive.replication.enabled && purposes.includes("backups")
                    ? [{ sid: "ReplicationReadsSourceObjects", principalArns: [`arn:${part}:iam::${accountId}:role${IAM_PATH}${replicationRoleName}`], actions: ["kms:Decrypt"], viaService: s3Service(config.region) }]
                    : []),
                ],
              }),
            ),
          },
          archiveOpts,
        )
      : undefined;

  const tiers: TierRow[] = [];
  const lifecycleFor = (purpose: BucketPurpose): LifecycleInput => {
    const expireAfterDays = { metrics: retention.s3.metricsSafetyNetExpirationDays, logs: retention.s3.logsSafetyNetExpirationDays, backups: retention.s3.backupsArchiveDays }[purpose];
    const legacy = purpose === "backups" ? retention.s3.legacyBackupPrefixes : [];
    return {
      transitions: config.archive[purpose].transitions as Transition[],
      expireAfterDays,
      noncurrentVersionDays: config.archive[purpose].noncurrentVersionDays,
      abortIncompleteUploadsDays: config.archive.abortIncompleteUploadsDays,
      // Strata writes backups only under `<kind>/` (BACKUP_KEY_LAYOUT); the old layout keeps its own expiry.
      ...(legacy.length > 0 ? { scoped: { ownPrefixes: BACKUP_KINDS.map((k) => `${k}/`), legacy } } : {}),
    };
  };

  let accessLogBucket: ArchiveBucket | undefined;
  if (config.archive.accessLogs.enabled) {
    const logLifecycle: LifecycleInput = { transitions: [], expireAfterDays: config.archive.accessLogs.retentionDays, noncurrentVersionDays: 1, abortIncompleteUploadsDays: config.archive.abortIncompleteUploadsDays };
    accessLogBucket = new ArchiveBucket(
      "access-logs",
      {
        purpose: "access-logs",
        namePrefix: `strata-${env}-access-logs`,
        lifecycle: lifecycleRules(logLifecycle),
        // S3 delivers server access logs only to SSE-S3 buckets and, with ACLs disabled, only through a policy grant.
        extraStatements: (arn) => [
          {
            Sid: "S3ServerAccessLogDelivery",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${arn}/*`,
          },
        ],
        bucketOptions: platform.stateful,
      },
      archiveOpts,
    );
    tiers.push(...tierTable("access-logs", logLifecycle, "SSE-S3 (S3 log delivery requires it)"));
  }

  const buckets: Partial<Record<BucketPurpose, ArchiveBucket>> = {};
  for (const purpose of purposes) {
    const lifecycle = lifecycleFor(purpose);
    const lock = purpose === "backups" && config.archive.backups.objectLock.enabled ? config.archive.backups.objectLock : undefined;
    const adoptName = adopt?.buckets?.[purpose];
    buckets[purpose] = new ArchiveBucket(
      purpose,
      {
        purpose,
        namePrefix: `strata-${env}-${purpose}`,
        ...(archiveKey ? { kmsKeyArn: archiveKey.arn } : {}),
        lifecycle: lifecycleRules(lifecycle),
        ...(lock ? { objectLock: { mode: lock.mode, days: lock.days } } : {}),
        ...(accessLogBucket ? { accessLogs: { bucket: accessLogBucket.bucket, prefix: `${purpose}/` } } : {}),
        capabilities: can,
        bucketOptions: adoptName ? adoptedOptions : platform.stateful,
        ...(adoptName ? { adoptName: importIds.bucket(adoptName) } : {}),
      },
      archiveOpts,
    );
    const note = purpose === "backups" ? `hot ${retention.s3.backupsDailyDays}d${lock ? `, ${lock.mode} lock ${lock.days}d` : ""}` : "expiry is a safety net; the compactor deletes";
    tiers.push(...tierTable(purpose, lifecycle, note));
  }

  let replica: (NonNullable<Archive["replica"]> & { bucket: ArchiveBucket }) | undefined;
  if (config.archive.replication.enabled && buckets.backups && archiveKey) {
    replica = declareBackupReplica(platform, buckets.backups!, archiveKey, replicationRoleName, lifecycleFor("backups"));
  }
  const offsiteDestination = buckets.backups ? declareOffsiteDestination(platform, lifecycleFor("backups"), tiers) : undefined;

  const identities: Record<string, IdentityOutputs> = {};
  const identityComponents: Record<string, WorkloadIdentity> = {};
  const identityNames: Archive["identityNames"] = {};
  // Combined once, not once per workload: a stack with many backup targets has two workloads per target.
  const bucketAndKeyArns = archiveKey
    ? (Object.fromEntries(purposes.map((p) => [p, pulumi.all([buckets[p]!.arn, archiveKey.arn])])) as Partial<Record<BucketPurpose, pulumi.Output<[string, string]>>>)
    : {};
  const storeKey = mode === "store-key" ? { accessKeyId: platform.secrets.archiveAccessKeyId!, secretAccessKey: platform.secrets.archiveSecretAccessKey! } : undefined;
  const irsa = mode === "irsa" ? { oidcProviderArn: requireOutput(platform.cluster.oidcProviderArn, "oidcProviderArn"), oidcIssuerUrl: requireOutput(platform.cluster.oidcIssuerUrl, "oidcIssuerUrl") } : undefined;
  for (const w of workloads) {
    const policy = bucketAndKeyArns[w.purpose]?.apply(([bucketArn, kmsKeyArn]) =>
      JSON.stringify(s3AccessPolicy({ bucketArn, kmsKeyArn, access: w.access, region: config.region, ...(w.prefix ? { prefix: w.prefix } : {}) })),
    );
    const identity = new WorkloadIdentity(
      w.workload,
      {
        mode,
        namespace: resolveNamespace(platform, w.namespace).input,
        serviceAccountName: w.serviceAccount,
        principalName: principalName(w),
        ...(policy ? { policy } : {}),
        ...(storeKey ? { storeKey } : {}),
        automountServiceAccountToken: w.automountServiceAccountToken,
        labels: { ...platform.labels, "strata.io/workload": w.workload },
        tags: { "strata:workload": w.workload, "strata:access": w.access },
        credentialGeneration: config.archive.credentialGeneration,
        ...(irsa ? { irsa } : {}),
        ...(mode === "pod-identity" ? { podIdentity: { clusterName: platform.cluster.name, accountId: account!.caller.accountId } } : {}),
      },
      archiveOpts,
    );
    identityComponents[w.workload] = identity;
    identityNames[w.workload] = { serviceAccountName: w.serviceAccount, ...(mode === "static-keys" || mode === "store-key" ? { credentialsSecretName: credentialsSecretName(w.serviceAccount) } : {}) };
    identities[w.workload] = {
      namespace: identity.namespace,
      serviceAccount: identity.serviceAccountName,
      mode,
      ...(identity.principalArn ? { principalArn: identity.principalArn } : {}),
      ...(identity.roleArn ? { roleArn: identity.roleArn } : {}),
      ...(identity.credentialsSecretName ? { credentialsSecret: identity.credentialsSecretName } : {}),
    };
  }

  // Every bucket Strata declares, the replica included: the protection check reads all of their settings.
  const allBuckets = [...Object.values(buckets), ...(accessLogBucket ? [accessLogBucket] : []), ...(replica ? [replica.bucket] : [])] as ArchiveBucket[];
  // The check runs in the backups namespace and pushes to the Pushgateway: without either it has nowhere to run.
  const checkable = platform.namespaces.backups !== undefined && config.metrics.pushgateway.enabled;
  const protectionIdentity = !checkable ? undefined : new WorkloadIdentity(
    BUCKET_PROTECTION_IDENTITY.workload,
    {
      mode,
      namespace: resolveNamespace(platform, { role: "backups" }).input,
      serviceAccountName: BUCKET_PROTECTION_IDENTITY.serviceAccount,
      principalName: `strata-${env}-${BUCKET_PROTECTION_IDENTITY.workload}`,
      // On a store with IAM, a policy that reads settings only; a store key reaches every bucket (docs/archive.md).
      ...(can.iam ? { policy: pulumi.all(allBuckets.map((b) => b.arn)).apply((arns) => JSON.stringify(protectionCheckPolicy(arns))) } : {}),
      ...(storeKey ? { storeKey } : {}),
      automountServiceAccountToken: false,
      labels: { ...platform.labels, "strata.io/workload": BUCKET_PROTECTION_IDENTITY.workload },
      tags: { "strata:workload": BUCKET_PROTECTION_IDENTITY.workload, "strata:access": "read-settings" },
      credentialGeneration: config.archive.credentialGeneration,
      ...(irsa ? { irsa } : {}),
      ...(mode === "pod-identity" ? { podIdentity: { clusterName: platform.cluster.name, accountId: account!.caller.accountId } } : {}),
    },
    archiveOpts,
  );

  const outputsOf = (b: ArchiveBucket): BucketOutputs => ({ name: b.bucket, arn: b.arn, region: b.region });
  return {
    ...(protectionIdentity
      ? {
          protection: {
            buckets: allBuckets.map((b) => ({ name: b.bucket, protection: b.protection })),
            identity: protectionIdentity,
            serviceAccountName: BUCKET_PROTECTION_IDENTITY.serviceAccount,
            ...(mode === "static-keys" || mode === "store-key" ? { credentialsSecretName: credentialsSecretName(BUCKET_PROTECTION_IDENTITY.serviceAccount) } : {}),
          },
        }
      : {}),
    ...(archiveKey ? { kmsKeyArn: archiveKey.arn } : {}),
    store: archiveStore(config),
    identityComponents,
    identityNames,
    targetIdentities: Object.fromEntries(
      platform.backups.targets.map(({ target, identities: workloadsOf }) => {
        const of = (w: TargetWorkload): ArchiveIdentity => {
          const [names, component, outputs] = [identityNames[w.workload], identityComponents[w.workload], identities[w.workload]];
          if (!names || !component || !outputs) throw new Error(`backup target ${target.name}: archiveWorkloads declared no identity ${w.workload}`);
          return { names, component, outputs };
        };
        return [target.name, { backup: of(workloadsOf.backup), drill: of(workloadsOf.drill), ...(workloadsOf.wal ? { wal: of(workloadsOf.wal) } : {}) }];
      }),
    ),
    buckets: Object.fromEntries(Object.entries(buckets).map(([p, b]) => [p, outputsOf(b)])),
    identities,
    ...(replica ? { replica: { name: replica.name, arn: replica.arn, region: replica.region, kmsKeyArn: replica.kmsKeyArn } } : {}),
    ...(accessLogBucket ? { accessLogBucket: outputsOf(accessLogBucket) } : {}),
    ...(offsiteDestination ? { offsiteDestination } : {}),
    tiers,
  };
}

/**
 * The off-site copy's destination bucket, where the stack has Strata declare it (archive.offsiteCopy.manage `create`
 * or `adopt`): on the destination's store, with its key, and the backups bucket's guards and expiry, so the copy
 * expires as the archive does. Created with the archive's object lock; an adopted bucket keeps what it has (object
 * lock is set at creation: declaring it would replace the bucket). Retained always, and protected as the stack's data
 * (an adopted one as adopted data).
 */
function declareOffsiteDestination(platform: Platform, backupsLifecycle: LifecycleInput, tiers: TierRow[]): ArchiveBucket | undefined {
  const { config } = platform;
  const copy = config.archive.offsiteCopy;
  if (!copy || !offsiteCopyManaged(config)) return undefined;
  const adopting = copy.manage === "adopt";
  const can = ARCHIVE_CAPABILITIES[copy.provider];
  // The destination's store has its own capabilities: without storage classes, objects stay until they expire.
  const lifecycle: LifecycleInput = { ...backupsLifecycle, transitions: can.storageClasses ? backupsLifecycle.transitions : [] };
  const lock = !adopting && config.archive.backups.objectLock.enabled ? config.archive.backups.objectLock : undefined;
  const bucket = new ArchiveBucket(
    OFFSITE_DESTINATION_RESOURCE,
    {
      purpose: "backups-offsite-copy",
      namePrefix: copy.bucket,
      ...(adopting ? { adoptName: importIds.bucket(copy.bucket) } : { exactName: copy.bucket }),
      lifecycle: lifecycleRules(lifecycle),
      ...(lock ? { objectLock: { mode: lock.mode, days: lock.days } } : {}),
      capabilities: can,
      bucketOptions: adopting ? { ...platform.stateful, protect: config.archive.adopt?.protect ?? true } : platform.stateful,
    },
    offsiteProviderMap(platform.providers),
  );
  tiers.push(...tierTable(`offsite copy (${copy.bucket})`, lifecycle, `${adopting ? "adopted" : "created"} by Strata${lock ? `, ${lock.mode} lock ${lock.days}d` : ""}`));
  return bucket;
}

/**
 * A second copy of the backups bucket in another region, encrypted there with its own key. Delete markers are not
 * replicated: deleting in the primary must never delete the disaster-recovery copy.
 */
function declareBackupReplica(platform: Platform, source: ArchiveBucket, sourceKey: CustomerManagedKey, roleName: string, lifecycle: LifecycleInput): NonNullable<Archive["replica"]> & { bucket: ArchiveBucket } {
  const { config } = platform;
  const env = config.environment;
  const region = config.archive.replication.region;
  const provider = { provider: awsProvider(platform.providers, "archive.replication") };
  const caller = aws.getCallerIdentityOutput({}, provider);
  const partition = aws.getPartitionOutput({}, provider);
  const replicaKey = new CustomerManagedKey(
    "backups-replica",
    {
      description: `Strata ${env}: encrypts the replica of the backups bucket`,
      alias: `strata-${env}-backups-replica`,
      region,
      keyOptions: platform.stateful,
      policy: pulumi.all([caller.accountId, partition.partition]).apply(([accountId, part]) =>
        keyPolicy({
          accountId,
          partition: part,
          users: [{ sid: "ReplicationWritesReplicaObjects", principalArns: [`arn:${part}:iam::${accountId}:role${IAM_PATH}${roleName}`], actions: ["kms:Encrypt", "kms:GenerateDataKey"], viaService: `s3.${region}.amazonaws.com` }],
        }),
      ),
    },
    platform.awsOpts,
  );
  const lock = config.archive.backups.objectLock;
  const replicaBucket = new ArchiveBucket(
    "backups-replica",
    {
      purpose: "backups",
      namePrefix: `strata-${env}-backups-replica`,
      kmsKeyArn: replicaKey.arn,
      lifecycle: lifecycleRules(lifecycle),
      // S3 replicates object-locked versions only into a bucket that has object lock too.
      ...(lock.enabled ? { objectLock: { mode: lock.mode, days: lock.days } } : {}),
      region,
      bucketOptions: platform.stateful,
    },
    platform.awsOpts,
  );
  new BucketReplication(
    "backups-replication",
    {
      source: { bucket: source.bucket, arn: source.arn, kmsKeyArn: sourceKey.arn, region: config.region },
      destination: { arn: replicaBucket.arn, kmsKeyArn: replicaKey.arn, region },
      roleName,
      rolePath: IAM_PATH,
    },
    // Replication needs versioning on both sides; the buckets' own children have it.
    { ...platform.awsOpts, dependsOn: [source, replicaBucket] },
  );
  return { name: replicaBucket.bucket, arn: replicaBucket.arn, region: replicaBucket.region, kmsKeyArn: replicaKey.arn, bucket: replicaBucket };
}

import * as pulumi from "@pulumi/pulumi";
import type { RetentionRow } from "../infra/retention";
import type { CapacityReport } from "../infra/capacity/plan";
import type { TierRow } from "../components/archive/lifecycle";
import type { IdentityMode } from "../components/identity/workloadIdentity";
import type { BackupKind } from "../infra/config/sections/backups";
import type { Restorability } from "../infra/restorability/matrix";

/**
 * The version of Strata's stack-output contract, exported as the `contractVersion` output (infra/program.ts reads
 * it from here). Semver: a minor bump adds outputs or sections; a major bump removes, renames or retypes one, and
 * readStrataStack refuses a stack whose major differs from the one this file was written for.
 */
export const CONTRACT_VERSION = "1.2.0";
export const CONTRACT_MAJOR = Number(CONTRACT_VERSION.split(".")[0]);

// ---- The contract, as a consumer sees it through a StackReference: plain values, no Outputs. -----------------

/** Outputs every Strata stack has had since contract 1.0. */
export interface StrataCore {
  contractVersion: string;
  environment: string;
  profile: "dev" | "prod";
  cloud: "aws" | "hcloud";
  region: string;
  clusterName: string;
  /** Namespaces Strata owns, by role (monitoring, logging, backups). */
  namespaces: Record<string, string>;
  /** The derived retention table (infra/retention.ts). */
  retention: RetentionRow[];
}

export interface BucketContract {
  name: string;
  arn: string;
  region: string;
}

export interface IdentityContract {
  namespace: string;
  serviceAccount: string;
  mode: IdentityMode;
  /** Absent when the archive's store has no IAM (`store-key`: every workload uses the stack's access key). */
  principalArn?: string;
  roleArn?: string;
  /** hcloud: the Secret holding the workload's static S3 keys. */
  credentialsSecret?: string;
}

/**
 * One entry per section of the outputs. A section is a top-level output owned by one area of the program; adding one
 * is a minor version. To land a section: give it its type here (if it is not here yet), move its name from
 * LandingSection to DeliveredSection, and the compile-time check (stacks/contract.check.ts) holds the program to it.
 */
export interface StrataSections {
  archive: {
    /** Since 1.2 absent when the stack declares no bucket, or its store has no SSE-KMS (Hetzner, other S3-compatible stores). */
    kmsKeyArn?: string;
    /** Where the archive's store is: provider, endpoint (not on aws), signing region, client settings (since 1.2.0). */
    store?: { provider: "aws" | "hetzner" | "s3-compatible"; endpoint?: string; region: string; checksumsWhenRequired: boolean; pathStyle: boolean; copyObject: boolean };
    buckets: Partial<Record<"metrics" | "logs" | "backups", BucketContract>>;
    replica?: BucketContract & { kmsKeyArn: string };
    accessLogBucket?: BucketContract;
    /** Archive identities by workload (`prometheus`, `loki`, `backup-<target>`, `drill-<target>`, ...). */
    identities: Record<string, IdentityContract>;
    /** Where backups go in the backups bucket: `<kind>/<target>/YYYY/MM/DD/...`. */
    backupKeyLayout: string;
    tiers: TierRow[];
  };
  /** The capacity and cost estimate (infra/capacity/plan.ts). */
  capacity: CapacityReport;
  /**
   * Landing with the metrics issue (on main as infra/areas/metrics.ts returns it): cluster-internal URLs of the
   * metrics stack, the Thanos object-store config (bucket, region, key; no credentials) and the dedup labels.
   */
  metrics: {
    prometheusUrl: string;
    alertmanagerUrl: string;
    /** Since 1.2 absent when `metrics.pushgateway.enabled` is false. */
    pushgatewayUrl?: string;
    thanosQueryUrl?: string;
    thanosQueryFrontendUrl?: string;
    thanosObjstoreConfig?: string;
    /** Name of the Secret holding Grafana's admin credentials (the name only). */
    grafanaAdminSecret: string;
    replicaLabel: string;
    dedupLabels: readonly string[];
    datasources: readonly string[];
  };
  /** The environment's StorageClass (Retain), the claims Strata made, and on aws the EBS key and DLM snapshots. */
  storage: {
    storageClass: string;
    claims: Record<string, { claimName: string; namespace: string; size: string; volumeId?: string }>;
    ebsKmsKeyArn?: string;
    snapshotPolicyId?: string;
    snapshotTargetTag?: { key: string; value: string };
    snapshotAlertTopicArn?: string;
    snapshotCopyKmsKeyArn?: string;
  };
  /** PersistentVolumeClaims other stacks may mount, by service name. */
  claims: Record<string, { namespace: string; claimName: string; storageClass: string; sizeGiB: number }>;
  /** Where workloads send and read metrics and logs (cluster-internal URLs). */
  endpoints: {
    /** Label a ServiceMonitor/PodMonitor needs for kube-prometheus-stack to select it. */
    serviceMonitorLabels: Record<string, string>;
    /** Cluster-internal URLs. */
    prometheusUrl: string;
    thanosQueryUrl?: string;
    /** Since 1.2 absent when `metrics.pushgateway.enabled` is false. */
    pushgatewayUrl?: string;
    /** Since 1.2 absent when `logging.enabled` is false. */
    lokiPushUrl?: string;
    alertmanagerUrl: string;
  };
  /** Loki: its mode and URLs, and the Grafana datasource Strata provisions for it. */
  logging: {
    loki: { mode: string; pushUrl: string; queryUrl: string };
    grafanaDatasource: { name: string; type: string; uid: string; access: string; url: string; isDefault: boolean; jsonData: { maxLines: number } };
  };
  /**
   * The OpenFinOps telemetry-persistence contract (seed 002): the ConfigMap and Secret an application mounts, the
   * settings in the ConfigMap, and only the names of the secret keys.
   */
  telemetry: {
    backend: string;
    namespace: string;
    configMap: string;
    secret: string;
    secretKeys: readonly string[];
    settings: Record<string, string>;
    /** `writerLabels`: what the pod that mounts the claim and writes the database must carry (the backup job runs beside it). */
    sqlite?: { claimName: string; mountPath: string; path: string; writerLabels: Record<string, string> };
    backupTargets: readonly string[];
  };
  /**
   * Since 1.1: the restorability matrix (infra/restorability/matrix.ts). Every store Strata protects (backup targets,
   * claims, buckets, the volume class) against backup, restore drill, alerts, runbook and a test run for real, each
   * cell filled or naming its gap.
   */
  restorability: Restorability;
  /** Landing with the backups issue: each backup target, where its objects go and who may write them. */
  backups: {
    bucket: string;
    /**
     * The backup job's IAM principal is the writer; its drill has read-only access to the same prefix. On a store
     * without IAM it is the Secret (`<namespace>/<name>`) holding the stack's shared access key.
     */
    targets: Record<string, { kind: BackupKind; prefix: string; writerIdentity: string; schedule: string; drillSchedule: string }>;
  };
}

/**
 * Sections that exist only while their capability is on (since 1.2; infra/capabilities.ts): `backups` with a backup
 * target, `logging` with `logging.enabled`, `telemetry` with `telemetry.backend`. A consumer reads them with `get`.
 */
export const CAPABILITY_SECTIONS = { backups: "no backup target", logging: "`strata:logging.enabled` is false", telemetry: "`strata:telemetry.backend` is not set" } as const;
export type CapabilitySection = keyof typeof CAPABILITY_SECTIONS;
/** Sections the program exports on every stack. */
export type DeliveredSection = "archive" | "capacity" | "metrics" | "endpoints" | "storage" | "claims" | "restorability";
/** Sections declared for consumers to code against, exported once their issues land. */
export type LandingSection = Exclude<keyof StrataSections, DeliveredSection | CapabilitySection>;

export type StrataContract = StrataCore & { [K in DeliveredSection]: StrataSections[K] } & { [K in CapabilitySection | LandingSection]?: StrataSections[K] };
export type StrataOutputName = keyof StrataContract;

/**
 * `true` when a program's outputs `P` (with Outputs inside) satisfy the contract, otherwise an object type that
 * names the problem, so `const ok: ContractConformance<P> = true` fails to compile with the reason in the message.
 * Extra top-level outputs are refused too: anything exported is something consumers will depend on.
 */
export type ContractConformance<P> = [Exclude<keyof P, StrataOutputName>] extends [never]
  ? pulumi.Unwrap<P> extends StrataContract
    ? true
    : { error: "the program's outputs do not match StrataContract (stacks/contract.ts)"; outputs: pulumi.Unwrap<P> }
  : { error: "the program exports outputs StrataContract does not declare; add them to StrataSections"; undeclared: Exclude<keyof P, StrataOutputName> };

// ---- Reading a Strata stack from another stack. ----------------------------------------------------------------

export class StrataContractError extends Error {
  override name = "StrataContractError";
}

/** Throws unless `version` is a contract version with the major this helper was written for. */
export function checkContractVersion(stack: string, version: unknown): void {
  if (typeof version !== "string" || version === "") {
    throw new StrataContractError(`stack "${stack}" exports no contractVersion: it is not a Strata stack, or it has never been deployed`);
  }
  const major = Number(version.split(".")[0]);
  if (major !== CONTRACT_MAJOR) {
    throw new StrataContractError(
      `stack "${stack}" exports Strata contract ${version}, but this stack reads contract ${CONTRACT_MAJOR}.x (stacks/contract.ts ${CONTRACT_VERSION}): ` +
        (major > CONTRACT_MAJOR ? "update the Strata helper this stack imports" : "deploy a current Strata to that stack first"),
    );
  }
}

export interface ReadStrataStackOptions {
  /** Name of the StackReference resource; defaults to `strata-<stack>` with `/` replaced. */
  resourceName?: string;
  /** Options for the StackReference, e.g. `{ parent: this }` inside a component. */
  resourceOptions?: pulumi.CustomResourceOptions;
}

export interface StrataStack {
  /** The fully qualified stack name that was read. */
  readonly stack: string;
  readonly reference: pulumi.StackReference;
  /** The stack's contract version, already checked against this helper's major. */
  readonly contractVersion: string;
  /** An output the consumer cannot work without: rejects with a StrataContractError naming it when it is absent. */
  require<K extends StrataOutputName>(name: K): Promise<NonNullable<StrataContract[K]>>;
  /** An output that may be absent (e.g. a section still landing): `undefined` when the stack does not export it. */
  get<K extends StrataOutputName>(name: K): Promise<StrataContract[K] | undefined>;
}

const landing: Record<LandingSection, true> = {};

/** The message for an output a consumer required and the stack does not have. */
export function missingOutputMessage(stack: string, name: string): string {
  const why =
    name in landing
      ? `the ${name} section is still landing: deploy a Strata version that exports it`
      : name in CAPABILITY_SECTIONS
        ? `the stack does not run that capability (${CAPABILITY_SECTIONS[name as CapabilitySection]}); read it with get() when it is optional for you`
        : "every Strata stack of this contract exports it, so the stack's last update did not complete";
  return `stack "${stack}" has no output "${name}": ${why}`;
}

/**
 * Reads a Strata stack (`org/project/stack`) through a StackReference with typed results. The contract version is
 * checked before anything is returned, and `require` rejects for a missing output, so a consumer awaiting them fails
 * before declaring a single resource, with a message that says what is wrong and what to do, instead of an
 * `undefined` deep inside some resource's inputs. Values are plain: the contract holds no secrets, and an output
 * the referenced stack marks secret is refused rather than silently unwrapped.
 *
 * ```ts
 * export = async () => {
 *   const strata = await readStrataStack("acme/strata/prod");
 *   const claims = await strata.require("claims");
 * };
 * ```
 */
export async function readStrataStack(stack: string, opts: ReadStrataStackOptions = {}): Promise<StrataStack> {
  const reference = new pulumi.StackReference(opts.resourceName ?? `strata-${stack.replace(/\//g, "-")}`, { name: stack }, opts.resourceOptions);
  const read = async (name: string) => {
    const details = await reference.getOutputDetails(name);
    if (details.secretValue !== undefined) {
      throw new StrataContractError(`stack "${stack}" exports "${name}" as a secret, but the Strata contract carries no secrets; read it with reference.requireOutput("${name}") to keep it secret`);
    }
    return details.value as unknown;
  };
  const contractVersion = await read("contractVersion");
  checkContractVersion(stack, contractVersion);
  return {
    stack,
    reference,
    contractVersion: contractVersion as string,
    require: async (name) => {
      const value = await read(name);
      if (value === undefined || value === null) throw new StrataContractError(missingOutputMessage(stack, name));
      return value as never;
    },
    get: async (name) => (await read(name)) as never,
  };
}

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { Platform } from "../platform";
import { awsProvider, baseTags } from "../providers";
import { gibOf } from "../config/sections/storage";
import { Namespaces } from "../../components/platform/namespaces";
import { CustomerManagedKey } from "../../components/security/customerManagedKey";
import { ebsKeyPolicy } from "../../components/storage/ebsKeyPolicy";
import { IAM_PATH } from "../../components/identity/workloadIdentity";
import { EbsStorageClass } from "../../components/storage/ebsStorageClass";
import { HcloudStorageClass, type SecretRef } from "../../components/storage/hcloudStorageClass";
import { HcloudProtectedVolume } from "../../components/storage/hcloudProtectedVolume";
import { PersistentClaim } from "../../components/storage/persistentClaim";
import { DlmExecutionRole } from "../../components/storage/dlmRole";
import { EbsSnapshotPolicy } from "../../components/storage/snapshotPolicy";
import { EbsStaticVolume } from "../../components/storage/ebsStaticVolume";
import { claimNameOf, claimStorageClass, importIds, strataStorageClassName } from "../adoption";

export { STORAGE_CLASS } from "../adoption";
// The hcloud CSI node plugin and the kubelet read the passphrase from here; it sits beside the driver, outside any
// namespace an application team could delete.
const LUKS_SECRET = { name: "strata-hcloud-volumes-luks", namespace: "kube-system" };

/**
 * The tag DLM selects volumes by. It is written once, here: the StorageClass puts it on every volume it creates and
 * the lifecycle policy targets it, so the two can never drift apart. The environment in the value keeps two
 * environments in one account and region from snapshotting each other's volumes.
 */
export function snapshotTargetTag(environment: string): { key: string; value: string } {
  return { key: "strata:snapshot-policy", value: `${environment}-daily` };
}

export interface ClaimOutput {
  claimName: pulumi.Output<string>;
  namespace: pulumi.Output<string>;
  size: string;
  /** The Hetzner volume behind a critical claim (hcloud). */
  volumeId?: pulumi.Output<string>;
}

export interface StorageOutputs {
  storageClass: pulumi.Output<string>;
  claims: Record<string, ClaimOutput>;
  /** aws only. */
  ebsKmsKeyArn?: pulumi.Output<string>;
  snapshotPolicyId?: pulumi.Output<string>;
  snapshotTargetTag?: { key: string; value: string };
  snapshotAlertTopicArn?: pulumi.Output<string>;
  snapshotCopyKmsKeyArn?: pulumi.Output<string>;
}

/**
 * The role arrives from the cluster stack at run time, so only there can its absence be caught; the key policy is
 * built from `ebsCsiRoleArn.apply(requireEbsCsiRoleArn)`, so nothing is created without it.
 */
export function requireEbsCsiRoleArn(arn: string | undefined): string {
  if (!arn) {
    throw new Error(
      "strata:cloud is aws but the cluster provides no EBS CSI driver role ARN (cluster stack output `ebsCsiRoleArn`, or strata:cluster.ebsCsiRoleArn): " +
        "the ebs-gp3 key policy must name that role, or the driver cannot create encrypted volumes",
    );
  }
  return arn;
}

interface AwsStorage {
  storageClass: EbsStorageClass;
  outputs: Omit<StorageOutputs, "storageClass" | "claims">;
}

function declareAwsStorage(platform: Platform): AwsStorage {
  const { config } = platform;
  const { storage, environment } = config;
  const provider = awsProvider(platform.providers, "cloud `aws` (EBS volumes and snapshots)");
  const identity = aws.getCallerIdentityOutput({}, { provider });
  const partition = aws.getPartitionOutput({}, { provider }).partition;
  const targetTag = snapshotTargetTag(environment);
  const snapshotsOn = storage.snapshots.enabled;
  const copy = snapshotsOn && storage.snapshots.crossRegionCopy.enabled ? storage.snapshots.crossRegionCopy : undefined;

  // Off, nothing of DLM is declared. The class keeps tagging its volumes, so turning snapshots on later needs no
  // change to the class (its parameters are immutable).
  const dlmRole = !snapshotsOn ? undefined : new DlmExecutionRole(
    "ebs-snapshots",
    {
      roleName: `strata-${environment}-dlm-ebs-snapshots`,
      rolePath: IAM_PATH,
      accountId: identity.accountId,
      partition,
      sourceRegion: config.region,
      copyRegions: copy ? [copy.region] : [],
      targetTag,
    },
    platform.awsOpts,
  );

  const key = new CustomerManagedKey(
    "ebs",
    {
      alias: `strata-${environment}-ebs`,
      description: `Strata ${environment}: EBS volumes of the ${strataStorageClassName(config)} StorageClass and their snapshots`,
      policy: ebsKeyPolicy({
        accountId: identity.accountId,
        partition,
        region: config.region,
        copyPeerRegions: copy ? [copy.region] : [],
        volumeRoleArns: [platform.cluster.ebsCsiRoleArn.apply(requireEbsCsiRoleArn)],
        copySourceRoleArns: copy && dlmRole ? [dlmRole.roleArn] : [],
        copyTargetRoleArns: [],
      }),
      keyOptions: platform.stateful,
    },
    platform.awsOpts,
  );

  // Copies are encrypted under a key in their own region (a key in the source region would go down with it). The
  // key is placed there by its `region` argument, so Strata's one AWS provider, and its default tags, serve both.
  const copyKey = copy && dlmRole
    ? new CustomerManagedKey(
        "ebs-snapshot-copies",
        {
          alias: `strata-${environment}-ebs-snapshot-copies`,
          description: `Strata ${environment}: cross-region copies of EBS snapshots from ${config.region}`,
          region: copy.region,
          policy: ebsKeyPolicy({
            accountId: identity.accountId,
            partition,
            region: copy.region,
            copyPeerRegions: [config.region],
            volumeRoleArns: [],
            copySourceRoleArns: [],
            copyTargetRoleArns: [dlmRole.roleArn],
          }),
          keyOptions: platform.stateful,
        },
        platform.awsOpts,
      )
    : undefined;

  const storageClass = new EbsStorageClass(
    "ebs-gp3",
    {
      name: strataStorageClassName(config),
      iops: storage.ebs.iops,
      throughputMiBps: storage.ebs.throughputMiBps,
      fsType: storage.fsType,
      kmsKeyArn: key.arn,
      // Provider default tags do not reach volumes the CSI driver creates, so the class carries them itself.
      volumeTags: { ...baseTags(config), [targetTag.key]: targetTag.value },
      isDefault: storage.defaultClass,
      labels: platform.labels,
      ...classAdoption(platform),
    },
    platform.k8sOpts,
  );

  const snapshots = !dlmRole ? undefined : new EbsSnapshotPolicy(
    "ebs-snapshots",
    {
      description: `Strata ${environment}: daily snapshots of ${strataStorageClassName(config)} volumes`,
      executionRoleArn: dlmRole.roleArn,
      targetTag,
      dailyTime: storage.snapshots.time,
      retainCount: platform.retention.dlm.retainCount,
      snapshotTags: { "strata:snapshot-schedule": "daily", "strata:environment": environment },
      ...(copy && copyKey ? { crossRegionCopy: { region: copy.region, kmsKeyArn: copyKey.arn, retainDays: platform.retention.dlm.copyRetainDays } } : {}),
      alarmTopicName: `strata-${environment}-storage-alerts`,
    },
    platform.awsOpts,
  );

  return {
    storageClass,
    outputs: {
      ebsKmsKeyArn: key.arn,
      ...(snapshots ? { snapshotPolicyId: snapshots.policyId, snapshotTargetTag: targetTag, snapshotAlertTopicArn: snapshots.alarmTopicArn } : {}),
      ...(copyKey ? { snapshotCopyKmsKeyArn: copyKey.arn } : {}),
    },
  };
}

/** An adopted class is imported and protected in every environment; Strata's own is kept like any data. */
function classAdoption(platform: Platform) {
  const { storage } = platform.config;
  return storage.adoptClass ? { resourceOptions: { ...platform.stateful, protect: true }, importExisting: true } : { resourceOptions: platform.stateful };
}

/**
 * Namespaces of the claims. Strata's own where they coincide; an application's namespace is the application's (its
 * chart or stack creates it, the plan lists it as a cluster prerequisite) and is only named, never labelled or
 * protected; Strata creates one only for a claim with `createNamespace: true`, and then keeps it like data.
 */
function claimNamespaces(platform: Platform): Record<string, pulumi.Input<string>> {
  const own = new Map<string, pulumi.Input<string>>();
  for (const [role, name] of Object.entries(platform.config.namespaces)) {
    const declared = platform.namespaces[role as keyof Platform["namespaces"]];
    if (declared) own.set(name, declared);
  }
  const claims = Object.values(platform.config.storage.claims);
  const wanted = [...new Set(claims.filter((c) => c.createNamespace).map((c) => c.namespace))].filter((n) => !own.has(n)).sort();
  for (const c of claims) if (!own.has(c.namespace) && !wanted.includes(c.namespace)) own.set(c.namespace, c.namespace);
  // A namespace holding an adopted claim exists already: it is imported with it.
  const adoptedIn = new Set(claims.filter((c) => c.adopt?.claim).map((c) => c.namespace));
  if (wanted.length > 0) {
    const created = new Namespaces(
      "storage",
      {
        labels: platform.labels,
        resourceOptions: platform.stateful,
        // Database and broker charts run as non-root but not always within `restricted`; `baseline` still bars
        // host access and privilege.
        namespaces: Object.fromEntries(wanted.map((n) => [n, { name: n, enforce: "baseline" as const, purpose: "data of stateful services (claims owned by Strata)", adopt: adoptedIn.has(n) }])),
      },
      platform.k8sOpts,
    );
    for (const n of wanted) own.set(n, created.names[n]!);
  }
  return Object.fromEntries(own);
}

/** What the storage area declares: its stack outputs, and the StorageClass every claim of the class must wait for. */
export interface Storage {
  outputs: StorageOutputs;
  /** The class's component (the class, and on hcloud its LUKS Secret): claims and releases that name the class depend on it. */
  storageClass: pulumi.Resource;
}

/** Storage that outlives pods and clusters (issue #3): the environment's StorageClass, its claims, and on aws keys and snapshots. */
export function declareStorage(platform: Platform): Storage {
  const { config } = platform;
  const { storage } = config;

  let storageClass: pulumi.Output<string>;
  let storageClassResource: pulumi.Resource;
  let awsOutputs: AwsStorage["outputs"] = {};
  let encryptionSecret: SecretRef | undefined;
  if (config.cloud === "aws") {
    const declared = declareAwsStorage(platform);
    storageClass = declared.storageClass.storageClassName;
    storageClassResource = declared.storageClass;
    awsOutputs = declared.outputs;
  } else {
    const hcloudClass = new HcloudStorageClass(
      "hcloud-volumes",
      {
        name: strataStorageClassName(config),
        fsType: storage.fsType,
        location: config.hcloud.location,
        isDefault: storage.defaultClass,
        labels: platform.labels,
        ...(storage.hcloud.encryption ? { encryption: { secretName: LUKS_SECRET.name, secretNamespace: LUKS_SECRET.namespace } } : {}),
        ...classAdoption(platform),
      },
      platform.k8sOpts,
    );
    storageClass = hcloudClass.storageClassName;
    storageClassResource = hcloudClass;
    encryptionSecret = hcloudClass.encryptionSecret;
  }

  const namespaces = claimNamespaces(platform);
  const claims: Record<string, ClaimOutput> = {};
  for (const [service, spec] of Object.entries(storage.claims)) {
    const claimName = claimNameOf(config, service);
    const adopt = spec.adopt;
    // An adopted volume or claim is imported and protected; a claim bound to an adopted volume is new but holds old
    // data from its first day, so it is protected the same way.
    const dataOptions = adopt ? { ...platform.stateful, protect: adopt.protect ?? true } : platform.stateful;
    // Strata's class through its output, so the claim waits for the class it creates; another class by name.
    const ownClass = claimStorageClass(config, service);
    const claimClass = ownClass === strataStorageClassName(config) ? storageClass : ownClass;
    const labels = { ...platform.labels, "app.kubernetes.io/name": service, "app.kubernetes.io/component": "data" };
    const namespace = namespaces[spec.namespace]!;
    let volume: HcloudProtectedVolume | EbsStaticVolume | undefined;
    if (config.cloud === "hcloud" && (spec.critical || adopt?.hcloudVolume)) {
      volume = new HcloudProtectedVolume(
        `${service}-data`,
        {
          volumeName: `strata-${config.environment}-${service}-data`,
          sizeGiB: gibOf(spec.size),
          location: config.hcloud.location,
          fsType: storage.fsType,
          storageClassName: claimClass,
          claim: { name: claimName, namespace },
          labels,
          ...(encryptionSecret ? { encryptionSecret } : {}),
          resourceOptions: dataOptions,
          ...(adopt?.hcloudVolume ? { importVolumeId: importIds.hcloudVolume(adopt.hcloudVolume.id) } : {}),
        },
        platform.k8sOpts,
      );
    } else if (adopt?.ebsVolume) {
      volume = new EbsStaticVolume(
        `${service}-data`,
        {
          name: `strata-${config.environment}-${service}-data`,
          volumeId: adopt.ebsVolume.id,
          availabilityZone: adopt.ebsVolume.availabilityZone,
          sizeGiB: gibOf(spec.size),
          fsType: storage.fsType,
          storageClassName: claimClass,
          claim: { name: claimName, namespace },
          labels,
          resourceOptions: dataOptions,
        },
        platform.k8sOpts,
      );
    }
    const boundTo = volume ? volume.persistentVolumeName : adopt?.persistentVolume;
    const claim = new PersistentClaim(
      `${service}-data`,
      {
        name: claimName,
        namespace,
        size: spec.size,
        storageClassName: claimClass,
        labels,
        ...(boundTo ? { volumeName: boundTo } : {}),
        resourceOptions: dataOptions,
        ...(adopt?.claim ? { importId: importIds.namespaced(spec.namespace, adopt.claim) } : {}),
      },
      platform.k8sOpts,
    );
    claims[service] = { claimName: claim.claimName, namespace: claim.namespace, size: spec.size, ...(volume instanceof HcloudProtectedVolume ? { volumeId: volume.volumeId } : {}) };
  }

  return { outputs: { storageClass, claims, ...awsOutputs }, storageClass: storageClassResource };
}

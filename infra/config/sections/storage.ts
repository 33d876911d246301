import { z } from "zod";
import type { RefinementCtx } from "zod";
import { AWS_REGION } from "./core";
import { adoptStorageClass, claimAdoption, storageClassName } from "./adoption";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Claim names are `<service>-data`; keeping the service short leaves the name a valid label for selectors.
const SERVICE_NAME = /^[a-z0-9]([-a-z0-9]{0,56}[a-z0-9])?$/;
// Whole gibibytes only: EBS and Hetzner both allocate in GiB, so any other unit would be rounded behind our back.
const GIB_QUANTITY = /^[1-9][0-9]{0,4}Gi$/;
const UTC_TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

/** gp3 limits (EBS user guide): IOPS 3000-16000, throughput 125-1000 MiB/s, at most 0.25 MiB/s per IOPS. */
export const GP3 = { minIops: 3000, maxIops: 16000, minThroughput: 125, maxThroughput: 1000, maxGiB: 16384, iopsPerGiB: 500, mibPerIops: 0.25 } as const;
/** The Hetzner CSI driver refuses volumes under 10 GiB; Hetzner volumes end at 10 TiB. */
export const HCLOUD_VOLUME = { minGiB: 10, maxGiB: 10240 } as const;

const deployedGiB = z.number().int().min(1).max(GP3.maxGiB);
/** The volumes of Strata's charts that `storage.deployedSizes` records (claims of storage.claims are recorded by service). */
export const GROWABLE_VOLUMES = ["prometheus", "thanosStoreGateway", "thanosCompactor", "loki", "pushgateway"] as const;

export const gibOf = (quantity: string): number => Number.parseInt(quantity, 10);

const claim = z.strictObject({
  namespace: z
    .string()
    .regex(DNS1123_LABEL, "must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
    .describe("Namespace the claim lives in: the application's, which its own chart or stack creates (the plan lists it under what the cluster must already have) unless `createNamespace` is true.").meta({ examples: ["orders"] }),
  size: z
    .string()
    .regex(GIB_QUANTITY, "must be a Kubernetes quantity in whole Gi, such as 10Gi")
    .refine((q) => gibOf(q) <= GP3.maxGiB, `must be at most ${GP3.maxGiB}Gi (the largest gp3 volume)`)
    .describe("Requested size, in whole Gi; at least 10Gi on `hcloud`.").meta({ examples: ["10Gi"] }),
  critical: z
    .boolean()
    .default(false)
    .describe("On `hcloud`, back the claim with a pre-created, delete-protected Hetzner volume that outlives the cluster (default false)."),
  storageClass: z
    .string()
    .regex(DNS1123_SUBDOMAIN, "must be the name of a StorageClass (a DNS-1123 subdomain)")
    .optional()
    .describe("An existing StorageClass to provision the claim from, by name, instead of Strata's own class (default: Strata's class of the cloud)."),
  createNamespace: z
    .boolean()
    .default(false)
    .describe("Let Strata create the claim's namespace (and keep it like data: never deleted with the stack). Default false: the application's chart or stack creates it; Strata never labels or takes over a namespace it did not create."),
  adopt: claimAdoption.optional(),
});

export const storageSection = {
  storage: z
    .strictObject({
      fsType: z.enum(["ext4", "xfs"]).describe("Filesystem the CSI driver formats new volumes with."),
      className: storageClassName,
      adoptClass: adoptStorageClass,
      defaultClass: z.boolean().describe("Mark Strata's StorageClass as the cluster default (claims without a class use it)."),
      ebs: z
        .strictObject({
          iops: z.number().int().min(GP3.minIops).max(GP3.maxIops).describe("Provisioned IOPS of every gp3 volume (3000 is gp3's free baseline)."),
          throughputMiBps: z
            .number()
            .int()
            .min(GP3.minThroughput)
            .max(GP3.maxThroughput)
            .describe("Provisioned throughput of every gp3 volume in MiB/s (125 is gp3's free baseline)."),
        })
        .describe("The `ebs-gp3` StorageClass (aws)."),
      hcloud: z
        .strictObject({
          encryption: z.boolean().describe("LUKS-encrypt Hetzner volumes with a generated passphrase held in a Kubernetes Secret."),
        })
        .describe("The `hcloud-volumes` StorageClass (hcloud)."),
      snapshots: z
        .strictObject({
          enabled: z.boolean().describe("Take daily EBS snapshots of every volume of Strata's class with Data Lifecycle Manager (aws; ignored on hcloud, which has no volume snapshots)."),
          time: z.string().regex(UTC_TIME, "must be a UTC time of day as HH:MM, such as 03:00").describe("UTC time of day DLM starts the daily snapshots (aws)."),
          crossRegionCopy: z
            .strictObject({
              enabled: z.boolean().describe("Copy every daily snapshot to another region, encrypted with a key there."),
              region: z.string().regex(AWS_REGION, "must be an AWS region name such as eu-west-1").describe("Region the copies go to; must differ from `strata:region`."),
            })
            .describe("Cross-region copies of the daily snapshots (aws); kept for `retention.snapshotCopyRetainDays`."),
        })
        .describe("Daily EBS snapshots by Data Lifecycle Manager (aws); how many are kept is `retention.snapshotRetainCount`."),
      deployedSizes: z
        .strictObject({
          prometheus: deployedGiB.optional().describe("GiB of each Prometheus volume in the cluster."),
          thanosStoreGateway: deployedGiB.optional().describe("GiB of each Thanos store gateway volume in the cluster."),
          thanosCompactor: deployedGiB.optional().describe("GiB of the Thanos compactor's volume in the cluster."),
          loki: deployedGiB.optional().describe("GiB of each Loki volume in the cluster."),
          pushgateway: deployedGiB.optional().describe("GiB of each Pushgateway volume in the cluster."),
          claims: z.record(z.string().regex(SERVICE_NAME, "must be the service of a claim in storage.claims"), deployedGiB).optional().describe("GiB each claim of storage.claims has in the cluster now, by service."),
        })
        .optional()
        .describe(
          "The size, in GiB, each volume has in the cluster now (what the last `pulumi up` left), recorded when a size is raised: a volume whose size in config is above its record grows in place on the next `pulumi up` (the claims a StatefulSet made are patched); a size below its record is refused, since volumes never shrink. Leave a volume out on its first deploy. See docs/runbooks/grow-a-volume.md.",
        )
        .meta({ examples: [{ prometheus: 50, claims: { orders: 20 } }] }),
      claims: z
        .record(z.string().regex(SERVICE_NAME, "must be a DNS-1123 label of at most 58 characters (the claim is named `<service>-data`)"), claim)
        .describe("PersistentVolumeClaims for stateful services, by service name; each claim is `<service>-data`."),
    })
    .describe("StorageClasses, claims and snapshots: storage that outlives pods and clusters."),
};

export type StorageConfig = z.infer<typeof storageSection.storage>;

/** Rules the schema of one value cannot express: they depend on the cloud, the region and the gp3 ratios. */
export function checkStorage(c: { cloud: "aws" | "hcloud"; region: string; storage: StorageConfig }, ctx: RefinementCtx): void {
  const { storage } = c;
  const issue = (path: (string | number)[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path: ["storage", ...path], input, message });

  for (const [service, { size, critical, storageClass }] of Object.entries(storage.claims)) {
    const gib = gibOf(size);
    if (c.cloud === "hcloud" && critical && storageClass !== undefined) {
      issue(["claims", service, "storageClass"], storageClass, "must be left out when critical is true on cloud hcloud: a critical claim binds a pre-created Hetzner volume of Strata's class (drop storageClass, or set critical: false)");
    }
    if (c.cloud === "hcloud" && gib < HCLOUD_VOLUME.minGiB) {
      issue(["claims", service, "size"], size, `must be at least ${HCLOUD_VOLUME.minGiB}Gi on cloud hcloud: the Hetzner CSI driver refuses smaller volumes`);
    }
    if (c.cloud === "hcloud" && gib > HCLOUD_VOLUME.maxGiB) {
      issue(["claims", service, "size"], size, `must be at most ${HCLOUD_VOLUME.maxGiB}Gi on cloud hcloud (the largest Hetzner volume)`);
    }
    if (c.cloud === "aws" && storage.ebs.iops > GP3.minIops && gib * GP3.iopsPerGiB < storage.ebs.iops) {
      issue(["claims", service, "size"], size, `must be at least ${Math.ceil(storage.ebs.iops / GP3.iopsPerGiB)}Gi for storage.ebs.iops ${storage.ebs.iops}: gp3 provisions at most ${GP3.iopsPerGiB} IOPS per GiB above the 3000 baseline`);
    }
  }
  if (storage.ebs.throughputMiBps > storage.ebs.iops * GP3.mibPerIops) {
    issue(["ebs", "throughputMiBps"], storage.ebs.throughputMiBps, `must be at most ${storage.ebs.iops * GP3.mibPerIops} for storage.ebs.iops ${storage.ebs.iops}: gp3 allows ${GP3.mibPerIops} MiB/s per IOPS`);
  }
  const copy = storage.snapshots.crossRegionCopy;
  if (copy.enabled && copy.region === c.region) {
    issue(["snapshots", "crossRegionCopy", "region"], copy.region, `must differ from strata:region (${c.region}): a copy in the same region does not survive a regional outage`);
  }
}

/** The claim a service's data lives in: an adopted claim keeps its own name, any other is `<service>-data`. */
export function claimNameOf(config: { storage: Pick<StorageConfig, "claims"> }, service: string): string {
  return config.storage.claims[service]?.adopt?.claim ?? `${service}-data`;
}

/**
 * The StorageClass Strata's own volumes use: `ebs-gp3` on aws (encrypted, tagged for DLM snapshots) and
 * `hcloud-volumes` on hcloud, both with reclaimPolicy Retain. The storage area declares the classes; every
 * consumer takes the name from here so the two cannot drift.
 */
export function storageClassName(cloud: "aws" | "hcloud"): string {
  return cloud === "aws" ? "ebs-gp3" : "hcloud-volumes";
}

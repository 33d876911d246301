import { STORAGE_CLASS } from "./areas/storage";

/**
 * The StorageClass Strata's own volumes use: `ebs-gp3` on aws (encrypted, tagged for DLM snapshots) and
 * `hcloud-volumes` on hcloud, both Retain. The storage area declares the classes (STORAGE_CLASS); consumers take
 * the name from here so the two cannot drift.
 */
export function storageClassName(cloud: "aws" | "hcloud"): string {
  return STORAGE_CLASS[cloud];
}

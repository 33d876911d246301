import type * as pulumi from "@pulumi/pulumi";
import type { StrataConfig } from "./config/schema";
/** Default names of Strata's StorageClass per cloud (`storage.className` chooses another). */
export const STORAGE_CLASS = { aws: "ebs-gp3", hcloud: "hcloud-volumes" } as const;

/**
 * Adoption in one place (issue 22): the options an adopted resource is declared with, the import id each provider
 * takes, and the names adopted things keep. Config says what to adopt (infra/config/sections/adoption.ts).
 */

/**
 * Options of an adopted resource: Pulumi's `import` with the id the provider reads it by, kept on delete like all
 * data, and protected in every environment (not only prod) until the stack sets `protect: false`. Importing checks
 * the declared inputs against what exists, so a mistake stops there instead of replacing anything.
 */
export function adoptedOptions(importId: string, protect: boolean | undefined): Pick<pulumi.CustomResourceOptions, "import" | "protect" | "retainOnDelete"> {
  return { import: importId, protect: protect ?? true, retainOnDelete: true };
}

/** Import ids, in the form each provider's `pulumi import` documents. */
export const importIds = {
  /** pulumi-kubernetes: `<namespace>/<name>` for a namespaced object. */
  namespaced: (namespace: string, name: string) => `${namespace}/${name}`,
  /** pulumi-kubernetes: the name alone for a cluster-scoped object (StorageClass, PersistentVolume, Namespace). */
  clusterScoped: (name: string) => name,
  /** pulumi-kubernetes helm.v3.Release: `<namespace>/<release>`. */
  helmRelease: (namespace: string, release: string) => `${namespace}/${release}`,
  /** aws.s3.Bucket: the bucket name. */
  bucket: (name: string) => name,
  /** aws.kms.Key: the key id; aws.kms.Alias: the alias name with its `alias/` prefix. */
  kmsKey: (id: string) => id,
  kmsAlias: (alias: string) => alias,
  /** hcloud.Volume: the numeric volume id. */
  hcloudVolume: (id: number) => String(id),
} as const;

type Config = Pick<StrataConfig, "cloud" | "storage">;

/** The name of Strata's own StorageClass: the stack's `storage.className`, else the cloud's default. */
export function strataStorageClassName(config: Config): string {
  return config.storage.className ?? STORAGE_CLASS[config.cloud];
}

/**
 * The class one claim uses: the existing class it names (`storageClass`), or Strata's own; everything that needs
 * "the claim's class" asks this function.
 */
export function claimStorageClass(config: Config, service: string): string {
  return config.storage.claims[service]?.storageClass ?? strataStorageClassName(config);
}

// Defined beside the claims' schema, so that infra/backupTargets.ts (which the capacity planner, and through it the
// schema, imports) can name claims without importing the whole schema back.
export { claimNameOf } from "./config/sections/storage";

import { gunzipSync } from "node:zlib";

/**
 * What `npm run adopt` reads: the dumps a user makes with standard tools, in exactly the shapes those tools print.
 * Nothing here talks to a cluster or an account.
 *  - `kubectl get namespaces,storageclasses,persistentvolumes,persistentvolumeclaims,secrets,customresourcedefinitions -A -o json`
 *    prints one `List` of every object;
 *  - `hcloud volume list -o json` prints an array of volumes;
 *  - `aws s3api list-buckets` prints `{ Buckets: [{ Name, CreationDate }], Owner }`.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface HelmRelease {
  name: string;
  namespace: string;
  version: number;
  /** `deployed`, `superseded`, `failed`, `pending-install`, `pending-upgrade`, `pending-rollback`, … */
  status: string;
  chart: string;
  chartVersion: string;
  appVersion?: string;
}

export interface HcloudVolume {
  id: number;
  name: string;
  size: number;
  location: { name: string };
  protection: { delete: boolean };
  labels: Record<string, string>;
  server: number | null;
  linux_device?: string;
}

export interface ClusterDump {
  objects: KubeObject[];
  /** The newest revision of each Helm release, decoded from its release Secrets. */
  releases: HelmRelease[];
  /** Every decoded revision, for rollbacks to the last deployed one. */
  revisions: HelmRelease[];
}

export class DumpError extends Error {}

/** Helm 3 stores a release in Secret `sh.helm.release.v1.<name>.v<revision>` (type `helm.sh/release.v1`). */
export const HELM_RELEASE_SECRET_TYPE = "helm.sh/release.v1";

/**
 * A Helm 3 release record: Helm gzips the release JSON and base64-encodes it into the Secret's `release` key, and
 * the Secret's `data` is base64 again (helm pkg/storage/driver/util.go `encodeRelease`/`decodeRelease`).
 */
export function decodeHelmRelease(data: string): Record<string, any> {
  const once = Buffer.from(Buffer.from(data, "base64").toString("utf8"), "base64");
  // Helm accepts an un-gzipped record too (the magic bytes tell).
  const json = once[0] === 0x1f && once[1] === 0x8b ? gunzipSync(once) : once;
  return JSON.parse(json.toString("utf8")) as Record<string, any>;
}

/** The inverse, for tests and fixtures: what Helm writes. */
export function encodeHelmRelease(release: Record<string, unknown>, gzip: (b: Buffer) => Buffer): string {
  return Buffer.from(gzip(Buffer.from(JSON.stringify(release))).toString("base64")).toString("base64");
}

/** A dump's JSON, or an error that names the command that writes it. */
function parseJson(text: string, file: string, command: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DumpError(`${file} is not JSON (${(error as Error).message}); write it with ${command}`);
  }
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseClusterDump(text: string, file: string): ClusterDump {
  const list = parseJson(text, file, "kubectl get namespaces,storageclasses,persistentvolumes,persistentvolumeclaims,secrets,customresourcedefinitions -A -o json");
  if (!isObject(list) || list.kind !== "List" || !Array.isArray(list.items)) {
    throw new DumpError(`${file} is not a kubectl List (kind: List, items: [...]); write it with kubectl get ... -A -o json`);
  }
  const objects: KubeObject[] = [];
  for (const [i, item] of (list.items as unknown[]).entries()) {
    if (!isObject(item) || typeof item.kind !== "string" || !isObject(item.metadata) || typeof item.metadata.name !== "string") {
      throw new DumpError(`${file}: items[${i}] is not a Kubernetes object (kind and metadata.name)`);
    }
    objects.push(item as KubeObject);
  }
  const revisions: HelmRelease[] = [];
  for (const secret of objects.filter((o) => o.kind === "Secret" && o.type === HELM_RELEASE_SECRET_TYPE)) {
    const data = (secret.data as Record<string, string> | undefined)?.release;
    if (!data) continue;
    let record: Record<string, any>;
    try {
      record = decodeHelmRelease(data);
    } catch (error) {
      throw new DumpError(`${file}: Secret ${secret.metadata.namespace}/${secret.metadata.name} is not a Helm release record (${(error as Error).message})`);
    }
    const meta = record.chart?.metadata ?? {};
    revisions.push({
      name: String(record.name),
      namespace: String(record.namespace ?? secret.metadata.namespace),
      version: Number(record.version),
      status: String(record.info?.status ?? secret.metadata.labels?.status ?? "unknown"),
      chart: String(meta.name ?? "unknown"),
      chartVersion: String(meta.version ?? "unknown"),
      ...(meta.appVersion ? { appVersion: String(meta.appVersion) } : {}),
    });
  }
  const newest = new Map<string, HelmRelease>();
  for (const r of revisions) {
    const key = `${r.namespace}/${r.name}`;
    if ((newest.get(key)?.version ?? -1) < r.version) newest.set(key, r);
  }
  return { objects, releases: [...newest.values()], revisions };
}

export function parseHcloudVolumes(text: string, file: string): HcloudVolume[] {
  const value = parseJson(text, file, "hcloud volume list -o json");
  // `hcloud volume list -o json` prints an array (or null when there are none).
  if (value === null) return [];
  if (!Array.isArray(value) || value.some((v) => !isObject(v) || typeof v.id !== "number" || typeof v.name !== "string" || !isObject(v.location))) {
    throw new DumpError(`${file} is not the output of hcloud volume list -o json (an array of volumes with id, name, location)`);
  }
  return value as HcloudVolume[];
}

export function parseBucketList(text: string, file: string): string[] {
  const value = parseJson(text, file, "aws s3api list-buckets");
  if (!isObject(value) || !Array.isArray(value.Buckets) || value.Buckets.some((b: unknown) => !isObject(b) || typeof b.Name !== "string")) {
    throw new DumpError(`${file} is not the output of aws s3api list-buckets ({ "Buckets": [{ "Name": ... }] })`);
  }
  return (value.Buckets as { Name: string }[]).map((b) => b.Name);
}

/** One alias as `aws kms list-aliases` prints it (one region: the CLI's). */
export interface KmsAlias {
  AliasName: string;
  AliasArn?: string;
  TargetKeyId?: string;
}

export function parseKmsAliases(text: string, file: string): KmsAlias[] {
  const value = parseJson(text, file, "aws kms list-aliases");
  if (!isObject(value) || !Array.isArray(value.Aliases) || value.Aliases.some((a: unknown) => !isObject(a) || typeof a.AliasName !== "string" || (a.TargetKeyId !== undefined && typeof a.TargetKeyId !== "string"))) {
    throw new DumpError(`${file} is not the output of aws kms list-aliases ({ "Aliases": [{ "AliasName": "alias/...", "TargetKeyId": ... }] })`);
  }
  return value.Aliases as KmsAlias[];
}

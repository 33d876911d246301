import { gzipSync } from "node:zlib";
import { encodeHelmRelease, type HelmRelease } from "../../infra/adopt/dumps";

/**
 * Dumps of running estates modelled on the seeds, in exactly the shapes the standard tools print: a `List` from
 * `kubectl get namespaces,storageclasses,persistentvolumes,persistentvolumeclaims,secrets,customresourcedefinitions -A -o json`
 * (server-populated fields included: uid, resourceVersion, creationTimestamp, status), `hcloud volume list -o json`
 * and `aws s3api list-buckets`. Helm's release Secrets hold gzip+base64 records, made with node's zlib the way Helm does.
 */

let uid = 0;
const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({
  name,
  ...(namespace ? { namespace } : {}),
  uid: `6f1c${String(++uid).padStart(4, "0")}-1a2b-4c3d-8e9f-0a1b2c3d4e5f`,
  resourceVersion: String(1000 + uid),
  creationTimestamp: "2025-03-02T09:14:07Z",
  ...extra,
});

export const namespace = (name: string) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: meta(name, undefined, { labels: { "kubernetes.io/metadata.name": name } }),
  spec: { finalizers: ["kubernetes"] },
  status: { phase: "Active" },
});

/** The Hetzner CSI driver chart's own class (reclaim Delete, default). */
export const hcloudCsiClass = () => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: meta("hcloud-volumes", undefined, { annotations: { "storageclass.kubernetes.io/is-default-class": "true", "meta.helm.sh/release-name": "hcloud-csi", "meta.helm.sh/release-namespace": "kube-system" }, labels: { "app.kubernetes.io/managed-by": "Helm" } }),
  provisioner: "csi.hetzner.cloud",
  reclaimPolicy: "Delete",
  volumeBindingMode: "WaitForFirstConsumer",
  allowVolumeExpansion: true,
});

/** Seed 001's own `ebs-gp3` class: gp3, encrypted with the account's default key, Retain. */
export const seed001Class = () => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: meta("ebs-gp3", undefined, { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }),
  provisioner: "ebs.csi.aws.com",
  parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
  reclaimPolicy: "Retain",
  volumeBindingMode: "WaitForFirstConsumer",
  allowVolumeExpansion: true,
});

export interface VolumeSpec {
  pv: string;
  claim: string;
  namespace: string;
  size: string;
  className: string;
  driver: "csi.hetzner.cloud" | "ebs.csi.aws.com";
  handle: string;
  reclaim: "Delete" | "Retain";
  labels?: Record<string, string>;
}

/** A dynamically provisioned, bound claim and its volume, as the CSI provisioner leaves them. */
export function boundVolume(v: VolumeSpec) {
  const claimMeta = meta(v.claim, v.namespace, {
    annotations: { "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes", "volume.beta.kubernetes.io/storage-provisioner": v.driver, "volume.kubernetes.io/storage-provisioner": v.driver },
    finalizers: ["kubernetes.io/pvc-protection"],
    ...(v.labels ? { labels: v.labels } : {}),
  });
  const zoneKey = v.driver === "ebs.csi.aws.com" ? "topology.ebs.csi.aws.com/zone" : "csi.hetzner.cloud/location";
  const zone = v.driver === "ebs.csi.aws.com" ? "eu-central-1a" : "fsn1";
  const pvc = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: claimMeta,
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: v.size } }, storageClassName: v.className, volumeMode: "Filesystem", volumeName: v.pv },
    status: { accessModes: ["ReadWriteOnce"], capacity: { storage: v.size }, phase: "Bound" },
  };
  const pv = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: meta(v.pv, undefined, { annotations: { "pv.kubernetes.io/provisioned-by": v.driver, "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": "" }, finalizers: ["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"] }),
    spec: {
      accessModes: ["ReadWriteOnce"],
      capacity: { storage: v.size },
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", name: v.claim, namespace: v.namespace, resourceVersion: "4711", uid: claimMeta.uid },
      csi: { driver: v.driver, fsType: "ext4", volumeAttributes: { "storage.kubernetes.io/csiProvisionerIdentity": "1740906847123-8081-" + v.driver }, volumeHandle: v.handle },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: zoneKey, operator: "In", values: [zone] }] }] } },
      persistentVolumeReclaimPolicy: v.reclaim,
      storageClassName: v.className,
      volumeMode: "Filesystem",
    },
    status: { lastPhaseTransitionTime: "2025-03-02T09:14:09Z", phase: "Bound" },
  };
  return [pvc, pv];
}

/** A release revision as a fixture writes it: what `npm run adopt` decodes, with the app version Helm records. */
export type ReleaseRevision = HelmRelease & { appVersion: string };

/** Helm's release Secret: `sh.helm.release.v1.<name>.v<N>`, type `helm.sh/release.v1`, labels Helm sets. */
export function helmReleaseSecret(r: ReleaseRevision) {
  const record = {
    name: r.name,
    info: { first_deployed: "2025-03-02T09:13:55Z", last_deployed: "2025-06-11T08:01:12Z", deleted: "", description: r.status === "deployed" ? "Upgrade complete" : "Preparing upgrade", status: r.status },
    chart: { metadata: { name: r.chart, version: r.chartVersion, appVersion: r.appVersion, apiVersion: "v2", type: "application" }, templates: [], values: {} },
    config: {},
    manifest: "",
    version: r.version,
    namespace: r.namespace,
  };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(`sh.helm.release.v1.${r.name}.v${r.version}`, r.namespace, { labels: { name: r.name, owner: "helm", status: r.status, version: String(r.version), modifiedAt: "1749628872" } }),
    type: "helm.sh/release.v1",
    data: { release: encodeHelmRelease(record, gzipSync) },
  };
}

/** A CRD kube-prometheus-stack installed from its crds/ directory (no Helm ownership annotations). */
export const monitoringCrd = (plural: string, kind: string) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: meta(`${plural}.monitoring.coreos.com`, undefined, { annotations: { "controller-gen.kubebuilder.io/version": "v0.13.0", "operator.prometheus.io/version": "0.72.0" } }),
  spec: {
    group: "monitoring.coreos.com",
    names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
    scope: "Namespaced",
    versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, spec: { type: "object" }, status: { type: "object" } } } } }],
  },
  status: { acceptedNames: { kind, plural }, storedVersions: ["v1"], conditions: [] },
});

export const list = (items: object[]) => ({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items });

/** One volume as `hcloud volume list -o json` prints it. */
export const hcloudVolume = (id: number, name: string, size: number, server: number | null, protectedFromDelete: boolean) => ({
  id,
  name,
  status: "available",
  server,
  location: { id: 1, name: "fsn1", description: "Falkenstein DC Park 1", country: "DE", city: "Falkenstein", latitude: 50.47612, longitude: 12.370071, network_zone: "eu-central" },
  size,
  linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${id}`,
  protection: { delete: protectedFromDelete },
  labels: {},
  created: "2025-03-02T09:14:08Z",
  format: "ext4",
});

/** Seed 000: `helm install prometheus` of kube-prometheus-stack on Hetzner, a 50Gi claim of the CSI driver's class. */
export const SEED000_PV = "pvc-3f8e2c1a-7b4d-4e5f-9a6b-0c1d2e3f4a5b";
export const SEED000_CLAIM = "prometheus-prometheus-kube-prometheus-prometheus-db-prometheus-prometheus-kube-prometheus-prometheus-0";
export function seed000(opts: { reclaim: "Delete" | "Retain"; pendingUpgrade?: boolean }) {
  const revisions: ReleaseRevision[] = [
    { name: "prometheus", namespace: "monitoring", version: 1, status: "superseded", chart: "kube-prometheus-stack", chartVersion: "56.6.2", appVersion: "v0.71.2" },
    { name: "prometheus", namespace: "monitoring", version: 2, status: opts.pendingUpgrade ? "superseded" : "deployed", chart: "kube-prometheus-stack", chartVersion: "56.6.2", appVersion: "v0.71.2" },
    ...(opts.pendingUpgrade ? [{ name: "prometheus", namespace: "monitoring", version: 3, status: "pending-upgrade", chart: "kube-prometheus-stack", chartVersion: "58.0.0", appVersion: "v0.72.0" }] : []),
  ];
  const cluster = list([
    namespace("default"),
    namespace("kube-system"),
    namespace("monitoring"),
    namespace("batchsender"),
    hcloudCsiClass(),
    ...boundVolume({ pv: SEED000_PV, claim: SEED000_CLAIM, namespace: "monitoring", size: "50Gi", className: "hcloud-volumes", driver: "csi.hetzner.cloud", handle: "100200300", reclaim: opts.reclaim, labels: { "app.kubernetes.io/instance": "prometheus-kube-prometheus-prometheus", "app.kubernetes.io/managed-by": "prometheus-operator", "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "prometheus-kube-prometheus-prometheus", "operator.prometheus.io/shard": "0", prometheus: "prometheus-kube-prometheus-prometheus" } }),
    ...revisions.map(helmReleaseSecret),
    monitoringCrd("prometheuses", "Prometheus"),
    monitoringCrd("servicemonitors", "ServiceMonitor"),
  ]);
  return { cluster, hcloudVolumes: [hcloudVolume(100200300, SEED000_PV, 50, 4711, false)] };
}

/** Seed 001: EKS, its own `ebs-gp3` class, PostgreSQL 10Gi / RabbitMQ 5Gi / Valkey 2Gi claims in `powerlifting`. */
export function seed001() {
  const claim = (service: string, claimName: string, size: string, handle: string) =>
    boundVolume({ pv: `pvc-${handle.slice(4, 12)}-1111-4222-8333-${handle.slice(4, 16)}`, claim: claimName, namespace: "powerlifting", size, className: "ebs-gp3", driver: "ebs.csi.aws.com", handle, reclaim: "Retain", labels: { "app.kubernetes.io/instance": service, "app.kubernetes.io/name": service } });
  return {
    cluster: list([
      namespace("default"),
      namespace("kube-system"),
      namespace("powerlifting"),
      seed001Class(),
      ...claim("postgresql", "data-postgresql-0", "10Gi", "vol-0a1b2c3d4e5f60718"),
      ...claim("rabbitmq", "data-rabbitmq-0", "5Gi", "vol-0b2c3d4e5f6071829"),
      ...claim("valkey", "valkey-data", "2Gi", "vol-0c3d4e5f607182930"),
    ]),
  };
}

/** Seed 004: a new cluster (the team moves from docker-compose) and a year of dumps in its own bucket. */
export function seed004() {
  return {
    cluster: list([namespace("default"), namespace("kube-system")]),
    buckets: { Buckets: [{ Name: "miyou-monitoring-archive", CreationDate: "2024-11-02T03:00:12+00:00" }, { Name: "miyou-web-assets", CreationDate: "2023-05-19T10:22:41+00:00" }], Owner: { DisplayName: "miyou-ops", ID: "3f6b0c5e8a9d4b2c1e7f6a5d4c3b2a1908f7e6d5c4b3a291807f6e5d4c3b2a19" } },
  };
}

/** `aws kms list-aliases` in seed 001's account (us-east-1): AWS-managed aliases (alias/aws/s3 unused, no key) and the team's own. */
export const SEED001_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
export function seed001KmsAliases(own: { AliasName: string; TargetKeyId: string }[] = [{ AliasName: "alias/powerlifting-backups", TargetKeyId: SEED001_KEY }]) {
  const arn = (name: string) => `arn:aws:kms:us-east-1:111122223333:${name}`;
  return {
    Aliases: [
      { AliasName: "alias/aws/ebs", AliasArn: arn("alias/aws/ebs"), TargetKeyId: "0b7c2e4f-9a1d-4c3b-8e6f-5d4a3b2c1e0f", CreationDate: "2024-11-02T03:00:12.112000+00:00", LastUpdatedDate: "2024-11-02T03:00:12.112000+00:00" },
      { AliasName: "alias/aws/s3", AliasArn: arn("alias/aws/s3") },
      ...own.map((a) => ({ ...a, AliasArn: arn(a.AliasName), CreationDate: "2025-03-02T09:10:41.538000+00:00", LastUpdatedDate: "2025-03-02T09:10:41.538000+00:00" })),
    ],
  };
}

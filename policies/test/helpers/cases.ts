/**
 * One passing and one failing case per policy, keyed by policy name. Resource policies take one resource, stack
 * policies a list. The same cases run through the pure core and through the @pulumi/policy adapter.
 */
import type { StrataResource } from "../../core/types";
import { T } from "../../core/util";
import { res } from "./args";

export interface Case {
  pass: StrataResource | StrataResource[];
  fail: StrataResource | StrataResource[];
  /** What the failing case's message says. */
  expect: RegExp;
  /** Policy config for both cases. */
  config?: Record<string, unknown>;
}

const KEY_ARN = "arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001";
const BUCKET = "strata-prod-metrics";
const awsProvider = (env: string) => ({ type: T.awsProvider, urn: "urn:pulumi:prod::strata::pulumi:providers:aws::aws", props: { defaultTags: JSON.stringify({ tags: { "strata:environment": env } }) } });

export const ebsClass = (params: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  res(T.storageClass, "ebs-gp3", {
    metadata: { name: "ebs-gp3" },
    provisioner: "ebs.csi.aws.com",
    reclaimPolicy: "Retain",
    allowVolumeExpansion: true,
    volumeBindingMode: "WaitForFirstConsumer",
    parameters: { type: "gp3", encrypted: "true", kmsKeyId: KEY_ARN, tagSpecification_1: "strata:snapshot=daily", ...params },
    ...extra,
  });
const hcloudClass = (params: Record<string, string> = {}) =>
  res(T.storageClass, "hcloud-volumes", { metadata: { name: "hcloud-volumes" }, provisioner: "csi.hetzner.cloud", reclaimPolicy: "Retain", allowVolumeExpansion: true, parameters: params });
const pvc = (cls: string | undefined, size: string) => res(T.pvc, "data", { metadata: { name: "data" }, spec: { ...(cls ? { storageClassName: cls } : {}), accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } } });

export const bucket = (tags: Record<string, string> = { "strata:purpose": "metrics" }, extra: Record<string, unknown> = {}) => res(T.bucket, "metrics", { bucket: BUCKET, tags, ...extra });
export const companion = (type: string, name: string, props: Record<string, unknown>) => res(type, name, { bucket: BUCKET, ...props });
export const versioning = (status = "Enabled") => companion(T.bucketVersioning, "metrics-versioning", { versioningConfiguration: { status } });
export const sse = (rule: Record<string, unknown> = {}) =>
  companion(T.bucketSse, "metrics-sse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN }, bucketKeyEnabled: true, ...rule }] });
export const pab = (overrides: Record<string, boolean> = {}) =>
  companion(T.bucketPab, "metrics-pab", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...overrides });
export const ownership = (objectOwnership = "BucketOwnerEnforced") => companion(T.bucketOwnership, "metrics-ownership", { rule: { objectOwnership } });
const tlsStatements = [
  { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
  { Sid: "DenyUnencryptedUploads", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } } },
];
export const bucketPolicy = (statements: unknown[] = tlsStatements) => companion(T.bucketPolicy, "metrics-policy", { policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) });
export const cleanupRule = { id: "cleanup", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 7 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } };
export const lifecycle = (rules: unknown[] = [cleanupRule, { id: "tiering", status: "Enabled", filter: {}, transitions: [{ days: 30, storageClass: "INTELLIGENT_TIERING" }], expiration: { days: 760 } }]) =>
  companion(T.bucketLifecycle, "metrics-lifecycle", { rules });
export const fullBucket = () => [bucket(), versioning(), sse(), pab(), ownership(), bucketPolicy(), lifecycle()];

const doc = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const s3Read = { Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`] };
const backupWrite = { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::strata-prod-backups", "arn:aws:s3:::strata-prod-backups/*"] };

const restricted = { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } };
const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } };
export const container = (overrides: Record<string, unknown> = {}) => ({ name: "dump", image: "docker.io/library/postgres:17.6", securityContext: restricted, resources, ...overrides });
export const cronJob = (name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}, containerOverrides: Record<string, unknown> = {}) =>
  res(T.cronJob, name, {
    metadata: { name, labels },
    spec: {
      schedule: "15 2 * * *",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { activeDeadlineSeconds: 7200, backoffLimit: 1, template: { spec: { restartPolicy: "Never", containers: [container(containerOverrides)] } } } },
      ...spec,
    },
  });
const statefulSet = (name: string, containerOverrides: Record<string, unknown> = {}) =>
  res(T.statefulSet, name, { metadata: { name }, spec: { replicas: 1, template: { spec: { securityContext: { runAsNonRoot: true, runAsUser: 999 }, containers: [container(containerOverrides)] } } } });
const deployment = (image: string) => res(T.deployment, "pushgateway", { spec: { template: { spec: { containers: [{ name: "pushgateway", image }] } } } });
const secret = (data: Record<string, unknown>) => res(T.secret, "objstore", { metadata: { name: "objstore" }, stringData: data });
const kmsKey = (props: Record<string, unknown>, env = "prod") => res(T.kmsKey, "data", { description: "Strata data", ...props }, { provider: awsProvider(env) });
const dlm = (props: Record<string, unknown> = {}, count = 7) =>
  res(T.dlmPolicy, "ebs-daily", { state: "ENABLED", policyDetails: { resourceTypes: ["VOLUME"], targetTags: { "strata:snapshot": "daily" }, schedules: [{ name: "daily", createRule: { interval: 24, intervalUnit: "HOURS" }, retainRule: { count } }] }, ...props });

export const kps = (spec: Record<string, unknown> = {}) =>
  res(T.helmRelease, "kube-prometheus-stack", {
    chart: "kube-prometheus-stack",
    version: "88.5.3",
    repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
    values: { prometheus: { prometheusSpec: { replicas: 2, retention: "15d", image: { registry: "quay.io", repository: "prometheus/prometheus", tag: "v3.5.0" }, ...spec } } },
  });
export const thanosCommunity = (values: Record<string, unknown> = {}) =>
  res(T.helmRelease, "thanos", {
    chart: "oci://ghcr.io/thanos-community/helm-charts/thanos",
    version: "0.38.0",
    values: { compactor: { retention: { resolutionRaw: "30d", resolution5m: "120d", resolution1h: "730d" } }, query: { replicaLabels: ["prometheus_replica"] }, ...values },
  });
export const thanosStevehipwell = (values: Record<string, unknown> = {}) =>
  res(T.helmRelease, "thanos", {
    chart: "thanos",
    version: "1.24.1",
    repositoryOpts: { repo: "https://stevehipwell.github.io/helm-charts/" },
    values: {
      image: { repository: "quay.io/thanos/thanos", tag: "v0.39.2" },
      compact: { enabled: true, extraArgs: ["--retention.resolution-raw=30d", "--retention.resolution-5m=120d", "--retention.resolution-1h=730d"] },
      additionalReplicaLabels: ["prometheus_replica"],
      ...values,
    },
  });
export const loki = (retention = "720h") => res(T.helmRelease, "loki", { chart: "loki", version: "18.11.0", values: { loki: { limits_config: { retention_period: retention } } } });
const alertRule = (target: string, kind?: string) => ({ alert: `Strata${kind ?? "Backup"}Failed`, expr: `time() - strata_backup_last_success_timestamp_seconds{target="${target}"} > 2 * 86400`, labels: { backup_target: target, ...(kind ? { job_kind: kind } : {}), severity: "critical" } });
export const prometheusRule = (rules: unknown[]) => res(T.prometheusRule, "backup-alerts", { spec: { groups: [{ name: "strata-backups", rules }] } });
export const backup = (target = "postgres-main") => cronJob(`${target}-backup`, {}, { "app.kubernetes.io/name": "strata-backup", "strata.io/backup-target": target });
/** A claim of `strata:storage.claims`, as Strata labels it. */
const dataClaim = (namespace: string, name: string) =>
  res(T.pvc, name, { metadata: { name, namespace, labels: { "app.kubernetes.io/component": "data" } }, spec: { storageClassName: "ebs-gp3", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } });
/** A backup CronJob that dumps a store over the network and says which claim's data it protects. */
const protecting = (target: string, claims: string) => {
  const b = backup(target);
  return { ...b, props: { ...b.props, metadata: { ...b.props.metadata, namespace: "strata-backups", annotations: { "strata.io/protects-claims": claims } } } };
};
/** A backup CronJob whose pod mounts a claim (the sqlite kind). */
const mounting = (target: string, namespace: string, claimName: string) => {
  const b = backup(target);
  const spec = structuredClone(b.props.spec);
  spec.jobTemplate.spec.template.spec.volumes = [{ name: "source", persistentVolumeClaim: { claimName, readOnly: true } }];
  return { ...b, props: { ...b.props, metadata: { ...b.props.metadata, namespace }, spec } };
};
export const drill = (target = "postgres-main") => cronJob(`${target}-drill`, {}, { "app.kubernetes.io/name": "strata-drill", "strata.io/backup-target": target });

/** The prometheus-operator CRDs' release, and users of its kinds that wait for it (or, with `waits` false, do not). */
export const operatorCrds = () =>
  res(T.helmRelease, "prometheus-operator-crds", { chart: "prometheus-operator-crds", version: "31.0.1", repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" }, namespace: "monitoring", values: {} });
export const crdUsers = (waits: boolean) => {
  const deps = waits ? [operatorCrds().urn] : [];
  return [
    res(T.prometheusRule, "platform-rules", { metadata: { name: "platform-rules", namespace: "kube-system" }, spec: { groups: [] } }, { dependencies: deps }),
    res(T.helmRelease, "pushgateway", { chart: "prometheus-pushgateway", version: "3.8.0", namespace: "kube-system", values: { serviceMonitor: { enabled: true } } }, { dependencies: deps }),
  ];
};

const protectedNs = res(T.namespace, "strata-monitoring", { metadata: { name: "monitoring", labels: { "strata.io/environment": "prod" } } }, { opts: { protect: true, retainOnDelete: true } });

export const CASES: Record<string, Case> = {
  "strata-storageclass-require-retain": { pass: ebsClass(), fail: ebsClass({}, { reclaimPolicy: "Delete" }), expect: /reclaimPolicy Delete/ },
  "strata-storageclass-require-expansion": { pass: ebsClass(), fail: ebsClass({}, { allowVolumeExpansion: false }), expect: /allowVolumeExpansion/ },
  "strata-storageclass-require-encryption": { pass: hcloudClass({ "csi.storage.k8s.io/node-publish-secret-name": "luks", "csi.storage.k8s.io/node-publish-secret-namespace": "kube-system" }), fail: hcloudClass(), expect: /LUKS/, config: { requireHcloudLuks: true } },
  "strata-pvc-require-approved-class": { pass: pvc("ebs-gp3", "50Gi"), fail: pvc("gp2", "50Gi"), expect: /gp2/ },
  "strata-pvc-limit-hcloud-minimum-size": { pass: pvc("hcloud-volumes", "10Gi"), fail: pvc("hcloud-volumes", "5Gi"), expect: /5Gi, below Hetzner's minimum 10Gi/ },
  "strata-hcloudvolume-require-delete-protection": {
    pass: res(T.hcloudVolume, "prometheus-0", { size: 50, location: "fsn1", deleteProtection: true }),
    fail: res(T.hcloudVolume, "prometheus-0", { size: 50, location: "fsn1" }),
    expect: /deleteProtection/,
  },
  "strata-s3-require-versioning": { pass: versioning(), fail: versioning("Suspended"), expect: /Suspended/ },
  "strata-s3-require-kms-encryption": { pass: sse(), fail: sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }), expect: /AES256/ },
  "strata-s3-require-public-access-block": { pass: pab(), fail: pab({ restrictPublicBuckets: false }), expect: /restrictPublicBuckets/ },
  "strata-s3-require-owner-enforced": { pass: ownership(), fail: ownership("ObjectWriter"), expect: /ObjectWriter/ },
  "strata-s3-require-secure-transport": { pass: bucketPolicy(), fail: bucketPolicy([tlsStatements[1]]), expect: /SecureTransport/ },
  "strata-s3-require-lifecycle-cleanup": { pass: lifecycle(), fail: lifecycle([{ ...cleanupRule, noncurrentVersionExpiration: undefined }]), expect: /noncurrentVersionExpiration/ },
  "strata-s3-forbid-force-destroy": { pass: bucket(), fail: bucket(undefined, { forceDestroy: true }), expect: /forceDestroy/ },
  "strata-s3-require-bucket-controls": { pass: fullBucket(), fail: fullBucket().filter((r) => r.type !== T.bucketPab), expect: /no publicAccessBlock/ },
  "strata-s3-forbid-archive-transition": {
    pass: [bucket(), lifecycle()],
    fail: [bucket({ purpose: "logs" }), lifecycle([cleanupRule, { id: "archive", status: "Enabled", filter: {}, transitions: [{ days: 90, storageClass: "DEEP_ARCHIVE" }] }])],
    expect: /DEEP_ARCHIVE/,
  },
  "strata-kms-require-rotation": { pass: kmsKey({ enableKeyRotation: true }), fail: kmsKey({ enableKeyRotation: false }), expect: /enableKeyRotation/ },
  "strata-kms-require-deletion-window": { pass: kmsKey({ deletionWindowInDays: 30 }), fail: kmsKey({ deletionWindowInDays: 7 }), expect: /deletionWindowInDays 7 in prod/ },
  "strata-iam-forbid-wildcard-actions": {
    pass: res(T.iamPolicy, "thanos-objstore", { policy: doc([s3Read]) }),
    fail: res(T.iamRole, "thanos", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "objstore", policy: doc([{ ...s3Read, Action: "s3:*" }]) }] }),
    expect: /allows s3:\*/,
  },
  "strata-iam-forbid-wildcard-resources": {
    pass: res(T.iamRolePolicy, "thanos-objstore", { role: "thanos", policy: doc([s3Read]) }),
    fail: res(T.iamRolePolicy, "thanos-objstore", { role: "thanos", policy: doc([{ Effect: "Allow", Action: ["kms:Decrypt"], Resource: "*" }]) }),
    expect: /kms:Decrypt on \*/,
  },
  "strata-iam-forbid-backup-deletes": {
    pass: res(T.iamRolePolicy, "backup-postgresql", { role: "strata-prod-backup-postgresql", policy: doc([backupWrite]) }),
    fail: res(T.iamRolePolicy, "backup-postgresql", { role: "strata-prod-backup-postgresql", policy: doc([{ ...backupWrite, Action: ["s3:PutObject", "s3:Delete*"] }]) }),
    expect: /s3:DeleteObject/,
  },
  "strata-iam-forbid-static-credentials": {
    pass: res(T.iamAccessKey, "loki-hcloud", { user: "loki-hcloud" }, { provider: { type: T.awsProvider, props: { defaultTags: { tags: { "strata:cloud": "hcloud" } } } } }),
    fail: res(T.iamAccessKey, "loki-aws", { user: "loki-aws" }, { provider: { type: T.awsProvider, props: { defaultTags: { tags: { "strata:cloud": "aws" } } } } }),
    expect: /static AWS credentials on cloud aws/,
  },
  "strata-dlm-require-enabled-retention": { pass: dlm(), fail: dlm({}, 0), expect: /retains 0/ },
  "strata-helm-require-pinned-chart": { pass: kps(), fail: res(T.helmRelease, "kube-prometheus-stack", { chart: "kube-prometheus-stack", version: "^88.5.0", values: {} }), expect: /\^88\.5\.0/ },
  "strata-helm-require-pinned-images": { pass: kps(), fail: thanosStevehipwell({ image: { repository: "quay.io/thanos/thanos" } }), expect: /values\.image: image quay\.io\/thanos\/thanos has no tag/ },
  "strata-workload-require-pinned-images": { pass: deployment("quay.io/prometheus/pushgateway:v1.11.1"), fail: deployment("quay.io/prometheus/pushgateway:latest"), expect: /latest/ },
  "strata-cronjob-require-run-limits": {
    pass: cronJob("backup"),
    fail: cronJob("backup", { concurrencyPolicy: "Allow", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [container()] } } } } }),
    expect: /concurrencyPolicy Allow[\s\S]*no jobTemplate\.spec\.activeDeadlineSeconds/,
  },
  "strata-cronjob-limit-lateness-and-history": {
    pass: cronJob("backup"),
    fail: cronJob("backup", { startingDeadlineSeconds: undefined, failedJobsHistoryLimit: undefined }),
    expect: /no startingDeadlineSeconds[\s\S]*does not set failedJobsHistoryLimit/,
  },
  "strata-pod-require-resources": {
    pass: [cronJob("backup"), statefulSet("wal-receiver")],
    fail: [cronJob("backup"), statefulSet("wal-receiver", { resources: { requests: { cpu: "100m" } } })],
    expect: /wal-receiver container dump has no resources\.requests for memory/,
  },
  "strata-pod-require-restricted-security": {
    pass: [cronJob("backup"), statefulSet("wal-receiver")],
    fail: [cronJob("backup"), statefulSet("wal-receiver", { securityContext: { ...restricted, runAsNonRoot: false, privileged: true } })],
    expect: /wal-receiver container dump needs securityContext runAsNonRoot: true, privileged: false/,
  },
  "strata-pod-forbid-literal-credentials": {
    pass: [cronJob("backup", {}, {}, { env: [{ name: "AWS_REGION", value: "eu-central-1" }, { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "pg", key: "password" } } }] })],
    fail: [
      cronJob("backup", {}, {}, { env: [{ name: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }] }),
      statefulSet("wal-receiver", { env: [{ name: "S3_KEY", value: "AKIAIOSFODNN7EXAMPLE" }] }),
    ],
    expect: /backup container dump sets AWS_SECRET_ACCESS_KEY as a literal value[\s\S]*wal-receiver container dump sets S3_KEY to an AWS access key id/,
  },
  "strata-secret-forbid-plaintext": { pass: secret({ "objstore.yml": "[secret]" }), fail: secret({ "objstore.yml": "type: S3" }), expect: /plaintext key\(s\) objstore\.yml/ },
  "strata-dlm-require-storageclass-target-tag": {
    pass: [ebsClass(), dlm()],
    fail: [ebsClass({ tagSpecification_1: "team=platform" }), dlm()],
    expect: /strata:snapshot=daily/,
  },
  "strata-thanos-require-replica-dedup": {
    pass: [kps(), thanosCommunity()],
    fail: [kps({ replicaExternalLabelName: "replica" }), thanosCommunity()],
    expect: /not on kube-prometheus-stack's replica label replica/,
  },
  "strata-thanos-require-single-compactor": {
    pass: [thanosCommunity()],
    fail: [thanosCommunity({ compactor: { replicaCount: 2 } })],
    expect: /2 Thanos compactor/,
  },
  "strata-retention-require-ordering": {
    pass: [kps(), thanosCommunity(), ...fullBucket(), loki()],
    fail: [kps({ retention: "45d" }), thanosCommunity(), ...fullBucket()],
    expect: /Prometheus retention 45d exceeds Thanos raw retention 30d/,
  },
  "strata-stateful-require-protection": {
    pass: [protectedNs, res(T.bucket, "metrics", { bucket: BUCKET }, { opts: { protect: true, retainOnDelete: true } })],
    fail: [protectedNs, res(T.pvc, "prometheus-data", { spec: { storageClassName: "ebs-gp3" } })],
    expect: /PersistentVolumeClaim prometheus-data is neither protected nor retained/,
  },
  "strata-customresource-require-crd-first": {
    pass: [operatorCrds(), ...crdUsers(true)],
    fail: [operatorCrds(), ...crdUsers(false)],
    expect: /platform-rules needs kind monitoring\.coreos\.com\/PrometheusRule [\s\S]*pushgateway needs kind monitoring\.coreos\.com\/ServiceMonitor \(prometheus-pushgateway 3\.8\.0 renders it/,
  },
  "strata-pvc-require-backup-target": {
    pass: [dataClaim("valkey", "valkey-data"), protecting("cache", "valkey/valkey-data"), dataClaim("orders", "orders-data"), mounting("orders", "orders", "orders-data")],
    fail: [dataClaim("valkey", "valkey-data"), protecting("cache", "valkey/other-data"), mounting("orders", "other-namespace", "valkey-data")],
    expect: /claim valkey\/valkey-data holds data no backup target protects/,
  },
  "strata-backup-require-restore-drill": {
    pass: [backup(), drill(), prometheusRule([alertRule("postgres-main", "backup"), alertRule("postgres-main", "restore-drill")])],
    fail: [backup(), prometheusRule([alertRule("postgres-main")])],
    expect: /no restore-drill CronJob/,
  },
};

import { scheduledJobSpec } from "../platform/scheduledJob";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { IMAGES, imageRef } from "../versions";
import { runtimeNode } from "../backup/containers";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "../backup/runtime/bundle";
import { RESTRICTED_CONTAINER, resources } from "../platform/containerDefaults";
import type { PolicyDocument } from "./bucketPolicy";
import { checksFile, protectionChecks, type BucketProtection } from "./protection";
import { buildProtectionRuleGroups } from "./protectionRules";
import { servicePrometheusRule, type ServiceAlertsArgs } from "../alerting/serviceRule";

export const PROTECTION_CHECK_NAME = "strata-bucket-protection";
/** Every 6 hours, off the hour; the alerts' staleness (protectionRules.ts) allows two missed runs. */
export const PROTECTION_CHECK_SCHEDULE = "23 */6 * * *";
const CHECKS = "checks.tsv";
const MOUNT = "/opt/strata";
/** The backup runtime's command that runs the checks (components/archive/protectionCheckRuntime.ts). */
const COMMAND = "bucket-protection";

/** The reads the check makes, on the buckets only (bucket-level settings: no object access, no key use). */
export function protectionCheckPolicy(bucketArns: string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadBucketProtection",
        Effect: "Allow",
        Action: ["s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetBucketObjectLockConfiguration"],
        Resource: [...bucketArns].sort(),
      },
    ],
  };
}

export interface ProtectionCheckJobInput {
  namespace: string;
  configMapName: string;
  serviceAccountName: string;
  /** static-keys: the Secret with the identity's access key. */
  credentialsSecretName?: string;
  region: string;
  pushgatewayUrl: string;
  labels: Record<string, string>;
}

const podLabels = { "app.kubernetes.io/name": PROTECTION_CHECK_NAME };

/**
 * The CronJob, in the pattern of the backup jobs: the backup runtime in the pinned node image itself (its ConfigMap
 * carries the runtime and the checks), non-root, read-only, bounded, Forbid overlap.
 */
export function protectionCheckCronJob(input: ProtectionCheckJobInput) {
  const labels = { ...input.labels, ...podLabels };
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: PROTECTION_CHECK_NAME, namespace: input.namespace, labels },
    spec: scheduledJobSpec({
      schedule: PROTECTION_CHECK_SCHEDULE,
      labels,
      activeDeadlineSeconds: 900,
      serviceAccountName: input.serviceAccountName,
      history: { successful: 1, failed: 3 },
      pod: {
        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "check",
            image: imageRef(IMAGES.node),
            imagePullPolicy: "IfNotPresent",
            command: [runtimeNode({ image: IMAGES.node }), `${MOUNT}/${RUNTIME_LOADER}`, COMMAND],
            env: [
              { name: "CHECKS_FILE", value: `${MOUNT}/${CHECKS}` },
              { name: "PUSHGATEWAY_URL", value: input.pushgatewayUrl },
              { name: "AWS_REGION", value: input.region },
            ],
            ...(input.credentialsSecretName ? { envFrom: [{ secretRef: { name: input.credentialsSecretName } }] } : {}),
            resources: resources("50m", "256Mi", "500m"),
            securityContext: { ...RESTRICTED_CONTAINER, runAsUser: 65534 },
            volumeMounts: [
              { name: "check", mountPath: MOUNT, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "check", configMap: { name: input.configMapName, defaultMode: 0o555 } },
          { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ],
      },
    }),
  };
}

export interface BucketProtectionCheckArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  /** Every bucket Strata declares, with its declared protection (ArchiveBucket.protection). */
  buckets: { name: pulumi.Input<string>; protection: pulumi.Input<BucketProtection> }[];
  region: string;
  pushgatewayUrl: string;
  serviceAccountName: string;
  credentialsSecretName?: string;
  /** The identity the job runs as (its ServiceAccount and, on static keys, its Secret). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  alerts: ServiceAlertsArgs;
}

/**
 * The archive's own protection, watched: a CronJob reads each bucket's versioning, default encryption, lifecycle and
 * object lock through the S3 API, compares them with the checks generated from the buckets' own definitions, and
 * pushes the result; its alerts (protectionRules.ts) fire on drift, on a setting it cannot read, and when it stops.
 */
export class BucketProtectionCheck extends pulumi.ComponentResource {
  readonly checks: pulumi.Output<string>;

  constructor(name: string, args: BucketProtectionCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:archive:BucketProtectionCheck", name, {}, opts);
    const child = { parent: this };
    const runtime = runtimeFiles();
    this.checks = pulumi
      .all(args.buckets.map((b) => pulumi.all([b.name, b.protection])))
      .apply((buckets) => checksFile(buckets.flatMap(([bucket, protection]) => protectionChecks(bucket, protection))));
    const configMap = new k8s.core.v1.ConfigMap(
      name,
      {
        metadata: { namespace: args.namespace, labels: { ...args.labels, ...podLabels } },
        data: { [RUNTIME_LOADER]: runtime.loader, [CHECKS]: this.checks },
        binaryData: { [RUNTIME_BUNDLE]: runtime.bundle.toString("base64") },
      },
      child,
    );
    const job = pulumi.all([args.namespace, configMap.metadata.name]).apply(([namespace, configMapName]) =>
      protectionCheckCronJob({
        namespace,
        configMapName,
        serviceAccountName: args.serviceAccountName,
        ...(args.credentialsSecretName ? { credentialsSecretName: args.credentialsSecretName } : {}),
        region: args.region,
        pushgatewayUrl: args.pushgatewayUrl,
        labels: args.labels,
      }),
    );
    new k8s.batch.v1.CronJob(name, { metadata: job.metadata, spec: job.spec as never }, { ...child, dependsOn: args.dependsOn });
    servicePrometheusRule(`${name}-alerts`, args.namespace, args.alerts, buildProtectionRuleGroups({ runbookBaseUrl: args.alerts.runbookBaseUrl }), this);
    this.registerOutputs({ checks: this.checks });
  }
}

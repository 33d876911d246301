import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { IMAGES, imageRef } from "../versions";
import { scheduledJobSpec } from "../platform/scheduledJob";
import { RESTRICTED_CONTAINER, resources } from "../platform/containerDefaults";
import { ACTIVE_DEADLINE_SECONDS, archiveEnv, env, SCRIPTS_MOUNT, WORK_DIR, type JobContext } from "../backup/cronJob";
import { EXIT } from "../backup/contract";
import { runtimeNode } from "../backup/containers";
import { RUNTIME_LOADER } from "../backup/runtime/bundle";
import type { RuntimeCommand } from "../backup/runtime/commands";
import { servicePrometheusRule, type ServiceAlertsArgs } from "../alerting/serviceRule";
import { buildOffsiteCopyRuleGroups } from "./offsiteCopyRules";
import { OFFSITE_COPY_NAME, OFFSITE_COPY_STATE_PREFIX } from "./offsiteCopySettings";
import { ARCHIVE_CAPABILITIES, hetznerEndpoint, type ArchiveProvider } from "./providers";
import { intervalHours } from "../backup/cron";

/** The store the copy goes to: another location of the same provider, or another provider. */
export interface OffsiteDestination {
  provider: ArchiveProvider;
  bucket: string;
  region: string;
  /** `s3-compatible` only; derived on `hetzner`, none on `aws`. */
  endpoint?: string;
}

/** The destination's S3 endpoint URL, where it is not AWS S3. */
export function destinationEndpoint(d: OffsiteDestination): string | undefined {
  return d.provider === "hetzner" ? hetznerEndpoint(d.region) : d.provider === "s3-compatible" ? d.endpoint : undefined;
}

/** Keys of the Secret that holds the destination's access key. */
const DEST_KEYS = { id: "AWS_ACCESS_KEY_ID", secret: "AWS_SECRET_ACCESS_KEY" } as const;
export const destinationSecretName = `${OFFSITE_COPY_NAME}-destination`;

export interface OffsiteCopyJobInput {
  namespace: string;
  /** The backup scripts' ConfigMap in this namespace, which carries the runtime's loader and bundle. */
  scriptsConfigMap: string;
  /** The archive identity that reads the backups bucket; on a store without IAM, its Secret with the store's key. */
  serviceAccountName: string;
  credentialsSecretName?: string;
  source: Pick<JobContext, "bucket" | "region" | "endpoint" | "checksumsWhenRequired" | "pushgatewayUrl">;
  destination: OffsiteDestination;
  schedule: string;
  /** Scratch space: an object that records no SHA-256 is staged there, one at a time, to be hashed before its upload. */
  scratchGiB: number;
  labels: Record<string, string>;
}

const podLabels = { "app.kubernetes.io/name": OFFSITE_COPY_NAME };
const UID = 65534;
const COMMAND: RuntimeCommand = "offsite-copy";

/**
 * The CronJob, in the pattern of the backup jobs (components/backup/cronJob.ts): the runtime's `offsite-copy` in the
 * pinned node image itself (nothing to copy in: it needs no tool but node and the SDK it bundles), non-root,
 * read-only root, every capability dropped, limits, bounded scratch, Forbid overlap, the same deadline and the same
 * exit statuses that a retry cannot change.
 */
export function offsiteCopyCronJob(input: OffsiteCopyJobInput) {
  const labels = { ...input.labels, ...podLabels };
  const d = input.destination;
  const endpoint = destinationEndpoint(d);
  const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: destinationSecretName, key } } });
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: OFFSITE_COPY_NAME, namespace: input.namespace, labels },
    spec: scheduledJobSpec({
      schedule: input.schedule,
      labels,
      // A first copy of a large bucket may need several runs: each one continues where the last stopped.
      activeDeadlineSeconds: ACTIVE_DEADLINE_SECONDS,
      serviceAccountName: input.serviceAccountName,
      failJobExitCodes: [EXIT.config, EXIT.pushFailed],
      pod: {
        securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "copy",
            image: imageRef(IMAGES.node),
            imagePullPolicy: "IfNotPresent",
            command: [runtimeNode({ image: IMAGES.node }), `${SCRIPTS_MOUNT}/${RUNTIME_LOADER}`, COMMAND],
            env: [
              // Both stores' clients: `when_required` where either side is a store that needs it.
              ...archiveEnv({ ...input.source, checksumsWhenRequired: input.source.checksumsWhenRequired || ARCHIVE_CAPABILITIES[d.provider].checksumsWhenRequired }, "runtime"),
              env("DEST_BUCKET", d.bucket),
              env("DEST_REGION", d.region),
              ...(endpoint ? [env("DEST_ENDPOINT_URL", endpoint)] : []),
              secretEnv("DEST_AWS_ACCESS_KEY_ID", DEST_KEYS.id),
              secretEnv("DEST_AWS_SECRET_ACCESS_KEY", DEST_KEYS.secret),
              env("OFFSITE_STATE_PREFIX", OFFSITE_COPY_STATE_PREFIX),
              env("WORK_DIR", WORK_DIR),
              env("TMPDIR", "/tmp"),
            ],
            ...(input.credentialsSecretName ? { envFrom: [{ secretRef: { name: input.credentialsSecretName } }] } : {}),
            // Four 16 MiB parts in flight and node itself: about 180 MiB measured copying a 120 MiB object.
            resources: resources("100m", "384Mi", "1"),
            securityContext: { ...RESTRICTED_CONTAINER, runAsUser: UID },
            volumeMounts: [
              { name: "scripts", mountPath: SCRIPTS_MOUNT, readOnly: true },
              { name: "work", mountPath: WORK_DIR },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "scripts", configMap: { name: input.scriptsConfigMap, defaultMode: 0o555 } },
          { name: "work", emptyDir: { sizeLimit: `${input.scratchGiB}Gi` } },
          { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
        ],
      },
    }),
  };
}

export interface OffsiteCopyArgs {
  namespace: pulumi.Input<string>;
  /** The namespace by name (the alerts select the CronJob by it). */
  namespaceName: string;
  labels: Record<string, string>;
  job: pulumi.Input<Omit<OffsiteCopyJobInput, "namespace">>;
  /** The schedule, for the alerts' staleness (also inside `job`). */
  schedule: string;
  /** The destination's access key (Pulumi secrets). */
  destinationKey: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
  /** The source identity (its ServiceAccount and, on static keys, its Secret) and the backup ConfigMap. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  alerts: ServiceAlertsArgs;
}

/**
 * A second copy of the backups bucket at another location or provider, for stores without replication: a Secret
 * with the destination's key, the copy CronJob, and its alerts (stale copy, checksum mismatch, failing runs).
 */
export class OffsiteCopy extends pulumi.ComponentResource {
  constructor(name: string, args: OffsiteCopyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:archive:OffsiteCopy", name, {}, opts);
    const child = { parent: this };
    const secret = new k8s.core.v1.Secret(
      `${name}-destination`,
      {
        metadata: { name: destinationSecretName, namespace: args.namespace, labels: { ...args.labels, ...podLabels } },
        type: "Opaque",
        stringData: pulumi.secret(pulumi.all([args.destinationKey.accessKeyId, args.destinationKey.secretAccessKey]).apply(([id, key]) => ({ [DEST_KEYS.id]: id, [DEST_KEYS.secret]: key }))),
      },
      child,
    );
    const job = pulumi.all([args.namespace, args.job]).apply(([namespace, input]) => offsiteCopyCronJob({ ...(input as Omit<OffsiteCopyJobInput, "namespace">), namespace }));
    new k8s.batch.v1.CronJob(name, { metadata: job.metadata, spec: job.spec as never }, { ...child, dependsOn: [...args.dependsOn, secret] });
    servicePrometheusRule(
      `${name}-alerts`,
      args.namespace,
      args.alerts,
      buildOffsiteCopyRuleGroups({
        intervalHours: intervalHours(args.schedule),
        runSeconds: ACTIVE_DEADLINE_SECONDS,
        cronJob: { namespace: args.namespaceName, name: OFFSITE_COPY_NAME },
        ...(args.alerts.runbookBaseUrl ? { runbookBaseUrl: args.alerts.runbookBaseUrl } : {}),
      }),
      this,
    );
    this.registerOutputs({});
  }
}

import { resolveNamespace, type Platform } from "../platform";
import type { Archive } from "./archive";
import type { BackupTarget } from "../config/sections/backups";
import { serviceAlerts } from "./alerting";
import { OffsiteCopy } from "../../components/archive/offsiteCopy";
import { OFFSITE_COPY_WORKLOAD } from "../../components/archive/offsiteCopySettings";
import { offsiteCopyPlan } from "../offsiteCopyPlan";
import * as pulumi from "@pulumi/pulumi";


/** Scratch space for the copy: the largest object, which is at most one target's dump (its scratchSizeGiB, default 10). */
export const offsiteCopyScratchGiB = (targets: readonly BackupTarget[]) => Math.max(10, ...targets.map((t) => t.scratchSizeGiB ?? 10));

/**
 * The off-site copy of the backups bucket, declared only while the stack has a backups bucket (a backup target) and
 * sets archive.offsiteCopy. It runs in the backups namespace as the archive's `offsite-copy` identity, from the backup
 * scripts' ConfigMap there, and pushes to the Pushgateway like the backup jobs.
 */
export function declareOffsiteCopy(
  platform: Platform,
  inputs: { archive: Archive; scriptsConfigMap: pulumi.Output<string>; scripts: pulumi.Resource; pushgatewayUrl: string },
) {
  const { config } = platform;
  const plan = offsiteCopyPlan(config);
  const bucket = inputs.archive.buckets.backups;
  const identity = inputs.archive.identityNames[OFFSITE_COPY_WORKLOAD];
  if (!plan || !bucket || !identity) return undefined;
  const store = inputs.archive.store;
  const namespace = resolveNamespace(platform, { role: "backups" });
  return new OffsiteCopy(
    "offsite-copy",
    {
      namespace: namespace.input,
      namespaceName: namespace.name,
      labels: platform.labels,
      schedule: plan.schedule,
      job: pulumi.all([bucket.name, bucket.region, inputs.scriptsConfigMap]).apply(([bucketName, bucketRegion, scriptsConfigMap]) => ({
        scriptsConfigMap,
        serviceAccountName: identity.serviceAccountName,
        ...(identity.credentialsSecretName ? { credentialsSecretName: identity.credentialsSecretName } : {}),
        source: {
          bucket: bucketName,
          region: store.endpoint ? store.region : bucketRegion,
          ...(store.endpoint ? { endpoint: store.endpoint } : {}),
          checksumsWhenRequired: store.checksumsWhenRequired,
          pushgatewayUrl: inputs.pushgatewayUrl,
        },
        destination: plan.destination,
        schedule: plan.schedule,
        scratchGiB: offsiteCopyScratchGiB(platform.backups.targets.map((r) => r.target)),
        labels: platform.labels,
      })),
      destinationKey: { accessKeyId: platform.secrets.offsiteCopyAccessKeyId!, secretAccessKey: platform.secrets.offsiteCopySecretAccessKey! },
      dependsOn: [inputs.archive.identityComponents[OFFSITE_COPY_WORKLOAD]!, inputs.scripts, ...(inputs.archive.offsiteDestination ? [inputs.archive.offsiteDestination] : [])],
      alerts: serviceAlerts(platform, config.namespaces.backups),
    },
    platform.k8sOpts,
  );
}


import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StrataStack } from "../../stacks/contract";

export interface ConsumerArgs {
  /** Strata claim to mount (a key of the `claims` output). */
  claim: string;
  /** Strata backup target whose prefix the export job writes to (a key of `backups.targets`). */
  backupTarget: string;
  image: string;
}

/**
 * An application that lives on Strata's platform: its Deployment mounts a claim Strata keeps (Retain, snapshots),
 * ships metrics and logs where Strata's telemetry contract says, and a nightly export job writes into the backup
 * prefix Strata assigned to it with the identity Strata created for that prefix. Every value comes from the Strata
 * stack through the typed helper; nothing is copied by hand between stacks.
 */
export async function deployConsumer(strata: StrataStack, args: ConsumerArgs, opts?: pulumi.CustomResourceOptions) {
  // Everything is read (and checked) before the first resource is declared: a missing section or name fails here.
  const [claims, endpoints, backups, archive, region] = await Promise.all([strata.require("claims"), strata.require("endpoints"), strata.require("backups"), strata.require("archive"), strata.require("region")]);
  const claim = claims[args.claim];
  if (!claim) throw new Error(`Strata stack ${strata.stack} has no claim "${args.claim}" (it has: ${Object.keys(claims).join(", ") || "none"})`);
  const target = backups.targets[args.backupTarget];
  if (!target) throw new Error(`Strata stack ${strata.stack} has no backup target "${args.backupTarget}" (it has: ${Object.keys(backups.targets).join(", ") || "none"})`);
  // The writer identity is one of the archive's identities: it may only append under the target's prefix.
  const writer = archive.identities[target.writerIdentity];
  if (!writer) throw new Error(`Strata stack ${strata.stack} exports no archive identity "${target.writerIdentity}"`);
  const backupDestination = `s3://${backups.bucket}/${target.prefix}`;
  const labels = { app: "orders" };

  const deployment = new k8s.apps.v1.Deployment(
    "orders",
    {
      metadata: { namespace: claim.namespace, labels },
      spec: {
        // One writer: the claim is ReadWriteOnce.
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "orders",
                image: args.image,
                // Each only while the Strata stack runs it (contract 1.2: off capabilities export no URL).
                env: [
                  ...(endpoints.pushgatewayUrl ? [{ name: "PUSHGATEWAY_URL", value: endpoints.pushgatewayUrl }] : []),
                  ...(endpoints.lokiPushUrl ? [{ name: "LOKI_PUSH_URL", value: endpoints.lokiPushUrl }] : []),
                ],
                ports: [{ name: "metrics", containerPort: 9090 }],
                volumeMounts: [{ name: "data", mountPath: "/var/lib/orders" }],
              },
            ],
            volumes: [{ name: "data", persistentVolumeClaim: { claimName: claim.claimName } }],
          },
        },
      },
    },
    opts,
  );

  const serviceMonitor = new k8s.apiextensions.CustomResource(
    "orders",
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      // kube-prometheus-stack selects only monitors carrying its release label: the contract says which.
      metadata: { namespace: claim.namespace, labels: endpoints.serviceMonitorLabels },
      spec: { selector: { matchLabels: labels }, podMetricsEndpoints: [{ port: "metrics" }] },
    },
    opts,
  );

  const exportJob = new k8s.batch.v1.CronJob(
    "orders-export",
    {
      metadata: { namespace: writer.namespace },
      spec: {
        schedule: "30 2 * * *",
        concurrencyPolicy: "Forbid",
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            template: {
              spec: {
                serviceAccountName: writer.serviceAccount,
                restartPolicy: "Never",
                containers: [
                  {
                    name: "export",
                    image: args.image,
                    args: ["export", "--to", backupDestination],
                    env: [{ name: "AWS_REGION", value: region }],
                  },
                ],
              },
            },
          },
        },
      },
    },
    opts,
  );

  return { deployment, serviceMonitor, exportJob, backupDestination };
}

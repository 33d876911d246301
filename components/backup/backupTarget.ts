import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { BackupTargetSpec as TargetConfig } from "./targetSpec";
import { backupCronJobMetadata, backupCronJobSpec, type JobContext, type JobPhase } from "./cronJob";

export interface BackupTargetArgs {
  target: TargetConfig;
  /**
   * Where each phase runs, with the context it needs (bucket, identity, scripts, schedule), and what its CronJob
   * waits for: the identity it runs as and anything its pods mount. A component's own dependsOn does not reach its
   * children, so each CronJob is given its own.
   */
  backup: { namespace: pulumi.Input<string>; context: pulumi.Output<JobContext>; dependsOn: pulumi.Input<pulumi.Resource>[] };
  drill: { namespace: pulumi.Input<string>; context: pulumi.Output<JobContext>; dependsOn: pulumi.Input<pulumi.Resource>[] };
  /** A PITR target's base backup (beside the logical backup) and point-in-time drill (beside the logical drill). */
  basebackup?: { namespace: pulumi.Input<string>; context: pulumi.Output<JobContext>; dependsOn: pulumi.Input<pulumi.Resource>[] };
  "pitr-drill"?: { namespace: pulumi.Input<string>; context: pulumi.Output<JobContext>; dependsOn: pulumi.Input<pulumi.Resource>[] };
  monitoringNamespace: string;
  /** The platform's labels (the same as each context's). */
  labels: Record<string, string>;
  /** `<namespace>/<claim>` of the claims whose data the backup protects (an annotation on the backup CronJob). */
  protectsClaims?: readonly string[];
}

/** One target's backup CronJob and its restore-drill CronJob (and, with PITR, its base backup and PITR drill). */
export class BackupTargetJobs extends pulumi.ComponentResource {
  constructor(name: string, args: BackupTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:backup:BackupTarget", name, {}, opts);
    const phases: JobPhase[] = ["backup", "drill", ...(["basebackup", "pitr-drill"] as const).filter((p) => args[p])];
    for (const phase of phases) {
      const where = args[phase]!;
      // The namespace goes into the metadata as it is given; only the spec waits for the context. A plan with many
      // targets declares two of these per target, so each is one transformation of the context, not a combination.
      new k8s.batch.v1.CronJob(
        `${name}-${phase}`,
        {
          metadata: backupCronJobMetadata(args.target, phase, where.namespace, args.labels, phase === "backup" ? args.protectsClaims : undefined),
          // Built as plain data; the tests validate it against the Kubernetes schema (test/helpers/k8sValidate.ts).
          spec: where.context.apply((context) => backupCronJobSpec(args.target, phase, args.monitoringNamespace, context) as k8s.types.input.batch.v1.CronJobSpec),
        },
        { parent: this, dependsOn: where.dependsOn },
      );
    }
    this.registerOutputs({});
  }
}

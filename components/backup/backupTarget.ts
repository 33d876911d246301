import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { BackupTarget as TargetConfig } from "../../infra/config/sections/backups";
import { backupCronJob, type JobContext } from "./cronJob";

export interface BackupTargetArgs {
  target: TargetConfig;
  /** Where each phase runs, with the context it needs (bucket, identity, scripts, schedule). */
  backup: { namespace: pulumi.Input<string>; context: pulumi.Input<JobContext> };
  drill: { namespace: pulumi.Input<string>; context: pulumi.Input<JobContext> };
  monitoringNamespace: string;
}

/** One target's backup CronJob and its restore-drill CronJob. */
export class BackupTargetJobs extends pulumi.ComponentResource {
  constructor(name: string, args: BackupTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:backup:BackupTarget", name, {}, opts);
    for (const phase of ["backup", "drill"] as const) {
      const spec = pulumi
        .all([args[phase].namespace, args[phase].context])
        .apply(([namespace, context]) => backupCronJob(args.target, phase, namespace, args.monitoringNamespace, context) as Record<string, any>);
      new k8s.batch.v1.CronJob(`${name}-${phase}`, { metadata: spec.metadata, spec: spec.spec }, { parent: this });
    }
    this.registerOutputs({});
  }
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "./runtime/bundle";

export interface BackupScriptsArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
}

/**
 * The backup runtime (its loader, and its gzipped bundle as binary data) as a ConfigMap in one namespace, mounted by
 * every backup, drill, WAL receiver and off-site copy pod there. (Its name is still the scripts' it replaced, so that
 * stacks keep their resource names.) Its name in the cluster is Pulumi's (auto-named), and pulumi-kubernetes replaces
 * a ConfigMap, under a new name, when its data or binaryData change: a changed bundle rolls the jobs, which name it,
 * onto the new one. Data and decoded binaryData together must stay within the API server's 1 MiB
 * (test/backup/runtimePods.test.ts).
 */
export class BackupScripts extends pulumi.ComponentResource {
  readonly configMapName: pulumi.Output<string>;

  constructor(name: string, args: BackupScriptsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:backup:BackupScripts", name, {}, opts);
    const runtime = runtimeFiles();
    const configMap = new k8s.core.v1.ConfigMap(
      name,
      {
        metadata: { namespace: args.namespace, labels: args.labels },
        data: { [RUNTIME_LOADER]: runtime.loader },
        binaryData: { [RUNTIME_BUNDLE]: runtime.bundle.toString("base64") },
      },
      { parent: this },
    );
    this.configMapName = configMap.metadata.name;
    this.registerOutputs({ configMapName: this.configMapName });
  }
}

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "./runtime/bundle";
/**
 * The scripts ship beside this component. `npm run plan` runs a bundle under .tmp/, so look upwards from this
 * module for them rather than trusting __dirname to be this folder.
 */
function findScriptsDir(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "scripts"), join(dir, "components", "backup", "scripts")]) {
      if (existsSync(join(candidate, "backup.sh")) && existsSync(join(candidate, "restore-drill.sh"))) return candidate;
    }
    if (dirname(dir) === dir) throw new Error(`no components/backup/scripts above ${start}`);
  }
}

export const SCRIPTS_DIR = findScriptsDir();

/** The files the scripts need beside each other (sqlite_tool.py and rabbitmq_tool.py: steps in Python). */
const REQUIRED = ["backup.sh", "restore-drill.sh", "lib.sh", "sqlite_tool.py", "rabbitmq_tool.py"];

/** The exact files the integration suites run, keyed by file name (what a ConfigMap volume mounts). */
export function backupScriptFiles(): Record<string, string> {
  const files = readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".sh") || f.endsWith(".py")).sort();
  const missing = REQUIRED.filter((f) => !files.includes(f));
  if (missing.length > 0) throw new Error(`${SCRIPTS_DIR} must hold ${REQUIRED.join(", ")}; missing: ${missing.join(", ")}`);
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(SCRIPTS_DIR, f), "utf8")]));
}

export interface BackupScriptsArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
}

/**
 * The backup and drill scripts and the runtime (its loader, and its gzipped bundle as binary data) as a ConfigMap in
 * one namespace. Its name is Pulumi's (auto-named), and pulumi-kubernetes replaces a ConfigMap, under a new name, when
 * its data or binaryData change: a changed script or bundle rolls the jobs, which name it, onto the new one. Data and
 * decoded binaryData together must stay within the API server's 1 MiB (test/backup/runtimePods.test.ts).
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
        data: { ...backupScriptFiles(), [RUNTIME_LOADER]: runtime.loader },
        binaryData: { [RUNTIME_BUNDLE]: runtime.bundle.toString("base64") },
      },
      { parent: this },
    );
    this.configMapName = configMap.metadata.name;
    this.registerOutputs({ configMapName: this.configMapName });
  }
}

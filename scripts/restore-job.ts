// Renders the Kubernetes objects that restore one PITR target to a chosen time into a new claim:
//   npm run restore-job -- --config Pulumi.prod.yaml --target NAME --time 2026-12-03T08:10:00Z --size 50Gi \
//     --bucket "$(pulumi stack output backups --json | jq -r .bucket)" [--name NAME] [--s3-endpoint URL]
// and prints them as YAML on stdout (a ConfigMap with the exact scripts, the claim, the Job); apply with kubectl.
// The runbook is docs/runbooks/restore-postgresql-pitr.md.
import { parseArgs } from "node:util";
import * as yaml from "js-yaml";
import { archiveStore } from "../infra/areas/archive";
import { resolveConfig } from "../infra/config/load";
import { readStackConfigFile } from "../infra/plan/stackFile";
import { allBackupTargets } from "../infra/backupTargets";
import { strataStorageClassName } from "../infra/adoption";
import { credentialsSecretName } from "../components/identity/workloadIdentity";
import { pointInTimeRestoreObjects, pointInTimeRestoreProblem } from "../components/backup/restoreJob";
import { identitySecretName } from "../components/backup/encryption";
import { effectiveBackupEncryption } from "../infra/config/sections/archive";
import { EXIT } from "../components/backup/contract";

const USAGE = "usage: npm run restore-job -- --config Pulumi.<stack>.yaml --target NAME --time ISO-8601|latest --size NGi --bucket BUCKET [--name NAME] [--s3-endpoint URL]";

export function renderRestoreJob(argv: string[], now = new Date()): string {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      target: { type: "string" },
      time: { type: "string" },
      size: { type: "string" },
      bucket: { type: "string" },
      name: { type: "string" },
      "s3-endpoint": { type: "string" },
    },
    strict: true,
  });
  for (const key of ["config", "target", "time", "size", "bucket"] as const) {
    if (!values[key]) throw new Error(`--${key} is required\n${USAGE}`);
  }
  const stack = readStackConfigFile(values.config!);
  const strata = Object.fromEntries(Object.entries(stack.values).filter(([k]) => k.startsWith("strata:")).map(([k, v]) => [k.slice("strata:".length), v]));
  const secretKeys = new Set(stack.secretKeys.filter((k) => k.startsWith("strata:")).map((k) => k.slice("strata:".length)));
  const { config } = resolveConfig({ values: strata, secretKeys });
  const target = allBackupTargets(config).find((t) => t.name === values.target);
  const problem = pointInTimeRestoreProblem(target, values.time!, values.size!);
  if (problem) throw new Error(`${problem}\n${USAGE}`);
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").toLowerCase();
  const name = values.name ?? `${target!.name}-pitr-${stamp}`;
  if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) throw new Error(`--name '${name}' must be a DNS label of at most 52 characters`);
  const serviceAccountName = `strata-drill-${target!.name}`;
  const store = archiveStore(config);
  const objects = pointInTimeRestoreObjects({
    target: target!,
    time: values.time!,
    namespace: config.namespaces.backups,
    bucket: values.bucket!,
    region: store.region,
    storageClassName: strataStorageClassName(config),
    claimSize: values.size!,
    name,
    serviceAccountName,
    ...(config.cloud === "hcloud" || store.endpoint ? { credentialsSecretName: credentialsSecretName(serviceAccountName) } : {}),
    // The archive's own store unless told otherwise (a copy elsewhere, a test store).
    ...(values["s3-endpoint"] ?? store.endpoint ? { s3EndpointUrl: (values["s3-endpoint"] ?? store.endpoint)! } : {}),
    ...(store.checksumsWhenRequired ? { checksumsWhenRequired: true } : {}),
    // Encrypted backups: the drills' identity Secret (in the backups namespace, where the drills run) decrypts.
    ...(effectiveBackupEncryption(config.archive) === "age" ? { encryption: { identitySecretName } } : {}),
    labels: { "app.kubernetes.io/part-of": "strata", "app.kubernetes.io/managed-by": "strata-restore-job" },
  });
  return objects.map((o) => yaml.dump(o, { lineWidth: -1, noRefs: true })).join("---\n");
}

if (require.main === module) {
  try {
    process.stdout.write(renderRestoreJob(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`restore-job: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT.config;
  }
}

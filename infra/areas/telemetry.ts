import type { Platform } from "../platform";
import { TelemetryStore } from "../../components/telemetry/telemetryStore";
import { SECRET_CONTRACT_KEYS, telemetryConfigMapData } from "../../components/telemetry/contract";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { TELEMETRY_BACKUP_SECRET, telemetryBackupTargets, telemetryWriterLabels } from "../backupTargets";
import { strataStorageClassName } from "../adoption";

/**
 * Telemetry persistence for OpenFinOps (seed 002): what the backend needs, and the contract as outputs. `store` holds
 * the claim and Secrets the telemetry backup jobs mount, so they wait for it.
 */
export function declareTelemetry(platform: Platform, storageClass: pulumi.Resource) {
  const t = platform.config.telemetry;
  const backend = t.backend;
  if (backend === undefined) throw new Error("declareTelemetry: telemetry.backend is not set, so nothing is declared for telemetry (infra/capabilities.ts)");
  const contract = {
    backend,
    retentionDays: t.retentionDays,
    batchSize: t.batchSize,
    batchIntervalSeconds: t.batchIntervalSeconds,
    enableCompression: t.enableCompression,
    maxMemoryEntries: t.maxMemoryEntries,
    ...(t.sqlite ? { sqlite: { path: t.sqlite.path } } : {}),
    ...(t.database ? { database: t.database } : {}),
  };
  const store = new TelemetryStore(
    "telemetry",
    {
      namespace: t.namespace,
      contract,
      ...(platform.secrets.telemetryDbPassword ? { password: platform.secrets.telemetryDbPassword } : {}),
      ...(t.sqlite ? { sqliteVolume: { storageClassName: strataStorageClassName(platform.config), size: `${t.sqlite.sizeGiB}Gi`, options: { ...platform.stateful, dependsOn: [storageClass] } } } : {}),
      labels: platform.labels,
    },
    platform.k8sOpts,
  );
  if (telemetryBackupTargets(t).some((target) => target.kind === "postgresql") && platform.secrets.telemetryDbPassword) {
    // The dump job runs in the backups namespace and reads credentials only from Secrets there.
    new k8s.core.v1.Secret(
      "telemetry-backup-credentials",
      {
        metadata: { name: TELEMETRY_BACKUP_SECRET.name, namespace: platform.namespaces.backups!, labels: platform.labels },
        type: "Opaque",
        stringData: pulumi.secret({ [TELEMETRY_BACKUP_SECRET.key]: platform.secrets.telemetryDbPassword }),
      },
      { parent: store },
    );
  }
  // The contract as plain outputs: every ConfigMap value, and only the names of the secret keys.
  const outputs = {
    backend,
    namespace: t.namespace,
    configMap: store.configMapName,
    secret: store.secretName,
    secretKeys: backend === "memory" ? [] : [...SECRET_CONTRACT_KEYS],
    settings: telemetryConfigMapData(contract),
    // The labels the writer's pod must carry: the SQLite backup job is scheduled beside the pod that has them.
    ...(store.claimName ? { sqlite: { claimName: store.claimName, mountPath: store.mountPath!, path: t.sqlite!.path, writerLabels: telemetryWriterLabels(t.sqlite!) } } : {}),
    backupTargets: telemetryBackupTargets(t).map((target) => target.name),
  } satisfies Record<string, unknown>;
  return { outputs, store };
}

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CONTRACT_NAME, SQLITE_CLAIM_NAME, TELEMETRY_LABELS, telemetryConfigMapData, telemetryDbUrl, type TelemetryContractInput } from "./contract";

export interface TelemetryStoreArgs {
  namespace: pulumi.Input<string>;
  contract: TelemetryContractInput;
  /** postgresql / timescaledb: the role's password (a Pulumi secret). */
  password?: pulumi.Input<string>;
  /** sqlite: the claim that holds the database file. */
  sqliteVolume?: { storageClassName: string; size: string; options: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete" | "dependsOn"> };
  labels: Record<string, string>;
}

/**
 * What the telemetry backend needs and the contract the application reads: a ConfigMap and a Secret (both always
 * present, so the application's manifests do not change with the backend), and for SQLite the Retain claim that
 * holds the database file. For PostgreSQL/TimescaleDB the role lives on the environment's PostgreSQL, which
 * Strata does not manage; the Secret carries its URL.
 */
export class TelemetryStore extends pulumi.ComponentResource {
  readonly configMapName: pulumi.Output<string>;
  readonly secretName: pulumi.Output<string>;
  readonly claimName?: pulumi.Output<string>;
  /** Directory the claim must be mounted at (the database file's directory). */
  readonly mountPath?: string;

  constructor(name: string, args: TelemetryStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:telemetry:TelemetryStore", name, {}, opts);
    const child = { parent: this };
    const labels = { ...args.labels, ...TELEMETRY_LABELS };
    const metadata = { name: CONTRACT_NAME, namespace: args.namespace, labels };

    const configMap = new k8s.core.v1.ConfigMap(name, { metadata, data: telemetryConfigMapData(args.contract) }, child);
    const url = pulumi.output(args.password).apply((password) => telemetryDbUrl(args.contract, password));
    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata,
        type: "Opaque",
        // The URL is secret for every backend: for PostgreSQL it carries the password, and treating all backends
        // alike keeps a backend switch from moving a value between plain and secret storage.
        stringData: pulumi.secret(url.apply((u): Record<string, string> => (u ? { OPENFINOPS_DB_URL: u } : {}))),
      },
      child,
    );
    this.configMapName = configMap.metadata.name;
    this.secretName = secret.metadata.name;

    if (args.contract.backend === "sqlite") {
      if (!args.sqliteVolume || !args.contract.sqlite) throw new Error("backend sqlite needs sqliteVolume and a database path");
      const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-sqlite`,
        {
          metadata: { name: SQLITE_CLAIM_NAME, namespace: args.namespace, labels },
          spec: {
            // One writer on one node: SQLite's locking is only safe within one host.
            accessModes: ["ReadWriteOnce"],
            storageClassName: args.sqliteVolume.storageClassName,
            resources: { requests: { storage: args.sqliteVolume.size } },
          },
        },
        { ...child, ...args.sqliteVolume.options },
      );
      this.claimName = claim.metadata.name;
      this.mountPath = path.posix.dirname(args.contract.sqlite.path);
    }
    this.registerOutputs({ configMapName: this.configMapName, secretName: this.secretName, claimName: this.claimName });
  }
}

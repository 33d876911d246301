import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { CHARTS } from "../versions";
import { pinnedRelease } from "../platform/pinnedRelease";
import { SSE_C_KEY, sseCustomerKeyPath, thanosObjstoreConfig, type ObjstoreInput } from "./objstore";
import type { DataResourceOptions } from "../storage/options";
import { thanosValues, type ThanosValuesInput } from "./thanosValues";

export const OBJSTORE_SECRET_KEY = "objstore.yml";
/** The Secret that holds the SSE-C key of the metrics bucket (a store without KMS). */
export const SSE_C_SECRET_NAME = "strata-thanos-sse-c";

export interface ThanosArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  objstore: { bucket: pulumi.Input<string>; region: pulumi.Input<string>; kmsKeyArn?: pulumi.Input<string>; endpoint?: string };
  values: Omit<ThanosValuesInput, "objstoreSecret" | "sseCustomerKeySecret">;
  /**
   * A store without KMS: every block is written with SSE-C, under a 32-byte key generated here once and kept like
   * the LUKS passphrase (a Pulumi secret in state and a Kubernetes Secret, retained, protected per environment).
   * Losing it loses every block in the bucket (docs/archive.md says how to back it up). An adopted bucket whose
   * blocks were written under a key of their own brings that key instead (`existingKeyBase64`, a Pulumi secret): a
   * generated one could not read them.
   */
  sseCustomerKey?: { resourceOptions: DataResourceOptions; existingKeyBase64?: pulumi.Input<string> };
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The object-store configuration Secret (shared by the sidecars in kube-prometheus-stack and every Thanos
 * component) and the Thanos release: query, query frontend, store gateway, a single compactor, ruler.
 */
export class Thanos extends pulumi.ComponentResource {
  readonly objstoreSecret: k8s.core.v1.Secret;
  readonly objstoreSecretRef: { name: string; key: string };
  /** The configuration in the Secret; it holds no credentials, so it can be exported and checked. */
  readonly objstoreConfig: pulumi.Output<string>;
  /** The SSE-C key's Secret, mounted by the sidecars (kube-prometheus-stack) and every Thanos component that reads the bucket. */
  readonly sseCustomerKeySecret?: k8s.core.v1.Secret;

  constructor(name: string, args: ThanosArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:metrics:Thanos", name, {}, opts);
    const child = { parent: this };
    const secretName = "strata-thanos-objstore";
    if (args.sseCustomerKey) {
      // Generated once and never rotated by Pulumi: objects written under it are readable only with it.
      const keyBase64 = args.sseCustomerKey.existingKeyBase64 ?? new random.RandomBytes(`${name}-sse-c`, { length: 32 }, { ...child, ...args.sseCustomerKey.resourceOptions }).base64;
      this.sseCustomerKeySecret = new k8s.core.v1.Secret(
        `${name}-sse-c`,
        {
          metadata: { name: SSE_C_SECRET_NAME, namespace: args.namespace, labels: args.labels },
          type: "Opaque",
          // `data` is base64 of the raw bytes: the mounted file is the 32-byte key itself, as Thanos reads it.
          data: { [SSE_C_KEY.file]: pulumi.secret(keyBase64) },
        },
        { ...child, ...args.sseCustomerKey.resourceOptions, additionalSecretOutputs: ["data", "stringData"] },
      );
    }
    const sseCustomerKeyFile = args.sseCustomerKey ? sseCustomerKeyPath : undefined;
    this.objstoreConfig = pulumi
      .all([args.objstore.bucket, args.objstore.region, args.objstore.kmsKeyArn])
      .apply(([bucket, region, kmsKeyArn]) =>
        thanosObjstoreConfig({
          bucket,
          region,
          ...(kmsKeyArn ? { kmsKeyArn } : {}),
          ...(args.objstore.endpoint ? { endpoint: args.objstore.endpoint } : {}),
          ...(sseCustomerKeyFile ? { sseCustomerKeyFile } : {}),
        } satisfies ObjstoreInput),
      );
    this.objstoreSecret = new k8s.core.v1.Secret(
      `${name}-objstore`,
      {
        metadata: { name: secretName, namespace: args.namespace, labels: args.labels },
        type: "Opaque",
        stringData: { [OBJSTORE_SECRET_KEY]: this.objstoreConfig },
      },
      child,
    );
    this.objstoreSecretRef = { name: secretName, key: OBJSTORE_SECRET_KEY };
    pinnedRelease(
      name,
      { pin: CHARTS.thanos, namespace: args.namespace, values: thanosValues({ ...args.values, objstoreSecret: this.objstoreSecretRef, ...(args.sseCustomerKey ? { sseCustomerKeySecret: SSE_C_SECRET_NAME } : {}) }) },
      { ...child, dependsOn: [this.objstoreSecret, ...(this.sseCustomerKeySecret ? [this.sseCustomerKeySecret] : []), ...(args.dependsOn ?? [])] },
    );
    this.registerOutputs({ objstoreSecretName: this.objstoreSecret.metadata.name, objstoreConfig: this.objstoreConfig });
  }
}

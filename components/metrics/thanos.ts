import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CHARTS } from "../versions";
import { pinnedRelease } from "../platform/pinnedRelease";
import { thanosObjstoreConfig, type ObjstoreInput } from "./objstore";
import { thanosValues, type ThanosValuesInput } from "./thanosValues";

export const OBJSTORE_SECRET_KEY = "objstore.yml";

export interface ThanosArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  objstore: { bucket: pulumi.Input<string>; region: pulumi.Input<string>; kmsKeyArn?: pulumi.Input<string>; endpoint?: string };
  values: Omit<ThanosValuesInput, "objstoreSecret">;
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

  constructor(name: string, args: ThanosArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:metrics:Thanos", name, {}, opts);
    const child = { parent: this };
    const secretName = "strata-thanos-objstore";
    this.objstoreConfig = pulumi
      .all([args.objstore.bucket, args.objstore.region, args.objstore.kmsKeyArn])
      .apply(([bucket, region, kmsKeyArn]) =>
        thanosObjstoreConfig({ bucket, region, ...(kmsKeyArn ? { kmsKeyArn } : {}), ...(args.objstore.endpoint ? { endpoint: args.objstore.endpoint } : {}) } satisfies ObjstoreInput),
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
      { pin: CHARTS.thanos, namespace: args.namespace, values: thanosValues({ ...args.values, objstoreSecret: this.objstoreSecretRef }) },
      { ...child, dependsOn: [this.objstoreSecret, ...(args.dependsOn ?? [])] },
    );
    this.registerOutputs({ objstoreSecretName: this.objstoreSecret.metadata.name, objstoreConfig: this.objstoreConfig });
  }
}

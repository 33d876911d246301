import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";

/**
 * irsa: an IAM role assumed with the ServiceAccount's projected OIDC token (EKS).
 * pod-identity: an IAM role bound to the ServiceAccount by an EKS Pod Identity association.
 * static-keys: an IAM user whose access key lives in a Kubernetes Secret — the one documented exception to "no
 * static credentials", for clusters outside AWS (Hetzner) that have no way to assume a role.
 * store-key: no IAM at all (an archive on Hetzner Object Storage or another S3-compatible store): the store's one
 * access key, given as Pulumi secrets, in a Secret of the workload's namespace.
 */
export type IdentityMode = "irsa" | "pod-identity" | "static-keys" | "store-key";

/** IAM path of every role and user Strata creates, so their ARNs are predictable and easy to audit. */
export const IAM_PATH = "/strata/";

export interface WorkloadIdentityArgs {
  mode: IdentityMode;
  namespace: pulumi.Input<string>;
  serviceAccountName: string;
  /** IAM role or user name (without path). */
  principalName: string;
  /** The identity policy (JSON) granting exactly what the workload needs (not with store-key: there is no IAM). */
  policy?: pulumi.Input<string>;
  /** store-key: the store's access key. */
  storeKey?: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
  irsa?: { oidcProviderArn: pulumi.Input<string>; oidcIssuerUrl: pulumi.Input<string> };
  podIdentity?: { clusterName: pulumi.Input<string>; accountId: pulumi.Input<string> };
  /** static-keys: bump to rotate the access key. */
  credentialGeneration?: number;
  /** Pods that never call the Kubernetes API do not get an API token mounted. */
  automountServiceAccountToken: boolean;
  labels: Record<string, string>;
  tags?: Record<string, string>;
}

/** static-keys: the Secret, in the workload's namespace, that holds its access key. */
export const credentialsSecretName = (serviceAccountName: string) => `${serviceAccountName}-s3-credentials`;

export function principalArn(mode: IdentityMode, partition: string, accountId: string, principalName: string): string {
  return `arn:${partition}:iam::${accountId}:${mode === "static-keys" ? "user" : "role"}${IAM_PATH}${principalName}`;
}

/** One workload's identity: the IAM principal with its policy, and the ServiceAccount that carries it. */
export class WorkloadIdentity extends pulumi.ComponentResource {
  readonly serviceAccountName: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  /** Absent with store-key: the store has no principals. */
  readonly principalArn?: pulumi.Output<string>;
  /** irsa / pod-identity only. */
  readonly roleArn?: pulumi.Output<string>;
  /** static-keys only: Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the workload's namespace. */
  readonly credentialsSecretName?: pulumi.Output<string>;

  constructor(name: string, args: WorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:identity:WorkloadIdentity", name, {}, opts);
    const child = { parent: this };
    const annotations: Record<string, pulumi.Input<string>> = {};

    if (args.mode === "store-key") {
      if (!args.storeKey) throw new Error(`${name}: store-key mode needs the store's access key`);
      const secret = new k8s.core.v1.Secret(
        name,
        {
          metadata: { name: credentialsSecretName(args.serviceAccountName), namespace: args.namespace, labels: args.labels },
          type: "Opaque",
          stringData: pulumi.secret({ AWS_ACCESS_KEY_ID: args.storeKey.accessKeyId, AWS_SECRET_ACCESS_KEY: args.storeKey.secretAccessKey }),
        },
        child,
      );
      this.credentialsSecretName = secret.metadata.name;
    } else if (args.mode === "static-keys") {
      const user = new aws.iam.User(name, { name: args.principalName, path: IAM_PATH, tags: args.tags ?? {} }, child);
      new aws.iam.UserPolicy(name, { user: user.name, name: "archive-access", policy: args.policy! }, child);
      const generation = args.credentialGeneration ?? 1;
      // A new resource name per generation: Pulumi creates the new key, updates the Secret, then deletes the old key.
      const key = new aws.iam.AccessKey(`${name}-g${generation}`, { user: user.name }, { ...child, additionalSecretOutputs: ["secret"] });
      const secret = new k8s.core.v1.Secret(
        name,
        {
          metadata: { name: credentialsSecretName(args.serviceAccountName), namespace: args.namespace, labels: args.labels, annotations: { "strata.io/credential-generation": String(generation) } },
          type: "Opaque",
          stringData: pulumi.secret({ AWS_ACCESS_KEY_ID: key.id, AWS_SECRET_ACCESS_KEY: key.secret }),
        },
        child,
      );
      this.principalArn = user.arn;
      this.credentialsSecretName = secret.metadata.name;
    } else {
      const trust =
        args.mode === "irsa"
          ? pulumi.all([args.irsa!.oidcProviderArn, args.irsa!.oidcIssuerUrl, args.namespace]).apply(([providerArn, issuerUrl, namespace]) => {
              const issuer = issuerUrl.replace(/^https:\/\//, "");
              return JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Principal: { Federated: providerArn },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    // Both conditions: `sub` pins the one ServiceAccount, `aud` the STS audience of its token.
                    Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${args.serviceAccountName}`, [`${issuer}:aud`]: "sts.amazonaws.com" } },
                  },
                ],
              });
            })
          : pulumi.output(args.podIdentity!.accountId).apply((accountId) =>
              JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Principal: { Service: "pods.eks.amazonaws.com" },
                    Action: ["sts:AssumeRole", "sts:TagSession"],
                    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                  },
                ],
              }),
            );
      const role = new aws.iam.Role(name, { name: args.principalName, path: IAM_PATH, assumeRolePolicy: trust, tags: args.tags ?? {} }, child);
      new aws.iam.RolePolicy(name, { role: role.name, name: "archive-access", policy: args.policy! }, child);
      if (args.mode === "irsa") {
        annotations["eks.amazonaws.com/role-arn"] = role.arn;
        annotations["eks.amazonaws.com/sts-regional-endpoints"] = "true";
      } else {
        new aws.eks.PodIdentityAssociation(
          name,
          { clusterName: args.podIdentity!.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccountName, roleArn: role.arn, tags: args.tags ?? {} },
          child,
        );
      }
      this.principalArn = role.arn;
      this.roleArn = role.arn;
    }

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      name,
      {
        metadata: { name: args.serviceAccountName, namespace: args.namespace, labels: args.labels, annotations },
        automountServiceAccountToken: args.automountServiceAccountToken,
      },
      child,
    );
    this.serviceAccountName = serviceAccount.metadata.name;
    this.namespace = serviceAccount.metadata.namespace;
    this.registerOutputs({ serviceAccountName: this.serviceAccountName, ...(this.principalArn ? { principalArn: this.principalArn } : {}) });
  }
}

import { z } from "zod";
import { unsupportedKubernetes } from "../../kubernetesVersion";

const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/;
const STACK_NAME = /^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const clusterFromStack = z.strictObject({
  source: z.literal("stack"),
  stack: z
    .string()
    .regex(STACK_NAME, "must be a stack name: <stack>, <project>/<stack> or <org>/<project>/<stack>")
    .describe("Cluster stack read through a StackReference.").meta({ examples: ["acme/clusters/prod"] }),
  outputs: z
    .strictObject({
      kubeconfig: z.string().regex(OUTPUT_NAME).describe("Output holding the kubeconfig (a secret)."),
      clusterName: z.string().regex(OUTPUT_NAME).describe("Output holding the cluster name."),
      oidcProviderArn: z.string().regex(OUTPUT_NAME).describe("Output holding the IAM OIDC provider ARN (aws)."),
      oidcIssuerUrl: z.string().regex(OUTPUT_NAME).describe("Output holding the OIDC issuer URL (aws)."),
      ebsCsiRoleArn: z.string().regex(OUTPUT_NAME).describe("Output holding the EBS CSI driver's IAM role ARN (aws)."),
      kubernetesVersion: z.string().regex(OUTPUT_NAME).describe("Output holding the cluster's Kubernetes version (optional on the cluster stack; checked against the minimum when present)."),
    })
    .partial()
    .optional()
    .describe("Names of the cluster stack's outputs, when they differ from the defaults (kubeconfig, clusterName, oidcProviderArn, oidcIssuerUrl, ebsCsiRoleArn, kubernetesVersion)."),
});

const clusterFromConfig = z.strictObject({
  source: z.literal("config"),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, "must be an EKS/Kubernetes cluster name")
    .describe("Cluster name.").meta({ examples: ["prod-eu"] }),
  oidcProviderArn: z
    .string()
    .regex(OIDC_PROVIDER_ARN, "must be an IAM OIDC provider ARN")
    .optional()
    .describe("IAM OIDC provider ARN for IRSA (aws)."),
  oidcIssuerUrl: z
    .string()
    .url()
    .startsWith("https://", "must be an https URL")
    .optional()
    .describe("OIDC issuer URL of the cluster (aws)."),
  ebsCsiRoleArn: z
    .string()
    .regex(ARN, "must be an IAM role ARN")
    .optional()
    .describe("IAM role ARN of the EBS CSI driver, granted use of Strata's EBS key (aws)."),
  kubernetesVersion: z
    .string()
    .superRefine((v, ctx) => {
      const why = unsupportedKubernetes(v);
      if (why) ctx.addIssue({ code: "custom", message: why });
    })
    .optional()
    .describe("The cluster's Kubernetes version (e.g. 1.31), checked against the oldest Strata runs on (README, Cluster prerequisites)."),
});

export const clusterSection = {
  cluster: z
    .discriminatedUnion("source", [clusterFromStack, clusterFromConfig])
    .describe("Where the cluster comes from: `source: stack` (a cluster stack) or `source: config` (values here and `strata:kubeconfig`)."),
  kubeconfig: z
    .string()
    .min(1)
    .optional()
    .describe("Secret. Kubeconfig of the cluster, required when `cluster.source` is `config`."),
};

export type ClusterConfig = z.infer<typeof clusterSection.cluster>;

/** The cluster stack's output names Strata reads unless the stack says otherwise. */
export const DEFAULT_CLUSTER_OUTPUTS = {
  kubeconfig: "kubeconfig",
  clusterName: "clusterName",
  oidcProviderArn: "oidcProviderArn",
  oidcIssuerUrl: "oidcIssuerUrl",
  ebsCsiRoleArn: "ebsCsiRoleArn",
  kubernetesVersion: "kubernetesVersion",
} as const;

import { createHash } from "node:crypto";
import type { MockCallArgs, MockResourceArgs, MockResourceResult, Mocks } from "@pulumi/pulumi/runtime/mocks";

/** The account the offline plan pretends to deploy into (AWS's documentation account). */
export const MOCK_ACCOUNT_ID = "123456789012";

export interface MockEnvironment {
  stack: string;
  /** Region for ARNs when a resource's provider does not say. */
  defaultRegion: string;
  /** Output names of the cluster stack, default name -> name the stack config asks for. */
  clusterOutputNames: Record<string, string>;
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

/** Deterministic lowercase-alphanumeric text of a given length, so plans are byte-for-byte reproducible. */
function deterministicText(seed: string, length: number, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"): string {
  let out = "";
  let block = digest(seed);
  while (out.length < length) {
    for (let i = 0; i + 2 <= block.length && out.length < length; i += 2) {
      out += alphabet[parseInt(block.slice(i, i + 2), 16) % alphabet.length];
    }
    block = digest(block);
  }
  return out;
}

/** A deterministic UUID-shaped id (8-4-4-4-12 hex) from one digest of its seed. */
function deterministicUuid(seed: string): string {
  const hex = digest(seed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

type State = Record<string, unknown>;

function awsState(args: MockResourceArgs, region: string): State {
  const [, module = "unknown"] = args.type.split(":");
  const service = module.split("/")[0]!;
  const id = `${args.name}-id`;
  const i = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = String(i.bucket ?? `${args.name}-${deterministicText(args.name, 7)}`);
      return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}`, region, bucketDomainName: `${bucket}.s3.amazonaws.com`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com` };
    }
    case "aws:kms/key:Key": {
      // An imported key answers with the id it was imported by, as the provider would.
      const keyId = args.id || deterministicUuid(`${args.type}/${args.name}`);
      return { id: keyId, keyId, arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${keyId}` };
    }
    case "aws:kms/alias:Alias":
      return { id: String(i.name), arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:${String(i.name)}` };
    case "aws:iam/role:Role":
    case "aws:iam/user:User":
    case "aws:iam/policy:Policy": {
      const kind = args.type.split(":")[2]!.toLowerCase();
      const name = String(i.name ?? `${args.name}-${deterministicText(args.name, 7)}`);
      const path = typeof i.path === "string" ? i.path : "/";
      return { id: name, name, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:${kind}${path}${name}`, uniqueId: `AROA${deterministicText(name, 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}` };
    }
    case "aws:iam/accessKey:AccessKey":
      return { id: `AKIA${deterministicText(args.name, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`, secret: deterministicText(`${args.name}/secret`, 40), status: "Active" };
    case "aws:dlm/lifecyclePolicy:LifecyclePolicy": {
      // CloudWatch alarms select a policy by this id (dimension DlmPolicyId).
      const policyId = `policy-${deterministicText(args.name, 17, "0123456789abcdef")}`;
      return { id: policyId, arn: `arn:aws:dlm:${region}:${MOCK_ACCOUNT_ID}:policy/${policyId}` };
    }
    case "aws:sns/topic:Topic": {
      const name = String(i.name ?? `${args.name}-${deterministicText(args.name, 7)}`);
      return { id: `arn:aws:sns:${region}:${MOCK_ACCOUNT_ID}:${name}`, name, arn: `arn:aws:sns:${region}:${MOCK_ACCOUNT_ID}:${name}` };
    }
    default:
      return { id, arn: `arn:aws:${service}:${region}:${MOCK_ACCOUNT_ID}:${args.name}` };
  }
}

function kubernetesState(args: MockResourceArgs): State {
  const i = args.inputs as Record<string, unknown>;
  if (args.type === "kubernetes:helm.sh/v3:Release") {
    const name = String(i.name ?? args.name);
    return { id: `${String(i.namespace ?? "default")}/${name}`, name, status: { name, namespace: i.namespace, revision: 1, status: "deployed", chart: i.chart, version: i.version } };
  }
  const metadata = { ...((i.metadata as Record<string, unknown> | undefined) ?? {}) };
  // Like the real provider, an object without an explicit name gets the resource name plus a random suffix.
  metadata.name ??= `${args.name}-${deterministicText(args.name, 8)}`;
  metadata.uid = deterministicUuid(`${args.type}/${args.name}`);
  const namespace = typeof metadata.namespace === "string" ? `${metadata.namespace}/` : "";
  return { id: `${namespace}${String(metadata.name)}`, metadata };
}

function hcloudState(args: MockResourceArgs): State {
  // Hetzner ids are integers; a static PersistentVolume uses the volume id as its CSI volume handle.
  const id = String(10_000_000 + (parseInt(digest(args.name).slice(0, 8), 16) % 89_999_999));
  return { id, linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${id}` };
}

function randomState(args: MockResourceArgs): State {
  const i = args.inputs as Record<string, unknown>;
  const length = typeof i.length === "number" ? i.length : 16;
  const alphabet = i.upper === false ? "abcdefghijklmnopqrstuvwxyz0123456789" : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const result = deterministicText(args.name, length, i.numeric === false ? alphabet.replace(/[0-9]/g, "") : alphabet);
  return { id: `${args.name}-id`, result, ...(args.type.endsWith("RandomId") ? { hex: result } : {}) };
}

function clusterStackOutputs(env: MockEnvironment): State {
  const region = env.defaultRegion;
  const oidcId = deterministicText(env.stack, 32, "0123456789ABCDEF");
  const byDefaultName: State = {
    kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\n# offline plan: no real cluster\n",
    clusterName: `${env.stack}-cluster`,
    oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/${oidcId}`,
    oidcIssuerUrl: `https://oidc.eks.${region}.amazonaws.com/id/${oidcId}`,
    ebsCsiRoleArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${env.stack}-ebs-csi-driver`,
    // A supported version, so the plan exercises the check the provider makes (infra/kubernetesVersion.ts).
    kubernetesVersion: "v1.31.4",
  };
  const outputs: State = {};
  for (const [name, value] of Object.entries(byDefaultName)) outputs[env.clusterOutputNames[name] ?? name] = value;
  return outputs;
}

/**
 * Deterministic stand-ins for what the clouds would answer, shaped like the real responses (ARNs, ids, names),
 * so that outputs derived from them read like the real thing in a plan.
 */
export function strataMocks(env: MockEnvironment): Mocks {
  const providerRegions = new Map<string, string>();
  return {
    newResource(args: MockResourceArgs): MockResourceResult {
      const inputs = args.inputs as Record<string, unknown>;
      let computed: State;
      if (args.type === "pulumi:pulumi:StackReference") {
        computed = { id: String(inputs.name ?? args.name), name: inputs.name, outputs: clusterStackOutputs(env), secretOutputNames: ["kubeconfig"] };
      } else if (args.type.startsWith("pulumi:providers:")) {
        if (typeof inputs.region === "string") providerRegions.set(args.name, inputs.region);
        computed = { id: `${args.name}-provider-id` };
      } else if (args.type.startsWith("aws:")) {
        // A provider reference is "<urn>::<id>" and a URN ends in "::<name>".
        const providerName = args.provider?.split("::").at(-2);
        // AWS provider v7 resources may name their own region, overriding the provider's.
        const own = typeof inputs.region === "string" && inputs.region !== "" ? inputs.region : undefined;
        const region = own ?? ((providerName && providerRegions.get(providerName)) || env.defaultRegion);
        computed = awsState(args, region);
      } else if (args.type.startsWith("kubernetes:")) {
        computed = kubernetesState(args);
      } else if (args.type.startsWith("hcloud:")) {
        computed = hcloudState(args);
      } else if (args.type.startsWith("random:")) {
        computed = randomState(args);
      } else {
        computed = { id: `${args.name}-id` };
      }
      const { id: computedId, ...state } = computed;
      // An imported resource keeps the id it was imported by (Pulumi's `import` option).
      const id = args.id || computedId;
      return { id: args.custom === false ? "" : String(id ?? `${args.name}-id`), state: { ...inputs, ...state } };
    },
    call(args: MockCallArgs): Record<string, unknown> {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/strata-plan`, userId: "AIDASTRATAPLAN", id: MOCK_ACCOUNT_ID };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
        case "aws:index/getRegion:getRegion":
          return { name: env.defaultRegion, region: env.defaultRegion, id: env.defaultRegion, endpoint: `ec2.${env.defaultRegion}.amazonaws.com` };
        default:
          // An invoke nobody taught the plan about would silently return nothing; fail so it gets a real stand-in.
          throw new Error(`the offline plan has no stand-in for invoke ${args.token}`);
      }
    },
  };
}

import type { ConfigSchema, PolicyContext, StrataPolicy, StrataResource } from "./types";

/** How the offline plan shows a Pulumi secret and an unknown value; the pack reads the plan's own constants. */
import { SECRET_TEXT, UNKNOWN_TEXT } from "./placeholders";
export { SECRET_TEXT, UNKNOWN_TEXT };

export const T = {
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  pv: "kubernetes:core/v1:PersistentVolume",
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  pod: "kubernetes:core/v1:Pod",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  helmChartV4: "kubernetes:helm.sh/v4:Chart",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  hcloudVolume: "hcloud:index/volume:Volume",
  bucket: "aws:s3/bucket:Bucket",
  bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
  bucketSse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketPab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketOwnership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  bucketLifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  kmsKey: "aws:kms/key:Key",
  iamPolicy: "aws:iam/policy:Policy",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  iamUser: "aws:iam/user:User",
  iamAccessKey: "aws:iam/accessKey:AccessKey",
  dlmPolicy: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
  awsProvider: "pulumi:providers:aws",
} as const;

/** Every resource type that carries a pod template (or is a pod): the pod rules apply to all of them alike. */
export const WORKLOAD_TYPES = [T.pod, T.deployment, T.statefulSet, T.daemonSet, T.job, T.cronJob] as const;

/** Provider inputs arrive JSON-encoded (e.g. `defaultTags`); everything else as objects. */
export function parseMaybeJson(value: unknown): any {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
}

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function get(value: unknown, path: readonly (string | number)[]): any {
  let current: any = value;
  for (const key of path) {
    if (current === null || current === undefined || typeof current !== "object") return undefined;
    current = current[key as any];
  }
  return current;
}

export function asArray<V>(value: V | V[] | undefined | null): V[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Defaults of a policy's config, read from its schema. */
export function configDefaults(schema: ConfigSchema | undefined): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, prop] of Object.entries(schema?.properties ?? {})) if ("default" in prop) out[key] = prop.default;
  return out;
}

/** A policy's effective config: its schema defaults, overridden by what the user gave. */
export function effectiveConfig(policy: StrataPolicy, given: Record<string, any> | undefined): Record<string, any> {
  const { enforcementLevel: _ignored, ...rest } = given ?? {};
  return { ...configDefaults(policy.configSchema), ...rest };
}

/** `*` matches any run of characters; anything else is literal. Patterns match the whole resource name. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(value);
}

/** The standard exception list every policy with an `exceptions` config property honours. */
export const EXCEPTIONS_SCHEMA = {
  exceptions: {
    type: "array",
    items: { type: "string" },
    default: [],
    description: "Resource names (logical Pulumi names; `*` is a wildcard) this policy does not apply to. Each exception should say why in the config file's history.",
  },
};

export function isExcepted(resource: Pick<StrataResource, "name">, ctx: PolicyContext): boolean {
  return asArray<string>(ctx.config.exceptions).some((p) => globMatch(p, resource.name));
}

/** AWS tags of a resource: its own `tags`, over the provider's `defaultTags`. */
export function tagsOf(resource: StrataResource): Record<string, string> {
  const providerDefaults = parseMaybeJson(resource.provider?.props?.defaultTags);
  const fromProvider = isObject(providerDefaults) && isObject(providerDefaults.tags) ? providerDefaults.tags : {};
  const own = isObject(resource.props.tags) ? resource.props.tags : {};
  const all = isObject(resource.props.tagsAll) ? resource.props.tagsAll : {};
  return { ...fromProvider, ...all, ...own };
}

export function labelsOf(resource: StrataResource): Record<string, string> {
  const labels = get(resource.props, ["metadata", "labels"]);
  return isObject(labels) ? labels : {};
}

export const ENVIRONMENT_TAG = "strata:environment";
export const ENVIRONMENT_LABEL = "strata.io/environment";
export const CLOUD_TAG = "strata:cloud";

/**
 * The environment a resource belongs to: the policy config's `environment` (set per stack with
 * `--policy-pack-config`, or by the offline plan from the stack config) wins; otherwise the `strata:environment` AWS
 * tag (own or the provider's default tags) or the `strata.io/environment` Kubernetes label that Strata puts on
 * everything.
 */
export function environmentOf(resource: StrataResource | undefined, ctx: PolicyContext): string | undefined {
  if (typeof ctx.config.environment === "string" && ctx.config.environment) return ctx.config.environment;
  if (!resource) return undefined;
  return tagsOf(resource)[ENVIRONMENT_TAG] ?? labelsOf(resource)[ENVIRONMENT_LABEL];
}

/** The stack's environment, from config or from the first resource that tells. */
export function stackEnvironment(resources: StrataResource[], ctx: PolicyContext): string | undefined {
  if (typeof ctx.config.environment === "string" && ctx.config.environment) return ctx.config.environment;
  for (const r of resources) {
    const env = environmentOf(r, { ...ctx, config: {} });
    if (env) return env;
  }
  return undefined;
}

export const ENVIRONMENT_SCHEMA = {
  environment: {
    type: "string",
    description: "The stack's environment. Unset: read from the `strata:environment` tag / `strata.io/environment` label.",
  },
  prodEnvironments: {
    type: "array",
    items: { type: "string" },
    default: ["prod"],
    description: "Environments held to production rules.",
  },
};

export function isProd(environment: string | undefined, ctx: PolicyContext): boolean {
  return environment !== undefined && asArray<string>(ctx.config.prodEnvironments ?? ["prod"]).includes(environment);
}

/** Kubernetes quantity (e.g. `10Gi`, `500M`) in bytes; undefined when unparseable. */
export function quantityBytes(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$/.exec(value.trim());
  if (!m) return undefined;
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
  return Number(m[1]) * (m[2] ? units[m[2]]! : 1);
}

/** A Prometheus/Go duration such as `15d`, `720h`, `2w`, `1y` in days; undefined when unparseable or 0 (= forever). */
export function durationDays(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const units: Record<string, number> = { y: 365, w: 7, d: 1, h: 1 / 24, m: 1 / 1440, s: 1 / 86400, ms: 1 / 86_400_000 };
  const parts = [...value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value.trim()) return undefined;
  const days = parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
  return days > 0 ? days : undefined;
}

/** Exact semver (no ranges, no wildcards, no `latest`). */
export function isExactSemver(version: unknown): boolean {
  return typeof version === "string" && /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version);
}

/** Why an image reference is not pinned, or undefined when it is (an explicit non-`latest` tag, or a digest). */
export function imageProblem(ref: unknown): string | undefined {
  if (typeof ref !== "string" || ref === "") return "has no image";
  if (ref === SECRET_TEXT || ref === UNKNOWN_TEXT) return undefined;
  const at = ref.indexOf("@");
  if (at >= 0) return /^sha256:[0-9a-f]{64}$/.test(ref.slice(at + 1)) ? undefined : `image "${ref}" has a digest that is not sha256:<64 hex digits>`;
  const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  if (colon < 0) return `image "${ref}" has no tag`;
  const tag = lastSegment.slice(colon + 1);
  if (tag === "" || tag === "latest") return `image "${ref}" uses the tag "${tag || "(empty)"}"`;
  return undefined;
}

/**
 * Every image a Helm values tree sets, with its path: `image: "repo:tag"` strings, and `image: { registry?,
 * repository, tag?, digest? }` objects (the shape of kube-prometheus-stack, Thanos and Loki charts). An image object
 * with a repository but neither tag nor digest is unpinned (the chart would fall back to its appVersion or `latest`).
 */
export function helmImages(values: unknown): { path: string; problem?: string; ref: string }[] {
  const found: { path: string; problem?: string; ref: string }[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      const here = path ? `${path}.${key}` : key;
      if (key === "image" && typeof value === "string") {
        found.push({ path: here, ref: value, problem: imageProblem(value) });
      } else if (key === "image" && isObject(value) && (typeof value.repository === "string" || typeof value.name === "string")) {
        const repo = [value.registry, value.repository ?? value.name].filter((p) => typeof p === "string" && p).join("/");
        const tag = value.tag === undefined || value.tag === null ? "" : String(value.tag);
        const digest = typeof value.digest === "string" ? value.digest : typeof value.sha === "string" ? value.sha : "";
        const pinnedBy = tag === "" ? "" : `:${tag}`;
        if (digest) found.push({ path: here, ref: `${repo}${pinnedBy}@${digest}`, ...(/^sha256:[0-9a-f]{64}$/.test(digest) ? {} : { problem: `image ${repo} has a digest that is not sha256:<64 hex digits>` }) });
        else found.push({ path: here, ref: `${repo}:${tag}`, problem: tag === "" ? `image ${repo} has no tag` : tag === "latest" ? `image ${repo} uses the tag "latest"` : undefined });
        walk(Object.fromEntries(Object.entries(value).filter(([k]) => !["registry", "repository", "tag", "digest", "name", "sha"].includes(k))), here);
      } else {
        walk(value, here);
      }
    }
  };
  walk(values, "");
  return found;
}

/** The pod spec of a workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob). */
export function podSpecOf(resource: StrataResource): Record<string, any> | undefined {
  const path = resource.type === T.pod ? ["spec"] : resource.type === T.cronJob ? ["spec", "jobTemplate", "spec", "template", "spec"] : ["spec", "template", "spec"];
  const spec = get(resource.props, path);
  return isObject(spec) ? spec : undefined;
}

export function containersOf(podSpec: Record<string, any> | undefined): { kind: string; container: Record<string, any> }[] {
  if (!podSpec) return [];
  return [
    ...asArray(podSpec.initContainers).map((c: any) => ({ kind: "init container", container: c })),
    ...asArray(podSpec.containers).map((c: any) => ({ kind: "container", container: c })),
  ].filter((c) => isObject(c.container));
}

export interface IamStatement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
  Principal?: unknown;
}

/** Statements of an IAM policy document given as a JSON string or an object; undefined when unreadable. */
export function iamStatements(document: unknown): IamStatement[] | undefined {
  const doc = parseMaybeJson(document);
  if (!isObject(doc)) return undefined;
  return asArray(doc.Statement).filter(isObject) as IamStatement[];
}

/** Does an IAM action pattern (with `*`/`?`) grant `action`? Case-insensitive, as IAM is. */
export function actionGrants(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return re.test(action);
}

/**
 * Does a companion resource (e.g. a bucket's versioning) belong to `target`? By its `property` (e.g. `bucket`)
 * equal to one of the target's keys (its name, its id); when that value is not known yet (a preview of a new
 * bucket), by the companion's dependencies or parent.
 */
export function refersTo(companion: StrataResource, target: StrataResource, property: string, targetKeys: unknown[]): boolean {
  const value = companion.props[property];
  if (typeof value === "string" && value !== UNKNOWN_TEXT && value !== "") {
    return value === target.urn || targetKeys.some((k) => typeof k === "string" && k !== "" && k === value);
  }
  return (companion.dependencies ?? []).includes(target.urn) || companion.opts.parent === target.urn;
}

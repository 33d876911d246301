/**
 * The first `pulumi up` on an empty cluster, simulated on a stack's resources (the offline plan's, or what
 * `pulumi preview` hands a stack policy). The engine starts a resource once every resource it depends on and its
 * provider are done (a dependency on a component stands for every resource inside it), and runs everything else in
 * parallel. So all a resource can rely on when it starts is what the resources it transitively depends on created,
 * plus what an empty cluster already has; anything else may still be in flight. Each resource is checked against
 * exactly that, which is the worst schedule the engine may pick, and any dependency cycle is reported.
 *
 * What a resource needs: its kind (built-in, or a CRD someone installs) and its namespace; for workloads the
 * Secrets, ConfigMaps, claims and ServiceAccount their pods mount or run as; for a claim or volume its StorageClass,
 * and for a class or volume the Secrets its CSI driver reads. A Helm release needs its namespace, every kind its
 * chart renders given its values, and the objects its values name (core/chartKinds.ts). Something nothing in the
 * stack creates (an application's namespace or Secret) is an assumption about the cluster, returned as such, not a
 * failure; a kind nothing installs is a failure.
 */
import { chartKindFacts, type KindRef, type ValueCondition } from "./chartKinds";
import type { StrataResource } from "./types";
import { SECRET_TEXT, UNKNOWN_TEXT, get, isObject } from "./util";

export type ProblemKind = "cycle" | "kind" | "namespace" | "mount" | "storage-class" | "identity" | "crd-installer";

export interface DeployProblem {
  kind: ProblemKind;
  urn: string;
  message: string;
}

export interface Requirement {
  what: "kind" | "namespace" | "Secret" | "ConfigMap" | "PersistentVolumeClaim" | "ServiceAccount" | "StorageClass";
  /** `group/Kind` for a kind; `namespace/name` for namespaced objects; the name otherwise. */
  key: string;
  why: string;
}

export interface DeployOrderResult {
  problems: DeployProblem[];
  /** Resources in the order the engine may start them: wave n depends only on waves before it. */
  waves: string[][];
  /** What the stack needs from the cluster but does not create, by requirement type. */
  assumed: Record<string, string[]>;
  /** Helm releases of a chart or version core/chartKinds.ts has no facts about. */
  unknownCharts: { urn: string; chart: string; version: string }[];
}

export interface DeployOrderOptions {
  /** API groups whose kinds exist before Strata runs (besides the built-in ones). */
  preinstalledGroups?: readonly string[];
  /** Namespaces an empty cluster has. */
  existingNamespaces?: readonly string[];
}

/** API groups served by the Kubernetes API server itself (no CRD needed). Suffixes like `k8s.io` are not enough: snapshot.storage.k8s.io is a CRD group. */
export const BUILT_IN_GROUPS: readonly string[] = [
  "",
  "core",
  "apps",
  "batch",
  "autoscaling",
  "policy",
  "networking.k8s.io",
  "storage.k8s.io",
  "rbac.authorization.k8s.io",
  "apiextensions.k8s.io",
  "admissionregistration.k8s.io",
  "apiregistration.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "node.k8s.io",
  "certificates.k8s.io",
  "events.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "resource.k8s.io",
];

const EMPTY_CLUSTER_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const CLUSTER_SCOPED = new Set(["Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "CSIDriver", "IngressClass", "RuntimeClass", "APIService", "VolumeAttributesClass"]);

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
const HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart";
/** Packages whose resources are custom (the engine creates them); anything else with children is a component. */
const CUSTOM_TYPE = /^(pulumi:providers:|pulumi:pulumi:StackReference$|(kubernetes|aws|hcloud|random|tls|command|cloudinit):)/;

/** `kubernetes:monitoring.coreos.com/v1:PrometheusRule` → group and kind; undefined for non-Kubernetes types and Helm. */
export function kubernetesKind(type: string): KindRef | undefined {
  const m = /^kubernetes:([^:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m || m[1] === "helm.sh" || m[1] === "yaml" || m[1] === "kustomize") return undefined;
  return { group: m[1] === "core" ? "" : m[1]!, kind: m[3]! };
}

export const kindKey = (k: KindRef) => `${k.group || "core"}/${k.kind}`;
const known = (v: unknown): v is string => typeof v === "string" && v !== "" && v !== UNKNOWN_TEXT && v !== SECRET_TEXT;

/** Values at a dotted path; `[*]` walks every element of a list. */
export function valuesAt(values: unknown, path: string): unknown[] {
  let current: unknown[] = [values];
  for (const part of path.split(".")) {
    const list = part.endsWith("[*]");
    const key = list ? part.slice(0, -3) : part;
    current = current.flatMap((v) => {
      const next = get(v, [key]);
      if (!list) return next === undefined ? [] : [next];
      return Array.isArray(next) ? next : [];
    });
  }
  return current;
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return Boolean(v) && v !== "false";
}

export function holds(cond: ValueCondition | undefined, values: Record<string, unknown>): boolean {
  if (!cond) return true;
  if ("all" in cond) return cond.all.every((c) => holds(c, values));
  if ("any" in cond) return cond.any.some((c) => holds(c, values));
  const found = valuesAt(values, cond.path);
  const value = found.length > 0 ? found[0] : cond.default;
  return "equals" in cond ? value === cond.equals : truthy(value);
}

/** A release's chart name and version, as the Release / v4 Chart inputs give them. */
export function releaseChart(r: StrataResource): { chart: string; version: string } {
  const raw = String(r.props.chart ?? "").replace(/@sha256:[0-9a-f]+$/, "");
  const chart = raw.slice(raw.lastIndexOf("/") + 1).replace(/:.*$/, "");
  return { chart, version: String(r.props.version ?? "") };
}

interface PodRefs {
  secrets: string[];
  configMaps: string[];
  claims: string[];
}

/** Secrets, ConfigMaps and claims a pod spec (or any values tree holding pod-spec fragments) mounts or reads; optional references are skipped. */
export function podSpecRefs(tree: unknown): PodRefs {
  const refs: PodRefs = { secrets: [], configMaps: [], claims: [] };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    const required = (ref: unknown) => isObject(ref) && ref.optional !== true && known(ref.name);
    if (required(node.secretKeyRef)) refs.secrets.push(node.secretKeyRef.name);
    if (required(node.configMapKeyRef)) refs.configMaps.push(node.configMapKeyRef.name);
    if (required(node.secretRef) && ("prefix" in node || Object.keys(node).length === 1)) refs.secrets.push(node.secretRef.name);
    if (required(node.configMapRef)) refs.configMaps.push(node.configMapRef.name);
    // A volume: `{ name, secret: { secretName } }`, `{ name, configMap: { name } }`, `{ name, persistentVolumeClaim: { claimName } }`.
    if (known(node.name) && isObject(node.secret) && node.secret.optional !== true && known(node.secret.secretName)) refs.secrets.push(node.secret.secretName);
    if (known(node.name) && isObject(node.configMap) && node.configMap.optional !== true && known(node.configMap.name)) refs.configMaps.push(node.configMap.name);
    if (known(node.name) && isObject(node.persistentVolumeClaim) && known(node.persistentVolumeClaim.claimName)) refs.claims.push(node.persistentVolumeClaim.claimName);
    // Projected volumes: `sources: [{ secret: { name } }, { configMap: { name } }]`.
    if (Array.isArray(node.sources)) {
      for (const s of node.sources) {
        if (isObject(s) && isObject(s.secret) && s.secret.optional !== true && known(s.secret.name)) refs.secrets.push(s.secret.name);
        if (isObject(s) && isObject(s.configMap) && s.configMap.optional !== true && known(s.configMap.name)) refs.configMaps.push(s.configMap.name);
      }
    }
    Object.values(node).forEach(visit);
  };
  visit(tree);
  return refs;
}

const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

interface Analysed {
  provides: Set<string>;
  /** Objects named by a pattern (a controller's replicas), as `what:namespace/` prefixes with a regex for the name. */
  providesMatching: { prefix: string; name: RegExp }[];
  requires: Requirement[];
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `prometheus-{fullnameOverride}-{ordinal}` → a regex, or undefined when a `{path}` is not set in the values. */
function namePattern(pattern: string, values: Record<string, unknown>): RegExp | undefined {
  let missing = false;
  const source = pattern
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (part === "{ordinal}") return "\\d+";
      if (!part.startsWith("{")) return escapeRegex(part);
      const value = valuesAt(values, part.slice(1, -1))[0];
      if (!known(value)) missing = true;
      return escapeRegex(String(value));
    })
    .join("");
  return missing ? undefined : new RegExp(`^${source}$`);
}

const AUTONAMED = "autonamed:";
/** `ConfigMap:ns/backup-scripts-l4l80y9i` → `autonamed:ConfigMap:ns/backup-scripts`: how Pulumi's Kubernetes provider names an object without metadata.name. */
const autonamedKey = (key: string) => {
  const m = /^(.*)-[a-z0-9]{8}$/.exec(key);
  return m ? `${AUTONAMED}${m[1]}` : undefined;
};
const req = (what: Requirement["what"], key: string, why: string): Requirement => ({ what, key, why });
const nsKey = (namespace: string, name: string) => `${namespace}/${name}`;

function analyse(r: StrataResource, unknownCharts: DeployOrderResult["unknownCharts"]): Analysed {
  const provides = new Set<string>();
  const providesMatching: Analysed["providesMatching"] = [];
  const requires: Requirement[] = [];
  if (r.type === HELM_RELEASE || r.type === HELM_CHART_V4) {
    const values = isObject(r.props.values) ? (r.props.values as Record<string, unknown>) : {};
    const namespace = r.props.namespace;
    if (known(namespace) && r.props.createNamespace !== true) requires.push(req("namespace", namespace, "the release's namespace"));
    const { chart, version } = releaseChart(r);
    const facts = chartKindFacts(chart, version);
    if (!facts) {
      unknownCharts.push({ urn: r.urn, chart, version });
    } else {
      for (const i of facts.installs) if (holds(i.when, values)) for (const k of i.kinds) provides.add(`kind:${kindKey(k)}`);
      for (const x of facts.renders) if (holds(x.when, values)) requires.push(req("kind", kindKey(x.kind), `${chart} ${version} renders it (${x.source})`));
      for (const p of facts.provides ?? []) {
        const name = holds(p.when, values) && known(namespace) ? namePattern(p.name, values) : undefined;
        if (name) providesMatching.push({ prefix: `${p.object}:${namespace}/`, name });
      }
      for (const ref of facts.references) {
        if (!holds(ref.when, values)) continue;
        for (const name of valuesAt(values, ref.path).filter(known)) {
          if (name === "-") continue; // Helm charts' "no class" marker
          requires.push(req(ref.object, ref.object === "StorageClass" ? name : nsKey(known(namespace) ? namespace : "default", name), `values ${ref.path}`));
        }
      }
    }
    if (known(namespace)) {
      const refs = podSpecRefs(values);
      for (const s of refs.secrets) requires.push(req("Secret", nsKey(namespace, s), "a pod-spec reference in the values"));
      for (const c of refs.configMaps) requires.push(req("ConfigMap", nsKey(namespace, c), "a pod-spec reference in the values"));
      for (const c of refs.claims) requires.push(req("PersistentVolumeClaim", nsKey(namespace, c), "a pod-spec reference in the values"));
    }
    return { provides, providesMatching, requires };
  }

  const kind = kubernetesKind(r.type);
  if (!kind) return { provides, providesMatching, requires };
  const name = get(r.props, ["metadata", "name"]);
  const namespace = get(r.props, ["metadata", "namespace"]);
  const namespaced = !CLUSTER_SCOPED.has(kind.kind);
  if (!BUILT_IN_GROUPS.includes(kind.group)) requires.push(req("kind", kindKey(kind), "the object's own kind"));
  if (namespaced && known(namespace)) requires.push(req("namespace", namespace, "the object's namespace"));
  const objectKey = (n: string) => `${kind.kind}:${namespaced ? nsKey(known(namespace) ? namespace : "default", n) : n}`;
  if (known(name)) provides.add(objectKey(name));
  // No metadata.name: the provider names it `<resource name>-<8 random characters>`, which references read back.
  else if (name === undefined) provides.add(`${AUTONAMED}${objectKey(r.name)}`);
  if (kind.kind === "Namespace" && known(name)) provides.add(`namespace:${name}`);
  if (kind.kind === "CustomResourceDefinition") {
    const group = get(r.props, ["spec", "group"]);
    const crdKind = get(r.props, ["spec", "names", "kind"]);
    if (known(group) && known(crdKind)) provides.add(`kind:${kindKey({ group, kind: crdKind })}`);
  }
  const ns = known(namespace) ? namespace : "default";
  // A CSI driver reads these Secrets when it provisions, attaches or mounts a volume (e.g. a LUKS passphrase).
  if (kind.kind === "StorageClass" && isObject(r.props.parameters)) {
    const params = r.props.parameters as Record<string, unknown>;
    for (const [key, secretName] of Object.entries(params)) {
      const m = /^csi\.storage\.k8s\.io\/(.+)-secret-name$/.exec(key);
      const secretNamespace = m ? params[`csi.storage.k8s.io/${m[1]}-secret-namespace`] : undefined;
      if (known(secretName) && known(secretNamespace) && !`${secretName}${secretNamespace}`.includes("${")) requires.push(req("Secret", nsKey(secretNamespace, secretName), `the class's ${key}`));
    }
  }
  if (kind.kind === "PersistentVolume") {
    const cls = get(r.props, ["spec", "storageClassName"]);
    if (known(cls)) requires.push(req("StorageClass", cls, "the volume's storageClassName"));
    for (const refKey of ["nodePublishSecretRef", "nodeStageSecretRef", "controllerPublishSecretRef", "controllerExpandSecretRef", "nodeExpandSecretRef"]) {
      const ref = get(r.props, ["spec", "csi", refKey]);
      if (isObject(ref) && known(ref.name) && known(ref.namespace)) requires.push(req("Secret", nsKey(ref.namespace, ref.name), `the volume's csi.${refKey}`));
    }
  }
  if (kind.kind === "PersistentVolumeClaim") {
    const cls = get(r.props, ["spec", "storageClassName"]);
    if (known(cls)) requires.push(req("StorageClass", cls, "the claim's storageClassName"));
  }
  const specPath = POD_SPEC_PATHS[kind.kind];
  if (specPath && BUILT_IN_GROUPS.includes(kind.group)) {
    const podSpec = get(r.props, specPath);
    const refs = podSpecRefs(podSpec);
    for (const s of refs.secrets) requires.push(req("Secret", nsKey(ns, s), "its pods mount or read it"));
    for (const c of refs.configMaps) requires.push(req("ConfigMap", nsKey(ns, c), "its pods mount or read it"));
    for (const c of refs.claims) requires.push(req("PersistentVolumeClaim", nsKey(ns, c), "its pods mount it"));
    const sa = get(podSpec, ["serviceAccountName"]) ?? get(podSpec, ["serviceAccount"]);
    if (known(sa) && sa !== "default") requires.push(req("ServiceAccount", nsKey(ns, sa), "its pods run as it"));
    for (const t of (get(r.props, ["spec", "volumeClaimTemplates"]) as unknown[] | undefined) ?? []) {
      const cls = get(t, ["spec", "storageClassName"]);
      if (known(cls)) requires.push(req("StorageClass", cls, "a volumeClaimTemplate's storageClassName"));
    }
  }
  return { provides, providesMatching, requires };
}

const PROVIDES_KEY: Record<Requirement["what"], string> = {
  kind: "kind",
  namespace: "namespace",
  Secret: "Secret",
  ConfigMap: "ConfigMap",
  PersistentVolumeClaim: "PersistentVolumeClaim",
  ServiceAccount: "ServiceAccount",
  StorageClass: "StorageClass",
};

const PROBLEM_OF: Record<Requirement["what"], ProblemKind> = {
  kind: "kind",
  namespace: "namespace",
  Secret: "mount",
  ConfigMap: "mount",
  PersistentVolumeClaim: "mount",
  ServiceAccount: "identity",
  StorageClass: "storage-class",
};

/** Strongly connected components of more than one resource (or a resource depending on itself): the cycles. */
function cycles(nodes: string[], edges: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  // Iterative Tarjan: a plan may hold thousands of resources.
  for (const root of nodes) {
    if (idx.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    idx.set(root, index);
    low.set(root, index++);
    stack.push(root);
    on.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = edges.get(frame.node) ?? [];
      if (frame.next < succ.length) {
        const w = succ[frame.next++]!;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          on.add(w);
          work.push({ node: w, next: 0 });
        } else if (on.has(w)) low.set(frame.node, Math.min(low.get(frame.node)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === idx.get(frame.node)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          scc.push(w);
        } while (w !== frame.node);
        if (scc.length > 1 || succ.includes(frame.node)) out.push(scc.reverse());
      }
    }
  }
  return out;
}

export interface DependencyGraph {
  /** The custom resources (what the engine creates), in stack order. */
  custom: string[];
  /** Each custom resource's direct dependencies, components expanded to everything inside them. */
  deps: Map<string, string[]>;
  /** Everything guaranteed done before a resource starts: the transitive closure of its dependencies. */
  before(urn: string): Set<string>;
}

/** The engine's view of a stack's dependencies: a dependency on a component is one on every resource inside it. */
export function dependencyGraph(resources: readonly StrataResource[]): DependencyGraph {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) {
    if (!r.opts.parent) continue;
    const siblings = children.get(r.opts.parent);
    if (siblings) siblings.push(r.urn);
    else children.set(r.opts.parent, [r.urn]);
  }
  // Custom: a known provider package, or any package the stack has a provider resource for.
  const providerPackages = new Set(resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.type.slice("pulumi:providers:".length)));
  const isComponent = (urn: string) => {
    const r = byUrn.get(urn);
    return r !== undefined && !CUSTOM_TYPE.test(r.type) && !providerPackages.has(r.type.split(":")[0]!);
  };
  const expand = (urn: string, seen = new Set<string>()): string[] => {
    if (seen.has(urn)) return [];
    seen.add(urn);
    if (!isComponent(urn)) return byUrn.has(urn) ? [urn] : [];
    return (children.get(urn) ?? []).flatMap((c) => expand(c, seen));
  };
  const custom = resources.filter((r) => !isComponent(r.urn)).map((r) => r.urn);
  // A resource also waits for its provider (the Kubernetes provider waits for the cluster stack's kubeconfig).
  const direct = (r: StrataResource) => [...(r.dependencies ?? []), ...(r.provider?.urn ? [r.provider.urn] : [])];
  const deps = new Map<string, string[]>(custom.map((urn) => [urn, [...new Set(direct(byUrn.get(urn)!).flatMap((d) => expand(d)))]]));
  const closures = new Map<string, Set<string>>();
  const before = (urn: string): Set<string> => {
    const cached = closures.get(urn);
    if (cached) return cached;
    const set = new Set<string>();
    closures.set(urn, set); // in a cycle the partial set stands; the cycle itself is reported
    for (const d of deps.get(urn) ?? []) {
      set.add(d);
      for (const x of before(d)) set.add(x);
    }
    return set;
  };
  return { custom, deps, before };
}

export function simulateDeploy(resources: readonly StrataResource[], options: DeployOrderOptions = {}): DeployOrderResult {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const { custom, deps, before: closure } = dependencyGraph(resources);

  const problems: DeployProblem[] = [];
  const name = (urn: string) => byUrn.get(urn)?.name ?? urn;
  const inCycle = new Set<string>();
  for (const scc of cycles(custom, deps)) {
    scc.forEach((u) => inCycle.add(u));
    problems.push({ kind: "cycle", urn: scc[0]!, message: `dependency cycle: ${[...scc, scc[0]!].map(name).join(" -> ")}; none of these can ever start.` });
  }

  // Waves: a resource starts in the wave after the last of its dependencies.
  const wave = new Map<string, number>();
  const waveOf = (urn: string, path = new Set<string>()): number => {
    if (wave.has(urn)) return wave.get(urn)!;
    if (inCycle.has(urn) || path.has(urn)) return Number.POSITIVE_INFINITY;
    path.add(urn);
    const w = Math.max(-1, ...deps.get(urn)!.map((d) => waveOf(d, path))) + 1;
    path.delete(urn);
    wave.set(urn, w);
    return w;
  };
  custom.forEach((u) => waveOf(u));
  const waves: string[][] = [];
  for (const [urn, w] of wave) if (Number.isFinite(w)) (waves[w] ??= []).push(urn);

  const unknownCharts: DeployOrderResult["unknownCharts"] = [];
  const analysed = new Map(custom.map((urn) => [urn, analyse(byUrn.get(urn)!, unknownCharts)]));
  const providers = new Map<string, string[]>();
  for (const [urn, a] of analysed) {
    for (const p of a.provides) {
      const makers = providers.get(p);
      if (makers) makers.push(urn);
      else providers.set(p, [urn]);
    }
  }
  const matching = [...analysed].flatMap(([urn, a]) => a.providesMatching.map((m) => ({ ...m, urn })));
  const matchingMakers = (key: string) => matching.filter((m) => key.startsWith(m.prefix) && m.name.test(key.slice(m.prefix.length))).map((m) => m.urn);
  const preinstalled = new Set([...BUILT_IN_GROUPS, ...(options.preinstalledGroups ?? [])]);
  const existingNamespaces = new Set(options.existingNamespaces ?? EMPTY_CLUSTER_NAMESPACES);
  const assumed: Record<string, Set<string>> = {};

  for (const urn of custom) {
    const { requires } = analysed.get(urn)!;
    // Only a requirement something in the stack creates needs the closure; most resources have none.
    let done: Set<string> | undefined;
    for (const need of requires) {
      if (need.what === "kind" && preinstalled.has(need.key.slice(0, need.key.lastIndexOf("/")).replace(/^core$/, ""))) continue;
      if (need.what === "namespace" && existingNamespaces.has(need.key)) continue;
      const key = `${PROVIDES_KEY[need.what]}:${need.key}`;
      const autonamed = autonamedKey(key);
      const makers = [...(providers.get(key) ?? []), ...(autonamed ? (providers.get(autonamed) ?? []) : []), ...matchingMakers(key)];
      if (makers.includes(urn) || makers.some((m) => (done ??= closure(urn)).has(m))) continue;
      const label = need.what === "kind" ? `kind ${need.key}` : `${need.what} ${need.key}`;
      if (makers.length === 0) {
        if (need.what === "kind") problems.push({ kind: "kind", urn, message: `${name(urn)} needs ${label} (${need.why}), which nothing in the stack installs and an empty cluster does not have.` });
        else (assumed[need.what] ??= new Set()).add(need.key);
        continue;
      }
      problems.push({
        kind: PROBLEM_OF[need.what],
        urn,
        message: `${name(urn)} needs ${label} (${need.why}), but does not depend on ${makers.map(name).join(" or ")}, which creates it: on an empty cluster it may start first.`,
      });
    }
  }

  // The installer of a kind must not wait for anything that uses the kind.
  for (const [key, makers] of providers) {
    if (!key.startsWith("kind:")) continue;
    const kind = key.slice("kind:".length);
    const users = custom.filter((u) => analysed.get(u)!.requires.some((n) => n.what === "kind" && n.key === kind) && !makers.includes(u));
    for (const m of makers) {
      for (const u of users.filter((u) => closure(m).has(u))) {
        problems.push({ kind: "crd-installer", urn: m, message: `${name(m)} installs ${kind} but depends on ${name(u)}, which uses it.` });
      }
    }
  }

  return {
    problems,
    waves,
    assumed: Object.fromEntries(Object.entries(assumed).map(([k, v]) => [k, [...v].sort()])),
    unknownCharts,
  };
}

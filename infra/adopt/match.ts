import type { Plan } from "../plan/harness";
import type { RecordedResource } from "../plan/recordingMonitor";
import type { ClusterDump, HcloudVolume, HelmRelease, KmsAlias, KubeObject } from "./dumps";
import { HCLOUD_CSI_DRIVER } from "../../components/storage/hcloudStorageClass";
import { DEFAULT_CLASS_ANNOTATION } from "../../components/storage/storageClass";
import { EBS_CSI_DRIVER } from "../../components/storage/ebsStaticVolume";
import { kpsDefaultFullname, prometheusDataClaimName } from "../../components/metrics/names";
import { snapshotTargetTag } from "../areas/storage";
import { CHARTS } from "../../components/versions";
import { strataStorageClassName } from "../adoption";

/** The five answers, per resource the stack declares (issue 22). */
export type Verdict = "create" | "import" | "update" | "blocked" | "conflict";

export interface Line {
  verdict: Verdict;
  /** The Pulumi type and name of the planned resource. */
  type: string;
  name: string;
  /** What it is in the cluster or account, e.g. `PersistentVolumeClaim postgresql/data-postgresql-0`. */
  what: string;
  detail: string;
}

/** A reason the tool refuses to hand over a plan until it is fixed, and the exact command that fixes it. */
export interface Refusal {
  what: string;
  reason: string;
  fix: string;
}

export interface Dumps {
  cluster: ClusterDump;
  hcloudVolumes?: HcloudVolume[];
  buckets?: string[];
  kmsAliases?: KmsAlias[];
}

/** What a run found: one line per planned resource, refusals, the config that adopts what it found, and pre-steps. */
export interface Findings {
  lines: Line[];
  refusals: Refusal[];
  /** `strata:` keys to merge into the stack file (objects merge, as `pulumi config set --path` would). */
  config: Record<string, unknown>;
  preSteps: PreStep[];
  /** What was not compared at all, said plainly in the report. */
  notes: string[];
}

export interface PreStep {
  /** Why, as a comment above the commands. */
  why: string;
  commands: string[];
  /** Steps run in this order: volumes to Retain, protection and tags, CRDs, the replaced release, rebinding. */
  phase: Phase;
}

export const PHASES = { retain: 0, protect: 1, crds: 2, uninstall: 3, rebind: 4 } as const;
type Phase = (typeof PHASES)[keyof typeof PHASES];

const KIND_OF_TYPE: Record<string, string> = {
  "kubernetes:core/v1:Namespace": "Namespace",
  "kubernetes:storage.k8s.io/v1:StorageClass": "StorageClass",
  "kubernetes:core/v1:PersistentVolume": "PersistentVolume",
  "kubernetes:core/v1:PersistentVolumeClaim": "PersistentVolumeClaim",
  "kubernetes:core/v1:Secret": "Secret",
};
const RELEASE = "kubernetes:helm.sh/v3:Release";
const HCLOUD_VOLUME = "hcloud:index/volume:Volume";
const BUCKET = "aws:s3/bucket:Bucket";
const KMS_KEY = "aws:kms/key:Key";
const KMS_ALIAS = "aws:kms/alias:Alias";
/** Charts that run a Prometheus operator: a second one beside Strata's fights it over every Prometheus object. */
const OPERATOR_CHARTS = ["kube-prometheus-stack", "prometheus-operator"];

const isPending = (r: HelmRelease) => r.status.startsWith("pending-");
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const json = (v: unknown) => JSON.stringify(v ?? null);
const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

interface Config {
  environment: string;
  cloud: "aws" | "hcloud";
  region: string;
  namespaces: { monitoring: string };
  storage: { className?: string; adoptClass?: boolean; claims: Record<string, { namespace: string; size: string; critical: boolean; storageClass?: string; adopt?: Record<string, any> }> };
  metrics: { adopt?: { mode: "adopt" | "replace"; release: string; namespace: string; persistentVolume?: string } };
  archive: { adopt?: { buckets?: Record<string, string>; kmsKey?: { id: string; alias?: string } }; backups: { objectLock: { enabled: boolean } } };
}

export function match(plan: Plan, dumps: Dumps): Findings {
  const config = plan.config as unknown as Config;
  const objects = dumps.cluster.objects;
  const find = (kind: string, name: string, namespace?: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  const pvOf = (claim: KubeObject | undefined) => (claim ? find("PersistentVolume", String((claim.spec as any)?.volumeName ?? "")) : undefined);

  const lines: Line[] = [];
  const refusals: Refusal[] = [];
  const proposal: Record<string, any> = {};
  const preSteps: PreStep[] = [];
  /** Volumes holding data the stack adopts, replaces or conflicts with: each must be Retain before anything moves. */
  const dataVolumes = new Map<string, string>();
  const holdsData = (pv: KubeObject | undefined, why: string) => {
    if (pv && !dataVolumes.has(pv.metadata.name)) dataVolumes.set(pv.metadata.name, why);
  };
  /** Releases the stack adopts, replaces or conflicts with. */
  const touchedReleases: HelmRelease[] = [];
  const propose = (path: string[], value: unknown) => {
    let node = proposal;
    for (const key of path.slice(0, -1)) node = node[key] ??= {};
    node[path.at(-1)!] = value;
  };
  const line = (r: RecordedResource, verdict: Verdict, what: string, detail: string) => lines.push({ verdict, type: r.type, name: r.name, what, detail });

  const strataClass = strataStorageClassName(config as unknown as Parameters<typeof strataStorageClassName>[0]);
  /** Claims the stack adopts, or is proposed to adopt: each keeps the class it has (see below). */
  const adoptedClaims = new Map<string, { line: Line; claim: KubeObject }>();
  /** An existing class that differs where a class cannot change stays the team's: Strata's own gets another name. */
  const clearClassBy = (name: string, existing: KubeObject, declared: Record<string, any>) => {
    propose(["storage", "className"], `strata-${name}`);
    if (config.storage.adoptClass) propose(["storage", "adoptClass"], false);
    return `; cleared by storage.className: strata-${name}${config.storage.adoptClass ? " and adoptClass: false" : ""} (proposed in adopt-config.yaml): Strata's class gets its own name, the existing one stays as it is and claims on it keep it (storage.claims.<service>.storageClass)${keepTheirDefault(existing, declared)}`;
  };
  /** Two default classes hand every claim that names none to the newest (Kubernetes >= 1.26): the team's stays the default. */
  const keepTheirDefault = (existing: KubeObject, declared: Record<string, any>) => {
    const isDefault = (meta: { annotations?: Record<string, string> } | undefined) => meta?.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true";
    if (!isDefault(existing.metadata) || !isDefault(declared.metadata)) return "";
    propose(["storage", "defaultClass"], false);
    return `; it is the cluster's default class and stays so (proposed: storage.defaultClass false: with two defaults, claims that name no class would go to the newest)`;
  };
  const declared = plan.resources.filter((r) => r.custom && !r.read && !r.type.startsWith("pulumi:providers:"));

  /**
   * KMS keys have no name to collide; aliases do. `aws kms list-aliases` lists each alias with the key it points at,
   * so an adopted key is seen through its aliases, and a key without any alias is not listed at all.
   */
  const adoptedKey = config.archive.adopt?.kmsKey;
  const otherRegion = (inputs: Record<string, any>) => (typeof inputs.region === "string" && inputs.region !== config.region ? inputs.region : undefined);
  const kmsLine = (r: RecordedResource, inputs: Record<string, any>) => {
    const aliases = dumps.kmsAliases;
    const region = otherRegion(inputs);
    const unchecked = !aliases ? "not checked: no --kms-aliases dump (aws kms list-aliases)" : region ? `not checked: in region ${region}, the --kms-aliases dump is of ${config.region}` : undefined;
    if (r.type === KMS_KEY) {
      const id = r.options.import;
      const changes = "policy (Strata's key policy replaces the key's own), description, rotation on";
      if (id === undefined) line(r, "create", `KMS key ${r.name}`, "a new key (a key has no name that could exist already)");
      else if (unchecked) line(r, "update", `KMS key ${id}`, `imported (${unchecked}), then: ${changes}`);
      else {
        const named = aliases!.filter((a) => a.TargetKeyId === id).map((a) => a.AliasName);
        if (named.length) line(r, "update", `KMS key ${id}`, `imported (${named.join(", ")} point at it), then: ${changes}`);
        else line(r, "blocked", `KMS key ${id}`, `no alias in aws kms list-aliases points at it: the key is not in ${config.region}, or it has no alias (list-aliases shows keys only through their aliases); if aws kms describe-key --key-id ${id} shows it, give it one (aws kms create-alias --alias-name alias/<name> --target-key-id ${id}: the key itself does not change), name it in archive.adopt.kmsKey.alias and dump again`);
      }
      return;
    }
    const name = str(inputs.name) ?? r.name;
    const what = `KMS alias ${name}`;
    const existing = aliases?.find((a) => a.AliasName === name);
    if (r.options.import !== undefined) {
      if (unchecked) line(r, "import", what, `kept, pointing at the adopted key (${unchecked})`);
      else if (!existing) line(r, "blocked", what, `the stack adopts it but aws kms list-aliases does not list it: the import would fail; name the key's existing alias in archive.adopt.kmsKey.alias, or leave alias out and Strata creates its own`);
      else if (existing.TargetKeyId !== adoptedKey?.id) line(r, "conflict", what, `points at key ${existing.TargetKeyId ?? "(none)"}, not the adopted key ${adoptedKey?.id}: importing it would re-point it, and whatever encrypts through ${name} would switch keys; adopt that key (archive.adopt.kmsKey.id ${existing.TargetKeyId}) or name the adopted key's own alias`);
      else line(r, "import", what, `identical: points at the adopted key ${existing.TargetKeyId}`);
      return;
    }
    if (unchecked) line(r, "create", what, unchecked);
    else if (!existing) line(r, "create", what, "not in aws kms list-aliases");
    else if (r.name === "archive" && existing.TargetKeyId) {
      line(r, "conflict", what, `exists, pointing at key ${existing.TargetKeyId}: creating it fails; adopt that key with its alias (proposed: archive.adopt.kmsKey { id: ${existing.TargetKeyId}, alias: ${name} })`);
      propose(["archive", "adopt", "kmsKey"], { id: existing.TargetKeyId, alias: name });
    } else line(r, "conflict", what, `exists${existing.TargetKeyId ? `, pointing at key ${existing.TargetKeyId}` : ""}: creating it fails, and no stack key adopts it; free the name by hand (aws kms delete-alias --alias-name ${name} removes the name only: the key and what it encrypts stay)`);
  };

  for (const r of declared) {
    const kind = KIND_OF_TYPE[r.type];
    const inputs = r.inputs as Record<string, any>;
    if (kind) {
      const name = str(inputs.metadata?.name) ?? r.name;
      const namespace = kind === "Namespace" || kind === "StorageClass" || kind === "PersistentVolume" ? undefined : str(inputs.metadata?.namespace);
      const what = `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
      const existing = find(kind, name, namespace);
      if (r.options.import !== undefined) {
        if (!existing) line(r, "blocked", what, `the stack adopts it (import id ${r.options.import}) but the cluster dump has no such object: the import would fail`);
        else {
          const diff = compare(kind, inputs, existing);
          const cleared = kind === "StorageClass" && diff.immutable.length ? clearClassBy(name, existing, inputs) : "";
          line(r, diff.immutable.length ? "blocked" : diff.mutable.length ? "update" : "import", what, diff.immutable.length ? `cannot change in place: ${diff.immutable.join("; ")}${cleared}` : diff.mutable.length ? `imported, then: ${diff.mutable.join("; ")}` : "identical");
          if (kind === "PersistentVolumeClaim") {
            holdsData(pvOf(existing), `${what}, adopted`);
            const service = serviceOfClaim(config, name, namespace);
            if (service) adoptedClaims.set(service, { line: lines.at(-1)!, claim: existing });
          }
        }
        continue;
      }
      if (existing) {
        if (kind === "StorageClass" && (existing.provisioner === HCLOUD_CSI_DRIVER || existing.provisioner === EBS_CSI_DRIVER) && existing.reclaimPolicy === "Delete") {
          line(r, "conflict", what, `the CSI driver's own class (${existing.provisioner}, reclaim Delete) has this name: Strata's Retain class needs its own (proposed: storage.className strata-${name})${keepTheirDefault(existing, inputs)}`);
          propose(["storage", "className"], `strata-${name}`);
        } else if (kind === "StorageClass") {
          const diff = compare(kind, inputs, existing);
          if (diff.immutable.length) {
            line(r, "blocked", what, `exists and differs where a class cannot change: ${diff.immutable.join("; ")}${clearClassBy(name, existing, inputs)}`);
          } else {
            line(r, "conflict", what, `exists, identical where it cannot change: adopt it (proposed: storage.adoptClass true)`);
            propose(["storage", "className"], name);
            propose(["storage", "adoptClass"], true);
          }
        } else if (kind === "Namespace" && name === config.namespaces.monitoring && !config.metrics.adopt) {
          line(r, "conflict", what, "exists: creating it fails with AlreadyExists; it is adopted with the release that lives there (metrics.adopt)");
        } else {
          line(r, "conflict", what, "exists: creating it fails with AlreadyExists (pulumi-kubernetes >= 4.29 does not upsert)");
          if (kind === "PersistentVolumeClaim") holdsData(pvOf(existing), `${what}, in the way`);
          const service = serviceOfClaim(config, name, namespace);
          if (kind === "PersistentVolumeClaim" && service) {
            propose(["storage", "claims", service, "adopt"], { claim: name });
            adoptedClaims.set(service, { line: lines.at(-1)!, claim: existing });
          }
        }
        continue;
      }
      if (kind === "PersistentVolumeClaim") {
        const service = serviceOfClaim(config, name, namespace);
        const other = service ? objects.find((o) => o.kind === "PersistentVolumeClaim" && o.metadata.namespace === namespace && o.metadata.name !== name && holdsServiceData(o, service)) : undefined;
        if (other && service && !config.storage.claims[service]?.adopt) {
          line(r, "conflict", what, `claim ${namespace}/${other.metadata.name} holds ${service}'s data under another name: adopt it (proposed: storage.claims.${service}.adopt.claim ${other.metadata.name}) rather than start empty`);
          propose(["storage", "claims", service, "adopt"], { claim: other.metadata.name });
          adoptedClaims.set(service, { line: lines.at(-1)!, claim: other });
          holdsData(pvOf(other), `PersistentVolumeClaim ${namespace}/${other.metadata.name}, ${service}'s data`);
          continue;
        }
        const bound = str(inputs.spec?.volumeName);
        const pv = bound ? find("PersistentVolume", bound) : undefined;
        if (pv) {
          holdsData(pv, `PersistentVolume ${bound}, carried over to ${what}`);
          preSteps.push(...rebindSteps(pv, strataClass, `${what} binds it`));
          const size = gib(str((pv.spec as any)?.capacity?.storage));
          const wanted = gib(str(inputs.spec?.resources?.requests?.storage));
          if (size !== undefined && wanted !== undefined && size < wanted) {
            line(r, "blocked", what, `PersistentVolume ${bound} holds ${size}Gi, the claim asks ${wanted}Gi: a claim binds only a volume at least its size (lower the size to ${size}Gi, grow the volume after)`);
            continue;
          }
          line(r, "create", what, `new claim bound to the existing PersistentVolume ${bound} (its data carried over)`);
          continue;
        }
        if (bound && !pv && !bound.startsWith("strata-")) {
          line(r, "blocked", what, `binds PersistentVolume ${bound}, which the cluster dump does not have`);
          continue;
        }
      }
      line(r, "create", what, "not in the cluster");
      continue;
    }

    if (r.type === RELEASE) {
      const name = str(inputs.name) ?? r.name;
      const namespace = str(inputs.namespace) ?? "";
      const what = `Helm release ${namespace}/${name} (${str(inputs.chart)} ${str(inputs.version)})`;
      const existing = dumps.cluster.releases.find((x) => x.name === name && x.namespace === namespace);
      if (r.options.import !== undefined) {
        if (!existing) line(r, "blocked", what, `the stack adopts it (import id ${r.options.import}) but the dump holds no release record of it`);
        else {
          touchedReleases.push(existing);
          const changes = existing.chartVersion !== str(inputs.version) ? [`chart ${existing.chart} ${existing.chartVersion} -> ${str(inputs.version)}`, "values (Strata's)"] : ["values (Strata's)"];
          line(r, "update", what, `imported, then: ${changes.join("; ")}`);
          for (const i of [0, 1, 2, 3, 4]) holdsData(pvOf(find("PersistentVolumeClaim", prometheusDataClaimName(kpsDefaultFullname(name), i), namespace)), `Prometheus data of release ${namespace}/${name}`);
        }
        continue;
      }
      if (existing) {
        line(r, "conflict", what, "a release of this name exists: installing fails; adopt it or choose the stack's names");
        touchedReleases.push(existing);
        continue;
      }
      if (str(inputs.chart)?.endsWith(CHARTS.kubePrometheusStack.chart)) {
        const others = dumps.cluster.releases.filter((x) => OPERATOR_CHARTS.includes(x.chart) && x.status !== "uninstalled");
        const replaced = config.metrics.adopt?.mode === "replace" ? config.metrics.adopt : undefined;
        for (const other of others) {
          touchedReleases.push(other);
          const claim = find("PersistentVolumeClaim", prometheusDataClaimName(kpsDefaultFullname(other.name), 0), other.namespace);
          const pv = pvOf(claim);
          holdsData(pv, `Prometheus data of release ${other.namespace}/${other.name}`);
          if (replaced && replaced.release === other.name && replaced.namespace === other.namespace) {
            preSteps.push(...uninstallOldReleaseSteps(other, claim));
            continue;
          }
          line(r, "conflict", what, `another Prometheus operator runs: release ${other.namespace}/${other.name} (${other.chart} ${other.chartVersion}, ${other.status}); proposed: metrics.adopt mode replace${pv ? `, its volume ${pv.metadata.name} carried over` : ""}`);
          if (pv && other.chart === "kube-prometheus-stack") propose(["metrics", "adopt"], { mode: "replace", release: other.name, namespace: other.namespace, persistentVolume: pv.metadata.name });
        }
        if (others.length === 0 || lines.at(-1)?.name !== r.name) line(r, "create", what, replaced ? `replaces ${replaced.namespace}/${replaced.release} (pre-steps.sh uninstalls it; its volume is carried over)` : "no release of it in the cluster");
        continue;
      }
      if (str(inputs.chart)?.endsWith(CHARTS.prometheusOperatorCrds.chart)) {
        const crds = objects.filter((o) => o.kind === "CustomResourceDefinition" && o.metadata.name.endsWith(".monitoring.coreos.com"));
        const foreign = crds.filter((c) => c.metadata.annotations?.["meta.helm.sh/release-name"] !== name);
        if (foreign.length > 0) {
          preSteps.push(crdHandOverSteps(namespace, name));
          line(r, "create", what, `takes over ${foreign.length} existing monitoring.coreos.com CRDs (pre-steps.sh hands them to this release, as docs/runbooks/adopt-prometheus-operator-crds.md does)`);
          continue;
        }
      }
      line(r, "create", what, "no release of it in the cluster");
      continue;
    }

    if (r.type === HCLOUD_VOLUME) {
      const what = `Hetzner volume ${str(inputs.name)}`;
      if (!dumps.hcloudVolumes) {
        line(r, r.options.import ? "blocked" : "create", what, r.options.import ? "adopted, but no --hcloud-volumes dump to check it against" : "not checked (no --hcloud-volumes dump)");
        continue;
      }
      if (r.options.import !== undefined) {
        const existing = dumps.hcloudVolumes.find((v) => String(v.id) === r.options.import);
        if (!existing) {
          line(r, "blocked", `Hetzner volume ${r.options.import}`, "the stack adopts it but hcloud volume list does not have it");
          continue;
        }
        const immutable: string[] = [];
        const mutable: string[] = [];
        if (existing.location.name !== inputs.location) immutable.push(`location ${existing.location.name} != ${String(inputs.location)}`);
        if (existing.size > Number(inputs.size)) immutable.push(`size ${existing.size} GB > ${String(inputs.size)} (a volume cannot shrink)`);
        if (existing.size < Number(inputs.size)) mutable.push(`size ${existing.size} -> ${String(inputs.size)} GB`);
        if (existing.name !== inputs.name) mutable.push(`name ${existing.name} -> ${String(inputs.name)}`);
        if (!existing.protection.delete) mutable.push("delete protection off -> on");
        if (json(existing.labels) !== json(inputs.labels)) mutable.push("labels");
        line(r, immutable.length ? "blocked" : mutable.length ? "update" : "import", `Hetzner volume ${existing.id} (${existing.name})`, immutable.length ? `cannot change in place: ${immutable.join("; ")}` : mutable.length ? `imported, then: ${mutable.join("; ")}` : "identical");
        continue;
      }
      const clash = dumps.hcloudVolumes.find((v) => v.name === inputs.name);
      if (clash) line(r, "conflict", what, `a volume of this name exists (id ${clash.id}): adopt it with storage.claims.<service>.adopt.hcloudVolume { id: ${clash.id}, location: ${clash.location.name} }`);
      else line(r, "create", what, "not in hcloud volume list");
      continue;
    }

    if (r.type === BUCKET) {
      const name = str(inputs.bucket);
      const what = `S3 bucket ${name ?? r.name}`;
      if (r.options.import !== undefined) {
        if (dumps.buckets && !dumps.buckets.includes(r.options.import)) line(r, "blocked", what, "the stack adopts it but aws s3api list-buckets does not list it");
        else if (r.name === "backups" && config.archive.backups.objectLock.enabled) line(r, "blocked", what, "archive.backups.objectLock is on: object lock is set when a bucket is created (Pulumi would replace the bucket); write archive.backups.objectLock.enabled: false for an adopted bucket (or enable the lock on the bucket by hand first)");
        else line(r, "update", what, `imported${dumps.buckets ? "" : " (not checked: no --buckets dump)"}, then: tags (strata:purpose); Strata's versioning, encryption, public-access block, policy and lifecycle are applied beside it`);
        continue;
      }
      line(r, "create", what, "a new bucket (random suffix)");
      continue;
    }
    if (r.type === KMS_KEY || r.type === KMS_ALIAS) {
      kmsLine(r, inputs);
      continue;
    }
    line(r, "create", `${r.type} ${r.name}`, "not in the dumps");
  }

  // An adopted claim keeps its class (a claim's class cannot change): where it is not the class the stack would give
  // it, the claim names its existing class. Decided after every line, as Strata's class may be renamed above.
  for (const [service, { line: l, claim }] of adoptedClaims) {
    const has = str((claim.spec as any)?.storageClassName);
    const spec = config.storage.claims[service]!;
    const wouldGet = spec.storageClass ?? (proposal.storage?.className as string | undefined) ?? strataClass;
    const held = str((claim.spec as any)?.resources?.requests?.storage);
    if (held && /^\d+Gi$/.test(held) && gib(held)! > gib(spec.size)!) {
      propose(["storage", "claims", service, "size"], held);
      l.detail += `; it holds ${held}: cleared by storage.claims.${service}.size: ${held} (proposed in adopt-config.yaml)`;
    }
    if (!has || has === wouldGet) continue;
    propose(["storage", "claims", service, "storageClass"], has);
    // On hcloud a critical claim binds a pre-created volume of Strata's class: an adopted claim has its own volume.
    const notCritical = config.cloud === "hcloud" && spec.critical;
    if (notCritical) propose(["storage", "claims", service, "critical"], false);
    l.detail += `; its class ${has} is kept: cleared by storage.claims.${service}.storageClass: ${has}${notCritical ? " and critical: false" : ""} (proposed in adopt-config.yaml)`;
  }

  // Adopted volumes on clouds: EBS volumes carry the DLM tag, Hetzner ones delete protection.
  for (const [service, claim] of Object.entries(config.storage.claims)) {
    const ebs = claim.adopt?.ebsVolume as { id: string } | undefined;
    if (ebs && config.cloud === "aws") preSteps.push(ebsTagStep(ebs.id, config.environment, `storage.claims.${service}.adopt.ebsVolume`));
    if (claim.adopt?.persistentVolume) {
      const pv = find("PersistentVolume", String(claim.adopt.persistentVolume));
      holdsData(pv, `PersistentVolume ${claim.adopt.persistentVolume}, adopted for ${service}`);
    }
  }
  for (const [name, why] of dataVolumes) {
    const pv = find("PersistentVolume", name)!;
    const handle = str((pv.spec as any)?.csi?.volumeHandle);
    if ((pv.spec as any)?.csi?.driver === EBS_CSI_DRIVER && handle) preSteps.push(ebsTagStep(handle, config.environment, why));
    if ((pv.spec as any)?.persistentVolumeReclaimPolicy !== "Retain") {
      const fix = `kubectl patch pv ${pv.metadata.name} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`;
      refusals.push({ what: `PersistentVolume ${pv.metadata.name}`, reason: `reclaim policy ${String((pv.spec as any)?.persistentVolumeReclaimPolicy)}: it holds data (${why}), and deleting its claim would delete it`, fix });
      preSteps.push({ why: `${pv.metadata.name} holds data (${why}): keep it when its claim goes`, commands: [fix], phase: PHASES.retain });
    }
    if ((pv.spec as any)?.csi?.driver === HCLOUD_CSI_DRIVER && handle && dumps.hcloudVolumes) {
      const volume = dumps.hcloudVolumes.find((v) => String(v.id) === handle);
      if (volume && !volume.protection.delete) preSteps.push({ why: `Hetzner volume ${volume.id} (${volume.name}) behind ${pv.metadata.name}: Hetzner refuses to delete it from now on`, commands: [`hcloud volume enable-protection ${volume.id} delete`], phase: PHASES.protect });
    }
  }
  const seen = new Set<string>();
  for (const rel of touchedReleases) {
    const key = `${rel.namespace}/${rel.name}`;
    if (seen.has(key) || !isPending(rel)) continue;
    seen.add(key);
    const last = dumps.cluster.revisions
      .filter((x) => x.name === rel.name && x.namespace === rel.namespace && (x.status === "deployed" || x.status === "superseded"))
      .sort((a, b) => b.version - a.version)[0];
    refusals.push({
      what: `Helm release ${key}`,
      reason: `is ${rel.status} (revision ${rel.version}): Helm holds it locked, and nothing may install beside or over it`,
      fix: last ? `helm rollback ${rel.name} ${last.version} -n ${rel.namespace}` : `helm history ${rel.name} -n ${rel.namespace}   # no deployed revision to roll back to: finish or remove the failed install by hand`,
    });
  }
  const notes: string[] = [];
  if (!dumps.kmsAliases && declared.some((r) => r.type === KMS_KEY)) notes.push("KMS keys and aliases were not checked: no --kms-aliases dump (aws kms list-aliases); an adopted key or alias may not exist, and an alias Strata creates may exist already.");
  if (!dumps.buckets && declared.some((r) => r.type === BUCKET && r.options.import !== undefined)) notes.push("Adopted buckets were not checked: no --buckets dump (aws s3api list-buckets).");
  return { lines, refusals, config: proposal, preSteps: dedupeSteps(preSteps), notes };
}

/** The service a claim of this name and namespace belongs to (Strata names claims `<service>-data`). */
function serviceOfClaim(config: Config, claimName: string, namespace: string | undefined): string | undefined {
  return Object.entries(config.storage.claims).find(([service, c]) => c.namespace === namespace && (claimName === `${service}-data` || c.adopt?.claim === claimName))?.[0];
}

/** A claim that holds a service's data under another name: the charts' own names (`data-postgresql-0`) or labels. */
function holdsServiceData(claim: KubeObject, service: string): boolean {
  const labels = claim.metadata.labels ?? {};
  const named = new RegExp(`(^|-)${service.replace(/[^a-z0-9-]/g, "")}(-|$)`).test(claim.metadata.name);
  return named || labels["app.kubernetes.io/name"] === service || labels["app.kubernetes.io/instance"] === service;
}

const gib = (q: string | undefined) => {
  const m = q ? /^(\d+)(Gi|G)?$/.exec(q) : null;
  return m ? Number(m[1]) : undefined;
};

/** Fields a Kubernetes object cannot change in place, and those it can, between what Strata declares and what exists. */
function compare(kind: string, declared: Record<string, any>, existing: KubeObject): { immutable: string[]; mutable: string[] } {
  const immutable: string[] = [];
  const mutable: string[] = [];
  const e = existing as Record<string, any>;
  const labelsDiffer = () => Object.entries(declared.metadata?.labels ?? {}).some(([k, v]) => existing.metadata.labels?.[k] !== v);
  if (kind === "StorageClass") {
    if (declared.provisioner !== e.provisioner) immutable.push(`provisioner ${e.provisioner} != ${declared.provisioner}`);
    const params = new Set([...Object.keys(declared.parameters ?? {}), ...Object.keys(e.parameters ?? {})]);
    const differing = [...params].filter((k) => declared.parameters?.[k] !== e.parameters?.[k]).sort();
    if (differing.length) immutable.push(`parameters ${differing.join(", ")}`);
    if ((declared.reclaimPolicy ?? "Delete") !== (e.reclaimPolicy ?? "Delete")) immutable.push(`reclaimPolicy ${e.reclaimPolicy ?? "Delete"} != ${declared.reclaimPolicy}`);
    if ((declared.volumeBindingMode ?? "Immediate") !== (e.volumeBindingMode ?? "Immediate")) immutable.push(`volumeBindingMode ${e.volumeBindingMode ?? "Immediate"} != ${declared.volumeBindingMode}`);
    if (Boolean(declared.allowVolumeExpansion) !== Boolean(e.allowVolumeExpansion)) mutable.push(`allowVolumeExpansion ${Boolean(e.allowVolumeExpansion)} -> ${Boolean(declared.allowVolumeExpansion)}`);
  }
  if (kind === "PersistentVolumeClaim") {
    const d = declared.spec ?? {};
    const s = e.spec ?? {};
    if (d.storageClassName !== s.storageClassName) immutable.push(`the claim's class ${s.storageClassName} != ${d.storageClassName}`);
    if (d.volumeName && d.volumeName !== s.volumeName) immutable.push(`volumeName ${s.volumeName} != ${d.volumeName}`);
    if (json([...(d.accessModes ?? [])].sort()) !== json([...(s.accessModes ?? [])].sort())) immutable.push(`accessModes ${json(s.accessModes)} != ${json(d.accessModes)} (no stack key changes a claim's access modes, and a claim cannot change them: copy the data to a new claim by hand, or leave this claim out of storage.claims)`);
    const want = gib(d.resources?.requests?.storage);
    const have = gib(s.resources?.requests?.storage);
    if (want !== undefined && have !== undefined && want < have) immutable.push(`size ${have}Gi > ${want}Gi (a claim cannot shrink; write size: ${have}Gi)`);
    if (want !== undefined && have !== undefined && want > have) mutable.push(`size ${have}Gi -> ${want}Gi (expanded in place)`);
  }
  if (labelsDiffer()) mutable.push("labels (Strata's)");
  if (Object.entries(declared.metadata?.annotations ?? {}).some(([k, v]) => existing.metadata.annotations?.[k] !== v)) mutable.push("annotations");
  return { immutable, mutable };
}

/** A released volume bound to a new claim: its old claimRef cleared, its class the claim's. */
function rebindSteps(pv: KubeObject, className: string, why: string): PreStep[] {
  const name = pv.metadata.name;
  return [
    {
      why: `${name} is carried over (${why}): it must be Retain, then free (no claimRef) and of the claim's class`,
      commands: [
        `test "$(kubectl get pv ${name} -o jsonpath='{.spec.persistentVolumeReclaimPolicy}')" = Retain`,
        `kubectl patch pv ${name} --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' || true`,
        `kubectl patch pv ${name} -p '{"spec":{"storageClassName":"${className}"}}'`,
      ],
      phase: PHASES.rebind,
    },
  ];
}

/** Replacing a release: it goes, its Prometheus claim goes (the volume stays: Retain is checked first). */
function uninstallOldReleaseSteps(release: HelmRelease, claim: KubeObject | undefined): PreStep[] {
  const steps: PreStep[] = [];
  const pv = claim ? String((claim.spec as any)?.volumeName ?? "") : "";
  steps.push({
    why: `release ${release.namespace}/${release.name} is replaced by Strata's: uninstall it once Strata's backups of everything else run (docs/runbooks/adopt-existing-estate.md, step order)`,
    commands: [
      ...(pv ? [`test "$(kubectl get pv ${pv} -o jsonpath='{.spec.persistentVolumeReclaimPolicy}')" = Retain`] : []),
      `helm uninstall ${release.name} -n ${release.namespace} --wait`,
      ...(claim ? [`kubectl -n ${release.namespace} delete pvc ${claim.metadata.name} --wait`] : []),
    ],
    phase: PHASES.uninstall,
  });
  return steps;
}

function crdHandOverSteps(namespace: string, release: string): PreStep {
  return {
    why: `the monitoring.coreos.com CRDs exist (installed by another release): hand them to ${release} in ${namespace} so Helm adopts them instead of failing (docs/runbooks/adopt-prometheus-operator-crds.md)`,
    commands: [
      `for crd in $(kubectl get crd -o name | grep '\\.monitoring\\.coreos\\.com$'); do`,
      `  kubectl label "$crd" app.kubernetes.io/managed-by=Helm --overwrite`,
      `  kubectl annotate "$crd" meta.helm.sh/release-name=${shellQuote(release)} meta.helm.sh/release-namespace=${shellQuote(namespace)} --overwrite`,
      `done`,
    ],
    phase: PHASES.crds,
  };
}

function ebsTagStep(volumeId: string, environment: string, why: string): PreStep {
  const tag = snapshotTargetTag(environment);
  return { why: `EBS volume ${volumeId} (${why}): DLM snapshots only volumes carrying its target tag`, commands: [`aws ec2 create-tags --resources ${volumeId} --tags ${shellQuote(`Key=${tag.key},Value=${tag.value}`)}`], phase: PHASES.protect };
}

/** Each step once, in phase order (a stable sort keeps the order they were found in within a phase). */
export function dedupeSteps(steps: PreStep[]): PreStep[] {
  const seen = new Set<string>();
  return [...steps].sort((a, b) => a.phase - b.phase).filter((s) => {
    const key = s.commands.join("\n");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}


import * as coreV1 from "kubernetes-models/v1";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as batchV1 from "kubernetes-models/batch/v1";
import * as networkingV1 from "kubernetes-models/networking.k8s.io/v1";
import * as policyV1 from "kubernetes-models/policy/v1";
import * as rbacV1 from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as storageV1 from "kubernetes-models/storage.k8s.io/v1";
import type { RecordedResource } from "../../infra/plan/recordingMonitor";
import { SECRET_TEXT, UNKNOWN_TEXT } from "../../infra/plan/serialized";

/** A kubernetes-models class: built from an object, `validate()` throws on a schema violation. */
type ModelClass = { new (data: object): { validate(): void }; apiVersion: string; kind: string };

const registry = new Map<string, ModelClass>();

/** Adds every model class of a kubernetes-models group-version module (e.g. `@kubernetes-models/prometheus-operator`). */
export function registerModels(module: Record<string, unknown>): void {
  for (const value of Object.values(module)) {
    if (typeof value !== "function") continue;
    const model = value as unknown as ModelClass;
    if (typeof model.apiVersion === "string" && typeof model.kind === "string") registry.set(`${model.apiVersion}/${model.kind}`, model);
  }
}

for (const module of [coreV1, appsV1, batchV1, networkingV1, policyV1, rbacV1, storageV1]) registerModels(module as Record<string, unknown>);

export function modelFor(apiVersion: string, kind: string): ModelClass {
  const model = registry.get(`${apiVersion}/${kind}`);
  if (!model) throw new Error(`no kubernetes-models class for ${apiVersion} ${kind}; register its module with registerModels()`);
  return model;
}

/**
 * The compiled kubernetes-models validators check types, enums and required fields but let unknown fields through,
 * which is how a misspelt field (ignored by the API server) slips by. Every field the schema knows is read by the
 * validator, so a field it never reads is one Kubernetes does not know: run the validator over a proxy that
 * records reads, then report whatever was never read.
 */
function unknownFields(model: ModelClass, object: object): string[] {
  const reads = new Map<object, Set<PropertyKey>>();
  const visited: [string, object][] = [];
  const track = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== "object") return value;
    const target = value as object;
    if (!Array.isArray(target)) visited.push([path, target]);
    reads.set(target, new Set());
    const children = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get(t, key, receiver) {
        reads.get(t)!.add(key);
        const child = Reflect.get(t, key, receiver);
        if (typeof key !== "string" || !Object.prototype.hasOwnProperty.call(t, key)) return child;
        if (!children.has(key)) children.set(key, track(child, Array.isArray(t) ? `${path}[${key}]` : `${path}.${key}`));
        return children.get(key);
      },
    });
  };
  try {
    model.prototype.validate.call(track(object, ""));
  } catch {
    // Schema errors are reported by the plain validation; this pass only looks for fields nobody read.
  }
  const unknown: string[] = [];
  for (const [path, target] of visited) {
    for (const key of Object.keys(target)) if (!reads.get(target)!.has(key)) unknown.push(`${path}.${key}`.replace(/^\./, ""));
  }
  return unknown;
}

/** Drops values the plan redacted (secrets) or could not know: their shape is not ours to judge. */
function withoutPlaceholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPlaceholders);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== SECRET_TEXT && v !== UNKNOWN_TEXT)
      .map(([k, v]) => [k, withoutPlaceholders(v)]),
  );
}

/**
 * Validates a Kubernetes object strictly against the Kubernetes schema of its apiVersion and kind: types, enums,
 * required fields, and no field Kubernetes does not know. Throws with every problem found.
 */
export function validateK8sObject(input: Record<string, unknown>): void {
  const { apiVersion, kind } = input as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== "string" || typeof kind !== "string") throw new Error(`not a Kubernetes object (no apiVersion/kind): ${JSON.stringify(input).slice(0, 200)}`);
  const model = modelFor(apiVersion, kind);
  const object = withoutPlaceholders(input) as object;
  const name = `${apiVersion} ${kind} ${String((input.metadata as { name?: unknown } | undefined)?.name ?? "(unnamed)")}`;
  try {
    new model(object).validate();
  } catch (error) {
    throw new Error(`${name} is invalid: ${(error as Error).message}`);
  }
  const unknown = unknownFields(model, object);
  if (unknown.length > 0) throw new Error(`${name} has fields Kubernetes does not know: ${unknown.join(", ")}`);
}

/** Validates a resource recorded by the plan (its inputs are the object the provider would send). */
export function validateRecordedK8sResource(resource: RecordedResource): void {
  if (!resource.type.startsWith("kubernetes:")) throw new Error(`${resource.urn} is not a Kubernetes resource`);
  validateK8sObject(resource.inputs);
}

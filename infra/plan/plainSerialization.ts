import { Output, Resource, asset } from "@pulumi/pulumi";
import { createRequire } from "node:module";
import { getStore } from "./pulumiInternals";

// The SDK serializes a resource's inputs with one async call per node of the input tree, awaiting each child in
// turn and building a context string for each. A backup CronJob's spec has about 370 nodes and all of them are
// plain data, so in a 100-target plan that was 80,000 awaited calls, a seventh of the plan's time. This
// serializes plain data directly and leaves everything else to the SDK's own serializeProperty, as shortcuts.ts
// installs it (plan only). For plain data the SDK's result is a copy in which functions are dropped (null in
// arrays) and keys whose value is undefined are left out; that is what plainCopy returns.

const sdkRequire = createRequire(__filename);
// The SDK calls these through their module objects; the typings leave the functions out.
interface Rpc {
  serializeResourceProperties(label: string, props: Record<string, unknown>, opts?: SerializeOptions): Promise<[Record<string, unknown>, Map<string, Set<Resource>>]>;
  serializeProperty(ctx: string, prop: unknown, dependentResources: Set<Resource> | undefined, opts?: SerializeOptions): Promise<unknown>;
  serializeSecretValue(value: unknown): unknown;
  unknownValue: string;
}
interface SerializeOptions {
  keepOutputValues?: boolean;
  excludeResourceReferencesFromDependencies?: boolean;
  pendingRegistration?: { inputProperty?: string; awaitingOutput?: unknown };
}
export const rpc = sdkRequire("@pulumi/pulumi/runtime/rpc") as Rpc;
const outputModule = sdkRequire("@pulumi/pulumi/output") as { getAllResources(o: Output<unknown>): Promise<Set<Resource>>; isUnknown(v: unknown): boolean };

const NOT_PLAIN = Symbol("not plain data");

/** A value the SDK treats specially, whatever its prototype says. */
const special = (v: object) => Output.isInstance(v) || Resource.isInstance(v) || outputModule.isUnknown(v) || asset.Asset.isInstance(v) || asset.Archive.isInstance(v);

/** The SDK's serialization of `value` if it is plain data (primitives, plain arrays and objects); otherwise NOT_PLAIN. */
export function plainCopy(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "function") return undefined;
  if (typeof value !== "object") return NOT_PLAIN;
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const items = value as unknown[];
    const copy: unknown[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = plainCopy(items[i]);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      copy[i] = item === undefined ? null : item;
    }
    return copy;
  }
  if ((proto !== Object.prototype && proto !== null) || special(value)) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = plainCopy((value as Record<string, unknown>)[key]);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    if (item !== undefined) copy[key] = item;
  }
  return copy;
}

/** One value: plain data at once; an Output as the SDK serializes one, its value copied when plain; the rest by the SDK. */
async function serializeValue(ctx: string, prop: unknown, dependentResources: Set<Resource>, opts: SerializeOptions | undefined): Promise<unknown> {
  const plain = plainCopy(prop);
  if (plain !== NOT_PLAIN) return plain;
  if (!Output.isInstance(prop)) return rpc.serializeProperty(ctx, prop, dependentResources, opts);
  if (opts?.pendingRegistration !== undefined) opts.pendingRegistration.awaitingOutput = prop;
  for (const resource of await outputModule.getAllResources(prop)) dependentResources.add(resource);
  // Internal to the SDK's OutputImpl, as its own serializeProperty reads them.
  const output = prop as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean>; promise(): Promise<unknown> };
  const isKnown = await output.isKnown;
  const isSecret = (await output.isSecret) === true;
  const inner = await output.promise();
  let value = plainCopy(inner);
  if (value === NOT_PLAIN) value = await rpc.serializeProperty(`${ctx}.id`, inner, dependentResources, { keepOutputValues: false });
  const secrets = getStore().supportsSecrets === true;
  if (!isKnown) return isSecret && secrets ? rpc.serializeSecretValue(rpc.unknownValue) : rpc.unknownValue;
  return isSecret && secrets ? rpc.serializeSecretValue(value) : value;
}

/**
 * The plan's serializeResourceProperties: the same result as the SDK's, key by key in the same order. Registrations
 * that keep output values (remote components, which Strata does not declare) go to the SDK's own.
 */
export function planSerializeResourceProperties(stock: Rpc["serializeResourceProperties"]): Rpc["serializeResourceProperties"] {
  return async (label, props, opts) => {
    if (opts?.keepOutputValues && getStore().supportsOutputValues === true) return stock(label, props, opts);
    const result: Record<string, unknown> = {};
    const dependencies = new Map<string, Set<Resource>>();
    for (const key of Object.keys(props)) {
      if (key === "id" || key === "urn") continue;
      if (opts?.pendingRegistration !== undefined) opts.pendingRegistration.inputProperty = key;
      const dependentResources = new Set<Resource>();
      let value: unknown;
      try {
        value = await serializeValue(`${label}.${key}`, props[key], dependentResources, opts);
      } catch (err) {
        if (err instanceof Error) {
          err.message = `error serializing property "${key}": ${err.message}`;
          throw err;
        }
        throw new Error(`error serializing property "${key}": ${String(err)}`);
      }
      if (value !== undefined) {
        result[key] = value;
        dependencies.set(key, dependentResources);
      }
    }
    return [result, dependencies];
  };
}

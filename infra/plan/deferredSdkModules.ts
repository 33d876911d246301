import Module, { createRequire } from "node:module";

// At import, the SDK's runtime index loads the machinery that turns JavaScript functions into code for callback
// resources (AWS Lambda "magic functions", dynamic providers): npm's arborist, with pacote, sigstore and a registry
// client, to find a function's packages, and the TypeScript compiler to parse it. That is about 0.4 s of the
// plan's 1 s of imports, and no Strata resource takes a function. So the plan's entry puts stand-ins for the two
// modules in Node's module cache before anything imports the SDK: each loads the real module the first time
// anything it exports is used, and from then on forwards to it, so a program that does serialize a function gets
// exactly the SDK's behaviour, only later. test/deferredSdkModules.test.ts holds both halves: nothing of it loads
// during a plan, and a function still serializes.

/** The modules deferred, each with the functions the runtime index copies from it at import. */
export const DEFERRED_SDK_MODULES = {
  "@pulumi/pulumi/runtime/closure/serializeClosure": ["serializeFunction", "serializeFunctionAsync"],
  "@pulumi/pulumi/runtime/closure/codePaths": ["computeCodePaths"],
} as const satisfies Record<string, readonly string[]>;

const nodeRequire = createRequire(__filename);
type Exports = Record<PropertyKey, unknown>;

function standIn(file: string, copiedAtImport: readonly string[]): Exports {
  let real: Exports | undefined;
  const load = (): Exports => {
    if (!real) {
      // Out of the cache, so that Node loads the real file and caches it in the stand-in's place.
      delete nodeRequire.cache[file];
      real = nodeRequire(file) as Exports;
    }
    return real;
  };
  const forwarders: Exports = {};
  for (const name of copiedAtImport) {
    forwarders[name] = function (this: unknown, ...args: unknown[]) {
      const fn = load()[name];
      if (typeof fn !== "function") throw new Error(`infra/plan/deferredSdkModules.ts: ${file} no longer exports ${name}; update the deferral`);
      return (fn as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  // Anything else read from the module (another export, __esModule) loads it at once.
  return new Proxy(forwarders, { get: (target, key) => (typeof key === "string" && key in target ? target[key] : load()[key]), has: (_, key) => key in load() });
}

/**
 * Installs the stand-ins. Call before the first import of @pulumi/pulumi; a module already loaded is left alone.
 * Returns the files deferred.
 */
export function deferSdkModules(): string[] {
  const deferred: string[] = [];
  for (const [request, copiedAtImport] of Object.entries(DEFERRED_SDK_MODULES)) {
    let file: string;
    try {
      file = nodeRequire.resolve(request);
    } catch {
      throw new Error(`infra/plan/deferredSdkModules.ts: the SDK no longer has ${request}; update the deferral`);
    }
    if (nodeRequire.cache[file]) continue;
    const module = new Module(file);
    module.filename = file;
    module.loaded = true;
    module.exports = standIn(file, copiedAtImport);
    nodeRequire.cache[file] = module;
    deferred.push(file);
  }
  return deferred;
}

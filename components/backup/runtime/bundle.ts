/**
 * The runtime as the pods get it: runtime/cli.ts and everything it imports (the contract, the kinds' runtime parts,
 * the AWS SDK, zod) bundled by esbuild into one CommonJS file, gzipped so that it fits a ConfigMap's 1 MiB beside the
 * scripts, plus a few lines of loader that inflate and run it with the Node.js binary the pod's init container copied
 * in. The plan ships these bytes and the integration suites run these bytes: both call runtimeFiles().
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

/** The loader's and the bundle's file names in the backup ConfigMap (mounted at SCRIPTS_MOUNT). */
export const RUNTIME_LOADER = "strata-runtime.cjs";
export const RUNTIME_BUNDLE = "strata-runtime.js.gz";

/**
 * The Node.js the bundle targets: the major of the pinned `node` image (components/versions.ts), whose binary the
 * pods run it with.
 */
export const RUNTIME_NODE_TARGET = "node24";

/** Inflates the bundle beside it and runs it as a module of its own (its require, __filename and argv). */
const LOADER = `"use strict";
// Strata's backup runtime (components/backup/runtime/): ${RUNTIME_BUNDLE} beside this file, inflated and run.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { gunzipSync } = require("node:zlib");
const Module = require("node:module");
const file = join(__dirname, ${JSON.stringify(RUNTIME_BUNDLE)});
const m = new Module(file, module);
m.filename = file;
m.paths = [];
m._compile(gunzipSync(readFileSync(file)).toString("utf8"), file);
`;

export interface RuntimeFiles {
  loader: string;
  bundle: Buffer;
  /** SHA-256 of the bundle, for a name that changes with it. */
  sha256: string;
}

/**
 * The runtime's entry. `npm run plan` runs a bundle under .tmp/, so look upwards from this module rather than trusting
 * __dirname to be this folder.
 */
function findEntry(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "cli.ts"), join(dir, "components", "backup", "runtime", "cli.ts")]) {
      if (existsSync(candidate) && existsSync(join(dirname(candidate), "bundle.ts"))) return candidate;
    }
    if (dirname(dir) === dir) throw new Error(`no components/backup/runtime/cli.ts above ${start}`);
  }
}

let built: RuntimeFiles | undefined;

/** Builds the bundle once per process (deterministic: the same sources and esbuild give the same bytes). */
export function runtimeFiles(): RuntimeFiles {
  if (built) return built;
  const result = buildSync({
    entryPoints: [findEntry()],
    bundle: true,
    platform: "node",
    target: RUNTIME_NODE_TARGET,
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const js = result.outputFiles[0]!.contents;
  // gzip's header carries no time from Node's zlib, so equal input gives equal bytes.
  const bundle = gzipSync(js, { level: 9 });
  built = { loader: LOADER, bundle, sha256: createHash("sha256").update(bundle).digest("hex") };
  return built;
}

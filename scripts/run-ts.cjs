#!/usr/bin/env node
// Runs one of Strata's TypeScript entry points on plain Node: esbuild bundles our own sources and leaves every
// package in node_modules to Node's native loader. A require-hook loader such as tsx intercepts every module the
// Pulumi SDKs load and roughly doubles their import time, which is most of the offline plan's wall time
// (bench/plan.sh measures it).
//
// The bundle is kept and reused while every source file it was built from is unchanged, like an incremental
// compiler's output: bundling costs more than a small plan's whole program run. A file counts as unchanged when its
// size and mtime match, or else when its content hash does (a checkout touches mtimes without changing content).
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { basename, join, relative, resolve } = require("node:path");

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write("usage: node scripts/run-ts.cjs <entry.ts> [args...]\n");
  process.exit(64);
}
const root = resolve(__dirname, "..");
// Inside the project so that `require("@pulumi/...")` from the bundle resolves from its node_modules.
const cacheDir = join(root, ".tmp", "run-ts");
const entryPath = resolve(entry);
const nodeMajor = process.versions.node.split(".")[0];
const sha256 = (data) => createHash("sha256").update(data).digest("hex");
// Everything besides the sources that shapes the bundle: the entry, this file, the target Node and esbuild.
const buildKey = sha256([entryPath, readFileSync(__filename, "utf8"), nodeMajor, require("esbuild/package.json").version].join("\0")).slice(0, 16);
const manifestPath = join(cacheDir, `${basename(entry, ".ts")}-${buildKey}.json`);

/** The cached bundle's path when every input is unchanged, otherwise undefined. */
function cachedBundle() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    statSync(manifest.bundle);
  } catch {
    return undefined;
  }
  for (const [file, seen] of Object.entries(manifest.inputs)) {
    let stat;
    try {
      stat = statSync(join(root, file));
    } catch {
      return undefined;
    }
    if (stat.size === seen.size && stat.mtimeMs === seen.mtimeMs) continue;
    if (stat.size !== seen.size || sha256(readFileSync(join(root, file))) !== seen.sha256) return undefined;
  }
  return manifest.bundle;
}

// Written under a unique name and renamed into place, so concurrent runs (parallel tests, several checkouts
// sharing node_modules) only ever see whole files.
function writeAtomically(path, content) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

function build() {
  const { buildSync } = require("esbuild");
  const result = buildSync({
    entryPoints: [entryPath],
    outfile: join(cacheDir, "bundle.cjs"),
    write: false,
    metafile: true,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${nodeMajor}`,
    packages: "external",
    sourcemap: "inline",
    logLevel: "error",
    absWorkingDir: root,
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const stat = statSync(join(root, file));
    inputs[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256(readFileSync(join(root, file))) };
  }
  const code = result.outputFiles[0].contents;
  const bundle = join(cacheDir, `${basename(entry, ".ts")}-${buildKey}-${sha256(code).slice(0, 16)}.cjs`);
  writeAtomically(bundle, code);
  writeAtomically(manifestPath, JSON.stringify({ entry: relative(root, entryPath), bundle, inputs }, null, 1));
  pruneStaleBundles(bundle);
  return bundle;
}

// Every rebuild leaves the previous bundle behind. Those no manifest names and untouched for a day are nobody's:
// a run that read a manifest holds a current bundle, which is never pruned.
function pruneStaleBundles(current) {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  const names = readdirSync(cacheDir);
  const referenced = new Set([current]);
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    try {
      referenced.add(JSON.parse(readFileSync(join(cacheDir, name), "utf8")).bundle);
    } catch {
      // Being replaced by another run; its bundle is new, so not prunable anyway.
    }
  }
  for (const name of names) {
    const path = join(cacheDir, name);
    if (referenced.has(path) || !(name.endsWith(".cjs") || name.endsWith(".tmp"))) continue;
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
    } catch {
      // Another run pruned it first.
    }
  }
}

mkdirSync(cacheDir, { recursive: true });
const bundle = cachedBundle() ?? build();
// Node keeps the compiled bytecode of every module it loads here and reuses it while the file is unchanged, like
// the bundle above: compiling the Pulumi SDKs' JavaScript is most of their import time (bench/plan.sh prints both).
require("node:module").enableCompileCache?.(join(root, ".tmp", "node-compile-cache"));
process.argv = [process.argv[0], bundle, ...args];
// The Pulumi SDK records a stack trace for every promise it creates (for its leak report), so each resource costs a
// few formatted traces; with source maps each frame is also mapped. Measured on the 100-target plan, that was most
// of its time. Plans run without them; STRATA_PLAN_STACK_TRACES=1 brings back full, source-mapped traces.
const traces = process.env.STRATA_PLAN_STACK_TRACES === "1";
process.setSourceMapsEnabled(traces);
if (!traces) Error.stackTraceLimit = 0;
require(bundle);

#!/usr/bin/env node
// Runs one of Strata's TypeScript entry points on plain Node: esbuild bundles our own sources (tens of milliseconds)
// and leaves every package in node_modules to Node's native loader. A require-hook loader such as tsx intercepts
// every module the Pulumi SDKs load and roughly doubles their import time, which is most of the offline plan's
// wall time (bench/plan.sh measures it).
"use strict";
const { buildSync } = require("esbuild");
const { join, relative, resolve } = require("node:path");

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write("usage: node scripts/run-ts.cjs <entry.ts> [args...]\n");
  process.exit(64);
}
const root = resolve(__dirname, "..");
const outfile = join(root, "node_modules", ".cache", "strata", relative(root, resolve(entry)).replace(/\.ts$/, ".cjs"));
buildSync({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: `node${process.versions.node.split(".")[0]}`,
  packages: "external",
  sourcemap: "inline",
  logLevel: "error",
});
process.argv = [process.argv[0], outfile, ...args];
process.setSourceMapsEnabled(true);
require(outfile);

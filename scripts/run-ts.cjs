#!/usr/bin/env node
// Runs one of Strata's TypeScript entry points on plain Node: esbuild bundles our own sources (tens of milliseconds)
// and leaves every package in node_modules to Node's native loader. A require-hook loader such as tsx intercepts
// every module the Pulumi SDKs load and roughly doubles their import time, which is most of the offline plan's
// wall time (bench/plan.sh measures it).
"use strict";
const { buildSync } = require("esbuild");
const { rmSync } = require("node:fs");
const { basename, join, resolve } = require("node:path");

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write("usage: node scripts/run-ts.cjs <entry.ts> [args...]\n");
  process.exit(64);
}
const root = resolve(__dirname, "..");
// One bundle per process, inside the project so that `require("@pulumi/...")` resolves from its node_modules, and
// so that concurrent runs (parallel tests, several checkouts sharing node_modules) never overwrite each other.
const outfile = join(root, ".tmp", "run-ts", `${basename(entry, ".ts")}-${process.pid}.cjs`);
process.on("exit", () => rmSync(outfile, { force: true }));
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
// The Pulumi SDK records a stack trace for every promise it creates (for its leak report), so each resource costs a
// few formatted traces; with source maps each frame is also mapped. Measured on the 100-target plan, that was most
// of its time. Plans run without them; STRATA_PLAN_STACK_TRACES=1 brings back full, source-mapped traces.
const traces = process.env.STRATA_PLAN_STACK_TRACES === "1";
process.setSourceMapsEnabled(traces);
if (!traces) Error.stackTraceLimit = 0;
require(outfile);

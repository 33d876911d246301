// Preloaded (`node --require`) into a plan run by test/deployedProgram.test.ts: records every filesystem call whose
// path lies under the project's test/ or docs/ and prints each one to stderr at exit, one `READ <fn> <path>` a line.
// The program imports `node:fs` as ES module bindings too, so the patched functions are synced into those.
"use strict";
const fs = require("node:fs");
const { syncBuiltinESMExports } = require("node:module");
const { join } = require("node:path");

const root = process.env.STRATA_WATCH_ROOT;
const watched = [join(root, "test"), join(root, "docs")];
const pathOf = (p) => (typeof p === "string" ? p : p instanceof URL ? p.pathname : Buffer.isBuffer(p) ? p.toString() : "");
const isWatched = (p) => watched.some((dir) => p === dir || p.startsWith(`${dir}/`));
const reads = new Set();
const wrap = (owner, fn, label) => {
  const original = owner[fn];
  if (typeof original !== "function") return;
  owner[fn] = function (path, ...rest) {
    const p = pathOf(path);
    if (isWatched(p)) reads.add(`${label} ${p}`);
    return original.call(this, path, ...rest);
  };
};
for (const fn of ["readFileSync", "existsSync", "statSync", "lstatSync", "readdirSync", "openSync", "accessSync", "readFile", "stat", "lstat", "readdir", "open", "access", "createReadStream", "watch"]) wrap(fs, fn, fn);
for (const fn of ["readFile", "stat", "lstat", "readdir", "open", "access"]) wrap(fs.promises, fn, `promises.${fn}`);
syncBuiltinESMExports();
process.on("exit", () => {
  for (const r of reads) process.stderr.write(`READ ${r}\n`);
});

// Entry point of `npm run adopt` (bundled and run by scripts/run-ts.cjs), like infra/plan/main.ts.
import { deferSdkModules } from "../plan/deferredSdkModules";
import { failIfUnsettledAtExit } from "../plan/settlement";

deferSdkModules();
const { EXIT, main } = require("./cli") as typeof import("./cli");

const run = main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run adopt failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.badInput;
  },
);
failIfUnsettledAtExit(run, "npm run adopt", EXIT.badInput);

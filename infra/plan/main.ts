// Entry point of `npm run plan` (bundled and run by scripts/run-ts.cjs).
import { deferSdkModules } from "./deferredSdkModules";
import { failIfUnsettledAtExit } from "./settlement";

// Before anything imports the SDK: the CLI does, so it is required only after this line.
deferSdkModules();
const { EXIT, main } = require("./cli") as typeof import("./cli");

const run = main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const detail = error instanceof Error ? (error.stack && error.stack !== `${error.name}: ${error.message}` ? error.stack : `${error.message}\n(run with STRATA_PLAN_STACK_TRACES=1 for a stack trace)`) : String(error);
    process.stderr.write(`the offline plan failed: ${detail}\n`);
    process.exitCode = EXIT.planFailed;
  },
);
failIfUnsettledAtExit(run, "the offline plan", EXIT.planFailed);

// Entry point of `npm run plan` (bundled and run by scripts/run-ts.cjs).
import { main } from "./cli";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const detail = error instanceof Error ? (error.stack && error.stack !== `${error.name}: ${error.message}` ? error.stack : `${error.message}\n(run with STRATA_PLAN_STACK_TRACES=1 for a stack trace)`) : String(error);
    process.stderr.write(`the offline plan failed: ${detail}\n`);
    process.exitCode = 3;
  },
);

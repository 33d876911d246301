// Entry point of `npm run policies` (bundled and run by scripts/run-ts.cjs).
import { main } from "./cli";

process.exitCode = main(process.argv.slice(2));

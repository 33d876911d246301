/** The bundle's entry: runs the command and exits with its status (runtime/main.ts). */
import { EXIT } from "../contract";
import { main } from "./main";
import { termination } from "./signals";

// A pod's SIGTERM (deletion, preemption, a rollout): the run decides what it means (main.ts).
process.once("SIGTERM", () => termination.abort());
process.once("SIGINT", () => termination.abort());

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${JSON.stringify({ level: "error", msg: `the runtime crashed: ${e instanceof Error ? e.stack : String(e)}` })}\n`);
    process.exit(EXIT.failed);
  },
);

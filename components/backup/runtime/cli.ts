/** The bundle's entry: runs the command and exits with its status (runtime/main.ts). */
import { EXIT } from "../contract";
import { main } from "./main";
import { stopAllTools } from "./tools";

// A Job's SIGTERM (deletion, preemption): end the tools, whose failure the run then reports.
process.once("SIGTERM", () => stopAllTools());

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${JSON.stringify({ level: "error", msg: `the runtime crashed: ${e instanceof Error ? e.stack : String(e)}` })}\n`);
    process.exit(EXIT.failed);
  },
);

// Loads the pack the way Pulumi's Node.js runtime does (ts-node with policies/tsconfig.json, type-checked) and
// waits for the analyzer server to print its port: the handshake the Pulumi CLI reads.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const PACK_DIR = join(__dirname, "..");

it("loads under ts-node with its own tsconfig and starts the policy analyzer (prints its port)", async () => {
  const child = spawn(process.execPath, ["-e", 'require("ts-node").register({ project: "tsconfig.json" }); require("./index.ts");'], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port within 60s; stderr: ${stderr}`)), 60_000);
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const m = /^(\d+)\s*$/m.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the pack exited with ${code}: ${stderr}`));
      });
    });
    expect(Number(port)).toBeGreaterThan(0);
  } finally {
    child.kill();
  }
});

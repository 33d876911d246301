import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The project root: the nearest directory above a module with a Pulumi.yaml. It holds whether the program runs
 * from source (`pulumi up` via ts-node, vitest) or bundled into .tmp/ (`npm run plan`), so files shipped with the
 * program (e.g. the backup scripts) are found the same way everywhere.
 */
export function findProjectDir(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${start}`);
  }
}

export const PROJECT_DIR = findProjectDir();

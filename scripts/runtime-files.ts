/**
 * Writes the backup runtime's loader and bundle (the bytes the plan puts in the backup ConfigMap) into a directory,
 * to run it by hand or in the bench the way a pod does:
 *   node scripts/run-ts.cjs scripts/runtime-files.ts /tmp/strata-runtime
 *   BACKUP_KIND=postgresql ... node /tmp/strata-runtime/strata-runtime.cjs backup
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "../components/backup/runtime/bundle";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: node scripts/run-ts.cjs scripts/runtime-files.ts <directory>\n");
  process.exit(2);
}
const files = runtimeFiles();
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, RUNTIME_LOADER), files.loader);
writeFileSync(join(dir, RUNTIME_BUNDLE), files.bundle);
process.stdout.write(`${join(dir, RUNTIME_LOADER)}\n`);

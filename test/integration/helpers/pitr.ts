/** What the PITR suites share: a directory a restore may write (postgres-owned when the suite runs as root) and the rows of a restored data directory. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PG_BIN, tempDir } from "./servers";

export const IS_ROOT = process.getuid?.() === 0;

/** A new directory `name` under `root` that the restore (as postgres when we are root) can write. */
export function restoreDir(root: string, name: string): string {
  const d = join(root, name);
  if (IS_ROOT) {
    spawnSync("mkdir", ["-p", d]);
    spawnSync("chown", ["postgres:postgres", d]);
  }
  return d;
}

/** Starts PostgreSQL on a restored data directory (unix socket only) and returns `SELECT note FROM marks ORDER BY id` in `database`. */
export function restoredNotes(dataDir: string, password: string, database = "app"): string[] {
  const sock = tempDir("pitr-sock");
  if (IS_ROOT) spawnSync("chown", ["postgres:postgres", sock]);
  const asPg = (cmd: string, args: string[]) => {
    const full = IS_ROOT ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", cmd, ...args]] as const : [cmd, args] as const;
    return spawnSync(full[0], [...full[1]], { encoding: "utf8", timeout: 120_000 });
  };
  const started = asPg(`${PG_BIN}/pg_ctl`, ["-D", dataDir, "-l", join(sock, "log"), "-w", "-t", "60", "-o", `-c listen_addresses='' -c port=5432 -k ${sock}`, "start"]);
  if (started.status !== 0) throw new Error(`restored server did not start: ${started.stderr}${readFileSync(join(sock, "log"), "utf8")}`);
  try {
    const r = spawnSync(`${PG_BIN}/psql`, ["-X", "-A", "-t", "-h", sock, "-U", "postgres", "-d", database, "-c", "SELECT note FROM marks ORDER BY id"], {
      encoding: "utf8",
      env: { ...process.env, PGPASSWORD: password },
    });
    if (r.status !== 0) throw new Error(`psql on the restored server failed: ${r.stderr}`);
    return r.stdout.split("\n").filter(Boolean);
  } finally {
    asPg(`${PG_BIN}/pg_ctl`, ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    rmSync(sock, { recursive: true, force: true });
  }
}

/** The receiver's archived_through_epoch (0 before its first complete upload cycle). */
export function archivedThrough(receiverWork: string): number {
  const f = join(receiverWork, "archived.status");
  if (!existsSync(f)) return 0;
  const m = /archived_through_epoch=(\d+)/.exec(readFileSync(f, "utf8"));
  return m ? Number(m[1]) : 0;
}

/**
 * Waits, bounded, until the receiver reports everything through `epoch` (server clock = ours) in S3. The bound is
 * generous because the whole suite shares two cores with the other integration suites: under that load an upload
 * cycle has taken over a minute, while alone it takes about a second.
 */
export async function waitArchived(receiverWork: string, epoch: number, receiverLog: () => string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (archivedThrough(receiverWork) < epoch) {
    if (Date.now() > deadline) throw new Error(`WAL not archived through ${epoch} within ${timeoutMs} ms (at ${archivedThrough(receiverWork)}); receiver log:\n${receiverLog()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs the in-pod runtime exactly as the pods do: the loader and gzipped bundle of runtimeFiles() (the bytes the plan
 * puts in the scripts' ConfigMap), written once per test process into a directory like the ConfigMap's mount, run by
 * this machine's Node (the version the pinned `node` image carries).
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "../../../components/backup/runtime/bundle";
import { startCommand, type RunAs, type RunResult, type Running } from "./scripts";

let mount: string | undefined;

/** The directory holding the loader and the bundle (created on first use). */
export function runtimeMount(): string {
  if (mount) return mount;
  const files = runtimeFiles();
  mount = mkdtempSync(join(tmpdir(), "strata-runtime-"));
  mkdirSync(mount, { recursive: true });
  // Readable by every user, as the ConfigMap's mount is: a suite may run the bundle as a container's own uid.
  chmodSync(mount, 0o755);
  writeFileSync(join(mount, RUNTIME_LOADER), files.loader, { mode: 0o444 });
  writeFileSync(join(mount, RUNTIME_BUNDLE), files.bundle, { mode: 0o444 });
  return mount;
}

/** backup or drill (runtime/main.ts COMMANDS); anything else is a usage error the suites check. */
export type RuntimeCommand = string;

export function startRuntime(command: RuntimeCommand, env: Record<string, string>, timeoutMs = 300_000, runAs?: RunAs): Running {
  return startCommand([process.execPath, join(runtimeMount(), RUNTIME_LOADER), command], env, timeoutMs, runAs);
}

export function runRuntime(command: RuntimeCommand, env: Record<string, string>, timeoutMs?: number, runAs?: RunAs): Promise<RunResult> {
  return startRuntime(command, env, timeoutMs, runAs).done;
}

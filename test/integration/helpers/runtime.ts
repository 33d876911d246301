/**
 * Runs the in-pod runtime exactly as the pods do: the loader and gzipped bundle of runtimeFiles() (the bytes the plan
 * puts in the backup ConfigMap), written once per test process into a directory like the ConfigMap's mount, run by
 * this machine's Node (the version the pinned `node` image carries).
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { latestKey, manifestKey, objectKey, serializeManifest, type BackupKind } from "../../../components/backup/contract";
import { RUNTIME_BUNDLE, RUNTIME_LOADER, runtimeFiles } from "../../../components/backup/runtime/bundle";
import { ArchiveStore } from "../../../components/backup/runtime/s3";
import { startCommand, type RunAs, type RunResult, type Running } from "./scripts";

let mount: string | undefined;

/** The directory holding the loader and the bundle (created on first use). */
export function runtimeMount(): string {
  if (mount) return mount;
  const files = runtimeFiles();
  mount = mkdtempSync(join(tmpdir(), "strata-runtime-"));
  // Readable by every user a suite runs the runtime as, like the ConfigMap's mount (mode 0555).
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

/**
 * Puts a backup the source server could never export (a corrupt RDB, a document a broker rejects) into the bucket the
 * way the runtime's backup would have: the object, its manifest (the contract's writer, uncompressed) and latest.json,
 * so that a suite shows the drill catches it.
 */
export async function putCraftedBackup(
  s3: { bucket: string; endpoint: string },
  kind: BackupKind,
  target: string,
  artifact: { bytes: Buffer | string; ext: string; format: string; counts: Record<string, number> },
  prefix = "",
): Promise<void> {
  const store = new ArchiveStore({ bucket: s3.bucket, region: "us-east-1", endpoint: s3.endpoint, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  const bytes = Buffer.from(artifact.bytes);
  const started = Math.floor(Date.now() / 1000);
  const key = objectKey(prefix, kind, target, started, artifact.ext);
  const manifest = serializeManifest({
    kind,
    target,
    bucket: s3.bucket,
    key,
    manifest_key: manifestKey(key),
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size_bytes: bytes.length,
    compression: "none",
    format: artifact.format,
    tool_version: "crafted by the test",
    started_epoch: started,
    started_at: new Date(started * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
    uploaded_epoch: started,
    counts: artifact.counts,
  });
  await store.putSmall(key, bytes, { contentType: "application/octet-stream" });
  await store.putSmall(manifestKey(key), manifest, { contentType: "application/json" });
  await store.putSmall(latestKey(prefix, kind, target), manifest, { contentType: "application/json" });
}

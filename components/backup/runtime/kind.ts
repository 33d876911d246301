/**
 * What the runtime needs of one backup kind: how to dump it as a stream, and how a drill restores a verified copy
 * and counts what it restored. Each kind's part lives in its folder (components/backup/kinds/<kind>/runtime.ts),
 * beside the plan's driver of the same kind; runtime/kinds.ts collects them.
 */
import type { Readable, Writable } from "node:stream";
import type { BackupKind, Manifest, ManifestInput, Series } from "../contract";
import type { ArchiveStore } from "./s3";
import type { RunEnv } from "./config";
import type { Log } from "./log";

export type Compression = "zstd" | "gzip" | "none";
export type Counts = Record<string, number>;

export interface RunContext {
  env: RunEnv;
  /** The whole environment, for a kind's own settings (libpq's PG*, RESTORE_JOBS, ...). */
  vars: NodeJS.ProcessEnv;
  log: Log;
  /** The run's scratch directory (WORK_DIR/<run>), removed when the run ends. */
  scratch: string;
  /** When the run gives up (ms since the epoch): PHASE_WAIT_SECONDS after its start. */
  deadline: number;
  startedEpoch: number;
}

export interface DumpFacts {
  counts: Counts;
  toolVersion: string;
  /** What the manifest records beside the usual fields (a base backup's WAL facts). */
  manifest?: Partial<Pick<ManifestInput, "start_lsn" | "end_lsn" | "timeline" | "start_wal_file" | "end_epoch">>;
}

export interface Dump {
  /** The artifact's bytes as the tool writes them, uncompressed; absent when the tool writes them into `into` (DumpInto). */
  stream?: Readable;
  /** Resolves once every tool of the dump exited 0, with what the manifest records; rejects otherwise. */
  finished: Promise<DumpFacts>;
  /** Ends the dump's tools (the run failed elsewhere). */
  abort(): void;
}

/** The decompressed artifact while it downloads into scratch space. */
export interface GrowingArtifact {
  path: string;
  /** Its bytes from the first, as they are written; fails if the download fails. */
  follow(): Readable;
}

/**
 * The stdin of the process that compresses the dump (the image's zstd). A kind whose dump is one tool's stdout gives
 * `into` to that tool as its stdout and returns no `stream`: the uncompressed bytes then go from process to process and
 * never through the runtime, which relaying them cost about as much CPU as compressing them. A kind that makes its
 * bytes itself (an API's client) ignores it and returns a `stream`.
 */
export type DumpInto = Writable;

export interface KindRuntime {
  kind: BackupKind;
  /** The stored object's format and extension, as the manifest records them (one definition: kinds/<kind>/artifact.ts). */
  artifact: { format: string; extension: string };
  dump(ctx: RunContext, into?: DumpInto): Promise<Dump>;
  /** Work a drill starts while the object downloads (a throwaway server's initdb and start). */
  prepareRestore?(ctx: RunContext): Promise<void>;
  /**
   * Starts restoring while the artifact still downloads (after prepareRestore): `follow()` gives its decompressed bytes
   * as they land in scratch space. The drill's verdict still waits for the object's verification, and restore() below
   * is called only after it, so what this loads counts only once the object is proven to be the one written.
   */
  restoreWhileDownloading?(ctx: RunContext, artifact: GrowingArtifact, manifest: Manifest): Promise<void>;
  /** Restores the verified, decompressed artifact at `path` into throwaway space; returns the counts of what it restored. */
  restore(ctx: RunContext, path: string, manifest: Manifest): Promise<Counts>;
  /** Ends what prepareRestore or restore started, whatever happened. */
  cleanup?(ctx: RunContext): Promise<void>;
}

/**
 * One series a backup run writes: a kind's logical dumps, or PostgreSQL's physical base backups (`base/`, with their
 * own latest.json and Pushgateway group).
 */
export interface BackupPlan {
  kind: BackupKind;
  series: Series;
  artifact: { format: string; extension: string };
  dump(ctx: RunContext, into?: DumpInto): Promise<Dump>;
  /** Work between the object's upload and its manifest (a base backup keeps the WAL it needs as long as itself). */
  afterUpload?(ctx: RunContext, store: ArchiveStore, facts: DumpFacts): Promise<void>;
}

/** A kind's logical series. */
export const logicalPlan = (k: KindRuntime): BackupPlan => ({ kind: k.kind, series: "dump", artifact: k.artifact, dump: (ctx, into) => k.dump(ctx, into) });

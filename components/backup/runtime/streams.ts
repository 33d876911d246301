/**
 * The byte streams of a run: hashing as bytes pass, compression as the manifest names it, and age as a child process
 * (encryption to a recipient, decryption with an identity).
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { open } from "node:fs/promises";
import { Duplex, PassThrough, Readable, Transform, type TransformCallback } from "node:stream";
import { constants, createGunzip, createGzip, createZstdCompress, createZstdDecompress } from "node:zlib";
import type { Compression } from "./kind";
import { findTool, hasTool, startTool, type Tool } from "./tools";

/** Counts and hashes (SHA-256) what passes through it. */
export class HashTap extends Transform {
  private readonly hash: Hash = createHash("sha256");
  bytes = 0;
  private hex?: string;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** The SHA-256 in hex, once the stream has ended. */
  digest(): string {
    this.hex ??= this.hash.digest("hex");
    return this.hex;
  }
}

/**
 * Gathers small chunks (a pipe's 64 KiB, a socket's 16 KiB) into chunks of about `bytes` before a stage whose cost is
 * per call: zlib's zstd and gzip run each write on the thread pool, and small writes spend more time in hand-overs
 * than in compression.
 */
export class Coalesce extends Transform {
  private pending: Buffer[] = [];
  private size = 0;

  constructor(private readonly bytes = CODEC_CHUNK_BYTES) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.pending.push(chunk);
    this.size += chunk.length;
    if (this.size >= this.bytes) {
      const joined = Buffer.concat(this.pending, this.size);
      this.pending = [];
      this.size = 0;
      done(null, joined);
    } else done();
  }

  override _flush(done: TransformCallback) {
    done(null, this.size > 0 ? Buffer.concat(this.pending, this.size) : undefined);
  }
}

/** Chunks into and out of compression: 1 MiB, where zstd's throughput in Node comes within reach of its CLI's. */
export const CODEC_CHUNK_BYTES = 1 << 20;

/** The object's extension suffix of a compression. */
export const COMPRESSION_SUFFIX: Record<Compression, string> = { zstd: ".zst", gzip: ".gz", none: "" };

/** A compression or decompression step of a pipeline, and the process that runs it when it is the zstd CLI. */
export interface CodecStage {
  tool?: Tool;
  /**
   * The stage as one stream: what is written goes in, what comes out is the result (a CLI's stdin and stdout as one
   * Duplex). Made on the first call: a CLI whose input comes from another process, or that writes its result itself,
   * must have no reader of its own in the runtime.
   */
  stream(): Transform;
  /** The CLI writes its result into the file or tool it was given; what is written to its stdin is the stage's input. */
  writesItself: boolean;
}

/** Where a decompressed artifact goes: a file in scratch space, or a tool that reads it on its stdin (tar). */
export type DecodedSink = string | Tool;

/**
 * The image's zstd, where it has one and ZSTD_PROGRAM does not say `node`: in a process of its own, several threads,
 * about twice the throughput of Node's zlib binding on one thread; the runtime's main thread keeps the hashing and the
 * upload. Its frames carry a content checksum by default, as Node's do here.
 */
function zstdCli(vars: NodeJS.ProcessEnv): string | undefined {
  return vars.ZSTD_PROGRAM === "node" || !hasTool("zstd", vars) ? undefined : findTool("zstd", "", vars);
}

const nodeStage = (stream: Transform): CodecStage => ({ stream: () => stream, writesItself: false });

function cliStage(tool: Tool, writesItself: boolean): CodecStage {
  let stream: Transform | undefined;
  return { tool, writesItself, stream: () => (stream ??= toolStream(tool) as unknown as Transform) };
}

export function compressor(compression: Compression, level: { zstd: number; gzip: number }, vars: NodeJS.ProcessEnv = {}): CodecStage {
  switch (compression) {
    case "zstd": {
      const cli = zstdCli(vars);
      if (cli) return cliStage(startTool(cli, [`-${level.zstd}`, "-T0", "-q", "-c"], { what: "zstd" }), false);
      // With a content checksum in every frame, as the zstd CLI writes by default: a damaged object fails to decompress.
      return nodeStage(createZstdCompress({ chunkSize: CODEC_CHUNK_BYTES, params: { [constants.ZSTD_c_compressionLevel]: level.zstd, [constants.ZSTD_c_checksumFlag]: 1 } }));
    }
    case "gzip":
      return nodeStage(createGzip({ chunkSize: CODEC_CHUNK_BYTES, level: level.gzip }));
    case "none":
      return nodeStage(new PassThrough());
  }
}

/**
 * Decompression. Given `into`, the zstd CLI writes its output there itself (the file, or the tool's stdin, whose end
 * in the runtime is closed so that the tool sees the end of the data when zstd exits): the decompressed bytes, several
 * times the object's, never pass through the runtime. Node's codecs leave `into` to the caller.
 */
export function decompressor(compression: Compression, vars: NodeJS.ProcessEnv = {}, into?: DecodedSink): CodecStage {
  switch (compression) {
    case "zstd": {
      const cli = zstdCli(vars);
      if (!cli) return nodeStage(createZstdDecompress({ chunkSize: CODEC_CHUNK_BYTES }));
      if (into === undefined) return cliStage(startTool(cli, ["-d", "-q", "-c"], { what: "zstd -d" }), false);
      if (typeof into !== "string") {
        const tool = startTool(cli, ["-d", "-q", "-c"], { stdio: ["pipe", into.child.stdin!, "pipe"], what: "zstd -d" });
        into.child.stdin!.destroy();
        return cliStage(tool, true);
      }
      const fd = openSync(into, "w");
      try {
        return cliStage(startTool(cli, ["-d", "-q", "-c"], { stdio: ["pipe", fd, "pipe"], what: "zstd -d" }), true);
      } finally {
        closeSync(fd);
      }
    }
    case "gzip":
      return nodeStage(createGunzip({ chunkSize: CODEC_CHUNK_BYTES }));
    case "none":
      return nodeStage(new PassThrough());
  }
}

/** A child process as one Duplex: what is written goes to its stdin, what it prints comes out. */
export function toolStream(tool: Tool): Duplex {
  return Duplex.from({ writable: tool.child.stdin!, readable: tool.child.stdout! });
}

/** `age -r RECIPIENT`: encrypts what is written to it. */
export function ageEncrypt(agePath: string, recipient: string): Tool {
  return startTool(agePath, ["-r", recipient], { what: "age" });
}

/** `age -d -i IDENTITY`: decrypts what is written to it. */
export function ageDecrypt(agePath: string, identityFile: string): Tool {
  return startTool(agePath, ["-d", "-i", identityFile], { what: "age" });
}

/** SHA-256 (hex) of a string: the manifest's recipient fingerprint. */
export const sha256Text = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/**
 * Reads a file while another part of the run is still writing it, from its first byte to its last: at the end of
 * what is written so far it waits for more until `complete` resolves (the writer is done), and fails when `complete`
 * rejects (the download failed), so a consumer never takes a file that stopped short for a whole one.
 */
export function followFile(path: string, complete: Promise<unknown>, pollMs = 20): Readable {
  let done = false;
  let failure: unknown;
  complete.then(
    () => (done = true),
    (e: unknown) => (failure = e ?? new Error("the download failed")),
  );
  async function* chunks() {
    const file = await open(path, "r");
    try {
      const buffer = Buffer.alloc(CODEC_CHUNK_BYTES);
      let position = 0;
      for (;;) {
        if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
        // Whether the writer had finished before this read: only then is a short read the end of the file.
        const finished = done;
        const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
        if (bytesRead > 0) {
          position += bytesRead;
          yield Buffer.from(buffer.subarray(0, bytesRead));
        } else if (finished) return;
        else await new Promise((r) => setTimeout(r, pollMs));
      }
    } finally {
      await file.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

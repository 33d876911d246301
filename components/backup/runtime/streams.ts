/**
 * The byte streams of a run: hashing as bytes pass, compression as the manifest names it, and age as a child process
 * (encryption to a recipient, decryption with an identity).
 */
import { createHash, type Hash } from "node:crypto";
import { Duplex, PassThrough, Transform, type TransformCallback } from "node:stream";
import { constants, createGunzip, createGzip, createZstdCompress, createZstdDecompress } from "node:zlib";
import type { Compression } from "./kind";
import { startTool, type Tool } from "./tools";

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

/** The object's extension suffix of a compression. */
export const COMPRESSION_SUFFIX: Record<Compression, string> = { zstd: ".zst", gzip: ".gz", none: "" };

export function compressor(compression: Compression, level: { zstd: number; gzip: number }): Transform {
  switch (compression) {
    case "zstd":
      return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: level.zstd } });
    case "gzip":
      return createGzip({ level: level.gzip });
    case "none":
      return new PassThrough();
  }
}

export function decompressor(compression: Compression): Transform {
  switch (compression) {
    case "zstd":
      return createZstdDecompress();
    case "gzip":
      return createGunzip();
    case "none":
      return new PassThrough();
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

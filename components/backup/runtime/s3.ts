/**
 * The archive's store, spoken through the AWS SDK for JavaScript: AWS S3 or any S3-compatible store (S3_ENDPOINT_URL,
 * path-style addressing). Credentials, region, retries and checksum modes come from the SDK's own environment
 * (AWS_REGION, IRSA or Pod Identity or a key, AWS_MAX_ATTEMPTS, AWS_REQUEST_CHECKSUM_CALCULATION).
 *
 * Uploads stream: the body is cut into parts that go up several at a time, each with its Content-MD5 so that the store
 * itself refuses a part that arrived different from what was sent (on every store, whatever its checksum support).
 * The upload is completed only once the producer says the body is whole (`whole`), so a dump that fails half-way
 * leaves no object behind: the multipart upload is aborted.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from "@aws-sdk/client-s3";

/** Parts of 16 MiB, four in flight: at most about 80 MiB of the body in memory, whatever the object's size. */
export const UPLOAD_PART_BYTES = 16 * 1024 * 1024;
export const UPLOAD_PARTS_IN_FLIGHT = 4;

export interface StoreSettings {
  bucket: string;
  /** Absent: the SDK's own chain (AWS_REGION, the profile). */
  region?: string;
  endpoint?: string;
  sseKmsKeyId?: string;
  /**
   * Only where the SDK's own chain must not apply: a test's client of s3rver, and the off-site copy's destination,
   * whose own key must be the only one it signs with whatever identity the pod has for the source (IRSA, Pod Identity).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface PutOptions {
  contentType: string;
  metadata?: Record<string, string>;
}

/** A listed object: its key, size, and last write to the second (S3's precision). */
export interface ListedObject {
  key: string;
  size: number;
  modifiedEpoch: number;
}

/** An object being read: its bytes as they arrive, with what was stored beside them. */
export interface OpenedObject {
  body: Readable;
  contentType?: string;
  /** The x-amz-meta-* headers, names lower-case without the prefix (`sha256`). */
  metadata: Record<string, string>;
}

/** A client of the store: AWS S3, or an S3-compatible store at `endpoint` (path-style addressing). */
export function s3Client(settings: Pick<StoreSettings, "region" | "endpoint" | "credentials">): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
}

const md5Base64 = (body: Buffer) => createHash("md5").update(body).digest("base64");

export class ArchiveStore {
  readonly client: S3Client;

  constructor(readonly settings: StoreSettings) {
    this.client = s3Client(settings);
  }

  /** Where an object lives, in messages. */
  url = (key: string) => `s3://${this.settings.bucket}/${key}`;

  private sse() {
    return this.settings.sseKmsKeyId ? { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: this.settings.sseKmsKeyId } : {};
  }

  /** One PutObject with Content-MD5: the store refuses a body that arrived different; success needs no read-back. */
  async putSmall(key: string, body: Buffer | string, options: PutOptions): Promise<void> {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: key,
        Body: bytes,
        ContentMD5: md5Base64(bytes),
        ContentType: options.contentType,
        ...(options.metadata ? { Metadata: options.metadata } : {}),
        ...this.sse(),
      }),
    );
  }

  /**
   * Streams `body` to `key`. Returns the bytes stored. `whole` resolves when the producer of `body` has succeeded
   * (the dump tool exited 0, the hashes are final); until then the object is not completed, and if it rejects (or the
   * body fails) the upload is aborted and nothing is stored.
   */
  async uploadStream(key: string, body: Readable, options: PutOptions & { whole: Promise<unknown> }): Promise<number> {
    const { bucket } = this.settings;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let total = 0;
    const create = async () => {
      const out = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: options.contentType, ...(options.metadata ? { Metadata: options.metadata } : {}), ...this.sse() }),
      );
      uploadId = out.UploadId;
      if (!uploadId) throw new Error(`the store gave no upload id for ${this.url(key)}`);
    };
    // Each part is filled in a buffer of its own, copied into once, and the buffer is used again once its part is
    // stored: parts of a large object cost neither a fresh 16 MiB allocation nor a second copy each.
    const spare: Buffer[] = [];
    const sendPart = (partNumber: number, bytes: Buffer, buffer: Buffer) => {
      const p = this.client
        .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: bytes, ContentMD5: md5Base64(bytes) }))
        .then((out) => {
          parts.push({ PartNumber: partNumber, ETag: out.ETag });
        })
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => {
          inFlight.delete(p);
          spare.push(buffer);
        });
      inFlight.add(p);
    };
    try {
      let part: Buffer = Buffer.allocUnsafeSlow(UPLOAD_PART_BYTES);
      let filled = 0;
      let partNumber = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (failure) throw failure;
        total += chunk.length;
        for (let offset = 0; offset < chunk.length; ) {
          const n = chunk.copy(part, filled, offset, Math.min(chunk.length, offset + UPLOAD_PART_BYTES - filled));
          filled += n;
          offset += n;
          if (filled < UPLOAD_PART_BYTES) continue;
          if (!uploadId) await create();
          sendPart(++partNumber, part, part);
          while (inFlight.size >= UPLOAD_PARTS_IN_FLIGHT) await Promise.race(inFlight);
          if (failure) throw failure;
          part = spare.pop() ?? Buffer.allocUnsafeSlow(UPLOAD_PART_BYTES);
          filled = 0;
        }
      }
      const last = part.subarray(0, filled);
      if (!uploadId) {
        // Smaller than one part: one PutObject, once the producer says it is whole.
        await options.whole;
        await this.putSmall(key, last, options);
        return total;
      }
      if (last.length > 0 || partNumber === 0) sendPart(++partNumber, last, part);
      await Promise.all(inFlight);
      if (failure) throw failure;
      await options.whole;
      parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      uploadId = undefined;
      return total;
    } catch (e) {
      // Nothing half-written stays: the parts already stored are dropped with the upload.
      await Promise.allSettled(inFlight);
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw e;
    }
  }

  async head(key: string) {
    return this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }

  /** The object's bytes as they arrive. */
  async getStream(key: string): Promise<Readable> {
    return (await this.open(key)).body;
  }

  async open(key: string): Promise<OpenedObject> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
    if (!out.Body) throw new Error(`${this.url(key)} has no body`);
    return { body: out.Body as Readable, ...(out.ContentType ? { contentType: out.ContentType } : {}), metadata: out.Metadata ?? {} };
  }

  async getBytes(key: string): Promise<Buffer> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  /** Keys under `prefix` after `startAfter`, in the store's (lexicographic) order. */
  async listKeys(prefix: string, startAfter?: string): Promise<ListedObject[]> {
    const keys: ListedObject[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}) }),
      );
      for (const o of out.Contents ?? []) keys.push({ key: o.Key!, size: o.Size ?? 0, modifiedEpoch: Math.floor((o.LastModified?.getTime() ?? 0) / 1000) });
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** Rewrites an object onto itself with its own metadata: a new write time, the same bytes. */
  async copyInPlace(key: string, metadata: Record<string, string>, contentType: string): Promise<void> {
    const { bucket } = this.settings;
    await this.client.send(
      new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`, MetadataDirective: "REPLACE", Metadata: metadata, ContentType: contentType, ...this.sse() }),
    );
  }

  async versioning(): Promise<string | undefined> {
    return (await this.client.send(new GetBucketVersioningCommand({ Bucket: this.settings.bucket }))).Status;
  }
}

/** A failure of the SDK in words: its name, status and message. */
export function describeS3Error(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `${e.name}${status ? ` (HTTP ${status})` : ""}: ${e.message}`;
}

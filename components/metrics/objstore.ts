import * as yaml from "js-yaml";
import { s3ClientEndpoint } from "../archive/providers";

export interface ObjstoreInput {
  bucket: string;
  region: string;
  /** SSE-KMS on AWS; absent on a store without it. */
  kmsKeyArn?: string;
  /** A store other than AWS S3: its endpoint URL (components/archive/providers.ts). */
  endpoint?: string;
  /** SSE-C on a store without KMS: the path, inside every pod that reads or writes the bucket, of the 32-byte key file. */
  sseCustomerKeyFile?: string;
}

/**
 * Where the SSE-C key is mounted in the sidecar, store gateway, compactor and ruler, and the file's name in its
 * Secret. Thanos reads the file itself (`sse_config.encryption_key` is a path, thanos-io/objstore providers/s3/s3.go:
 * `os.ReadFile(config.SSEConfig.EncryptionKey)` then minio-go's `encrypt.NewSSEC`, which takes exactly 32 bytes).
 */
export const SSE_C_KEY = { volume: "strata-sse-c", mountPath: "/etc/strata/sse-c", file: "sse-c.key" } as const;
export const sseCustomerKeyPath = `${SSE_C_KEY.mountPath}/${SSE_C_KEY.file}`;

/**
 * The Thanos object-store configuration (https://thanos.io/tip/thanos/storage.md/#s3). It holds no credentials:
 * each component gets its own identity (IRSA/Pod Identity, or env vars from its own Secret on Hetzner), which the
 * S3 client picks up from its environment, so one shared file never grants one component another's rights.
 * On AWS every upload asks for SSE-KMS with the archive key, which the bucket policy requires; on another store
 * the client is pointed at the store's endpoint and, where given, encrypts with a customer key (SSE-C: the store
 * encrypts with a key the client sends on every request and never keeps it). Field names from thanos-io/objstore
 * providers/s3/s3.go (`sse_config: {type: SSE-C, encryption_key: <file>}`); objstore sends the key on GET and HEAD
 * too since 2025-01-20 (commit 4b72edf, #142), which Thanos v0.42.4's objstore (2025-08-04) includes.
 */
export function thanosObjstoreConfig(input: ObjstoreInput): string {
  const store = input.endpoint ? s3ClientEndpoint(input.endpoint) : undefined;
  if (input.kmsKeyArn && input.sseCustomerKeyFile) throw new Error("thanosObjstoreConfig: SSE-KMS and SSE-C are exclusive");
  return yaml.dump({
    type: "S3",
    config: {
      bucket: input.bucket,
      endpoint: store ? store.host : `s3.${input.region}.amazonaws.com`,
      region: input.region,
      ...(store?.insecure ? { insecure: true } : {}),
      ...(input.kmsKeyArn ? { sse_config: { type: "SSE-KMS", kms_key_id: input.kmsKeyArn } } : {}),
      ...(input.sseCustomerKeyFile ? { sse_config: { type: "SSE-C", encryption_key: input.sseCustomerKeyFile } } : {}),
    },
  });
}

/** The Secret volume and its read-only mount, for every container that talks to the bucket. */
export function sseCustomerKeyVolume(secretName: string) {
  return {
    volume: { name: SSE_C_KEY.volume, secret: { secretName, items: [{ key: SSE_C_KEY.file, path: SSE_C_KEY.file }] } },
    mount: { name: SSE_C_KEY.volume, mountPath: SSE_C_KEY.mountPath, readOnly: true },
  };
}

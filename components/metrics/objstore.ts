import * as yaml from "js-yaml";
import { s3ClientEndpoint } from "../archive/providers";

export interface ObjstoreInput {
  bucket: string;
  region: string;
  /** SSE-KMS on AWS; absent on a store without it. */
  kmsKeyArn?: string;
  /** A store other than AWS S3: its endpoint URL (components/archive/providers.ts). */
  endpoint?: string;
}

/**
 * The Thanos object-store configuration (https://thanos.io/tip/thanos/storage.md/#s3). It holds no credentials:
 * each component gets its own identity (IRSA/Pod Identity, or env vars from its own Secret on Hetzner), which the
 * S3 client picks up from its environment, so one shared file never grants one component another's rights.
 * On AWS every upload asks for SSE-KMS with the archive key, which the bucket policy requires; on another store
 * the client is pointed at the store's endpoint.
 */
export function thanosObjstoreConfig(input: ObjstoreInput): string {
  const store = input.endpoint ? s3ClientEndpoint(input.endpoint) : undefined;
  return yaml.dump({
    type: "S3",
    config: {
      bucket: input.bucket,
      endpoint: store ? store.host : `s3.${input.region}.amazonaws.com`,
      region: input.region,
      ...(store?.insecure ? { insecure: true } : {}),
      ...(input.kmsKeyArn ? { sse_config: { type: "SSE-KMS", kms_key_id: input.kmsKeyArn } } : {}),
    },
  });
}

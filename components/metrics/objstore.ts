import * as yaml from "js-yaml";

export interface ObjstoreInput {
  bucket: string;
  region: string;
  kmsKeyArn: string;
}

/**
 * The Thanos object-store configuration (https://thanos.io/tip/thanos/storage.md/#s3). It holds no credentials:
 * each component gets its own identity (IRSA/Pod Identity, or env vars from its own Secret on Hetzner), which the
 * S3 client picks up from its environment, so one shared file never grants one component another's rights.
 * Every upload asks for SSE-KMS with the archive key, which the bucket policy requires.
 */
export function thanosObjstoreConfig(input: ObjstoreInput): string {
  return yaml.dump({
    type: "S3",
    config: {
      bucket: input.bucket,
      endpoint: `s3.${input.region}.amazonaws.com`,
      region: input.region,
      sse_config: { type: "SSE-KMS", kms_key_id: input.kmsKeyArn },
    },
  });
}

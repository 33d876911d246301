import type { PolicyDocument, PolicyStatement } from "../archive/bucketPolicy";

/**
 * What a workload may do in its bucket, from least to most:
 *  - read: list and get (Thanos store gateway, restore drills)
 *  - append: put and get its own objects, never delete (backup writers; versioning keeps what they overwrite)
 *  - write: list, get, put (Thanos sidecar and ruler upload blocks; they never delete)
 *  - manage: write plus delete (the Thanos compactor and Loki apply retention themselves)
 */
export type S3AccessLevel = "read" | "append" | "write" | "manage";

const OBJECT_ACTIONS: Record<S3AccessLevel, string[]> = {
  read: ["s3:GetObject"],
  append: ["s3:GetObject", "s3:PutObject"],
  write: ["s3:GetObject", "s3:PutObject"],
  manage: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
};

// Writers need Decrypt as well as GenerateDataKey: multipart uploads of SSE-KMS objects decrypt the data key.
const KMS_ACTIONS: Record<S3AccessLevel, string[]> = {
  read: ["kms:Decrypt"],
  append: ["kms:Decrypt", "kms:GenerateDataKey"],
  write: ["kms:Decrypt", "kms:GenerateDataKey"],
  manage: ["kms:Decrypt", "kms:GenerateDataKey"],
};

export interface S3AccessArgs {
  bucketArn: string;
  /** Limit to keys under this prefix (e.g. "postgresql/orders/"); the whole bucket when absent. */
  prefix?: string;
  access: S3AccessLevel;
  kmsKeyArn: string;
  /** The bucket's region: KMS use is allowed only through S3 there. */
  region: string;
}

/** A least-privilege identity policy for one workload on one bucket: no wildcards in actions, no `*` resources. */
export function s3AccessPolicy(args: S3AccessArgs): PolicyDocument {
  const objects = `${args.bucketArn}/${args.prefix ?? ""}*`;
  const list: PolicyStatement = { Sid: "ListItsKeys", Effect: "Allow", Action: "s3:ListBucket", Resource: args.bucketArn };
  if (args.prefix) list.Condition = { StringLike: { "s3:prefix": [args.prefix, `${args.prefix}*`] } };
  return {
    Version: "2012-10-17",
    Statement: [
      list,
      { Sid: "ObjectAccess", Effect: "Allow", Action: OBJECT_ACTIONS[args.access], Resource: objects },
      {
        Sid: "ArchiveKeyThroughS3",
        Effect: "Allow",
        Action: KMS_ACTIONS[args.access],
        Resource: args.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${args.region}.amazonaws.com` } },
      },
    ],
  };
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, string | string[]>;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * What a bucket policy can guard, per store (components/archive/providers.ts lists each store's guards):
 * - `deny-insecure-transport`: no request over plain HTTP (`aws:SecureTransport`).
 * - `deny-tls-below-1.2`: no TLS older than 1.2 (`s3:TlsVersion`, an AWS condition key; not declared where Strata
 *   cannot confirm the store evaluates it).
 * - `require-sse-kms`: no upload that asks for another algorithm or another KMS key.
 * - `deny-version-deletion`: nobody deletes an object version (`s3:DeleteObjectVersion`): overwritten and deleted
 *   objects stay recoverable until the lifecycle rule expires them, whoever holds the store's one key.
 * - `deny-governance-bypass`: nobody lifts a GOVERNANCE object lock early (`s3:BypassGovernanceRetention`).
 */
export type BucketGuard = "deny-insecure-transport" | "deny-tls-below-1.2" | "require-sse-kms" | "deny-version-deletion" | "deny-governance-bypass";

/**
 * The guard statements of one archive bucket, for the guards its store supports.
 *
 * The encryption statements use the IfExists operators on purpose. Requests without SSE headers are encrypted by
 * the bucket default (the same CMK, with a bucket key), so they are safe; and multipart UploadPart requests never
 * carry the headers, so a policy that demanded them would break every large upload.
 *
 * Every statement is a Deny for every principal: on a store where one access key serves every workload (Hetzner), a
 * policy cannot tell workloads apart, so it can only forbid what no workload ever needs.
 */
export function bucketGuardStatements(bucketArn: string, guards: readonly BucketGuard[], kmsKeyArn?: string): PolicyStatement[] {
  const everything = [bucketArn, `${bucketArn}/*`];
  const on = (g: BucketGuard) => guards.includes(g);
  const statements: PolicyStatement[] = [];
  if (on("deny-insecure-transport")) statements.push({ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: everything, Condition: { Bool: { "aws:SecureTransport": "false" } } });
  if (on("deny-tls-below-1.2")) statements.push({ Sid: "DenyTlsBelow12", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: everything, Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } });
  if (kmsKeyArn && on("require-sse-kms")) {
    statements.push(
      { Sid: "DenyUploadsWithoutSseKms", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${bucketArn}/*`, Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } } },
      { Sid: "DenyUploadsWithAnotherKey", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${bucketArn}/*`, Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn } } },
    );
  }
  if (on("deny-version-deletion")) statements.push({ Sid: "DenyVersionDeletion", Effect: "Deny", Principal: "*", Action: "s3:DeleteObjectVersion", Resource: `${bucketArn}/*` });
  if (on("deny-governance-bypass")) statements.push({ Sid: "DenyGovernanceBypass", Effect: "Deny", Principal: "*", Action: "s3:BypassGovernanceRetention", Resource: `${bucketArn}/*` });
  return statements;
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

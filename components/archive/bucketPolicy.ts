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
 * Guards every archive bucket: no plaintext transport, no TLS older than 1.2, and when the bucket is KMS-encrypted,
 * no upload that asks for another algorithm or another key.
 *
 * The encryption statements use the IfExists operators on purpose. Requests without SSE headers are encrypted by
 * the bucket default (the same CMK, with a bucket key), so they are safe; and multipart UploadPart requests never
 * carry the headers, so a policy that demanded them would break every large upload.
 */
export function bucketGuardStatements(bucketArn: string, kmsKeyArn?: string): PolicyStatement[] {
  const everything = [bucketArn, `${bucketArn}/*`];
  const statements: PolicyStatement[] = [
    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: everything, Condition: { Bool: { "aws:SecureTransport": "false" } } },
    { Sid: "DenyTlsBelow12", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: everything, Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
  ];
  if (kmsKeyArn) {
    statements.push(
      { Sid: "DenyUploadsWithoutSseKms", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${bucketArn}/*`, Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } } },
      { Sid: "DenyUploadsWithAnotherKey", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `${bucketArn}/*`, Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn } } },
    );
  }
  return statements;
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

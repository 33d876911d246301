// One S3 transfer with the AWS SDK for JavaScript v3, for bench/backup.sh's upload and download floors: the same bytes
// between a local file and the same S3 server as the AWS CLI moves them, so the floor is the faster of the two.
//   node bench/s3-floor.cjs upload   ENDPOINT BUCKET KEY FILE   multipart, several parts in flight (lib-storage)
//   node bench/s3-floor.cjs download ENDPOINT BUCKET KEY FILE   one GET streamed to the file
// Credentials and region come from the environment, as the CLI takes them.
"use strict";
const { createReadStream, createWriteStream } = require("node:fs");
const { pipeline } = require("node:stream/promises");
const { S3Client, GetObjectCommand } = require("@aws-sdk/client-s3");
const { Upload } = require("@aws-sdk/lib-storage");

const [mode, endpoint, bucket, key, file] = process.argv.slice(2);
if (!["upload", "download"].includes(mode ?? "") || !endpoint || !bucket || !key || !file) {
  console.error("usage: node bench/s3-floor.cjs upload|download ENDPOINT BUCKET KEY FILE");
  process.exit(64);
}
// Path-style and checksums only when required: what an S3-compatible store (s3rver here) needs.
const client = new S3Client({ endpoint, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });

async function main() {
  if (mode === "upload") {
    // 16 MiB parts, 4 in flight: what a pod with a 256 MiB limit can hold while it also compresses and hashes.
    await new Upload({ client, params: { Bucket: bucket, Key: key, Body: createReadStream(file) }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done();
  } else {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await pipeline(Body, createWriteStream(file));
  }
}
main().catch((error) => {
  console.error(`s3-floor ${mode}: ${error.message}`);
  process.exit(1);
});

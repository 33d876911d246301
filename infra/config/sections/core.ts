import { z } from "zod";

/** What "dev" and "prod" mean is defined once, in stacks/profiles.ts; a stack picks one and overrides what it must. */
export const PROFILES = ["dev", "prod"] as const;
export const CLOUDS = ["aws", "hcloud"] as const;

// AWS region names: two letters, optional -gov/-iso qualifiers, a direction word and a digit (e.g. eu-central-1).
export const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
// Hetzner Cloud locations that offer volumes.
export const HCLOUD_LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"] as const;
// DNS-1123 label, short enough to prefix resource names and bucket names with room for suffixes.
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,14}[a-z0-9]$/;
// AWS tag keys/values: the characters AWS accepts and its length limits.
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

export const coreSection = {
  profile: z
    .enum(PROFILES)
    .describe("Environment profile whose defaults this stack starts from (stacks/profiles.ts)."),
  environment: z
    .string()
    .regex(ENVIRONMENT_NAME, "must be 2-16 characters of lowercase letters, digits and '-', starting with a letter")
    .describe("Environment name used in resource names, tags and external labels."),
  cloud: z
    .enum(CLOUDS)
    .describe("Where the cluster runs: `aws` (EKS, EBS volumes, DLM snapshots) or `hcloud` (Hetzner volumes)."),
  region: z
    .string()
    .regex(AWS_REGION, "must be an AWS region name such as eu-central-1")
    .describe("AWS region of the S3 archive, KMS keys and (on `aws`) the EKS cluster."),
  hcloud: z
    .strictObject({
      location: z.enum(HCLOUD_LOCATIONS).describe("Hetzner location of the volumes Strata creates."),
    })
    .describe("Hetzner Cloud settings (used when `cloud` is `hcloud`)."),
  tags: z
    .record(z.string().regex(TAG_KEY, "must be a valid AWS tag key"), z.string().regex(TAG_VALUE, "must be a valid AWS tag value"))
    .describe("Extra tags applied to every AWS resource through the provider's default tags."),
  hcloudToken: z
    .string()
    .min(1)
    .optional()
    .describe("Secret. Hetzner Cloud API token; when unset the provider reads HCLOUD_TOKEN from the environment."),
};

/**
 * The region a stack's second copy goes to when the stack does not name one (cross-region snapshot copies and bucket
 * replication): the nearest region of the same jurisdiction, so data that must stay in the EU or the US does, and
 * every region's partner is a different region. A region not listed here has no default; its stack names the
 * second region itself (the config error says so).
 */
const PARTNER_REGIONS: Readonly<Record<string, string>> = {
  "eu-central-1": "eu-west-1",
  "eu-central-2": "eu-central-1",
  "eu-west-1": "eu-central-1",
  "eu-west-2": "eu-west-1",
  "eu-west-3": "eu-central-1",
  "eu-north-1": "eu-central-1",
  "eu-south-1": "eu-central-1",
  "eu-south-2": "eu-west-3",
  "us-east-1": "us-west-2",
  "us-east-2": "us-west-2",
  "us-west-1": "us-east-1",
  "us-west-2": "us-east-1",
  "ca-central-1": "ca-west-1",
  "ca-west-1": "ca-central-1",
  "ap-northeast-1": "ap-northeast-3",
  "ap-northeast-2": "ap-northeast-1",
  "ap-northeast-3": "ap-northeast-1",
  "ap-southeast-1": "ap-southeast-2",
  "ap-southeast-2": "ap-southeast-1",
  "ap-south-1": "ap-south-2",
  "ap-south-2": "ap-south-1",
};

export function partnerRegion(region: string): string | undefined {
  return PARTNER_REGIONS[region];
}

import type { ArchiveStorageClass } from "../../components/archive/storageClasses";

/**
 * The one price table every cost in the capacity plan comes from. List prices, storage only (no requests,
 * retrievals, transitions, Intelligent-Tiering monitoring fees or data transfer): the plan compares tiers, it is not
 * an invoice. Prices are per GiB-month, which is what AWS bills as "GB-month" and Hetzner as "GB/month".
 *
 * Source and date: https://aws.amazon.com/s3/pricing/ and https://aws.amazon.com/ebs/pricing/ (Europe (Frankfurt),
 * eu-central-1, first 50 TB tier) and https://www.hetzner.com/cloud/ (Volumes, fsn1, net of VAT), as published in
 * June 2025. They were transcribed, not fetched at build time: check them against the pages before quoting a
 * budget, and change them here only, with the date.
 */
export const PRICE_TABLE = {
  source: "https://aws.amazon.com/s3/pricing/ + https://aws.amazon.com/ebs/pricing/ (eu-central-1), https://www.hetzner.com/cloud/ (fsn1)",
  date: "2025-06",
  region: "eu-central-1",
  hcloudLocation: "fsn1",
  perGiBMonth: {
    "ebs-gp3": { price: 0.0952, currency: "USD" },
    "hcloud-volume": { price: 0.044, currency: "EUR" },
    STANDARD: { price: 0.0245, currency: "USD" },
    STANDARD_IA: { price: 0.0135, currency: "USD" },
    // Priced at the Frequent Access tier: objects the store gateway and Loki read stay there, so this is the upper
    // bound; rarely read objects move to 0.0135 (after 30 days) and 0.005 (after 90 days) on their own.
    INTELLIGENT_TIERING: { price: 0.0245, currency: "USD" },
    GLACIER_IR: { price: 0.005, currency: "USD" },
    GLACIER: { price: 0.0045, currency: "USD" },
    DEEP_ARCHIVE: { price: 0.0018, currency: "USD" },
  },
} as const satisfies {
  source: string;
  date: string;
  region: string;
  hcloudLocation: string;
  perGiBMonth: Record<Medium, { price: number; currency: Currency }>;
};

export type Currency = "USD" | "EUR";
/** Where bytes live: a block volume or an S3 storage class. */
export type Medium = "ebs-gp3" | "hcloud-volume" | "STANDARD" | ArchiveStorageClass;

export function monthlyCost(medium: Medium, gib: number): { amount: number; currency: Currency } {
  const { price, currency } = PRICE_TABLE.perGiBMonth[medium];
  return { amount: gib * price, currency };
}

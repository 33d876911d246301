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
  perGiBMonth: Record<Exclude<Medium, "hetzner-object-storage" | "s3-compatible">, { price: number; currency: Currency }>;
};

export type Currency = "USD" | "EUR";
/**
 * Where bytes live: a block volume, an S3 storage class, Hetzner Object Storage (one class, account-wide pricing,
 * HETZNER_OBJECT_STORAGE) or another S3-compatible store (whose price Strata does not know).
 */
export type Medium = "ebs-gp3" | "hcloud-volume" | "STANDARD" | ArchiveStorageClass | "hetzner-object-storage" | "s3-compatible";

/**
 * Hetzner Object Storage, as Hetzner's overview page states it (https://docs.hetzner.com/storage/object-storage/overview,
 * "Last change on 2024-12-06", read 2026-12-05; EUR, the page's asterisked list prices, VAT not added): a base price
 * of at most EUR 5.00 a month, billed per hour up to that cap, per account however many buckets, which includes
 * 1 TB of storage ("max. 744 TB-h") and 1 TB of traffic a month; storage above it costs EUR 0.0067 per TB-hour.
 * Traffic above the included TB is not estimated here (nor is any transfer on AWS). TB is taken as 10^12 bytes.
 * Transcribed, not fetched: check the page before quoting a budget, and change it here only, with the date.
 */
export const HETZNER_OBJECT_STORAGE = {
  source: "https://docs.hetzner.com/storage/object-storage/overview",
  date: "2024-12-06",
  currency: "EUR",
  basePerMonth: 5.0,
  includedStorageTB: 1,
  includedTrafficTB: 1,
  hoursPerMonth: 744,
  perTBHour: 0.0067,
} as const satisfies { currency: Currency } & Record<string, unknown>;

const BYTES_PER_TB = 1e12;
const GIB_BYTES = 1024 ** 3;

/** One month of Hetzner Object Storage for this many GiB stored all month: the base price, and storage above the included TB. */
export function hetznerObjectStorageMonthly(storedGiB: number): { base: number; overage: number; total: number; currency: "EUR" } {
  const h = HETZNER_OBJECT_STORAGE;
  const tb = (storedGiB * GIB_BYTES) / BYTES_PER_TB;
  const overage = Math.max(0, tb - h.includedStorageTB) * h.hoursPerMonth * h.perTBHour;
  return { base: h.basePerMonth, overage, total: h.basePerMonth + overage, currency: h.currency };
}

/** The included TB in GiB, as the base-price row shows it. */
export const HETZNER_INCLUDED_GIB = (HETZNER_OBJECT_STORAGE.includedStorageTB * BYTES_PER_TB) / GIB_BYTES;

export function monthlyCost(medium: Medium, gib: number): { amount: number; currency: Currency } {
  // Account-wide prices have no per-GiB figure: the capacity plan prices those rows together (infra/capacity/plan.ts).
  if (medium === "hetzner-object-storage") return { amount: 0, currency: HETZNER_OBJECT_STORAGE.currency };
  if (medium === "s3-compatible") return { amount: 0, currency: "EUR" };
  const { price, currency } = PRICE_TABLE.perGiBMonth[medium];
  return { amount: gib * price, currency };
}

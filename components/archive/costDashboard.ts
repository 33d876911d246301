/**
 * The Grafana dashboard of the archive's storage and what it costs (seed 004: "S3 storage capacity/cost dashboard"),
 * as plain JSON for the Grafana dashboard sidecar. Bytes and objects per bucket and storage type come from S3's daily
 * storage metrics through Grafana's CloudWatch datasource (aws only: Hetzner Object Storage publishes no such
 * metrics); the monthly cost is computed from those bytes with the capacity plan's own price table
 * (infra/capacity/prices.ts), and shown beside the plan's estimate for the same bucket.
 */
import type { ArchiveStorageClass, BucketPurpose } from "./storageClasses";
import { GRAFANA_DASHBOARD_LABEL } from "../backup/dashboard";
import { BACKUP_METRICS } from "../backup/metrics";

export const ARCHIVE_COST_DASHBOARD_UID = "strata-archive-cost";
export const ARCHIVE_COST_DASHBOARD_FILE = "strata-archive-cost.json";
export const CLOUDWATCH_DATASOURCE_UID = "strata-cloudwatch";

/**
 * S3's daily storage metrics in CloudWatch (namespace AWS/S3, one datapoint a day, dimensions BucketName and
 * StorageType), as the S3 user guide lists them ("Amazon S3 daily storage metrics for buckets in CloudWatch",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html). NumberOfObjects has only
 * `AllStorageTypes`.
 */
export const S3_DAILY_STORAGE_METRICS = {
  namespace: "AWS/S3",
  periodSeconds: 86400,
  metrics: {
    BucketSizeBytes: { unit: "bytes", dimensions: ["BucketName", "StorageType"] },
    NumberOfObjects: { unit: "count", dimensions: ["BucketName", "StorageType"] },
  },
  numberOfObjectsStorageType: "AllStorageTypes",
} as const;

/**
 * The BucketSizeBytes StorageType values of each storage class a Strata bucket can hold (STANDARD, and the classes
 * its lifecycle rules may transition to), from the same page. The overheads are billed at the class's rate, so they
 * are priced with it. Typed over every class, so a class added to ARCHIVE_STORAGE_CLASSES has to say where its bytes
 * appear.
 */
export const STORAGE_TYPES_OF_CLASS: Record<"STANDARD" | ArchiveStorageClass, readonly string[]> = {
  STANDARD: ["StandardStorage"],
  STANDARD_IA: ["StandardIAStorage", "StandardIASizeOverhead", "StandardIAObjectOverhead"],
  INTELLIGENT_TIERING: ["IntelligentTieringFAStorage", "IntelligentTieringIAStorage", "IntelligentTieringAIAStorage", "IntelligentTieringAAStorage", "IntelligentTieringDAAStorage"],
  GLACIER_IR: ["GlacierInstantRetrievalStorage", "GlacierInstantRetrievalSizeOverhead"],
  GLACIER: ["GlacierStorage", "GlacierStagingStorage", "GlacierObjectOverhead", "GlacierS3ObjectOverhead"],
  DEEP_ARCHIVE: ["DeepArchiveStorage", "DeepArchiveStagingStorage", "DeepArchiveObjectOverhead", "DeepArchiveS3ObjectOverhead"],
};

/** List prices per GiB-month of the S3 classes, with where and when they were read (the capacity plan's table). */
export interface ArchivePrices {
  region: string;
  date: string;
  perGiBMonth: Record<"STANDARD" | ArchiveStorageClass, { price: number; currency: string }>;
}

export interface ArchiveCostDashboardInput {
  region: string;
  /** The prices the capacity plan estimates with, so the measured cost and the estimate beside it compare. */
  prices: ArchivePrices;
  buckets: { purpose: BucketPurpose; name: string; estimate: { monthly: number; currency: string; gib: number } }[];
}

const DS = { type: "cloudwatch", uid: CLOUDWATCH_DATASOURCE_UID } as const;
type GridPos = { h: number; w: number; x: number; y: number };
const GiB = 1024 ** 3;

/** One CloudWatch metric query (Grafana's "Metric search" mode). */
function metricQuery(refId: string, metricName: keyof typeof S3_DAILY_STORAGE_METRICS.metrics, bucket: string, storageType: string, region: string, hide = false) {
  return {
    refId,
    datasource: DS,
    queryMode: "Metrics",
    metricQueryType: 0,
    metricEditorMode: 0,
    region,
    namespace: S3_DAILY_STORAGE_METRICS.namespace,
    metricName,
    dimensions: { BucketName: bucket, StorageType: storageType },
    matchExact: true,
    statistic: "Average",
    period: String(S3_DAILY_STORAGE_METRICS.periodSeconds),
    id: refId.toLowerCase(),
    label: storageType,
    hide,
  };
}

/** The price per GiB-month of a storage class. */
export const pricePerGiBMonth = (prices: ArchivePrices, cls: "STANDARD" | ArchiveStorageClass) => prices.perGiBMonth[cls];

export function buildArchiveCostDashboard(input: ArchiveCostDashboardInput) {
  let id = 0;
  const panels: Record<string, unknown>[] = [];
  let y = 0;
  const panel = (type: string, title: string, gridPos: GridPos, targets: unknown[], extra: Record<string, unknown> = {}) => ({ id: ++id, type, title, datasource: DS, gridPos, targets, ...extra });
  const classes = Object.keys(STORAGE_TYPES_OF_CLASS) as ("STANDARD" | ArchiveStorageClass)[];

  for (const b of input.buckets) {
    panels.push({ id: ++id, type: "row", title: `${b.purpose} bucket: ${b.name}`, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    const sizeQueries = classes.flatMap((cls) => STORAGE_TYPES_OF_CLASS[cls].map((t) => ({ cls, t })));
    panels.push(
      panel(
        "timeseries",
        `Bytes by storage type: ${b.purpose}`,
        { h: 8, w: 9, x: 0, y },
        sizeQueries.map(({ t }, i) => metricQuery(`B${i}`, "BucketSizeBytes", b.name, t, input.region)),
        { description: "S3 daily storage metrics (one datapoint a day, about a day late).", fieldConfig: { defaults: { unit: "bytes", custom: { drawStyle: "line", lineInterpolation: "stepAfter", stacking: { mode: "normal" } } }, overrides: [] } },
      ),
    );
    panels.push(
      panel("timeseries", `Objects: ${b.purpose}`, { h: 8, w: 5, x: 9, y }, [metricQuery("O", "NumberOfObjects", b.name, S3_DAILY_STORAGE_METRICS.numberOfObjectsStorageType, input.region)], {
        fieldConfig: { defaults: { unit: "short", custom: { drawStyle: "line", lineInterpolation: "stepAfter" } }, overrides: [] },
      }),
    );
    // Cost: each storage type's bytes (hidden queries) times its class's price, summed in CloudWatch metric math. A
    // type with no bytes has no datapoints: FILL makes it 0 instead of emptying the sum.
    const terms = sizeQueries.map(({ cls }, i) => `FILL(c${i}, 0) * ${pricePerGiBMonth(input.prices, cls).price}`);
    const currency = pricePerGiBMonth(input.prices, "STANDARD").currency;
    panels.push(
      panel(
        "stat",
        `Monthly storage cost, measured: ${b.purpose}`,
        { h: 8, w: 5, x: 14, y },
        [
          ...sizeQueries.map(({ t }, i) => ({ ...metricQuery(`C${i}`, "BucketSizeBytes", b.name, t, input.region, true), id: `c${i}` })),
          { refId: "COST", datasource: DS, queryMode: "Metrics", metricQueryType: 0, metricEditorMode: 1, region: input.region, id: "cost", expression: `(${terms.join(" + ")}) / ${GiB}`, label: `${currency}/month`, period: String(S3_DAILY_STORAGE_METRICS.periodSeconds), hide: false },
        ],
        {
          description: `Today's bytes per storage type x the capacity plan's list price per GiB-month (${input.prices.region}, ${input.prices.date}; storage only, no requests or retrievals; Intelligent-Tiering at its Frequent Access price, an upper bound).`,
          fieldConfig: { defaults: { unit: `currency${currency}`, decimals: 2 }, overrides: [] },
          options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "none", graphMode: "area", textMode: "value" },
        },
      ),
    );
    panels.push({
      id: ++id,
      type: "text",
      title: `Monthly storage cost, estimated: ${b.purpose}`,
      gridPos: { h: 8, w: 5, x: 19, y },
      description: "The capacity plan's estimate for this bucket (infra/capacity/plan.ts, from strata:capacity): what the measured cost beside it should come close to.",
      options: {
        mode: "markdown",
        content: `## ${b.estimate.monthly.toFixed(2)} ${b.estimate.currency}/month\n\n${b.estimate.gib.toFixed(1)} GiB, the capacity plan's estimate at the same prices (${input.prices.region}, ${input.prices.date}).`,
      },
    });
    y += 8;
  }

  return dashboardEnvelope(panels, []);
}

/** The dashboard around its panels: one uid and title whichever store the archive is on. */
function dashboardEnvelope(panels: Record<string, unknown>[], variables: Record<string, unknown>[]) {
  return {
    uid: ARCHIVE_COST_DASHBOARD_UID,
    title: "Strata / Archive storage and cost",
    tags: ["strata", "archive", "cost"],
    schemaVersion: 39,
    version: 1,
    editable: false,
    timezone: "utc",
    refresh: "1h",
    time: { from: "now-30d", to: "now" },
    templating: { list: variables },
    annotations: { list: [] },
    panels,
  };
}

export type ArchiveCostDashboard = ReturnType<typeof buildArchiveCostDashboard>;

/** What the dashboard shows on a store that publishes no storage metrics (Hetzner Object Storage, another S3-compatible store). */
export interface ArchiveEstimateDashboardInput {
  /** `archive.provider`, named in the panels. */
  provider: string;
  buckets: { purpose: BucketPurpose; name: string; estimate: { monthly: number; currency: string; gib: number } }[];
  /** What the store charges per account whatever the buckets (Hetzner's base price), if it does. */
  accountCharge?: { monthly: number; currency: string; what: string };
  /** Where the prices come from, or why there are none. */
  pricesFrom: string;
}

/**
 * The same dashboard (same uid and file) on a store without storage metrics: it says what it cannot read there and
 * shows what there is instead: the capacity plan's estimate per bucket and, measured, the size of each backup
 * target's latest object as its backup job pushes it (strata_backup_size_bytes, the only archive bytes anything
 * measures there). It reads Prometheus/Thanos, never CloudWatch, so it needs no AWS identity.
 */
export function buildArchiveEstimateDashboard(input: ArchiveEstimateDashboardInput) {
  let id = 0;
  let y = 0;
  const promDs = { type: "prometheus", uid: "${datasource}" } as const;
  const text = (title: string, gridPos: GridPos, content: string, description?: string) => ({ id: ++id, type: "text", title, gridPos, ...(description ? { description } : {}), options: { mode: "markdown", content } });
  const panels: Record<string, unknown>[] = [];
  panels.push(
    text(
      "What this dashboard cannot read here",
      { h: 5, w: 24, x: 0, y },
      `archive.provider \`${input.provider}\` publishes no storage metrics (there is no CloudWatch): the bytes, object counts and measured cost per bucket that this dashboard shows on AWS cannot be read here. ` +
        `Shown instead: the capacity plan's estimate per bucket (from strata:capacity, not measured) and the size of each backup's latest object as its job pushes it. ` +
        `For the real bytes, list the bucket (\`aws s3 ls --summarize --recursive s3://<bucket> --endpoint-url <endpoint>\`) or read the store's console.`,
    ),
  );
  y += 5;
  const w = Math.max(4, Math.floor(24 / Math.max(1, input.buckets.length + (input.accountCharge ? 1 : 0))));
  let x = 0;
  for (const b of input.buckets) {
    panels.push(
      text(
        `Monthly storage cost, estimated (not measured): ${b.purpose}`,
        { h: 6, w, x, y },
        `## ${b.estimate.monthly.toFixed(2)} ${b.estimate.currency}/month\n\n${b.estimate.gib.toFixed(1)} GiB in \`${b.name}\`, the capacity plan's estimate (${input.pricesFrom}). Not measured: the store publishes no storage metrics.`,
      ),
    );
    x += w;
  }
  if (input.accountCharge) {
    panels.push(text("Per account, whatever the buckets", { h: 6, w, x, y }, `## ${input.accountCharge.monthly.toFixed(2)} ${input.accountCharge.currency}/month\n\n${input.accountCharge.what}`));
  }
  y += 6;
  panels.push({
    id: ++id,
    type: "timeseries",
    title: "Latest backup object per target, measured (pushed by each backup job)",
    datasource: promDs,
    gridPos: { h: 8, w: 24, x: 0, y },
    description: `${BACKUP_METRICS.size}: the size of the last object each backup job uploaded. One copy, not the bucket: the bucket holds every copy the retention keeps.`,
    targets: [{ datasource: promDs, expr: `max by (kind, target) (${BACKUP_METRICS.size})`, legendFormat: "{{target}} ({{kind}})", refId: "A" }],
    fieldConfig: { defaults: { unit: "bytes" }, overrides: [] },
  });
  return dashboardEnvelope(panels, [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0, refresh: 1, regex: "" }]);
}

/** The ConfigMap of the estimate-only dashboard. */
export function buildArchiveEstimateDashboardConfigMap<Namespace = string>(input: ArchiveEstimateDashboardInput & DashboardPlace<Namespace>) {
  return dashboardConfigMap(input, buildArchiveEstimateDashboard(input));
}

/** The ConfigMap the Grafana sidecar loads the dashboard from, as plain data. */
export function buildArchiveCostDashboardConfigMap<Namespace = string>(input: ArchiveCostDashboardInput & DashboardPlace<Namespace>) {
  return dashboardConfigMap(input, buildArchiveCostDashboard(input));
}

interface DashboardPlace<Namespace> {
  name: string;
  namespace: Namespace;
  labels: Record<string, string>;
}

function dashboardConfigMap<Namespace>(place: DashboardPlace<Namespace>, dashboard: unknown) {
  return {
    apiVersion: "v1" as const,
    kind: "ConfigMap" as const,
    metadata: { name: place.name, namespace: place.namespace, labels: { ...place.labels, ...GRAFANA_DASHBOARD_LABEL } },
    data: { [ARCHIVE_COST_DASHBOARD_FILE]: JSON.stringify(dashboard, null, 2) },
  };
}

/** The CloudWatch datasource, authenticated as Grafana's own workload identity (the AWS SDK's default chain). */
export const cloudwatchDatasource = (region: string) => ({
  name: "CloudWatch",
  type: "cloudwatch",
  uid: CLOUDWATCH_DATASOURCE_UID,
  access: "proxy",
  isDefault: false,
  jsonData: { authType: "default", defaultRegion: region },
});

/**
 * What Grafana's identity may do: read metrics, nothing else. CloudWatch's read actions take no resource ARNs (the
 * service authorises them account-wide), hence `*`; no write, alarm or log action is granted.
 */
export const CLOUDWATCH_READ_ACTIONS = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:GetMetricStatistics"] as const;
export const cloudwatchReadPolicy = () => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "ReadS3StorageMetrics", Effect: "Allow", Action: [...CLOUDWATCH_READ_ACTIONS], Resource: "*" }] });

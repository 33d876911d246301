import { describe, expect, it } from "vitest";
import {
  ARCHIVE_COST_DASHBOARD_FILE,
  ARCHIVE_COST_DASHBOARD_UID,
  buildArchiveCostDashboard,
  CLOUDWATCH_DATASOURCE_UID,
  CLOUDWATCH_READ_ACTIONS,
  pricePerGiBMonth,
  S3_DAILY_STORAGE_METRICS,
  STORAGE_TYPES_OF_CLASS,
} from "../../components/archive/costDashboard";
import { ARCHIVE_STORAGE_CLASS_NAMES } from "../../components/archive/storageClasses";
import { PRICE_TABLE } from "../../infra/capacity/prices";
import { bucketEstimate } from "../../infra/areas/archiveCost";
import { plan, resourcesOfType } from "../helpers/plan";

type Any = Record<string, any>;

/**
 * Every StorageType value S3 reports for BucketSizeBytes and NumberOfObjects, as the S3 user guide lists them
 * ("Amazon S3 daily storage metrics for buckets in CloudWatch", metrics-dimensions.html). The dashboard may query
 * only these: a misspelt type returns no data, silently.
 */
const DOCUMENTED_STORAGE_TYPES = new Set([
  "StandardStorage",
  "IntelligentTieringFAStorage",
  "IntelligentTieringIAStorage",
  "IntelligentTieringAAStorage",
  "IntelligentTieringAIAStorage",
  "IntelligentTieringDAAStorage",
  "StandardIAStorage",
  "StandardIASizeOverhead",
  "StandardIAObjectOverhead",
  "OneZoneIAStorage",
  "OneZoneIASizeOverhead",
  "ReducedRedundancyStorage",
  "GlacierInstantRetrievalSizeOverhead",
  "GlacierInstantRetrievalStorage",
  "GlacierStorage",
  "GlacierStagingStorage",
  "GlacierObjectOverhead",
  "GlacierS3ObjectOverhead",
  "DeepArchiveStorage",
  "DeepArchiveObjectOverhead",
  "DeepArchiveS3ObjectOverhead",
  "DeepArchiveStagingStorage",
  "AllStorageTypes",
]);

const INPUT = {
  region: "eu-central-1",
  prices: PRICE_TABLE,
  buckets: [
    { purpose: "backups" as const, name: "strata-prod-backups-1a2b", estimate: { monthly: 12.5, currency: "USD", gib: 700 } },
    { purpose: "logs" as const, name: "strata-prod-logs-3c4d", estimate: { monthly: 40, currency: "USD", gib: 1600 } },
  ],
};
const dashboard = buildArchiveCostDashboard(INPUT);
const panels = dashboard.panels as Any[];
const queries = panels.flatMap((p) => (p.targets ?? []) as Any[]);

describe("the archive cost dashboard", () => {
  it("is deterministic JSON with a stable uid and unique panel ids", () => {
    const text = JSON.stringify(dashboard);
    expect(JSON.stringify(buildArchiveCostDashboard(INPUT))).toBe(text);
    expect(dashboard.uid).toBe(ARCHIVE_COST_DASHBOARD_UID);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("queries only S3's documented daily storage metrics, with both documented dimensions and a documented StorageType", () => {
    const metricQueries = queries.filter((q) => q.metricEditorMode === 0);
    expect(metricQueries.length).toBeGreaterThan(0);
    for (const q of metricQueries) {
      expect(q.datasource).toEqual({ type: "cloudwatch", uid: CLOUDWATCH_DATASOURCE_UID });
      expect(q.namespace).toBe("AWS/S3");
      expect(Object.keys(S3_DAILY_STORAGE_METRICS.metrics)).toContain(q.metricName);
      expect(Object.keys(q.dimensions).sort()).toEqual(["BucketName", "StorageType"]);
      expect(DOCUMENTED_STORAGE_TYPES.has(q.dimensions.StorageType), q.dimensions.StorageType).toBe(true);
      if (q.metricName === "NumberOfObjects") expect(q.dimensions.StorageType).toBe("AllStorageTypes");
      expect(q.period).toBe("86400");
      expect(INPUT.buckets.map((b) => b.name)).toContain(q.dimensions.BucketName);
    }
  });

  it("knows where the bytes of every class a Strata bucket can hold appear, and prices each from the capacity plan's table", () => {
    for (const cls of ["STANDARD", ...ARCHIVE_STORAGE_CLASS_NAMES] as const) {
      expect(STORAGE_TYPES_OF_CLASS[cls].length, cls).toBeGreaterThan(0);
      for (const t of STORAGE_TYPES_OF_CLASS[cls]) expect(DOCUMENTED_STORAGE_TYPES.has(t), t).toBe(true);
      expect(pricePerGiBMonth(INPUT.prices, cls)).toEqual(PRICE_TABLE.perGiBMonth[cls]);
    }
  });

  it("computes each bucket's measured cost as bytes per type x that class's price, over the same queries it sums", () => {
    for (const b of INPUT.buckets) {
      const stat = panels.find((p) => p.title === `Monthly storage cost, measured: ${b.purpose}`)!;
      const cost = stat.targets.find((t: Any) => t.refId === "COST");
      const hidden = stat.targets.filter((t: Any) => t.refId !== "COST");
      expect(hidden.every((t: Any) => t.hide === true && t.dimensions.BucketName === b.name)).toBe(true);
      const terms = [...cost.expression.matchAll(/FILL\((c\d+), 0\) \* ([0-9.]+)/g)];
      expect(terms.map((m) => m[1]).sort()).toEqual(hidden.map((t: Any) => t.id).sort());
      for (const [, id, price] of terms) {
        const type = hidden.find((t: Any) => t.id === id).dimensions.StorageType;
        const cls = (Object.keys(STORAGE_TYPES_OF_CLASS) as (keyof typeof STORAGE_TYPES_OF_CLASS)[]).find((c) => STORAGE_TYPES_OF_CLASS[c].includes(type))!;
        expect(Number(price), type).toBe(PRICE_TABLE.perGiBMonth[cls].price);
      }
      expect(cost.expression).toMatch(/\) \/ 1073741824$/);
      const estimate = panels.find((p) => p.title === `Monthly storage cost, estimated: ${b.purpose}`)!;
      expect(estimate.gridPos.y).toBe(stat.gridPos.y);
      expect(estimate.options.content).toContain(`${b.estimate.monthly.toFixed(2)} USD/month`);
    }
  });
});

describe("the archive cost view in the plans", () => {
  it("prod (aws): Grafana's own identity may only read CloudWatch metrics; the datasource and the dashboard are deployed", async () => {
    const p = await plan("prod");
    const policy = JSON.parse(resourcesOfType(p, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "grafana")!.inputs.policy as string);
    expect(policy.Statement).toEqual([{ Sid: "ReadS3StorageMetrics", Effect: "Allow", Action: [...CLOUDWATCH_READ_ACTIONS], Resource: "*" }]);
    for (const a of policy.Statement[0].Action) expect(a).toMatch(/^cloudwatch:(Get|List)/);
    const kps = resourcesOfType(p, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "kube-prometheus-stack")!;
    const grafana = (typeof kps.inputs.values === "string" ? JSON.parse(kps.inputs.values) : kps.inputs.values).grafana as Any;
    expect(grafana.serviceAccount).toEqual({ create: false, name: "strata-grafana" });
    expect(grafana.additionalDataSources).toContainEqual(expect.objectContaining({ type: "cloudwatch", uid: CLOUDWATCH_DATASOURCE_UID, jsonData: { authType: "default", defaultRegion: "eu-central-1" } }));
    const cm = resourcesOfType(p, "kubernetes:core/v1:ConfigMap").find((r) => r.name === "archive-cost-dashboard")!;
    expect((cm.inputs.metadata as Any).labels).toMatchObject({ grafana_dashboard: "1" });
    const json = JSON.parse((cm.inputs.data as Any)[ARCHIVE_COST_DASHBOARD_FILE]);
    const purposes = json.panels.filter((x: Any) => x.type === "row").map((x: Any) => x.title.split(" ")[0]);
    expect(purposes).toEqual(["backups", "logs", "metrics"]);
    const capacity = p.outputs.capacity as Parameters<typeof bucketEstimate>[0];
    const backupsEstimate = json.panels.find((x: Any) => x.title === "Monthly storage cost, estimated: backups");
    expect(backupsEstimate.options.content).toContain(`${bucketEstimate(capacity, "backups").monthly.toFixed(2)} USD/month`);
  }, 120_000);

  it("dev (hcloud): no CloudWatch, no Grafana identity, no cost dashboard", async () => {
    const p = await plan("dev");
    expect(resourcesOfType(p, "kubernetes:core/v1:ConfigMap").some((r) => r.name === "archive-cost-dashboard")).toBe(false);
    expect(p.resources.some((r) => r.type === "strata:identity:WorkloadIdentity" && r.name === "grafana")).toBe(false);
  }, 120_000);
});

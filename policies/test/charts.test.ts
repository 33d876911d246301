// The Helm-values stack policies on both Thanos charts still in the running (shared/charts): thanos-community 0.38.0
// and stevehipwell 1.24.1. These releases are not in the plan yet, so the cases are synthetic.
import { describe, expect, it } from "vitest";
import { policyConfig } from "../core/evaluate";
import type { StrataResource } from "../core/types";
import { helmImages } from "../core/util";
import { POLICIES } from "../rules";
import { backup, bucket, cleanupRule, drill, fullBucket, kps, lifecycle, loki, prometheusRule, thanosCommunity, thanosStevehipwell } from "./helpers/cases";

function run(name: string, resources: StrataResource[]) {
  const policy = POLICIES.find((p) => p.name === name)!;
  if (policy.kind !== "stack") throw new Error(`${name} is not a stack policy`);
  return policy.validate(resources, { mode: "plan", config: policyConfig(policy, {}) }).map((v) => v.message);
}

const withExpiration = (days: number) => [bucket(), lifecycle([cleanupRule, { id: "safety-net", status: "Enabled", filter: {}, expiration: { days } }])];

describe.each([
  ["thanos-community", thanosCommunity],
  ["stevehipwell", thanosStevehipwell],
] as const)("with the %s Thanos chart", (flavour, thanos) => {
  it("dedups on Prometheus's default replica label when Query lists it", () => {
    expect(run("strata-thanos-require-replica-dedup", [kps(), thanos()])).toEqual([]);
  });

  it("flags a Query that dedups on other labels than Prometheus's", () => {
    const values = flavour === "stevehipwell" ? { additionalReplicaLabels: ["replica"] } : { query: { replicaLabels: ["replica"] } };
    expect(run("strata-thanos-require-replica-dedup", [kps(), thanos(values)]).join()).toMatch(new RegExp(`${flavour} chart.*not on kube-prometheus-stack's replica label prometheus_replica`));
  });

  it("accepts a replica label given as --query.replica-label in query.extraArgs", () => {
    const values = flavour === "stevehipwell" ? { additionalReplicaLabels: [], query: { extraArgs: ["--query.replica-label=prometheus_replica"] } } : { query: { replicaLabels: [], extraArgs: ["--query.replica-label", "prometheus_replica"] } };
    expect(run("strata-thanos-require-replica-dedup", [kps(), thanos(values)])).toEqual([]);
  });

  it("runs exactly one compactor, and two Thanos releases with one each are two", () => {
    expect(run("strata-thanos-require-single-compactor", [thanos()])).toEqual([]);
    expect(run("strata-thanos-require-single-compactor", [thanos(), { ...thanos(), name: "thanos-2", urn: "urn:thanos-2" }]).join()).toMatch(/runs 2 Thanos compactor/);
  });

  it("orders Prometheus <= raw <= 5m <= 1h and keeps the metrics bucket's expiration later than the compactor's", () => {
    expect(run("strata-retention-require-ordering", [kps(), thanos(), ...withExpiration(760)])).toEqual([]);
    expect(run("strata-retention-require-ordering", [kps(), thanos(), ...withExpiration(700)]).join()).toMatch(/expires objects after 700d, not later than the Thanos compactor retention \(730d\)/);
  });
});

describe("chart defaults", () => {
  it("thanos-community runs a compactor unless disabled; stevehipwell only when enabled", () => {
    expect(run("strata-thanos-require-single-compactor", [thanosCommunity({ compactor: undefined })])).toEqual([]);
    expect(run("strata-thanos-require-single-compactor", [thanosCommunity({ compactor: { enabled: false } })]).join()).toMatch(/0 Thanos compactor/);
    expect(run("strata-thanos-require-single-compactor", [thanosStevehipwell({ compact: undefined })]).join()).toMatch(/0 Thanos compactor/);
  });

  it("recognises a chart by its repository before its value keys, and flags a Thanos chart it does not know", () => {
    const bitnami: StrataResource = { ...thanosCommunity(), props: { chart: "oci://registry-1.docker.io/bitnamicharts/thanos", version: "17.6.0", values: { compactor: { enabled: true } } } };
    expect(run("strata-thanos-require-single-compactor", [bitnami]).join()).toMatch(/does not know .*add it to THANOS_CHARTS/);
    const local: StrataResource = { ...thanosStevehipwell(), props: { chart: "./charts/thanos", values: { compact: { enabled: true } } } };
    expect(run("strata-thanos-require-single-compactor", [local])).toEqual([]);
  });

  it("thanos-community's default retention (30d/90d/365d) applies when values do not set it", () => {
    expect(run("strata-retention-require-ordering", [kps({ retention: "60d" }), thanosCommunity({ compactor: {} })]).join()).toMatch(/60d exceeds Thanos raw retention 30d/);
  });

  it("a compactor without retention keeps blocks forever: any S3 expiration on the metrics bucket loses data", () => {
    expect(run("strata-retention-require-ordering", [thanosStevehipwell({ compact: { enabled: true } }), ...withExpiration(3650)]).join()).toMatch(/not later than the Thanos compactor retention \(forever\)/);
  });

  it("kube-prometheus-stack's replica label is prometheus_replica unless renamed; clearing it on HA Prometheus is flagged", () => {
    expect(run("strata-thanos-require-replica-dedup", [kps({ replicaExternalLabelNameClear: true }), thanosCommunity()]).join()).toMatch(/replicaExternalLabelNameClear/);
  });

  it("Loki's retention bounds the logs bucket's expiration", () => {
    const logs = [bucket({ "strata:purpose": "logs" }), lifecycle([cleanupRule, { id: "safety-net", status: "Enabled", filter: {}, expiration: { days: 60 } }])];
    expect(run("strata-retention-require-ordering", [loki("720h"), ...logs])).toEqual([]);
    expect(run("strata-retention-require-ordering", [loki("1440h"), ...logs]).join()).toMatch(/logs bucket metrics expires objects after 60d, not later than the Loki retention \(60d\)/);
  });

  it("checks nothing about buckets whose component is not deployed yet", () => {
    expect(run("strata-retention-require-ordering", fullBucket())).toEqual([]);
  });

  it("finds images in Helm values as strings and as registry/repository/tag/digest objects", () => {
    const found = helmImages({
      a: { image: "quay.io/x/y:v1" },
      b: { image: { registry: "quay.io", repository: "x/z", tag: "" } },
      c: [{ image: { repository: "x/d", digest: `sha256:${"0".repeat(64)}` } }],
      d: { image: "busybox" },
      e: { image: `docker.io/library/rabbitmq:3.13@sha256:${"a".repeat(64)}` },
      f: { image: `docker.io/library/rabbitmq@sha256:${"b".repeat(64)}` },
      g: { image: "docker.io/library/rabbitmq@sha256:abc" },
      h: { image: { repository: "x/e", tag: "1.2", digest: "sha256:short" } },
    });
    expect(found.map((f) => [f.path, f.problem ?? "ok"])).toEqual([
      ["a.image", "ok"],
      ["b.image", "image quay.io/x/z has no tag"],
      ["c[0].image", "ok"],
      ["d.image", 'image "busybox" has no tag'],
      ["e.image", "ok"],
      ["f.image", "ok"],
      ["g.image", 'image "docker.io/library/rabbitmq@sha256:abc" has a digest that is not sha256:<64 hex digits>'],
      ["h.image", "image x/e has a digest that is not sha256:<64 hex digits>"],
    ]);
  });
});

describe("backup alert coverage", () => {
  const target = "postgresql";
  const generic = (metric: string, alert: string) => ({ alert, expr: `time() - ${metric} > 2 * 86400`, labels: { severity: "critical" } });
  const byName = (job: string, alert: string) => ({ alert, expr: `kube_job_status_failed{job_name=~"${job}-.*"} > 0 or absent(x{cronjob="${job}"})` });

  it("accepts rules over every target's success metric (the scripts' Pushgateway metrics)", () => {
    const rules = prometheusRule([generic("strata_backup_last_success_timestamp_seconds", "StrataBackupStale"), generic("strata_restore_drill_last_success_timestamp_seconds", "StrataRestoreDrillStale")]);
    expect(run("strata-backup-require-restore-drill", [backup(target), drill(target), rules])).toEqual([]);
  });

  it("accepts rules naming the CronJobs, and tells a drill's alert from a backup's", () => {
    expect(run("strata-backup-require-restore-drill", [backup(target), drill(target), prometheusRule([byName("postgresql-backup", "BackupFailed"), byName("postgresql-drill", "RestoreDrillFailed")])])).toEqual([]);
    expect(run("strata-backup-require-restore-drill", [backup(target), drill(target), prometheusRule([byName("postgresql-backup", "BackupFailed")])]).join()).toMatch(/no alerting rule for its restore-drill/);
  });

  it("does not take an alert that merely mentions a word equal to the target (container=\"prometheus\") for a backup alert", () => {
    const unrelated = prometheusRule([{ alert: "StrataPrometheusTsdbNearRetentionSize", expr: 'prometheus_tsdb_storage_blocks_bytes{container="prometheus"} > 1' }]);
    expect(run("strata-backup-require-restore-drill", [backup("prometheus"), drill("prometheus"), unrelated]).join()).toMatch(/no alerting rule for its backup/);
    const labelled = prometheusRule([{ alert: "StrataBackupStale", expr: 'time() - x{target="prometheus"} > 1' }, { alert: "StrataRestoreDrillStale", expr: 'time() - y{target="prometheus"} > 1' }]);
    expect(run("strata-backup-require-restore-drill", [backup("prometheus"), drill("prometheus"), labelled])).toEqual([]);
  });

  it("flags a backup with no alert at all, and one without a drill", () => {
    const messages = run("strata-backup-require-restore-drill", [backup(target)]).join("\n");
    expect(messages).toMatch(/has no restore-drill CronJob/);
    expect(messages).toMatch(/no alerting rule for its backup/);
  });
});

import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../platform";
import type { Archive } from "./archive";
import { Loki } from "../../components/logging/loki";
import { LogCollector } from "../../components/logging/logCollector";
import { serviceAlerts } from "./alerting";
import { strataStorageClassName } from "../adoption";

export interface Logging {
  loki: { mode: string; pushUrl: pulumi.Output<string>; queryUrl: pulumi.Output<string> };
  /** Grafana datasource for Loki, to be added to kube-prometheus-stack's `grafana.additionalDataSources`. */
  grafanaDatasource: Loki["datasource"];
}

/** Loki on the logs bucket with the `loki` workload identity, and the collector that feeds it. */
export function declareLogging(platform: Platform, archive: Pick<Archive, "buckets" | "identities" | "identityComponents" | "kmsKeyArn" | "store">, storageClass: pulumi.Resource): Logging {
  const { config, retention } = platform;
  const loki = config.logging.loki;
  const bucket = archive.buckets.logs;
  const identity = archive.identities.loki;
  const namespace = platform.namespaces.logging;
  if (!bucket || !identity || !namespace) throw new Error("logging is on but the archive declared no logs bucket or loki identity, or the logging namespace is missing");

  const lokiRelease = new Loki(
    "loki",
    {
      namespace,
      bucket: { name: bucket.name, region: bucket.region },
      ...(archive.kmsKeyArn ? { kmsKeyArn: archive.kmsKeyArn } : {}),
      ...(archive.store.endpoint ? { store: { endpoint: archive.store.endpoint, pathStyle: archive.store.pathStyle } } : {}),
      serviceAccountName: identity.serviceAccount,
      ...(identity.credentialsSecret ? { credentialsSecret: identity.credentialsSecret } : {}),
      settings: {
        mode: loki.mode,
        replicas: loki.replicas,
        replicationFactor: loki.replicationFactor,
        retentionPeriod: retention.loki.retentionPeriod,
        deleteDelayHours: loki.retentionDeleteDelayHours,
        streamRetention: loki.streamRetention.map((s) => ({ selector: s.selector, priority: s.priority, period: `${s.days * 24}h` })),
        storageClassName: strataStorageClassName(config),
        volumeSize: `${loki.volumeSizeGiB}Gi`,
        caches: loki.caches,
        resources: loki.resources,
      },
      // Its ServiceAccount (and its role or keys) and the class its volumes claim exist before its pods do.
      dependsOn: [archive.identityComponents.loki!, storageClass],
      alerts: serviceAlerts(platform, config.namespaces.logging),
    },
    platform.k8sOpts,
  );

  new LogCollector(
    "log-collector",
    {
      namespace,
      pushUrl: lokiRelease.pushUrl,
      externalLabels: { environment: config.environment },
      resources: config.logging.collector.resources,
      startAfter: [lokiRelease.release],
      alerts: serviceAlerts(platform, config.namespaces.logging),
    },
    platform.k8sOpts,
  );

  return {
    loki: { mode: loki.mode, pushUrl: lokiRelease.pushUrl, queryUrl: lokiRelease.queryUrl },
    grafanaDatasource: lokiRelease.datasource,
  };
}

/**
 * Release and service names other components and stacks rely on. The charts derive service names from their
 * fullname, so both releases set `fullnameOverride` and everything that addresses them is built from here.
 */
export const KPS_FULLNAME = "strata";
export const THANOS_FULLNAME = "strata-thanos";
export const PUSHGATEWAY_FULLNAME = "strata-pushgateway";

/** The external label the operator puts on each Prometheus replica; Thanos Query deduplicates on it. */
export const PROMETHEUS_REPLICA_LABEL = "prometheus_replica";
/** The Thanos chart's ruler labels its replicas with this; Query deduplicates on it too. */
export const RULER_REPLICA_LABEL = "ruler_replica";

export const THANOS_GRPC_PORT = 10901;

export const serviceUrls = (namespace: string, domain = "cluster.local") => ({
  prometheus: `http://${KPS_FULLNAME}-prometheus.${namespace}.svc.${domain}:9090`,
  alertmanager: `http://${KPS_FULLNAME}-alertmanager.${namespace}.svc.${domain}:9093`,
  thanosSidecarDiscovery: `dnssrv+_grpc._tcp.${KPS_FULLNAME}-thanos-discovery.${namespace}.svc.${domain}`,
  thanosQuery: `http://${THANOS_FULLNAME}-query.${namespace}.svc.${domain}:9090`,
  thanosQueryFrontend: `http://${THANOS_FULLNAME}-query-frontend.${namespace}.svc.${domain}:9090`,
  pushgateway: `http://${PUSHGATEWAY_FULLNAME}.${namespace}.svc.${domain}:9091`,
});

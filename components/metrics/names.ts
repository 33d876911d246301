import { prometheusClaimNames } from "../storage/claimNames";

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

/** `kps` names kube-prometheus-stack's release: its fullname and namespace, when they are not Strata's (an adopted release). */
export const serviceUrls = (namespace: string, domain = "cluster.local", kps: { fullname: string; namespace: string } = { fullname: KPS_FULLNAME, namespace }) => ({
  prometheus: `http://${kps.fullname}-prometheus.${kps.namespace}.svc.${domain}:9090`,
  alertmanager: `http://${kps.fullname}-alertmanager.${kps.namespace}.svc.${domain}:9093`,
  thanosSidecarDiscovery: `dnssrv+_grpc._tcp.${kps.fullname}-thanos-discovery.${kps.namespace}.svc.${domain}`,
  thanosQuery: `http://${THANOS_FULLNAME}-query.${namespace}.svc.${domain}:9090`,
  thanosQueryFrontend: `http://${THANOS_FULLNAME}-query-frontend.${namespace}.svc.${domain}:9090`,
  pushgateway: `http://${PUSHGATEWAY_FULLNAME}.${namespace}.svc.${domain}:9091`,
});

/**
 * kube-prometheus-stack's `kube-prometheus-stack.fullname` without `fullnameOverride` (the chart's templates/_helpers.tpl):
 * the release name when it contains the chart name, otherwise `<release>-kube-prometheus-stack`, cut to 26 characters
 * and stripped of a trailing '-'. `helm install prometheus` gives `prometheus-kube-prometheus`.
 */
export function kpsDefaultFullname(release: string): string {
  const chart = "kube-prometheus-stack";
  return (release.includes(chart) ? release : `${release}-${chart}`).slice(0, 26).replace(/-+$/, "");
}

/** The chart names its Prometheus custom resource `<fullname>-prometheus` (`kube-prometheus-stack.prometheus.crname`). */
export const prometheusResourceName = (fullname: string) => `${fullname}-prometheus`;

/**
 * The claim the operator's StatefulSet mounts for replica `ordinal` (the naming rule and its source:
 * components/storage/claimNames.ts `prometheusClaimNames`). The data sits under the subPath `prometheus-db` of that
 * volume. A claim of this name that exists before the StatefulSet is used as it is: that is how a carried-over
 * volume becomes Prometheus's.
 */
export function prometheusDataClaimName(fullname: string, ordinal = 0): string {
  return prometheusClaimNames(prometheusResourceName(fullname), ordinal + 1)[ordinal]!;
}

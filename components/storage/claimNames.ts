/**
 * The names of the claims that StatefulSets create from their `volumeClaimTemplates`, in one place. Strata does not
 * create these claims (the StatefulSet controller does), yet it must address them by name to grow them
 * (components/storage/volumeGrowth.ts), to back up Prometheus's data (components/backup/kinds/prometheus-snapshot/)
 * and to carry a volume over (infra/areas/metrics.ts). Each rule below cites where the chart or the operator builds
 * the name; the chart versions are the ones pinned in components/versions.ts.
 */

/**
 * Kubernetes names each claim of a StatefulSet `<template name>-<statefulset name>-<ordinal>`
 * (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-storage; the controller's
 * `getPersistentVolumeClaimName`, pkg/controller/statefulset/stateful_set_utils.go).
 */
export function statefulSetClaimName(template: string, statefulSet: string, ordinal: number): string {
  return `${template}-${statefulSet}-${ordinal}`;
}

/** Every claim of `replicas` replicas, ordinals 0..replicas-1. */
export function statefulSetClaimNames(template: string, statefulSet: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => statefulSetClaimName(template, statefulSet, i));
}

/**
 * prometheus-operator (v0.93.1, the version kube-prometheus-stack 88.5.3 ships), pkg/prometheus/common.go:
 * `PrefixedName` = `prometheus-<Prometheus name>` is the StatefulSet of shard 0 (shard n > 0 adds `-shard-<n>`,
 * `prometheusNameByShard`), and `VolumeName` = `<PrefixedName>-db` names the claim template unless
 * `storage.volumeClaimTemplate.metadata.name` is set (pkg/prometheus/server/statefulset.go). Strata never sets that
 * name nor shards, so replica i's claim is `prometheus-<name>-db-prometheus-<name>-<i>`.
 */
export function prometheusClaimNames(prometheus: string, replicas: number): string[] {
  const statefulSet = `prometheus-${prometheus}`;
  return statefulSetClaimNames(`${statefulSet}-db`, statefulSet, replicas);
}

/**
 * prometheus-operator pkg/alertmanager/statefulset.go: `prefixedName` = `alertmanager-<name>` (the StatefulSet) and
 * `volumeName` = `alertmanager-<name>-db` (the claim template, unless its metadata.name is set). Only used when an
 * Alertmanager has `storage`: Strata's has none (its silences and notification log live on an emptyDir and are
 * gossiped between replicas), so no Alertmanager volume exists to grow.
 */
export function alertmanagerClaimNames(alertmanager: string, replicas: number): string[] {
  const statefulSet = `alertmanager-${alertmanager}`;
  return statefulSetClaimNames(`${statefulSet}-db`, statefulSet, replicas);
}

/**
 * thanos-community chart 0.38.0 (thanos-community/helm-charts charts/thanos, commit aa4bd28e): the store gateway,
 * compactor and ruler StatefulSets are `thanos.compName` = `<fullname>-<component>` (templates/_helpers.tpl; an
 * unsharded store gateway keeps that name, `thanos.storegateway.shards`), and each has one claim template named
 * `data` (templates/{storegateway,compactor,ruler}/statefulset.yaml).
 */
export function thanosClaimNames(fullname: string, component: "storegateway" | "compactor" | "ruler", replicas: number): string[] {
  return statefulSetClaimNames("data", `${fullname}-${component}`, replicas);
}

export type LokiVolumeComponent = "single-binary" | "ingester" | "index-gateway" | "compactor" | "ruler";

/**
 * grafana-community Loki chart 18.11.0 (grafana-community/helm-charts charts/loki, commit 3386a115):
 * - the single binary's StatefulSet is `loki.resourceName` without a component = the fullname
 *   (templates/monolithic/workload.yaml), the others `<fullname>-<component>` (`loki.workloadResourceName`, with
 *   zone-aware replication off: no zone suffix);
 * - the claim template is `storage` for the single binary and `data` for the others (templates/_workload.tpl), or
 *   the name of each entry of `persistence.claims` (Strata names its one entry `data`).
 */
export function lokiClaimNames(fullname: string, component: LokiVolumeComponent, replicas: number): string[] {
  return component === "single-binary" ? statefulSetClaimNames("storage", fullname, replicas) : statefulSetClaimNames("data", `${fullname}-${component}`, replicas);
}

/**
 * prometheus-community prometheus-pushgateway chart 3.8.0 (prometheus-community/helm-charts commit cf408a29): as a
 * Deployment it renders one claim named after the fullname (templates/pushgateway-pvc.yaml), a plain claim the
 * release owns, so changing `persistentVolume.size` grows it through Helm; as a StatefulSet
 * (`runAsStatefulSet`), the claim template is `storage-volume` on a StatefulSet named after the fullname
 * (templates/statefulset.yaml).
 */
export function pushgatewayClaimNames(fullname: string, replicas: number, statefulSet: boolean): string[] {
  return statefulSet ? statefulSetClaimNames("storage-volume", fullname, replicas) : [fullname];
}

import { IMAGES } from "../versions";
import { PUSHGATEWAY_FULLNAME } from "./names";
import { RESTRICTED_CONTAINER, type ContainerResources } from "../platform/containerDefaults";

export interface PushgatewayValuesInput {
  replicas: number;
  volumeSizeGiB: number;
  storageClassName: string;
  resources: ContainerResources;
}

const PERSISTENCE_FILE = "/data/pushgateway.metrics";

/**
 * The Pushgateway keeps pushed metrics on its volume (`--persistence.file`), so a restart does not forget when a
 * backup last succeeded. With more than one replica it runs as a StatefulSet, one volume each. Prometheus scrapes it
 * with `honorLabels`, keeping the job and target labels the batch jobs push.
 */
export function pushgatewayValues(input: PushgatewayValuesInput): Record<string, unknown> {
  return {
    fullnameOverride: PUSHGATEWAY_FULLNAME,
    image: { repository: `${IMAGES.pushgateway.registry}/${IMAGES.pushgateway.repository}`, tag: IMAGES.pushgateway.tag },
    replicaCount: input.replicas,
    runAsStatefulSet: input.replicas > 1,
    extraArgs: [`--persistence.file=${PERSISTENCE_FILE}`, "--persistence.interval=1m"],
    persistentVolume: { enabled: true, size: `${input.volumeSizeGiB}Gi`, storageClass: input.storageClassName, mountPath: "/data" },
    podAntiAffinity: input.replicas > 1 ? "hard" : "",
    resources: input.resources,
    containerSecurityContext: RESTRICTED_CONTAINER,
    automountServiceAccountToken: false,
    // The chart puts its ServiceMonitor in a namespace literally called `monitoring` unless told otherwise; empty
    // means the release's namespace, which exists whatever `strata:namespaces.monitoring` names.
    serviceMonitor: { enabled: true, honorLabels: true, namespace: "" },
  };
}

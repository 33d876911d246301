import type { ContainerResources } from "../platform/containerDefaults";
import {
  ALERTMANAGER_SECRETS_MOUNT,
  buildAlertmanagerConfig,
  receiverSecretKeys,
  type AlertmanagerConfig,
  type ReceiversInput,
} from "./alertmanagerConfig";

export interface AlertmanagerValuesInput {
  receivers: ReceiversInput;
  replicas: number;
  /** Requests and limits of each Alertmanager container. */
  resources: ContainerResources;
  /** Kubernetes Secret (in Alertmanager's namespace) holding the receiver credentials. */
  secretName: string;
}

/** The `alertmanager` part of kube-prometheus-stack's values; every key exists in the chart's values.yaml (88.5.3). */
export interface AlertmanagerChartValues {
  alertmanager: {
    config: AlertmanagerConfig;
    podDisruptionBudget: { enabled: boolean; minAvailable: number };
    alertmanagerSpec: { replicas: number; secrets: string[]; resources: ContainerResources };
  };
}

export function alertmanagerSecretsDir(secretName: string): string {
  return `${ALERTMANAGER_SECRETS_MOUNT}/${secretName}`;
}

/**
 * kube-prometheus-stack values for Alertmanager. The receivers Secret is mounted through `alertmanagerSpec.secrets`
 * only when some receiver reads a file from it: the operator refuses to start a pod whose Secret is missing.
 */
export function alertmanagerChartValues(input: AlertmanagerValuesInput): AlertmanagerChartValues {
  const needsSecret = receiverSecretKeys(input.receivers).length > 0;
  return {
    alertmanager: {
      config: buildAlertmanagerConfig({ receivers: input.receivers, secretsDir: alertmanagerSecretsDir(input.secretName) }),
      // With two or more replicas a drain must leave one running, or notifications stop during node maintenance.
      podDisruptionBudget: { enabled: input.replicas > 1, minAvailable: 1 },
      alertmanagerSpec: { replicas: input.replicas, secrets: needsSecret ? [input.secretName] : [], resources: input.resources },
    },
  };
}

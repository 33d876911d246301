import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface NetworkPoliciesArgs {
  /** Strata's namespaces that exist in this stack (logging and backups only with their capabilities). */
  namespaces: { monitoring: pulumi.Input<string>; logging?: pulumi.Input<string>; backups?: pulumi.Input<string> };
  /** Names (not Outputs) for namespace selectors: `kubernetes.io/metadata.name` is set by Kubernetes itself. */
  namespaceNames: { monitoring: string; logging: string; backups: string };
  /**
   * Batch jobs outside the backups namespace that push to the Pushgateway: backup jobs that run beside their data in
   * an application's namespace. Only pods with `podLabels` in those namespaces are admitted.
   */
  pushgatewayClients?: { namespaces: string[]; podLabels: Record<string, string> };
  labels: Record<string, string>;
}

const byName = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

/**
 * Seed 003: nothing reaches the monitoring namespace but the monitoring namespace itself (Prometheus scraping,
 * Grafana and Thanos Query over HTTP, Thanos gRPC 10901 between sidecars, store gateways and query, the
 * Alertmanager mesh on 9094) and two named exceptions: batch jobs pushing to the Pushgateway on 9091 (all of the
 * backups namespace, and the backup pods Strata runs in applications' namespaces), and the API server calling the
 * operator's admission webhook. Logging accepts only itself
 * (collector to Loki) and monitoring (scrapes, Grafana); the backups namespace serves nothing and accepts nothing.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:platform:NetworkPolicies", name, {}, opts);
    const n = args.namespaceNames;
    const policy = (id: string, namespace: pulumi.Input<string>, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
      new k8s.networking.v1.NetworkPolicy(`${name}-${id}`, { metadata: { name: id.replace(/^[a-z]+-/, ""), namespace, labels: args.labels }, spec }, { parent: this });

    for (const [role, namespace] of Object.entries(args.namespaces)) {
      if (namespace !== undefined) policy(`${role}-default-deny-ingress`, namespace, { podSelector: {}, policyTypes: ["Ingress"] });
    }
    policy("monitoring-allow-from-monitoring", args.namespaces.monitoring, { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [byName(n.monitoring)] }] });
    const clients = args.pushgatewayClients;
    const pushers = [...(args.namespaces.backups !== undefined ? [byName(n.backups)] : []), ...(clients?.namespaces ?? []).map((ns) => ({ ...byName(ns), podSelector: { matchLabels: clients!.podLabels } }))];
    if (clients && pushers.length > 0) policy("monitoring-allow-pushgateway-from-backups", args.namespaces.monitoring, {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus-pushgateway" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          // A namespace and a pod selector in one peer: both must match (those pods, in those namespaces).
          from: pushers,
          ports: [{ protocol: "TCP", port: 9091 }],
        },
      ],
    });
    policy("monitoring-allow-operator-webhook", args.namespaces.monitoring, {
      // The API server is not a pod, so it cannot be selected; only the webhook port is opened.
      podSelector: { matchLabels: { app: "kube-prometheus-stack-operator" } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: 10250 }] }],
    });
    if (args.namespaces.logging !== undefined) policy("logging-allow-from-logging-and-monitoring", args.namespaces.logging, {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [byName(n.logging), byName(n.monitoring)] }],
    });
    this.registerOutputs({});
  }
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { CHARTS } from "../versions";
import { pinnedRelease } from "../platform/pinnedRelease";
import { kubePrometheusStackValues, type KubePrometheusStackValuesInput } from "./kubePrometheusStackValues";

export interface KubePrometheusStackArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  values: Omit<KubePrometheusStackValuesInput, "grafana"> & { grafana: Omit<KubePrometheusStackValuesInput["grafana"], "adminSecretName"> };
  /** Resources the release needs first (e.g. the object-store Secret, the ServiceAccounts). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * An existing release taken over under its own name (Pulumi's `import`, id `<namespace>/<release>`); `values.fullname`
   * then keeps its object names, so its Prometheus keeps its claims.
   */
  adopt?: { release: string; importId: string; protect: boolean };
}

/** Prometheus (with the Thanos sidecar), Alertmanager, the operator, and Grafana with a generated admin password. */
export class KubePrometheusStack extends pulumi.ComponentResource {
  readonly releaseName: pulumi.Output<string>;
  readonly grafanaAdminSecretName: pulumi.Output<string>;

  constructor(name: string, args: KubePrometheusStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:metrics:KubePrometheusStack", name, {}, opts);
    const child = { parent: this };
    const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, child);
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "strata-grafana-admin", namespace: args.namespace, labels: args.labels },
        type: "Opaque",
        stringData: pulumi.secret({ "admin-user": "admin", "admin-password": password.result }),
      },
      child,
    );
    const values = kubePrometheusStackValues({ ...args.values, grafana: { ...args.values.grafana, adminSecretName: adminSecret.metadata.name } });
    const release = pinnedRelease(
      name,
      { pin: CHARTS.kubePrometheusStack, namespace: args.namespace, values, ...(args.adopt ? { releaseName: args.adopt.release } : {}) },
      { ...child, dependsOn: [adminSecret, ...(args.dependsOn ?? [])], ...(args.adopt ? { import: args.adopt.importId, protect: args.adopt.protect, retainOnDelete: true } : {}) },
    );
    this.releaseName = release.name;
    this.grafanaAdminSecretName = adminSecret.metadata.name;
    this.registerOutputs({ releaseName: this.releaseName, grafanaAdminSecretName: this.grafanaAdminSecretName });
  }
}

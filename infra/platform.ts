import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedBackups } from "./backupTargets";
import type { LoadedConfig } from "./config/load";
import type { ClusterInfo } from "./cluster";
import type { Providers } from "./providers";
import type { DerivedRetention } from "./retention";

import type { NamespaceRef, NamespaceRole } from "./namespaceRef";
export type { NamespaceRef, NamespaceRole };

/**
 * Everything an area of the program (infra/areas/*.ts) needs to declare its components: validated config, the
 * cluster, explicit providers, Strata's namespaces and the derived retention. Areas receive this and nothing global.
 */
export interface Platform {
  config: LoadedConfig["config"];
  secrets: LoadedConfig["secrets"];
  cluster: ClusterInfo;
  providers: Providers;
  /** Strata's namespaces that exist in this stack: monitoring always, logging and backups with their capabilities. */
  namespaces: { monitoring: pulumi.Output<string> } & Partial<Record<NamespaceRole, pulumi.Output<string>>>;
  /** Labels every Kubernetes object Strata creates carries. */
  labels: Record<string, string>;
  /** Options for every resource that holds data (infra/protection.ts). */
  stateful: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;
  retention: DerivedRetention;
  /**
   * The release that installs the `monitoring.coreos.com` CRDs: every PrometheusRule and ServiceMonitor, and every
   * release that renders one, depends on it (on an empty cluster the kinds do not exist before it).
   */
  monitoringCrds: pulumi.Resource;
  /** Every backup target, resolved once at start (infra/backupTargets.ts): areas read it, none recomputes it. */
  backups: ResolvedBackups;
  /**
   * Options for components: they carry every explicit provider (aws, kubernetes, random, hcloud), and each child
   * picks the one for its package. The two names are the same map, kept so call sites say what they declare.
   */
  k8sOpts: pulumi.ComponentResourceOptions;
  awsOpts: pulumi.ComponentResourceOptions;
}

/** A namespace's name, what to declare resources in it with, and its role when it is one of Strata's. */
export interface ResolvedNamespace {
  name: string;
  input: pulumi.Input<string>;
  role?: NamespaceRole;
}

/**
 * Strata's own namespaces resolve to their Namespace resource's output, so what is declared in them waits for it.
 * An application's namespace is created by the application's stack: its name is all there is (unless it is one of
 * Strata's after all).
 */
export function resolveNamespace(platform: Pick<Platform, "config" | "namespaces">, ref: NamespaceRef): ResolvedNamespace {
  const names = platform.config.namespaces;
  if ("role" in ref) {
    const input = platform.namespaces[ref.role];
    if (!input) throw new Error(`Strata's ${ref.role} namespace is not declared in this stack, but something is placed in it`);
    return { name: names[ref.role], input, role: ref.role };
  }
  const role = (Object.keys(names) as NamespaceRole[]).find((r) => names[r] === ref.application && platform.namespaces[r] !== undefined);
  return role ? { name: ref.application, input: platform.namespaces[role]!, role } : { name: ref.application, input: ref.application };
}

import { describe, expect, it } from "vitest";
import { kubernetesMinor, MIN_KUBERNETES_MINOR, requireSupportedKubernetes, unsupportedKubernetes } from "../infra/kubernetesVersion";
import { configProblems } from "./helpers/configProblems";
import { DEFAULT_CLUSTER_OUTPUTS } from "../infra/config/sections/cluster";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_DIR } from "../infra/plan/stackFile";

describe("the cluster's Kubernetes version", () => {
  it("reads plain and vendor versions", () => {
    expect(kubernetesMinor("1.31")).toBe(31);
    expect(kubernetesMinor("v1.30.6")).toBe(30);
    expect(kubernetesMinor("v1.32.1-eks-5e0fdde")).toBe(32);
    expect(kubernetesMinor("1.31+k3s1")).toBe(31);
    expect(kubernetesMinor("latest")).toBeUndefined();
  });

  it("refuses a cluster older than the oldest Strata runs on, saying why", () => {
    expect(MIN_KUBERNETES_MINOR).toBe(30);
    expect(unsupportedKubernetes("1.30")).toBeUndefined();
    expect(unsupportedKubernetes("v1.29.9")).toMatch(/older than 1\.30.*loki 18\.11\.0/);
    expect(unsupportedKubernetes("one-thirty")).toMatch(/not a Kubernetes version/);
  });

  it("a cluster stack's version fails the deployment when too old, and is not checked when not exported", () => {
    expect(() => requireSupportedKubernetes("v1.28.3-eks-1", "the cluster stack's kubernetesVersion")).toThrow(/the cluster stack's kubernetesVersion `v1\.28\.3-eks-1` is older than 1\.30/);
    expect(() => requireSupportedKubernetes(undefined, "x")).not.toThrow();
    expect(DEFAULT_CLUSTER_OUTPUTS.kubernetesVersion).toBe("kubernetesVersion");
  });

  it("a version in config is checked at start-up, naming the key", () => {
    const cluster = { source: "config", name: "prod", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC", oidcIssuerUrl: "https://oidc.eks.eu-central-1.amazonaws.com/id/ABC", ebsCsiRoleArn: "arn:aws:iam::123456789012:role/ebs-csi", kubernetesVersion: "1.29" };
    const problems = configProblems({ profile: "prod", cluster, kubeconfig: "k" }, ["kubeconfig"]);
    expect(problems.map((p) => p.key)).toContain("strata:cluster.kubernetesVersion");
    expect(problems.find((p) => p.key === "strata:cluster.kubernetesVersion")!.message).toMatch(/older than 1\.30/);
  });

});

describe("README lists the cluster prerequisites once", () => {
  it("has one section naming the version floor, the CSI drivers, the EBS CSI role and OIDC", () => {
    const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
    expect(readme.match(/^## Cluster prerequisites$/gm)).toHaveLength(1);
    const start = readme.indexOf("## Cluster prerequisites");
    const next = readme.indexOf("\n## ", start + 1);
    const section = readme.slice(start, next < 0 ? undefined : next);
    for (const needle of [`Kubernetes 1.${MIN_KUBERNETES_MINOR} or newer`, "ebs.csi.aws.com", "csi.hetzner.cloud", "ebsCsiRoleArn", "oidcProviderArn", "kubernetesVersion", "Pod Identity"]) expect(section).toContain(needle);
  });
});

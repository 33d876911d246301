import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { plan, resourcesOfType, STACKS } from "./helpers/plan";
import { runPlanCli } from "./helpers/cli";
import type { Plan } from "../infra/plan/harness";
import { parseStackConfig } from "../infra/plan/stackFile";
import { UNDECRYPTED_SECRET } from "../infra/config/undecrypted";

const work = mkdtempSync(join(tmpdir(), "strata-plan-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function stackFile(name: string, config: Record<string, unknown>): string {
  const path = join(work, `Pulumi.${name}.yaml`);
  writeFileSync(path, yaml.dump({ config }));
  return path;
}

describe.each(STACKS)("the %s plan", (stack) => {
  it("runs the real program to completion with explicit providers only", async () => {
    const p = await plan(stack);
    expect(p.stack).toBe(stack);
    expect(p.outputs.environment).toBe(stack);
    const providerTypes = p.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.type).sort();
    expect(providerTypes).toEqual(stack === "dev" ? ["pulumi:providers:aws", "pulumi:providers:hcloud", "pulumi:providers:kubernetes", "pulumi:providers:random"] : ["pulumi:providers:aws", "pulumi:providers:kubernetes", "pulumi:providers:random"]);
    // Every cloud resource names its provider: nothing may fall back to ambient default credentials.
    for (const r of p.resources.filter((r) => r.custom && !r.read && !r.type.startsWith("pulumi:"))) {
      expect(r.options.provider, `${r.urn} has no explicit provider`).toMatch(/[:$]pulumi:providers:(aws|kubernetes|hcloud|random)::/);
    }
  });

  it("creates the namespaces Strata owns, retained on delete (and protected in prod)", async () => {
    const p = await plan(stack);
    const namespaces = resourcesOfType(p, "kubernetes:core/v1:Namespace");
    // Strata's own three, and the namespaces of the stateful services' claims (stacks/profiles.ts).
    expect(namespaces.map((n) => (n.inputs.metadata as { name: string }).name).sort()).toEqual(["logging", "monitoring", "postgresql", "rabbitmq", "strata-backups", "valkey"]);
    for (const ns of namespaces) {
      expect(ns.options.retainOnDelete).toBe(true);
      expect(ns.options.protect).toBe(stack === "prod");
    }
    const backups = namespaces.find((n) => (n.inputs.metadata as { name: string }).name === "strata-backups")!;
    expect((backups.inputs.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("exports the derived retention table", async () => {
    const p = await plan(stack);
    const rows = p.outputs.retention as { setting: string; value: string }[];
    const byName = Object.fromEntries(rows.map((r) => [r.setting, r.value]));
    expect(byName["Prometheus retention"]).toBe(stack === "prod" ? "15d" : "7d");
    // Rows only for what the stack deploys: dev runs no Thanos, so no compactor row.
    expect(byName["Thanos compactor --retention.resolution-1h"]).toBe(stack === "prod" ? "730d" : undefined);
    expect(byName["Loki limits_config.retention_period"]).toBe(stack === "prod" ? "720h" : "168h");
  });
});

describe("the plan runtime", () => {
  it("isolates runs in one process: a prod plan after a dev plan has no Hetzner provider", async () => {
    await plan("dev");
    const prod = await plan("prod");
    expect(prod.resources.some((r) => r.type === "pulumi:providers:hcloud")).toBe(false);
  });

  it("is deterministic: the same stack plans to the same JSON twice", async () => {
    expect(JSON.stringify(await plan("prod"))).toBe(JSON.stringify(await plan("prod")));
  });
});

describe("stack files", () => {
  it("mark secure values undecrypted without the stack's passphrase, and their top-level keys secret", () => {
    const parsed = parseStackConfig("config:\n  strata:hcloudToken:\n    secure: v1:abc\n  strata:cluster:\n    source: stack\n    stack: a/b/c\n", "inline");
    expect(parsed.values["strata:hcloudToken"]).toBe(UNDECRYPTED_SECRET);
    expect(parsed.secretKeys).toEqual(["strata:hcloudToken"]);
    expect(JSON.parse(parsed.values["strata:cluster"]!)).toEqual({ source: "stack", stack: "a/b/c" });
  });

  it("reject a file that is not a mapping", () => {
    expect(() => parseStackConfig("- a\n- b\n", "list.yaml")).toThrow(/list\.yaml/);
  });
});

describe("npm run plan (the CLI)", () => {
  it("prod --json writes the DESIGN §5 contract, with options on every resource", () => {
    const out = join(work, "prod.json");
    const result = runPlanCli(["prod", "--json", out]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Retention, derived from strata:retention:");
    expect(result.stdout).toContain("Counts by type:");
    const json = JSON.parse(readFileSync(out, "utf8")) as Plan;
    expect(Object.keys(json).sort()).toEqual(["config", "configNotes", "outputs", "policies", "project", "resources", "stack"]);
    expect(json.configNotes).toMatchObject({ uncheckedSecrets: [], adjustedDefaults: [] });
    expect(json.configNotes.capabilities.filter((c) => c.on).map((c) => c.capability)).toEqual(["metrics", "thanos", "pushgateway", "logging", "snapshots", "backups", "telemetry"]);
    expect(json.project).toBe("strata");
    expect(json.stack).toBe("prod");
    expect(json.config.profile).toBe("prod");
    expect(Array.isArray(json.policies.violations)).toBe(true);
    expect(json.resources.length).toBeGreaterThan(5);
    for (const r of json.resources) {
      expect(r).toEqual(expect.objectContaining({ urn: expect.stringMatching(/^urn:pulumi:prod::strata::/), type: expect.any(String), name: expect.any(String), inputs: expect.any(Object) }));
      expect(r.options).toEqual(expect.objectContaining({ protect: expect.any(Boolean), retainOnDelete: expect.any(Boolean), dependsOn: expect.any(Array) }));
      if (r.type !== "pulumi:pulumi:Stack") expect(r.parent).toMatch(/^urn:pulumi:/);
    }
    const k8sProvider = json.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    // The provider waits for the cluster stack it reads its kubeconfig from.
    expect(k8sProvider.options.dependsOn.some((u) => u.includes("StackReference"))).toBe(true);
  });

  it("never writes a secret: the kubeconfig and secure config show as [secret]", () => {
    const file = stackFile("secretive", { "strata:profile": "dev", "strata:cluster": { source: "stack", stack: "a/b/dev" }, "strata:hcloudToken": { secure: "v1:AAAA" } });
    const out = join(work, "secretive.json");
    const result = runPlanCli(["--config", file, "--json", out]);
    expect(result.status).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).not.toContain("offline plan: no real cluster"); // the mock kubeconfig's content
    expect(text).not.toContain("v1:AAAA");
    const json = JSON.parse(text) as Plan;
    expect(json.stack).toBe("secretive");
    expect(json.config.hcloudToken).toBe("[secret]");
    const provider = json.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(provider.inputs.kubeconfig).toBe("[secret]");
  });

  it("exits 2 naming the key on an unknown strata:cloud, and plans nothing", () => {
    const file = stackFile("badcloud", { "strata:profile": "prod", "strata:cloud": "azure", "strata:cluster": { source: "stack", stack: "a/b/c" } });
    const out = join(work, "badcloud.json");
    const result = runPlanCli(["--config", file, "--json", out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('strata:cloud: Invalid option: expected one of "aws"|"hcloud" (got "azure", set in this stack)');
    expect(existsSync(out)).toBe(false);
  });

  it("exits 2 naming the key on an inverted retention", () => {
    const file = stackFile("inverted", { "strata:profile": "prod", "strata:cluster": { source: "stack", stack: "a/b/c" }, "strata:retention": { metricsRawDays: 150, metricsDownsampled5mDays: 100 } });
    const result = runPlanCli(["--config", file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("strata:retention.metricsDownsampled5mDays");
    expect(result.stderr).toContain("(got 100, set in this stack)");
  });

  it("exits 64 on a usage error and 0 on --help", () => {
    expect(runPlanCli([]).status).toBe(64);
    expect(runPlanCli(["no-such-stack"]).status).toBe(64);
    const help = runPlanCli(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--config FILE");
  });

  it("--out writes every Kubernetes object as YAML", () => {
    const dir = join(work, "manifests");
    const result = runPlanCli(["dev", "--out", dir]);
    expect(result.status).toBe(0);
    const files = readdirSync(join(dir, "k8s", "_cluster"));
    expect(files).toEqual(expect.arrayContaining(["Namespace-monitoring.yaml", "Namespace-logging.yaml", "Namespace-strata-backups.yaml"]));
    const ns = yaml.load(readFileSync(join(dir, "k8s", "_cluster", "Namespace-monitoring.yaml"), "utf8")) as { apiVersion: string; kind: string };
    expect(ns).toEqual(expect.objectContaining({ apiVersion: "v1", kind: "Namespace" }));
  });
});

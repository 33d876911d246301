import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { toPulumiPolicy } from "../adapter";
import { evaluatePack, policyConfig } from "../core/evaluate";
import { NAME_PATTERN, VERBS, type StrataPolicy, type StrataResource, type Violation } from "../core/types";
import { POLICIES } from "../rules";
import { runResourcePolicy, runStackPolicy, type EngineRun } from "./helpers/args";
import { CASES, container, crdUsers, operatorCrds } from "./helpers/cases";
import { T, WORKLOAD_TYPES } from "../core/util";

const RULES_DIR = join(__dirname, "..", "rules");

/** The pure core, as the offline plan and `npm run policies` call it. */
function core(policy: StrataPolicy, subject: StrataResource | StrataResource[], config: Record<string, unknown> = {}): Violation[] {
  const ctx = { mode: "plan" as const, config: policyConfig(policy, config) };
  if (policy.kind === "resource") return (Array.isArray(subject) ? subject : [subject]).flatMap((r) => policy.validate(r, ctx));
  return policy.validate(Array.isArray(subject) ? subject : [subject], ctx);
}

/** The @pulumi/policy objects the engine runs, called with 1.21's argument objects. */
async function engine(policy: StrataPolicy, subject: StrataResource | StrataResource[], config: Record<string, unknown> = {}): Promise<EngineRun> {
  const pulumiPolicy = toPulumiPolicy(policy);
  if (policy.kind === "resource") {
    const runs = await Promise.all((Array.isArray(subject) ? subject : [subject]).map((r) => runResourcePolicy(pulumiPolicy as ResourceValidationPolicy, r, config)));
    return { ...(runs.find((r) => r.notApplicable) ?? {}), violations: runs.flatMap((r) => r.violations) };
  }
  return runStackPolicy(pulumiPolicy as StackValidationPolicy, Array.isArray(subject) ? subject : [subject], config);
}

describe("the pack", () => {
  it("has one file per policy under rules/, each listed once", () => {
    const files = readdirSync(RULES_DIR).filter((f) => f.endsWith(".ts") && f !== "index.ts").map((f) => `strata-${f.replace(/\.ts$/, "")}`).sort();
    expect(POLICIES.map((p) => p.name).sort()).toEqual(files);
    expect(new Set(POLICIES.map((p) => p.name)).size).toBe(POLICIES.length);
  });

  it.each(POLICIES.map((p) => [p.name, p] as const))("%s is named strata-<resource>-<verb>-<what>, described, levelled and configurable by schema", (_name, p) => {
    expect(p.name).toMatch(NAME_PATTERN);
    expect(VERBS.some((v) => p.name.includes(`-${v}-`))).toBe(true);
    expect(p.description.length).toBeGreaterThan(20);
    expect(["mandatory", "advisory"]).toContain(p.enforcementLevel);
    for (const prop of Object.values(p.configSchema?.properties ?? {})) expect(prop.type).toBeDefined();
  });

  it("has a passing and a failing case for every policy", () => {
    expect(Object.keys(CASES).sort()).toEqual(POLICIES.map((p) => p.name).sort());
  });

  it("index.ts builds the PolicyPack from every policy through the adapter", () => {
    const source = readFileSync(join(__dirname, "..", "index.ts"), "utf8");
    expect(source).toMatch(/new PolicyPack\("strata", \{[\s\S]*policies: POLICIES\.map\(toPulumiPolicy\)/);
    const pulumiPolicies = POLICIES.map(toPulumiPolicy);
    for (const [i, p] of pulumiPolicies.entries()) {
      expect(p.name).toBe(POLICIES[i]!.name);
      expect(p.enforcementLevel).toBe(POLICIES[i]!.enforcementLevel);
      expect("validateResource" in p || "validateStack" in p).toBe(true);
    }
  });

  it("README.md lists every policy with its level", () => {
    const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
    for (const p of POLICIES) expect(readme, p.name).toContain(`| \`${p.name}\` | ${p.enforcementLevel} |`);
  });

  it("README says why each advisory policy is advisory, and names no other", () => {
    const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Why these are advisory"), readme.indexOf("### Deploy order on an empty cluster"));
    const explained = [...section.matchAll(/^\| `(strata-[a-z0-9-]+)` \| (.{20,}) \|$/gm)].map((m) => m[1]).sort();
    expect(explained).toEqual(POLICIES.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name).sort());
  });

  it("the pure core imports nothing but itself (the root and the plan load it without policies/node_modules)", () => {
    for (const dir of ["core", "rules"]) {
      for (const file of readdirSync(join(__dirname, "..", dir)).filter((f) => f.endsWith(".ts"))) {
        const imports = [...readFileSync(join(__dirname, "..", dir, file), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
        for (const spec of imports) expect(spec, `${dir}/${file} imports ${spec}`).toMatch(/^\.\.?\//);
      }
    }
  });
});

describe.each(POLICIES.map((p) => [p.name, p] as const))("%s", (name, policy) => {
  const c = CASES[name]!;
  it("passes its passing case (pure core)", () => {
    expect(core(policy, c.pass, c.config)).toEqual([]);
  });
  it("fails its failing case (pure core)", () => {
    const violations = core(policy, c.fail, c.config);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.map((v) => v.message).join("\n")).toMatch(c.expect);
  });
  if (policy.modes && !policy.modes.includes("preview")) {
    it("reports itself not applicable under pulumi preview (@pulumi/policy adapter)", async () => {
      expect((await engine(policy, c.fail, c.config)).notApplicable).toMatch(/offline plan/);
    });
    return;
  }
  it("passes its passing case (@pulumi/policy adapter)", async () => {
    const run = await engine(policy, c.pass, c.config);
    expect(run.notApplicable).toBeUndefined();
    expect(run.violations).toEqual([]);
  });
  it("fails its failing case (@pulumi/policy adapter)", async () => {
    const run = await engine(policy, c.fail, c.config);
    expect(run.notApplicable).toBeUndefined();
    expect(run.violations.map((v) => v.message).join("\n")).toMatch(c.expect);
  });
});

describe("the adapter", () => {
  it("reports a resource policy not applicable to other resource types", async () => {
    const policy = POLICIES.find((p) => p.name === "strata-storageclass-require-retain")!;
    const run = await runResourcePolicy(toPulumiPolicy(policy) as ResourceValidationPolicy, { type: "aws:s3/bucket:Bucket", name: "b", urn: "urn:b", props: {}, opts: {} });
    expect(run.notApplicable).toMatch(/StorageClass/);
  });

  it("sees values unknown during preview as \"[unknown]\", like the offline plan, instead of aborting the policy", async () => {
    // The real proxy @pulumi/policy wraps inputs in (internal, so required untyped).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy(v: unknown): any; unknownStringValue: unknown };
    const props = proxy.unknownCheckingProxy({ provisioner: "ebs.csi.aws.com", reclaimPolicy: "Retain", allowVolumeExpansion: true, parameters: { encrypted: "true", kmsKeyId: proxy.unknownStringValue } });
    expect(() => props.parameters.kmsKeyId).toThrow(/can't be known during preview/);
    const policy = POLICIES.find((p) => p.name === "strata-storageclass-require-encryption")!;
    const run = await runResourcePolicy(toPulumiPolicy(policy) as ResourceValidationPolicy, { type: "kubernetes:storage.k8s.io/v1:StorageClass", name: "ebs-gp3", urn: "urn:sc", props, opts: {} });
    expect(run.violations).toEqual([]);
  });

  it("reads the environment from Pulumi stack tags when the policy config does not set it", async () => {
    const policy = POLICIES.find((p) => p.name === "strata-kms-require-deletion-window")!;
    const key = { type: "aws:kms/key:Key", name: "k", urn: "urn:k", props: { deletionWindowInDays: 7 }, opts: {} };
    const pp = toPulumiPolicy(policy) as ResourceValidationPolicy;
    expect((await runResourcePolicy(pp, key)).violations).toEqual([]);
    expect((await runResourcePolicy(pp, key, {}, { "strata:environment": "prod" })).violations).toHaveLength(1);
    expect((await runResourcePolicy(pp, key, { environment: "dev" }, { "strata:environment": "prod" })).violations).toEqual([]);
  });

  it("counts only protect under preview (retainOnDelete is not passed to analyzers by @pulumi/policy 1.21), both in the plan", async () => {
    const policy = POLICIES.find((p) => p.name === "strata-stateful-require-protection")!;
    const retained: StrataResource = { type: "kubernetes:core/v1:PersistentVolumeClaim", name: "data", urn: "urn:pvc", props: {}, opts: { retainOnDelete: true } };
    expect(core(policy, [retained], { environment: "prod" })).toEqual([]);
    expect((await engine(policy, [retained], { environment: "prod" })).violations).toHaveLength(1);
  });
});

describe("policy config", () => {
  const retain = POLICIES.find((p) => p.name === "strata-storageclass-require-retain")!;
  const bad = CASES["strata-storageclass-require-retain"]!.fail as StrataResource;

  it("honours exceptions by resource name pattern, in the core and the adapter", async () => {
    expect(core(retain, bad, { exceptions: ["ebs-*"] })).toEqual([]);
    expect((await engine(retain, bad, { exceptions: ["ebs-*"] })).violations).toEqual([]);
    expect(core(retain, bad, { exceptions: ["hcloud-*"] })).toHaveLength(1);
  });

  it("sets enforcement levels per policy, and disables policies", () => {
    const asAdvisory = evaluatePack(POLICIES, [bad], { mode: "plan", config: { [retain.name]: "advisory" } });
    expect(asAdvisory.violations.filter((v) => v.policy === retain.name).map((v) => v.level)).toEqual(["advisory"]);
    const disabled = evaluatePack(POLICIES, [bad], { mode: "plan", config: { [retain.name]: { enforcementLevel: "disabled" } } });
    expect(disabled.evaluated).not.toContain(retain.name);
    expect(disabled.violations.filter((v) => v.policy === retain.name)).toEqual([]);
  });

  it("accepts StringNotEqualsIfExists for the SSE-KMS upload deny, and needs only the TLS deny on encryptionExceptions", () => {
    const policy = POLICIES.find((p) => p.name === "strata-s3-require-secure-transport")!;
    const bucketPolicy = (statements: unknown[], name = "metrics"): StrataResource => ({ type: "aws:s3/bucketPolicy:BucketPolicy", name, urn: `urn:${name}`, props: { policy: JSON.stringify({ Statement: statements }) }, opts: {} });
    const tls = { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const ifExists = { Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "*", Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } } };
    expect(core(policy, bucketPolicy([tls, ifExists]))).toEqual([]);
    expect(core(policy, bucketPolicy([tls], "access-logs"))).toHaveLength(1);
    expect(core(policy, bucketPolicy([tls], "access-logs"), { encryptionExceptions: ["access-logs"] })).toEqual([]);
    expect(core(policy, bucketPolicy([], "access-logs"), { encryptionExceptions: ["access-logs"] })).toHaveLength(1);
  });

  it("needs only the TLS deny from a bucket policy on an S3-compatible store (a provider with its own S3 endpoint, no SSE-KMS)", () => {
    const policy = POLICIES.find((p) => p.name === "strata-s3-require-secure-transport")!;
    const tls = { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const onStore = (statements: unknown[]): StrataResource => ({
      type: "aws:s3/bucketPolicy:BucketPolicy",
      name: "logs",
      urn: "urn:logs",
      props: { policy: JSON.stringify({ Statement: statements }) },
      opts: {},
      provider: { type: "pulumi:providers:aws", name: "archive-store", urn: "urn:archive-store", props: { endpoints: JSON.stringify([{ s3: "https://fsn1.your-objectstorage.com" }]) }, opts: {} },
    } as StrataResource);
    expect(core(policy, onStore([tls]))).toEqual([]);
    expect(core(policy, onStore([]))).toHaveLength(1);
  });

  it("identifies backup writers by tag (strata:access=append) or name, and leaves other deleters (compactors) alone", () => {
    const policy = POLICIES.find((p) => p.name === "strata-iam-forbid-backup-deletes")!;
    const deleter = (name: string, tags: Record<string, string> = {}): StrataResource => ({
      type: "aws:iam/policy:Policy",
      name,
      urn: `urn:${name}`,
      props: { tags, policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/*" }] }) },
      opts: {},
    });
    expect(core(policy, deleter("postgres-dumps", { "strata:access": "append" }))).toHaveLength(1);
    expect(core(policy, deleter("postgres-dumps", { "strata:role": "backup-writer" }))).toHaveLength(1);
    expect(core(policy, deleter("thanos-compactor", { "strata:access": "manage" }))).toEqual([]);
    expect(core(policy, deleter("thanos-compactor"), { backupWriterNamePatterns: ["thanos-*"] })).toHaveLength(1);
  });

  it("allows static credentials on the clouds listed in config, never hard-coded", () => {
    const policy = POLICIES.find((p) => p.name === "strata-iam-forbid-static-credentials")!;
    const key: StrataResource = { type: "aws:iam/accessKey:AccessKey", name: "loki", urn: "urn:key", props: {}, opts: {} };
    expect(core(policy, key, { cloud: "hcloud" })).toEqual([]);
    expect(core(policy, key, { cloud: "aws" })).toHaveLength(1);
    expect(core(policy, key, { cloud: "hcloud", allowedClouds: [] })).toHaveLength(1);
    expect(evaluatePack([policy], [key], { mode: "plan", facts: { cloud: "hcloud" } }).violations).toEqual([]);
    expect(evaluatePack([policy], [key], { mode: "plan", facts: { cloud: "aws" } }).violations).toHaveLength(1);
  });
});

describe("strata-customresource-require-crd-first beyond its cases", () => {
  const policy = POLICIES.find((p) => p.name === "strata-customresource-require-crd-first")!;

  it("fails a cycle, in the core and the adapter: the CRDs' release waiting for a release that waits for it", async () => {
    const [rule, pushgateway] = crdUsers(true);
    const crds = { ...operatorCrds(), dependencies: [pushgateway!.urn] };
    const violations = core(policy, [crds, rule!, pushgateway!]);
    expect(violations.map((v) => v.message).join("\n")).toMatch(/dependency cycle: .*prometheus-operator-crds.*pushgateway|dependency cycle: .*pushgateway.*prometheus-operator-crds/);
    expect((await engine(policy, [crds, rule!, pushgateway!])).violations.map((v) => v.message).join("\n")).toMatch(/dependency cycle/);
  });

  it("fails a kind nothing installs, unless config says the cluster has its group already", () => {
    const users = crdUsers(false);
    expect(core(policy, users).map((v) => v.message).join("\n")).toMatch(/nothing in the stack installs/);
    expect(core(policy, users, { preinstalledGroups: ["monitoring.coreos.com"] })).toEqual([]);
  });

  it("leaves namespaces and mounts to the tests: a rule in a namespace created without ordering passes", () => {
    const ns = { type: "kubernetes:core/v1:Namespace", name: "team", urn: "urn:ns", props: { metadata: { name: "team" } }, opts: {} };
    const [rule] = crdUsers(true);
    const inTeam = { ...rule!, props: { ...rule!.props, metadata: { name: "r", namespace: "team" } } };
    expect(core(policy, [ns, operatorCrds(), inTeam])).toEqual([]);
  });

  it("honours exceptions by the name of the resource at fault", () => {
    expect(core(policy, crdUsers(false), { exceptions: ["platform-rules", "pushgateway"] })).toEqual([]);
  });
});

/**
 * Issue 23 item 4: the pod rules look at every pod template Strata could declare, whatever carries it. Each type gets
 * the same restricted pod; a privileged root copy of it, one sharing the host network, and one with a literal AWS key
 * in its env must be refused, in the core and through the adapter the engine runs.
 */
describe("the pod rules apply to every pod-carrying type alike", () => {
  const restrictedPod = (container: Record<string, unknown>, pod: Record<string, unknown> = {}) => ({ securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999 }, containers: [container], ...pod });
  const carrying = (type: string, podSpec: Record<string, unknown>): StrataResource => {
    const template = { metadata: { labels: { app: "x" } }, spec: podSpec };
    const props =
      type === T.pod ? { metadata: { name: "x" }, spec: podSpec }
      : type === T.cronJob ? { metadata: { name: "x" }, spec: { schedule: "0 2 * * *", jobTemplate: { spec: { template } } } }
      : { metadata: { name: "x" }, spec: { template } };
    return { type, name: "x", urn: `urn:pulumi:prod::strata::${type}::x`, props, opts: { protect: false, additionalSecretOutputs: [] }, dependencies: [] };
  };
  const policy = (name: string) => POLICIES.find((p) => p.name === name)!;
  const restrictedSecurity = policy("strata-pod-require-restricted-security");
  const literalCredentials = policy("strata-pod-forbid-literal-credentials");

  it("covers Pods, Deployments, StatefulSets, DaemonSets, Jobs and CronJobs", () => {
    expect([...WORKLOAD_TYPES].sort()).toEqual([T.pod, T.deployment, T.statefulSet, T.daemonSet, T.job, T.cronJob].sort());
    for (const p of [restrictedSecurity, literalCredentials, policy("strata-pod-require-resources")]) expect(p.kind === "resource" && [...p.types].sort()).toEqual([...WORKLOAD_TYPES].sort());
  });

  it.each(WORKLOAD_TYPES.map((t) => [t] as const))("%s: a restricted pod passes; privileged as root, uid 0 or on the host network it is refused", async (type) => {
    expect(core(restrictedSecurity, carrying(type, restrictedPod(container())))).toEqual([]);
    const root = carrying(type, restrictedPod(container({ securityContext: { ...container().securityContext, runAsNonRoot: false, runAsUser: 0, privileged: true } }), { securityContext: { runAsUser: 0 } }));
    const expected = /x container dump needs securityContext runAsNonRoot: true, runAsUser other than 0, privileged: false/;
    expect(core(restrictedSecurity, root).map((v) => v.message).join("\n")).toMatch(expected);
    expect((await engine(restrictedSecurity, root)).violations.map((v) => v.message).join("\n")).toMatch(expected);
    // runAsNonRoot alone does not save a pod whose uid is 0 (the kubelet would refuse to start it).
    const uidZero = carrying(type, restrictedPod(container({ securityContext: { ...container().securityContext, runAsUser: 0 } })));
    expect(core(restrictedSecurity, uidZero).map((v) => v.message).join("\n")).toMatch(/runAsUser other than 0/);
    const host = carrying(type, restrictedPod(container(), { hostNetwork: true, hostPID: true }));
    expect(core(restrictedSecurity, host).map((v) => v.message)).toEqual(["x shares the host's namespaces (hostNetwork: true, hostPID: true)."]);
  });

  it.each(WORKLOAD_TYPES.map((t) => [t] as const))("%s: a literal AWS key in any container's env is refused, a secretKeyRef passes", async (type) => {
    const fromSecret = { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "s3", key: "secret" } } };
    expect(core(literalCredentials, carrying(type, restrictedPod(container({ env: [fromSecret, { name: "AWS_REGION", value: "eu-central-1" }] }))))).toEqual([]);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }, /x container dump sets AWS_SECRET_ACCESS_KEY as a literal value/],
      [{ name: "AWS_ACCESS_KEY_ID", value: "AKIAIOSFODNN7EXAMPLE" }, /sets AWS_ACCESS_KEY_ID as a literal value/],
      [{ name: "S3_LOGIN", value: "ASIAIOSFODNN7EXAMPLE" }, /sets S3_LOGIN to an AWS access key id in plain text/],
    ];
    for (const [entry, expected] of cases) {
      const r = carrying(type, restrictedPod(container({ env: [entry] })));
      expect(core(literalCredentials, r).map((v) => v.message).join("\n")).toMatch(expected);
      expect((await engine(literalCredentials, r)).violations.map((v) => v.message).join("\n")).toMatch(expected);
    }
    // In an init container too (the binary copies of the backup pods are init containers).
    const init = carrying(type, restrictedPod(container(), { initContainers: [container({ name: "copy", env: [{ name: "AWS_SESSION_TOKEN", value: "x" }] })] }));
    expect(core(literalCredentials, init).map((v) => v.message)).toEqual(["x init container copy sets AWS_SESSION_TOKEN as a literal value; take it from a Secret (valueFrom.secretKeyRef)."]);
  });
});

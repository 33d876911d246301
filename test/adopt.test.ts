import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as apiextensionsV1 from "kubernetes-models/apiextensions.k8s.io/v1";
import { registerModels, validateK8sObject } from "./helpers/k8sValidate";
import { boundVolume, list, namespace, seed000, seed001, seed001KmsAliases, seed004, SEED000_CLAIM, SEED000_PV, SEED001_KEY } from "./helpers/estateDumps";
import { decodeHelmRelease, parseClusterDump, parseKmsAliases } from "../infra/adopt/dumps";
import { match, type Findings } from "../infra/adopt/match";
import { mergedStackFile, mergeStackConfig } from "../infra/adopt/cli";
import { runPlan, type Plan } from "../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile } from "../infra/plan/stackFile";
import type { ImportFile } from "../infra/plan/importFile";
import { withConfig } from "./helpers/plan";

registerModels(apiextensionsV1 as unknown as Record<string, unknown>);

const EXAMPLES = join(PROJECT_DIR, "examples", "stacks");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "strata-adopt-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return path;
};

/** `npm run adopt -- ...` exactly as package.json runs it. */
function adopt(args: string[]) {
  const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: { adopt: string } };
  const [command, ...commandArgs] = pkg.scripts.adopt.split(" ");
  const result = spawnSync(command!, [...commandArgs, ...args], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
function plan(args: string[]) {
  const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: { plan: string } };
  const [command, ...commandArgs] = pkg.scripts.plan.split(" ");
  return spawnSync(command!, [...commandArgs, ...args], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 120_000 });
}
const linesOf = (report: string, verdict: string) => report.split("\n").filter((l) => l.startsWith(`${verdict} `));

async function planOf(file: string, changes: Record<string, unknown> = {}): Promise<Plan> {
  const outcome = await runPlan({ project: "strata", stack: "adopt-test", config: withConfig(readStackConfigFile(file), changes) });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.plan;
}
const verdictOf = (f: Findings, what: string) => f.lines.filter((l) => l.what === what).map((l) => l.verdict);

describe("the dumps are what kubectl, hcloud and the AWS CLI print", () => {
  it("every Kubernetes object of the seed dumps validates strictly against the Kubernetes schema", () => {
    const s0 = seed000({ reclaim: "Delete", pendingUpgrade: true }).cluster;
    for (const dump of [s0, seed001().cluster, seed004().cluster]) {
      for (const item of dump.items) expect(() => validateK8sObject(item as Record<string, unknown>)).not.toThrow();
    }
  });

  it("Helm release records decode as Helm stores them: base64 of base64 of gzip, made here by gzip(1) and base64(1)", () => {
    const record = { name: "prometheus", namespace: "monitoring", version: 7, info: { status: "deployed" }, chart: { metadata: { name: "kube-prometheus-stack", version: "56.6.2" } } };
    const made = spawnSync("bash", ["-c", "gzip -c | base64 -w0 | base64 -w0"], { input: JSON.stringify(record), encoding: "utf8" });
    expect(made.status).toBe(0);
    expect(decodeHelmRelease(made.stdout)).toEqual(record);
    const dump = parseClusterDump(JSON.stringify(seed000({ reclaim: "Delete", pendingUpgrade: true }).cluster), "seed000.json");
    expect(dump.releases).toEqual([expect.objectContaining({ name: "prometheus", namespace: "monitoring", version: 3, status: "pending-upgrade", chart: "kube-prometheus-stack" })]);
  });
});

describe("npm run adopt on seed 000 (helm install prometheus on Hetzner, the CSI driver's class, 50Gi on reclaim Delete)", () => {
  let first: ReturnType<typeof adopt>;
  const out = () => join(dir, "out000");
  beforeAll(() => {
    const s0 = seed000({ reclaim: "Delete" });
    first = adopt(["--config", join(EXAMPLES, "Pulumi.batchsender.yaml"), "--cluster", write("s0.json", s0.cluster), "--hcloud-volumes", write("s0-hcloud.json", s0.hcloudVolumes), "--out", out()]);
  });

  it("conflicts: the CSI driver's own hcloud-volumes class, and another Prometheus operator release", () => {
    expect(first.status, first.stderr).toBe(1);
    const conflicts = linesOf(first.stdout, "conflict");
    expect(conflicts.some((l) => /StorageClass hcloud-volumes .*CSI driver's own class.*reclaim Delete/.test(l))).toBe(true);
    expect(conflicts.some((l) => /another Prometheus operator runs: release monitoring\/prometheus \(kube-prometheus-stack 56\.6\.2/.test(l))).toBe(true);
  });

  it("preflight refuses while the Prometheus volume is reclaim Delete, and prints the command that fixes it", () => {
    expect(first.stdout).toContain("preflight: REFUSED");
    expect(first.stdout).toContain(`fix: kubectl patch pv ${SEED000_PV} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`);
  });

  it("writes the config that adopts what it found, and pre-steps.sh that passes shellcheck in a safe order", () => {
    const config = readFileSync(join(out(), "adopt-config.yaml"), "utf8");
    expect(config).toMatch(/className: strata-hcloud-volumes/);
    expect(config).toMatch(new RegExp(`mode: replace[\\s\\S]*release: prometheus[\\s\\S]*persistentVolume: ${SEED000_PV}`));
    const script = join(out(), "pre-steps.sh");
    const checked = spawnSync("shellcheck", ["--severity=style", script], { encoding: "utf8" });
    expect(checked.status, checked.stdout).toBe(0);
    const text = readFileSync(script, "utf8");
    const at = (s: string) => text.indexOf(s);
    expect(at("persistentVolumeReclaimPolicy\":\"Retain")).toBeGreaterThan(0);
    // Retain first; the old claim goes only after the volume is checked to be Retain; the claimRef is cleared last.
    expect(at("persistentVolumeReclaimPolicy\":\"Retain")).toBeLessThan(at("helm uninstall prometheus -n monitoring"));
    expect(at(`test "$(kubectl get pv ${SEED000_PV}`)).toBeLessThan(at(`delete pvc ${SEED000_CLAIM}`));
    expect(at(`delete pvc ${SEED000_CLAIM}`)).toBeLessThan(at('"path":"/spec/claimRef"'));
    expect(text).toContain("hcloud volume enable-protection 100200300 delete");
    expect(text).toContain("meta.helm.sh/release-name=prometheus-operator-crds");
  });

  it("after the pre-steps and the merge: every line is create, import or update, exit 0; the merged stack plans green with the import ids", () => {
    const merged = join(out(), "Pulumi.batchsender.adopted.yaml");
    const second = adopt(["--config", merged, "--stack", "batchsender", "--cluster", write("s0r.json", seed000({ reclaim: "Retain" }).cluster), "--hcloud-volumes", join(dir, "s0-hcloud.json"), "--out", join(dir, "out000b")]);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(linesOf(second.stdout, "blocked").concat(linesOf(second.stdout, "conflict"))).toEqual([]);
    expect(linesOf(second.stdout, "update").some((l) => l.includes("Namespace monitoring"))).toBe(true);
    expect(second.stdout).toMatch(new RegExp(`create +PersistentVolumeClaim monitoring/prometheus-strata-prometheus-db-prometheus-strata-prometheus-0 +new claim bound to the existing PersistentVolume ${SEED000_PV}`));

    const json = join(dir, "plan000.json");
    const importFile = join(dir, "import000.json");
    const planned = plan(["--config", merged, "--stack", "batchsender", "--json", json, "--import-file", importFile]);
    expect(planned.status, planned.stdout + planned.stderr).toBe(0);
    const p = JSON.parse(readFileSync(json, "utf8")) as Plan;
    const imported = p.resources.filter((r) => r.options.import);
    expect(imported.map((r) => [r.type, r.options.import, r.options.protect])).toEqual([["kubernetes:core/v1:Namespace", "monitoring", true]]);
    checkImportFile(JSON.parse(readFileSync(importFile, "utf8")) as ImportFile, p);
  });

  it("refuses while the release is pending-upgrade, and names the rollback to its last deployed revision", () => {
    const pending = seed000({ reclaim: "Retain", pendingUpgrade: true });
    const run = adopt(["--config", join(EXAMPLES, "Pulumi.batchsender.yaml"), "--cluster", write("s0p.json", pending.cluster), "--out", join(dir, "out000p")]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/Helm release monitoring\/prometheus: is pending-upgrade \(revision 3\)/);
    expect(run.stdout).toContain("fix: helm rollback prometheus 2 -n monitoring");
  });
});

/** Pulumi's bulk-import format (pulumi import --file): every entry a planned resource, every id in its provider's form. */
function checkImportFile(file: ImportFile, p: Plan) {
  expect(Object.keys(file).sort()).toEqual(["nameTable", "resources"]);
  const planned = new Map(p.resources.map((r) => [`${r.type} ${r.name}`, r]));
  expect(file.resources.length).toBe(p.resources.filter((r) => r.options.import).length);
  for (const entry of file.resources) {
    expect(Object.keys(entry).every((k) => ["type", "name", "id", "parent", "provider", "logicalName"].includes(k))).toBe(true);
    const r = planned.get(`${entry.type} ${entry.logicalName ?? entry.name}`);
    expect(r, `${entry.type} ${entry.name}`).toBeDefined();
    expect(entry.id).toBe(r!.options.import);
    if (entry.parent) expect(file.nameTable[entry.parent]).toBe(r!.parent);
    expect(file.nameTable[entry.provider!]).toBe(r!.options.provider);
    const form: Record<string, RegExp> = {
      "kubernetes:core/v1:Namespace": /^[a-z0-9-]+$/,
      "kubernetes:storage.k8s.io/v1:StorageClass": /^[a-z0-9.-]+$/,
      "kubernetes:core/v1:PersistentVolumeClaim": /^[a-z0-9-]+\/[a-z0-9.-]+$/,
      "kubernetes:helm.sh/v3:Release": /^[a-z0-9-]+\/[a-z0-9-]+$/,
      "aws:s3/bucket:Bucket": /^[a-z0-9][a-z0-9.-]+$/,
      "aws:kms/key:Key": /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
      "aws:kms/alias:Alias": /^alias\//,
      "hcloud:index/volume:Volume": /^[0-9]+$/,
    };
    expect(form[entry.type], `no id form known for ${entry.type}`).toBeDefined();
    expect(entry.id).toMatch(form[entry.type]!);
  }
}

describe("seed 001 (EKS, its own ebs-gp3 class, PostgreSQL 10Gi / RabbitMQ 5Gi / Valkey 2Gi claims)", () => {
  const file = join(EXAMPLES, "Pulumi.powerlifting.yaml");
  const dumps = () => ({ cluster: parseClusterDump(JSON.stringify(seed001().cluster), "seed001.json") });
  let findings: Findings;
  beforeAll(async () => {
    findings = match(await planOf(file), dumps());
  });

  it("blocked: the existing ebs-gp3 differs in parameters a class cannot change; the line says the config that clears it", () => {
    const line = findings.lines.find((l) => l.what === "StorageClass ebs-gp3")!;
    expect(line.verdict).toBe("blocked");
    expect(line.detail).toMatch(/parameters .*kmsKeyId.*tagSpecification_1/);
    expect(line.detail).toContain("cleared by storage.className: strata-ebs-gp3 (proposed in adopt-config.yaml)");
  });

  it("conflict: claims that hold the data under another name in the same namespace, and a claim of Strata's name that exists", () => {
    expect(verdictOf(findings, "PersistentVolumeClaim powerlifting/postgresql-data")).toEqual(["conflict"]);
    expect(findings.lines.find((l) => l.what === "PersistentVolumeClaim powerlifting/postgresql-data")!.detail).toMatch(/data-postgresql-0 holds postgresql's data under another name/);
    expect(verdictOf(findings, "PersistentVolumeClaim powerlifting/valkey-data")).toEqual(["conflict"]);
    // Each claim is adopted as it is, keeping the team's ebs-gp3; Strata's own class gets its own name.
    const kept = (claim: string) => ({ adopt: { claim }, storageClass: "ebs-gp3" });
    // ebs-gp3 is the cluster's default class and stays so: Strata's, renamed, is not made a second default.
    expect(findings.config).toEqual({ storage: { className: "strata-ebs-gp3", defaultClass: false, claims: { postgresql: kept("data-postgresql-0"), rabbitmq: kept("data-rabbitmq-0"), valkey: kept("valkey-data") } } });
    expect(findings.lines.find((l) => l.what === "PersistentVolumeClaim powerlifting/valkey-data")!.detail).toContain("its class ebs-gp3 is kept: cleared by storage.claims.valkey.storageClass: ebs-gp3");
    // Each EBS volume holding their data gets the tag DLM snapshots by.
    expect(findings.preSteps.flatMap((s) => s.commands)).toContain("aws ec2 create-tags --resources vol-0a1b2c3d4e5f60718 --tags 'Key=strata:snapshot-policy,Value=powerlifting-daily'");
  });

  it("update: with the proposed config merged, the claims are imported and only Strata's labels change; the application's namespace stays its own", async () => {
    const merged = match(await planOf(file, findings.config), dumps());
    const pg = merged.lines.find((l) => l.what === "PersistentVolumeClaim powerlifting/data-postgresql-0")!;
    expect(pg.verdict).toBe("update");
    expect(pg.detail).toBe("imported, then: labels (Strata's)");
    // The application's namespace is the application's (issue 21): Strata declares nothing of it, so nothing is imported.
    expect(verdictOf(merged, "Namespace powerlifting")).toEqual([]);
  });

  it("blocked: an adopted claim's class cannot change; the claim naming its existing class clears it", async () => {
    const adoptedOnly = { storage: { className: "strata-ebs-gp3", claims: { rabbitmq: { adopt: { claim: "data-rabbitmq-0" } } } } };
    const renamed = match(await planOf(file, adoptedOnly), dumps());
    const line = renamed.lines.find((l) => l.what === "PersistentVolumeClaim powerlifting/data-rabbitmq-0")!;
    expect(line.verdict).toBe("blocked");
    expect(line.detail).toMatch(/the claim's class ebs-gp3 != strata-ebs-gp3.*cleared by storage.claims.rabbitmq.storageClass: ebs-gp3/);
    expect(verdictOf(renamed, "StorageClass strata-ebs-gp3")).toEqual(["create"]);
    expect((renamed.config as any).storage.claims.rabbitmq).toEqual({ storageClass: "ebs-gp3" });
    const cleared = match(await planOf(file, { storage: { className: "strata-ebs-gp3", claims: { rabbitmq: { adopt: { claim: "data-rabbitmq-0" }, storageClass: "ebs-gp3" } } } }), dumps());
    expect(verdictOf(cleared, "PersistentVolumeClaim powerlifting/data-rabbitmq-0")).toEqual(["update"]);
  });

  it("end to end: npm run adopt proposes the config, the merged stack exits 0, and it plans green with the import ids in --json", () => {
    const cluster = write("s1.json", seed001().cluster);
    const first = adopt(["--config", file, "--cluster", cluster, "--out", join(dir, "out001")]);
    expect(first.status, first.stderr).toBe(1);
    const merged = join(dir, "out001", "Pulumi.powerlifting.adopted.yaml");
    const second = adopt(["--config", merged, "--stack", "powerlifting", "--cluster", cluster, "--out", join(dir, "out001b")]);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(linesOf(second.stdout, "blocked").concat(linesOf(second.stdout, "conflict"))).toEqual([]);
    expect(second.stdout).toContain("preflight: ok");
    for (const claim of ["data-postgresql-0", "data-rabbitmq-0", "valkey-data"]) expect(second.stdout).toMatch(new RegExp(`update +PersistentVolumeClaim powerlifting/${claim} +imported, then: labels \\(Strata's\\)`));
    expect(second.stdout).toMatch(/create +StorageClass strata-ebs-gp3/);
    expect(readFileSync(merged, "utf8")).toMatch(/defaultClass: false/);
    // The policy pack config the live preview needs approves the class the stack names.
    const pack = JSON.parse(readFileSync(join(dir, "out001b", "policy-pack-config.json"), "utf8"));
    expect(pack["strata-pvc-require-approved-class"].approvedClasses).toContain("strata-ebs-gp3");
    expect(pack["strata-dlm-require-storageclass-target-tag"].storageClasses).toContain("strata-ebs-gp3");

    const json = join(dir, "plan001.json");
    const importFile = join(dir, "import001.json");
    const planned = plan(["--config", merged, "--stack", "powerlifting", "--json", json, "--import-file", importFile]);
    expect(planned.status, planned.stdout + planned.stderr).toBe(0);
    const p = JSON.parse(readFileSync(json, "utf8")) as Plan;
    expect(p.policies.violations).toEqual([]);
    const imported = p.resources.filter((r) => r.options.import).map((r) => [r.type, r.options.import, r.options.protect, (r.inputs as any).spec?.storageClassName]);
    expect(imported).toEqual(["data-postgresql-0", "data-rabbitmq-0", "valkey-data"].map((c) => ["kubernetes:core/v1:PersistentVolumeClaim", `powerlifting/${c}`, true, "ebs-gp3"]));
    checkImportFile(JSON.parse(readFileSync(importFile, "utf8")) as ImportFile, p);
  });

  it("stays blocked where no config can help: an existing claim's access modes, and says what clears it", () => {
    const cluster = seed001().cluster;
    const pg = cluster.items.find((o: any) => o.kind === "PersistentVolumeClaim" && o.metadata.name === "data-postgresql-0") as any;
    pg.spec.accessModes = ["ReadWriteMany"];
    expect(() => validateK8sObject(pg)).not.toThrow();
    const run = adopt(["--config", join(dir, "out001", "Pulumi.powerlifting.adopted.yaml"), "--stack", "powerlifting", "--cluster", write("s1-rwx.json", cluster), "--out", join(dir, "out001c")]);
    expect(run.status, run.stderr).toBe(1);
    expect(linesOf(run.stdout, "blocked")).toEqual([expect.stringMatching(/PersistentVolumeClaim powerlifting\/data-postgresql-0 .*accessModes \["ReadWriteMany"\] != \["ReadWriteOnce"\] \(no stack key changes a claim's access modes.*copy the data to a new claim by hand, or leave this claim out of storage.claims\)/)]);
    // Nothing more to propose: the config already says all it can.
    expect(readFileSync(join(dir, "out001c", "adopt-config.yaml"), "utf8")).not.toContain("strata:storage");
  });

  it("blocked: a claim asking less than the existing one holds (claims cannot shrink)", async () => {
    const smaller = match(await planOf(file, { ...findings.config, storage: { claims: { ...(findings.config.storage as any).claims, postgresql: { size: "8Gi", adopt: { claim: "data-postgresql-0" } } } } }), dumps());
    expect(smaller.lines.find((l) => l.what === "PersistentVolumeClaim powerlifting/data-postgresql-0")!.detail).toMatch(/size 10Gi > 8Gi/);
  });

  it("blocked: an existing class that differs only in its reclaim policy (Delete), and the stack's config that clears it", async () => {
    const p = await planOf(file, { storage: { className: "ebs-gp3", adoptClass: true } });
    const declared = p.resources.find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass")!.inputs as Record<string, any>;
    const deleting = { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", ...declared, reclaimPolicy: "Delete", metadata: { ...declared.metadata, uid: "1", resourceVersion: "2" } };
    expect(() => validateK8sObject(deleting)).not.toThrow();
    const found = match(p, { cluster: parseClusterDump(JSON.stringify(list([namespace("powerlifting"), deleting])), "deleting.json") });
    const line = found.lines.find((l) => l.what === "StorageClass ebs-gp3")!;
    expect(line.verdict).toBe("blocked");
    expect(line.detail).toMatch(/^cannot change in place: reclaimPolicy Delete != Retain; cleared by storage.className: strata-ebs-gp3 and adoptClass: false/);
    expect(found.config).toEqual({ storage: { className: "strata-ebs-gp3", adoptClass: false, defaultClass: false } });
  });

  it("import: an existing class identical to Strata's where it matters is imported as it is", async () => {
    const p = await planOf(file, { storage: { className: "ebs-gp3", adoptClass: true } });
    const declared = p.resources.find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass")!.inputs as Record<string, any>;
    const identical = { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", ...declared, metadata: { ...declared.metadata, uid: "1", resourceVersion: "2" } };
    expect(() => validateK8sObject(identical)).not.toThrow();
    const cluster = list([namespace("powerlifting"), identical]);
    const found = match(p, { cluster: parseClusterDump(JSON.stringify(cluster), "identical.json") });
    expect(verdictOf(found, "StorageClass ebs-gp3")).toEqual(["import"]);
  });
});

describe("seed 004 (docker-compose migration: a new cluster, a year of mongo dumps in the team's own bucket)", () => {
  const file = join(EXAMPLES, "Pulumi.miyou.yaml");
  const adoptBucket = { archive: { adopt: { buckets: { backups: "miyou-monitoring-archive" } } }, retention: { legacyBackupPrefixes: [{ prefix: "mongo/", days: 730 }] } };

  it("update: the bucket is imported by name (its object lock left as it is), and keeps its mongo/YYYY/MM/DD dumps under their own expiry; exit 0", () => {
    const stack = write("Pulumi.miyou-adopt.yaml", readFileSync(file, "utf8").replace("config:\n", `config:\n  strata:archive:\n    adopt: { buckets: { backups: miyou-monitoring-archive } }\n    backups: { objectLock: { enabled: false } }\n`).replace("    backupArchiveDays: 365       # cold copies 180 days to a year\n", "    backupArchiveDays: 365       # cold copies 180 days to a year\n    legacyBackupPrefixes: [{ prefix: mongo/, days: 730 }]\n"));
    const s4 = seed004();
    const run = adopt(["--config", stack, "--stack", "miyou", "--cluster", write("s4.json", s4.cluster), "--buckets", write("s4-buckets.json", s4.buckets), "--out", join(dir, "out004")]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/update +S3 bucket miyou-monitoring-archive +imported, then: tags/);
    const imports = JSON.parse(readFileSync(join(dir, "out004", "import.json"), "utf8")) as ImportFile;
    expect(imports.resources).toEqual([expect.objectContaining({ type: "aws:s3/bucket:Bucket", name: "backups", id: "miyou-monitoring-archive" })]);
  });

  it("blocked: object lock on an adopted bucket (set only when a bucket is created), and a bucket the account does not list", async () => {
    const buckets = ["miyou-web-assets"];
    const locked = match(await planOf(file, { ...adoptBucket, archive: { ...adoptBucket.archive, backups: { objectLock: { enabled: true, mode: "GOVERNANCE", days: 30 } } } }), { cluster: parseClusterDump(JSON.stringify(seed004().cluster), "s4"), buckets: ["miyou-monitoring-archive"] });
    expect(locked.lines.find((l) => l.what === "S3 bucket miyou-monitoring-archive")).toMatchObject({ verdict: "blocked", detail: expect.stringMatching(/object lock/) });
    const missing = match(await planOf(file, adoptBucket), { cluster: parseClusterDump(JSON.stringify(seed004().cluster), "s4"), buckets });
    expect(missing.lines.find((l) => l.what === "S3 bucket miyou-monitoring-archive")).toMatchObject({ verdict: "blocked", detail: expect.stringMatching(/does not list it/) });
  });
});

describe("KMS keys by id and alias, against aws kms list-aliases (seed 001's account)", () => {
  const file = join(EXAMPLES, "Pulumi.powerlifting.yaml");
  const adoptKey = { archive: { adopt: { kmsKey: { id: SEED001_KEY, alias: "alias/powerlifting-backups" } } } };
  const cluster = () => parseClusterDump(JSON.stringify(seed001().cluster), "s1");
  const withAliases = (own?: Parameters<typeof seed001KmsAliases>[0]) => ({ cluster: cluster(), kmsAliases: parseKmsAliases(JSON.stringify(seed001KmsAliases(own)), "aliases.json") });
  const lineOf = (f: Findings, what: string) => f.lines.find((l) => l.what === what);

  it("update and import: the adopted key is seen through its alias, the alias points at it", async () => {
    const found = match(await planOf(file, adoptKey), withAliases());
    expect(lineOf(found, `KMS key ${SEED001_KEY}`)).toMatchObject({ verdict: "update", detail: expect.stringMatching(/^imported \(alias\/powerlifting-backups point at it\), then: policy/) });
    expect(lineOf(found, "KMS alias alias/powerlifting-backups")).toMatchObject({ verdict: "import", detail: `identical: points at the adopted key ${SEED001_KEY}` });
    expect(found.notes).toEqual([]);
  });

  it("conflict: the adopted alias points at another key (importing it would re-point it)", async () => {
    const found = match(await planOf(file, adoptKey), withAliases([{ AliasName: "alias/powerlifting-backups", TargetKeyId: "9f8e7d6c-5b4a-4321-8fed-cba987654321" }, { AliasName: "alias/powerlifting-old", TargetKeyId: SEED001_KEY }]));
    expect(lineOf(found, "KMS alias alias/powerlifting-backups")).toMatchObject({ verdict: "conflict", detail: expect.stringMatching(/points at key 9f8e7d6c-5b4a-4321-8fed-cba987654321, not the adopted key/) });
  });

  it("blocked: an adopted key no alias points at, and an adopted alias that does not exist; each says what clears it", async () => {
    const found = match(await planOf(file, adoptKey), withAliases([]));
    expect(lineOf(found, `KMS key ${SEED001_KEY}`)).toMatchObject({ verdict: "blocked", detail: expect.stringContaining(`aws kms create-alias --alias-name alias/<name> --target-key-id ${SEED001_KEY}`) });
    expect(lineOf(found, "KMS alias alias/powerlifting-backups")).toMatchObject({ verdict: "blocked", detail: expect.stringMatching(/does not list it: the import would fail/) });
  });

  it("conflict: an alias Strata would create exists; the archive's is adopted with its key (proposed), another is named by hand; create where nothing is there", async () => {
    const p = await planOf(file);
    const archiveAlias = String((p.resources.find((r) => r.type === "aws:kms/alias:Alias" && r.name === "archive")!.inputs as any).name);
    const ebsAlias = String((p.resources.find((r) => r.type === "aws:kms/alias:Alias" && r.name === "ebs")!.inputs as any).name);
    const found = match(p, withAliases([{ AliasName: archiveAlias, TargetKeyId: SEED001_KEY }, { AliasName: ebsAlias, TargetKeyId: "0b7c2e4f-9a1d-4c3b-8e6f-5d4a3b2c1e0f" }]));
    expect(lineOf(found, `KMS alias ${archiveAlias}`)?.verdict).toBe("conflict");
    expect(found.config).toMatchObject({ archive: { adopt: { kmsKey: { id: SEED001_KEY, alias: archiveAlias } } } });
    expect(lineOf(found, `KMS alias ${ebsAlias}`)).toMatchObject({ verdict: "conflict", detail: expect.stringContaining(`aws kms delete-alias --alias-name ${ebsAlias} removes the name only`) });
    expect(lineOf(found, "KMS key archive")).toMatchObject({ verdict: "create" });
    // The replica's alias lives in another region than the dump's: said, not guessed.
    expect(found.lines.find((l) => l.what.startsWith("KMS alias") && l.name === "backups-replica")).toMatchObject({ verdict: "create", detail: "not checked: in region us-west-2, the --kms-aliases dump is of us-east-1" });
  });

  it("through the CLI: the dump exactly as the AWS CLI prints it; without one the report says the keys were not checked; a wrong shape is bad input", () => {
    const kept = (claim: string) => ({ adopt: { claim }, storageClass: "ebs-gp3" });
    const proposal = { storage: { className: "strata-ebs-gp3", defaultClass: false, claims: { postgresql: kept("data-postgresql-0"), rabbitmq: kept("data-rabbitmq-0"), valkey: kept("valkey-data") } }, ...adoptKey };
    const stack = write("Pulumi.powerlifting-kms.yaml", mergedStackFile(readFileSync(file, "utf8"), proposal));
    const cluster = write("s1k.json", seed001().cluster);
    const checked = adopt(["--config", stack, "--stack", "powerlifting", "--cluster", cluster, "--kms-aliases", write("aliases.json", seed001KmsAliases()), "--out", join(dir, "outkms")]);
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).not.toContain("KMS keys and aliases were not checked");
    const imports = JSON.parse(readFileSync(join(dir, "outkms", "import.json"), "utf8")) as ImportFile;
    expect(imports.resources.filter((e) => e.type.startsWith("aws:kms")).map((e) => [e.type, e.id])).toEqual([["aws:kms/key:Key", SEED001_KEY], ["aws:kms/alias:Alias", "alias/powerlifting-backups"]]);
    const json = join(dir, "plankms.json");
    const planned = plan(["--config", stack, "--stack", "powerlifting", "--json", json]);
    expect(planned.status, planned.stdout + planned.stderr).toBe(0);
    checkImportFile(imports, JSON.parse(readFileSync(json, "utf8")) as Plan);
    const unchecked = adopt(["--config", stack, "--stack", "powerlifting", "--cluster", cluster, "--out", join(dir, "outkms2")]);
    expect(unchecked.stdout).toContain("KMS keys and aliases were not checked: no --kms-aliases dump (aws kms list-aliases)");
    expect(unchecked.stdout).toMatch(new RegExp(`update +KMS key ${SEED001_KEY} +imported \\(not checked: no --kms-aliases dump`));
    const bad = adopt(["--config", stack, "--stack", "powerlifting", "--cluster", cluster, "--kms-aliases", write("keys.json", { Keys: [{ KeyId: SEED001_KEY }] }), "--out", join(dir, "outkms3")]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("is not the output of aws kms list-aliases");
  });
});

describe("no path deletes or empties a volume, a bucket or a key", () => {
  it("every pre-steps.sh written above deletes a claim only after its volume is checked to be Retain, and nothing else", () => {
    const outs = readdirSync(dir).filter((d) => d.startsWith("out") && existsSync(join(dir, d, "pre-steps.sh")));
    expect(outs.length).toBeGreaterThanOrEqual(5);
    for (const out of outs) {
      const lines = readFileSync(join(dir, out, "pre-steps.sh"), "utf8").split("\n");
      const forbidden = /\bdelete pv\b|\bdelete persistentvolume\b|s3 rb|s3 rm|delete-bucket|delete-objects?\b|schedule-key-deletion|disable-key|hcloud volume delete|disable-protection|delete-volume|persistentVolumeReclaimPolicy":"Delete/;
      expect(lines.filter((l) => forbidden.test(l)), out).toEqual([]);
      lines.forEach((l, i) => {
        const claim = / delete pvc (\S+)/.exec(l);
        if (!claim) return;
        // The volume behind it was checked to be Retain in the same step, before.
        expect(lines.slice(0, i).some((prev) => prev.startsWith("test \"$(kubectl get pv ") && prev.endsWith("= Retain")), `${out}: ${l}`).toBe(true);
      });
    }
  });
});

describe("refusals and bad input", () => {
  it("refuses a volume adopted for a claim while it is reclaim Delete", async () => {
    const [pvc, pv] = boundVolume({ pv: "pvc-aaaa", claim: "data-postgresql-0", namespace: "powerlifting", size: "10Gi", className: "ebs-gp3", driver: "ebs.csi.aws.com", handle: "vol-0a1b2c3d4e5f60718", reclaim: "Delete" });
    const p = await planOf(join(EXAMPLES, "Pulumi.powerlifting.yaml"), { storage: { claims: { postgresql: { adopt: { claim: "data-postgresql-0" } } } } });
    const found = match(p, { cluster: parseClusterDump(JSON.stringify(list([namespace("powerlifting"), pvc!, pv!])), "d") });
    expect(found.refusals).toEqual([expect.objectContaining({ what: "PersistentVolume pvc-aaaa", fix: `kubectl patch pv pvc-aaaa -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'` })]);
  });

  it("refuses a volume on reclaim Delete behind claims the stack conflicts with (Strata's name, or the data under another name)", async () => {
    const cluster = seed001().cluster;
    for (const pv of cluster.items.filter((o: any) => o.kind === "PersistentVolume") as any[]) pv.spec.persistentVolumeReclaimPolicy = "Delete";
    const found = match(await planOf(join(EXAMPLES, "Pulumi.powerlifting.yaml")), { cluster: parseClusterDump(JSON.stringify(cluster), "d") });
    expect(verdictOf(found, "PersistentVolumeClaim powerlifting/valkey-data")).toEqual(["conflict"]);
    const pvs = (cluster.items.filter((o: any) => o.kind === "PersistentVolume") as any[]).map((pv) => pv.metadata.name as string);
    expect(found.refusals.map((r) => r.what).sort()).toEqual(pvs.map((n) => `PersistentVolume ${n}`).sort());
    for (const r of found.refusals) expect(r.fix).toBe(`kubectl patch pv ${r.what.split(" ")[1]} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`);
  });

  it("exits 2 on a dump that is not what kubectl prints, and on a missing file", () => {
    const notList = adopt(["--config", join(EXAMPLES, "Pulumi.batchsender.yaml"), "--cluster", write("bad.json", { items: [] }), "--out", join(dir, "bad")]);
    expect(notList.status).toBe(2);
    expect(notList.stderr).toMatch(/is not a kubectl List/);
    const missing = adopt(["--config", join(EXAMPLES, "Pulumi.batchsender.yaml"), "--cluster", join(dir, "nope.json"), "--out", join(dir, "bad")]);
    expect(missing.status).toBe(2);
    const hcloud = adopt(["--config", join(EXAMPLES, "Pulumi.batchsender.yaml"), "--cluster", join(dir, "s0.json"), "--hcloud-volumes", write("h.json", { volumes: [] }), "--out", join(dir, "bad")]);
    expect(hcloud.status).toBe(2);
    expect(hcloud.stderr).toMatch(/hcloud volume list -o json/);
  });

  it("mergeStackConfig merges objects key by key, as the stack file would", () => {
    const merged = mergeStackConfig({ values: { "strata:storage": JSON.stringify({ fsType: "xfs", claims: { a: { namespace: "n", size: "10Gi" } } }) }, secretKeys: [] }, { storage: { claims: { a: { adopt: { claim: "x" } } } } });
    expect(JSON.parse(merged.values["strata:storage"]!)).toEqual({ fsType: "xfs", claims: { a: { namespace: "n", size: "10Gi", adopt: { claim: "x" } } } });
  });
});

// The pack on the real dev and prod plans, and mutation cases: break exactly one rule in the prod plan JSON and show
// `npm run policies -- --plan FILE` exit 1 naming that policy.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../infra/plan/harness";
import type { RecordedResource } from "../../infra/plan/recordingMonitor";
import { plan, STACKS } from "../../test/helpers/plan";
import { POLICIES } from "../rules";
import { WORKLOAD_TYPES } from "../core/util";
import { PROJECT_DIR, runScript } from "./helpers/cli";

const work = mkdtempSync(join(tmpdir(), "strata-policies-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(STACKS)("the %s plan", (stack) => {
  it("evaluates every policy and has no mandatory violation", async () => {
    const p = await plan(stack);
    expect(p.policies.evaluated.sort()).toEqual(POLICIES.map((x) => x.name).sort());
    expect(p.policies.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("passes every pod rule, advisory ones too, on every pod template it declares (the WAL receiver's StatefulSet included)", async () => {
    const p = await plan(stack);
    expect(p.policies.violations.filter((v) => v.policy.startsWith("strata-pod-") || v.policy === "strata-workload-require-pinned-images")).toEqual([]);
    const podCarriers = p.resources.filter((r) => WORKLOAD_TYPES.includes(r.type as (typeof WORKLOAD_TYPES)[number]));
    expect(podCarriers.length).toBeGreaterThan(0);
  });
});

type Mutation = (plan: Plan) => void;

/** Thrown by a mutation whose resource type is not in the prod plan (yet): its test is skipped, not failed. */
class NotInPlan extends Error {}

function first(plan: Plan, type: string, name?: string): RecordedResource {
  if (!plan.resources.some((r) => r.type === type)) throw new NotInPlan(`the prod plan has no ${type} yet`);
  const found = plan.resources.find((r) => r.type === type && (name === undefined || r.name === name));
  if (!found) throw new Error(`the prod plan has no ${type}${name ? ` named ${name}` : ""} any more; update this mutation`);
  return found;
}

const inputs = (plan: Plan, type: string, name?: string) => first(plan, type, name).inputs as Record<string, any>;

/** Rewrites a JSON policy document input in place. */
function editDocument(plan: Plan, type: string, name: string, edit: (statements: Record<string, any>[]) => void): void {
  const i = inputs(plan, type, name);
  const doc = JSON.parse(i.policy as string) as { Statement: Record<string, any>[] };
  edit(doc.Statement);
  i.policy = JSON.stringify(doc);
}

const S3 = "aws:s3/";
const HELM = "kubernetes:helm.sh/v3:Release";
const SC = "kubernetes:storage.k8s.io/v1:StorageClass";
const DLM = "aws:dlm/lifecyclePolicy:LifecyclePolicy";
const CRONJOB = "kubernetes:batch/v1:CronJob";
const statement = (statements: Record<string, any>[], sid: string) => {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} any more; update this mutation`);
  return found;
};

/**
 * One entry per mandatory policy whose resource types occur in the prod plan: each breaks exactly that rule. When
 * a resource type lands in the plan, the completeness test below names the policies that need an entry here. An
 * entry whose resource type is not in the plan yet is skipped (written ahead for work in flight, e.g. storage);
 * one whose type is there but whose resource is not fails, so entries cannot rot silently.
 */
export const MUTATIONS: Record<string, Mutation> = {
  "strata-stateful-require-protection": (p) => {
    const ns = first(p, "kubernetes:core/v1:Namespace");
    ns.options.protect = false;
    ns.options.retainOnDelete = false;
  },
  "strata-s3-require-versioning": (p) => {
    inputs(p, `${S3}bucketVersioning:BucketVersioning`, "metrics").versioningConfiguration.status = "Suspended";
  },
  "strata-s3-require-kms-encryption": (p) => {
    inputs(p, `${S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration`, "metrics").rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" };
  },
  "strata-s3-require-public-access-block": (p) => {
    inputs(p, `${S3}bucketPublicAccessBlock:BucketPublicAccessBlock`, "metrics").blockPublicPolicy = false;
  },
  "strata-s3-require-owner-enforced": (p) => {
    inputs(p, `${S3}bucketOwnershipControls:BucketOwnershipControls`, "metrics").rule.objectOwnership = "ObjectWriter";
  },
  "strata-s3-require-secure-transport": (p) => {
    editDocument(p, `${S3}bucketPolicy:BucketPolicy`, "metrics", (s) => s.splice(s.indexOf(statement(s, "DenyInsecureTransport")), 1));
  },
  "strata-s3-forbid-force-destroy": (p) => {
    inputs(p, `${S3}bucket:Bucket`, "metrics").forceDestroy = true;
  },
  "strata-s3-require-bucket-controls": (p) => {
    p.resources.splice(p.resources.indexOf(first(p, `${S3}bucketPublicAccessBlock:BucketPublicAccessBlock`, "metrics")), 1);
  },
  "strata-s3-forbid-archive-transition": (p) => {
    const rules = inputs(p, `${S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration`, "metrics").rules as Record<string, any>[];
    rules.find((r) => r.transitions)!.transitions[0].storageClass = "GLACIER";
  },
  "strata-kms-require-rotation": (p) => {
    inputs(p, "aws:kms/key:Key", "archive").enableKeyRotation = false;
  },
  "strata-kms-require-deletion-window": (p) => {
    inputs(p, "aws:kms/key:Key", "archive").deletionWindowInDays = 7;
  },
  "strata-iam-forbid-wildcard-actions": (p) => {
    editDocument(p, "aws:iam/rolePolicy:RolePolicy", "prometheus", (s) => (statement(s, "ObjectAccess").Action = "s3:*"));
  },
  "strata-iam-forbid-wildcard-resources": (p) => {
    editDocument(p, "aws:iam/rolePolicy:RolePolicy", "prometheus", (s) => (statement(s, "ObjectAccess").Resource = "*"));
  },
  "strata-helm-require-pinned-chart": (p) => {
    inputs(p, HELM, "kube-prometheus-stack").version = "^88.5.0";
  },
  "strata-helm-require-pinned-images": (p) => {
    inputs(p, HELM, "kube-prometheus-stack").values.prometheus.prometheusSpec.image.tag = "latest";
  },
  "strata-thanos-require-replica-dedup": (p) => {
    inputs(p, HELM, "thanos").values.query.replicaLabels = ["replica"];
  },
  "strata-thanos-require-single-compactor": (p) => {
    inputs(p, HELM, "thanos").values.compactor.replicaCount = 2;
  },
  "strata-retention-require-ordering": (p) => {
    inputs(p, HELM, "kube-prometheus-stack").values.prometheus.prometheusSpec.retention = "60d";
  },
  "strata-secret-forbid-plaintext": (p) => {
    inputs(p, "kubernetes:core/v1:Secret", "thanos-objstore").stringData = { "objstore.yml": "type: S3" };
  },
  // Storage (StorageClasses, PVCs, DLM): active once the storage area is in the prod plan.
  "strata-storageclass-require-retain": (p) => {
    inputs(p, SC, "ebs-gp3").reclaimPolicy = "Delete";
  },
  "strata-storageclass-require-encryption": (p) => {
    inputs(p, SC, "ebs-gp3").parameters.encrypted = "false";
  },
  "strata-pvc-require-approved-class": (p) => {
    inputs(p, "kubernetes:core/v1:PersistentVolumeClaim").spec.storageClassName = "gp2";
  },
  "strata-dlm-require-enabled-retention": (p) => {
    inputs(p, DLM).policyDetails.schedules[0].retainRule = { count: 0 };
  },
  "strata-dlm-require-storageclass-target-tag": (p) => {
    inputs(p, DLM).policyDetails.targetTags = { "strata:snapshot-target": "not-on-any-volume" };
  },
  // Backups (CronJobs): active once backup CronJobs are in the prod plan.
  "strata-backup-require-restore-drill": (p) => {
    first(p, CRONJOB);
    p.resources = p.resources.filter((r) => !(r.type === CRONJOB && (r.inputs.metadata as { labels?: Record<string, string> })?.labels?.["app.kubernetes.io/name"] === "strata-drill"));
  },
  "strata-pod-require-restricted-security": (p) => {
    // The WAL receiver is a StatefulSet, not a job: running it privileged as root must fail the pack too.
    const pod = inputs(p, "kubernetes:apps/v1:StatefulSet").spec.template.spec;
    pod.securityContext.runAsNonRoot = false;
    pod.containers[0].securityContext = { ...pod.containers[0].securityContext, runAsNonRoot: false, runAsUser: 0, privileged: true };
  },
  "strata-pod-forbid-literal-credentials": (p) => {
    inputs(p, CRONJOB).spec.jobTemplate.spec.template.spec.containers[0].env.push({ name: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
  },
  "strata-workload-require-pinned-images": (p) => {
    inputs(p, CRONJOB).spec.jobTemplate.spec.template.spec.containers[0].image = "docker.io/library/postgres:latest";
  },
  "strata-cronjob-require-run-limits": (p) => {
    inputs(p, CRONJOB, "postgresql-backup").spec.concurrencyPolicy = "Allow";
  },
  "strata-customresource-require-crd-first": (p) => {
    const installer = first(p, HELM, "prometheus-operator-crds");
    const rule = first(p, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "backups-rules");
    rule.options.dependsOn = (rule.options.dependsOn ?? []).filter((urn) => urn !== installer.urn);
  },
  "strata-iam-forbid-backup-deletes": (p) => {
    editDocument(p, "aws:iam/rolePolicy:RolePolicy", "backup-postgresql", (s) => statement(s, "ObjectAccess").Action.push("s3:DeleteObject"));
  },
};

describe("mutations of the prod plan, through npm run policies -- --plan FILE", () => {
  let base: string;
  beforeAll(() => {
    const file = join(work, "prod.json");
    const result = runScript("plan", ["prod", "--json", file]);
    expect(result.status, result.stderr).toBe(0);
    base = readFileSync(file, "utf8");
  });

  it("passes the unmodified prod plan (exit 0)", () => {
    const result = runScript("policies", ["--plan", join(work, "prod.json")]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`${POLICIES.length} evaluated .* 0 mandatory`));
  });

  it("has a mutation case for every mandatory policy whose resource types are in the prod plan", () => {
    const types = new Set((JSON.parse(base) as Plan).resources.map((r) => r.type));
    const needed = POLICIES.filter((p) => p.enforcementLevel === "mandatory" && (p.kind === "resource" ? p.types : p.subjects).some((t) => types.has(t))).map((p) => p.name);
    expect(needed.filter((n) => !(n in MUTATIONS)), "add these to MUTATIONS in policies/test/plans.test.ts").toEqual([]);
  });

  it.for(Object.keys(MUTATIONS))("%s: breaking it exits 1 and names the policy", (name, ctx) => {
    const mutated = JSON.parse(base) as Plan;
    try {
      MUTATIONS[name]!(mutated);
    } catch (error) {
      if (error instanceof NotInPlan) return ctx.skip(error.message);
      throw error;
    }
    const file = join(work, `${name}.json`);
    writeFileSync(file, JSON.stringify(mutated));
    const result = runScript("policies", ["--plan", file]);
    expect(result.status, result.stdout + result.stderr).toBe(1);
    const mandatory = result.stdout.split("\n").filter((l) => l.trim().startsWith("MANDATORY"));
    expect(mandatory.length).toBeGreaterThan(0);
    for (const line of mandatory) expect(line).toContain(name);
  });
});

describe("npm run policies (the CLI)", () => {
  it("exits 2 on a file that is not JSON, or not a plan, and names it", () => {
    const notJson = join(work, "broken.json");
    writeFileSync(notJson, "{ not json");
    const a = runScript("policies", ["--plan", notJson]);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("broken.json");
    const notPlan = join(work, "not-a-plan.json");
    writeFileSync(notPlan, JSON.stringify({ resources: "none" }));
    expect(runScript("policies", ["--plan", notPlan]).status).toBe(2);
    expect(runScript("policies", ["--plan", join(work, "missing.json")]).status).toBe(2);
  });

  it("exits 64 without --plan", () => {
    expect(runScript("policies", []).status).toBe(64);
  });

  it("honours a policy config file (the --policy-pack-config format): a mandatory violation turned advisory exits 0", () => {
    const mutated = JSON.parse(readFileSync(join(work, "prod.json"), "utf8")) as Plan;
    MUTATIONS["strata-stateful-require-protection"]!(mutated);
    const file = join(work, "advisory.json");
    writeFileSync(file, JSON.stringify(mutated));
    // A config file replaces the default one (policies/config.json): start from it.
    const config = join(work, "policy-config.json");
    const defaults = JSON.parse(readFileSync(join(PROJECT_DIR, "policies", "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(config, JSON.stringify({ ...defaults, "strata-stateful-require-protection": "advisory" }));
    const result = runScript("policies", ["--plan", file, "--policy-config", config]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("ADVISORY  strata-stateful-require-protection");
  });
});

describe("npm run plan with the pack", () => {
  it("exits 1 and prints the violation when the policy config makes the plan fail, 2 on an unreadable policy config", () => {
    const config = join(work, "strict.json");
    writeFileSync(config, JSON.stringify({ "strata-stateful-require-protection": { environment: "prod", types: ["pulumi:providers:aws"] } }));
    const result = runScript("plan", ["dev", "--policy-config", config]);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/MANDATORY {2}strata-stateful-require-protection {2}urn:pulumi:dev::strata::\S*pulumi:providers:aws::aws/);
    const broken = join(work, "broken-config.json");
    writeFileSync(broken, "[");
    expect(runScript("plan", ["dev", "--policy-config", broken]).status).toBe(2);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../infra/plan/stackFile";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  strategy?: { matrix?: { stack?: string[] } };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const dir = join(PROJECT_DIR, ".github", "workflows");
const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));
const text = (file: string) => readFileSync(join(dir, file), "utf8");
// js-yaml reads `on:` as the key "on" (YAML 1.2 core schema has no `on` boolean).
const workflow = (file: string) => load(text(file)) as Workflow;
const allJobs = files.flatMap((f) => Object.entries(workflow(f).jobs).map(([id, job]) => ({ file: f, id, job })));
const stepsUsing = (job: Job, action: string) => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));
const pulumiStep = (job: Job) => stepsUsing(job, "pulumi/actions")[0];

/**
 * The release each action is pinned to, resolved from the actions' own repositories' tags (git rev-parse
 * <tag>^{commit}); a bump changes the SHA and the version comment here and in every workflow together.
 */
const PINS: Record<string, { sha: string; version: string }> = {
  "actions/checkout": { sha: "3d3c42e5aac5ba805825da76410c181273ba90b1", version: "v7.0.1" },
  "actions/setup-node": { sha: "820762786026740c76f36085b0efc47a31fe5020", version: "v7.0.0" },
  "actions/upload-artifact": { sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", version: "v7.0.0" },
  "aws-actions/configure-aws-credentials": { sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c", version: "v6.2.3" },
  "pulumi/actions": { sha: "8e5e406f4007fca908480587cb9893c07090f58d", version: "v7.0.0" },
};

describe("workflows", () => {
  it("exist for pull requests, main and the drift schedule", () => {
    expect(files.sort()).toEqual(["deploy.yml", "drift.yml", "pull-request.yml"]);
  });

  it("pin every action to a full commit SHA with its version as a comment, and only the known releases", () => {
    for (const file of files) {
      const uses = [...text(file).matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length, file).toBeGreaterThan(0);
      for (const [, ref, rest] of uses) {
        const [action, sha] = ref!.split("@");
        expect(sha, `${file}: ${ref}`).toMatch(/^[0-9a-f]{40}$/);
        expect(PINS[action!], `${file}: ${action} is not in the pin table`).toBeDefined();
        expect(sha, `${file}: ${action}`).toBe(PINS[action!]!.sha);
        expect(rest!.trim(), `${file}: ${action}`).toBe(`# ${PINS[action!]!.version}`);
      }
    }
  });

  it("grant nothing at the top and only what each job uses", () => {
    for (const file of files) expect(workflow(file).permissions, file).toEqual({});
    for (const { file, id, job } of allJobs) {
      const where = `${file} ${id}`;
      const expected: Record<string, string> = { contents: "read" };
      if (stepsUsing(job, "aws-actions/configure-aws-credentials").length) expected["id-token"] = "write";
      if (pulumiStep(job)?.with?.["comment-on-pr"] === true) expected["pull-requests"] = "write";
      expect(job.permissions, where).toEqual(expected);
    }
  });

  it("use OIDC role assumption for AWS, never access keys", () => {
    for (const file of files) expect(text(file), file).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    const aws = allJobs.flatMap(({ job }) => stepsUsing(job, "aws-actions/configure-aws-credentials"));
    expect(aws.length).toBeGreaterThanOrEqual(4);
    for (const step of aws) expect(String(step.with?.["role-to-assume"])).toMatch(/^\$\{\{ .*vars\./);
  });

  it("never put a secret where a shell could print it", () => {
    for (const { file, id, job } of allJobs) {
      for (const step of job.steps) {
        const where = `${file} ${id} ${step.name ?? step.uses}`;
        if (step.run) {
          expect(step.run, where).not.toMatch(/secrets\.|PULUMI_ACCESS_TOKEN|HCLOUD_TOKEN|set -x/);
          expect(JSON.stringify(step.env ?? {}), where).not.toMatch(/secrets\./);
        }
        // Secrets only reach actions, through env or with.
        for (const [key, value] of Object.entries({ ...step.env, ...step.with })) {
          if (String(value).includes("secrets.")) expect(step.uses, `${where} ${key}`).toMatch(/^pulumi\/actions@/);
        }
      }
      for (const step of job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"))) expect(step.with?.["persist-credentials"], `${file} ${id}`).toBe(false);
    }
  });

  it("run on the Node version scripts/ensure-node.sh installs, and the Pulumi CLI of the SDK in package.json", () => {
    const node = /STRATA_NODE_VERSION="([\d.]+)"/.exec(readFileSync(join(PROJECT_DIR, "scripts", "ensure-node.sh"), "utf8"))![1];
    const sdk = (JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
    for (const { file, id, job } of allJobs) {
      for (const step of stepsUsing(job, "actions/setup-node")) expect(step.with?.["node-version"], `${file} ${id}`).toBe(node);
      const pulumi = pulumiStep(job);
      if (pulumi) expect(pulumi.with?.["pulumi-version"], `${file} ${id}`).toBe(sdk);
    }
  });

  it("install root and policies/ packages wherever the program or the pack runs", () => {
    for (const { file, id, job } of allJobs.filter(({ job }) => pulumiStep(job) || job.steps.some((s) => s.run?.includes("npm run plan")))) {
      const install = job.steps.find((s) => s.run?.includes("npm ci"))?.run ?? "";
      expect(install, `${file} ${id}`).toMatch(/^npm ci\b/m);
      expect(install, `${file} ${id}`).toMatch(/npm ci .*--prefix policies/);
    }
  });
});

describe("pull-request.yml", () => {
  const wf = workflow("pull-request.yml");
  it("runs on pull requests", () => expect(Object.keys(wf.on)).toEqual(["pull_request"]));

  it("runs the tests through .ci/run", () => {
    expect(wf.jobs.test!.steps.some((s) => /\bbash \.ci\/run$/.test(s.run ?? ""))).toBe(true);
  });

  it("runs the offline plan of dev and prod with --json and uploads each as an artifact", () => {
    const plan = wf.jobs.plan!;
    expect(plan.strategy?.matrix?.stack).toEqual(["dev", "prod"]);
    const run = plan.steps.find((s) => s.run?.includes("npm run plan"))!;
    expect(run.run).toContain('--json "plan-${STACK}.json"');
    expect(run.env).toEqual({ STACK: "${{ matrix.stack }}" });
    expect(stepsUsing(plan, "actions/upload-artifact")[0]!.with).toMatchObject({ name: "plan-${{ matrix.stack }}", path: "plan-${{ matrix.stack }}.json", "if-no-files-found": "error" });
  });

  it("previews each stack with the policy pack and comments on the pull request, after tests and plan", () => {
    const preview = wf.jobs.preview!;
    expect(preview.needs).toEqual(["test", "plan"]);
    expect(preview.strategy?.matrix?.stack).toEqual(["dev", "prod"]);
    expect(pulumiStep(preview)!.with).toMatchObject({ command: "preview", "stack-name": "${{ vars.PULUMI_ORG }}/strata/${{ matrix.stack }}", policyPacks: "policies", "comment-on-pr": true });
    expect(preview.concurrency).toEqual({ group: "strata-preview-${{ matrix.stack }}-pr-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
  });
});

describe("deploy.yml", () => {
  const wf = workflow("deploy.yml");
  it("runs on pushes to main", () => expect(wf.on).toEqual({ push: { branches: ["main"] } }));

  it("updates dev, then prod behind the protected prod environment", () => {
    const dev = wf.jobs["up-dev"]!;
    const prod = wf.jobs["up-prod"]!;
    expect(pulumiStep(dev)!.with).toMatchObject({ command: "up", "stack-name": "${{ vars.PULUMI_ORG }}/strata/dev", policyPacks: "policies" });
    expect(pulumiStep(prod)!.with).toMatchObject({ command: "up", "stack-name": "${{ vars.PULUMI_ORG }}/strata/prod", policyPacks: "policies" });
    expect(prod.needs).toBe("up-dev");
    expect(prod.environment).toBe("prod");
    // The offline plan gates each update before any credentials are obtained.
    for (const job of [dev, prod]) {
      const planAt = job.steps.findIndex((s) => s.run?.startsWith("npm run plan"));
      const credsAt = job.steps.findIndex((s) => s.uses?.startsWith("aws-actions/"));
      expect(planAt).toBeGreaterThan(-1);
      expect(planAt).toBeLessThan(credsAt);
    }
  });

  it("never runs two operations on one stack and never cancels an update", () => {
    expect(wf.jobs["up-dev"]!.concurrency).toEqual({ group: "strata-stack-dev", "cancel-in-progress": false });
    expect(wf.jobs["up-prod"]!.concurrency).toEqual({ group: "strata-stack-prod", "cancel-in-progress": false });
  });
});

describe("drift.yml", () => {
  const wf = workflow("drift.yml");
  it("runs on a schedule (and by hand) for each stack", () => {
    expect(wf.on).toHaveProperty("schedule");
    expect((wf.on.schedule as { cron: string }[])[0]!.cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(wf.jobs.drift!.strategy?.matrix?.stack).toEqual(["dev", "prod"]);
  });

  it("refreshes in preview mode and fails on any change, in the deploy's concurrency group", () => {
    const drift = wf.jobs.drift!;
    expect(pulumiStep(drift)!.with).toMatchObject({ command: "preview", refresh: true, "expect-no-changes": true });
    expect(drift.concurrency).toEqual({ group: "strata-stack-${{ matrix.stack }}", "cancel-in-progress": false });
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPlan } from "../infra/plan/harness";
import { PROJECT_DIR, readStackConfigFile } from "../infra/plan/stackFile";

/**
 * Every shipped stack keeps the name of every resource it declared before issue 21 (test/fixtures/urns/<stack>.txt,
 * recorded with `npm run plan -- <stack> --json` on the commit before the change), so no user's volume, bucket or
 * key is replaced by a renamed twin. A stack may only lose resources listed in test/fixtures/urns/removed.json, each
 * under the reason docs/upgrading.md gives the safe path for:
 * - telemetry: the OpenFinOps ConfigMap and Secret, declared only when `strata:telemetry.backend` is set;
 * - applicationNamespace: an application's namespace, created only with the claim's `createNamespace: true`;
 * - backupsWithoutTargets: the backups bucket, its replica and key, its namespace, rules and dashboard, declared only
 *   while a backup target writes to it;
 * - archiveOnHetzner: seed 000's example moved its archive to Hetzner Object Storage (issue 24): the AWS-only parts of
 *   its buckets (KMS key, replica, access logs, policies, ownership controls) and the aws provider are not declared.
 */
const STACKS: Record<string, string> = {
  dev: "Pulumi.dev.yaml",
  prod: "Pulumi.prod.yaml",
  batchsender: "examples/stacks/Pulumi.batchsender.yaml",
  greenlang: "examples/stacks/Pulumi.greenlang.yaml",
  miyou: "examples/stacks/Pulumi.miyou.yaml",
  openfinops: "examples/stacks/Pulumi.openfinops.yaml",
  powerlifting: "examples/stacks/Pulumi.powerlifting.yaml",
};
const FIXTURES = join(PROJECT_DIR, "test", "fixtures", "urns");
const REMOVED = JSON.parse(readFileSync(join(FIXTURES, "removed.json"), "utf8")) as Record<string, Record<string, string[]>>;
const REASONS = ["telemetry", "applicationNamespace", "backupsWithoutTargets", "archiveOnHetzner"];

describe("resource names of the shipped stacks", () => {
  it.each(Object.entries(STACKS))("%s keeps every resource name it had, losing only the documented ones", async (stack, file) => {
    const before = readFileSync(join(FIXTURES, `${stack}.txt`), "utf8").trim().split("\n");
    const outcome = await runPlan({ project: "strata", stack, config: readStackConfigFile(join(PROJECT_DIR, file)) });
    if (!outcome.ok) throw new Error(outcome.error.message);
    const now = new Set(outcome.plan.resources.map((r) => r.urn));
    const gone = before.filter((u) => !now.has(u)).sort();
    const documented = Object.values(REMOVED[stack] ?? {}).flat().sort();
    expect(gone).toEqual(documented);
    for (const reason of Object.keys(REMOVED[stack] ?? {})) expect(REASONS).toContain(reason);
    // Nothing of what stays was renamed: every name that is new is not a twin of one that went.
    const names = (urns: Iterable<string>) => new Set([...urns].map((u) => u.split("::").at(-1)));
    const goneNames = names(gone);
    const added = [...now].filter((u) => !before.includes(u));
    expect(added.filter((u) => goneNames.has(u.split("::").at(-1)))).toEqual([]);
  });

  it("the documented removals are what docs/upgrading.md explains", () => {
    const doc = readFileSync(join(PROJECT_DIR, "docs", "upgrading.md"), "utf8");
    expect(doc).toContain("strata:telemetry");
    expect(doc).toContain("createNamespace: true");
    expect(doc).toContain("pulumi state delete");
    for (const [stack, reasons] of Object.entries(REMOVED)) if (Object.keys(reasons).length > 0) expect(doc).toContain(stack);
  });
});

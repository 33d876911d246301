import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseStackConfig, PROJECT_DIR } from "../infra/plan/stackFile";
import { withSecret } from "../infra/plan/stackFileEdit";

const work = mkdtempSync(join(tmpdir(), "strata-seal-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STACK = `# dev: the team's stack
config:
  # posture from the profile
  strata:profile: dev
  strata:cluster:
    source: stack
    stack: acme/clusters/dev
`;

function seal(args: string[], value: string, passphrase = "correct horse") {
  return spawnSync("node", ["scripts/run-ts.cjs", "scripts/seal-secret.ts", ...args], {
    cwd: PROJECT_DIR,
    input: value,
    encoding: "utf8",
    env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: passphrase, PULUMI_CONFIG_PASSPHRASE_FILE: "" },
    timeout: 60_000,
  });
}

describe("npm run seal-secret -- --write", () => {
  it("writes the secret under config:, adds the salt, keeps every comment, and the plan reads it back", () => {
    const file = join(work, "Pulumi.dev.yaml");
    writeFileSync(file, STACK);
    const result = seal(["--write", file, "strata:slackWebhookUrl"], "https://hooks.slack.com/services/T0/B0/abc\n");
    expect(result.status, result.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^encryptionsalt: v1:/);
    expect(text).toContain("# dev: the team's stack\nconfig:\n  # posture from the profile\n  strata:profile: dev\n");
    const read = parseStackConfig(text, file, { passphrase: "correct horse" });
    expect(read.values["strata:slackWebhookUrl"]).toBe("https://hooks.slack.com/services/T0/B0/abc");
    expect(read.secretKeys).toEqual(["strata:slackWebhookUrl"]);
  });

  it("replaces the key's entry when it is there, and takes a key without a namespace as the project's", () => {
    const file = join(work, "Pulumi.replace.yaml");
    writeFileSync(file, STACK);
    expect(seal(["--write", file, "smtpPassword"], "first").status).toBe(0);
    expect(seal(["--write", file, "smtpPassword"], "second").status).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text.match(/strata:smtpPassword:/g)).toHaveLength(1);
    expect(parseStackConfig(text, file, { passphrase: "correct horse" }).values["strata:smtpPassword"]).toBe("second");
    expect(parseStackConfig(text, file, { passphrase: "correct horse" }).values["strata:profile"]).toBe("dev");
  });

  it("without --write prints the entry and leaves the file alone", () => {
    const file = join(work, "Pulumi.print.yaml");
    writeFileSync(file, STACK);
    const result = seal([file, "strata:smtpPassword"], "pw");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^encryptionsalt: v1:.*\n  strata:smtpPassword:\n    secure: v1:/);
    expect(readFileSync(file, "utf8")).toBe(STACK);
  });

  it("refuses a stack whose secrets another provider sealed", () => {
    const file = join(work, "Pulumi.cloud.yaml");
    writeFileSync(file, `${STACK}  strata:kubeconfig:\n    secure: AAABAKzsomethingsealedbythecloud\n`);
    const result = seal(["--write", file, "strata:smtpPassword"], "pw");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("its secrets provider is not the passphrase one");
  });
});

describe("withSecret", () => {
  it("adds a config: block to a file that has none", () => {
    expect(withSecret("encryptionsalt: x\n", "strata:a", "v1:c")).toBe("encryptionsalt: x\nconfig:\n  strata:a:\n    secure: v1:c\n");
  });
});

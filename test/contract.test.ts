import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONTRACT_MAJOR, CONTRACT_VERSION, checkContractVersion, StrataContractError } from "../stacks/contract";
import { PROJECT_DIR } from "../infra/plan/stackFile";
import { plan } from "./helpers/plan";

describe("the contract version", () => {
  it("is one semver constant, and the program exports exactly it", async () => {
    expect(CONTRACT_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await plan("dev")).outputs.contractVersion).toBe(CONTRACT_VERSION);
  });

  it("accepts any minor of the same major and refuses other majors and non-Strata stacks", () => {
    expect(() => checkContractVersion("acme/strata/prod", `${CONTRACT_MAJOR}.7.0`)).not.toThrow();
    expect(() => checkContractVersion("acme/strata/prod", `${CONTRACT_MAJOR + 1}.0.0`)).toThrow(/exports Strata contract 2\.0\.0, but this stack reads contract 1\.x.*update the Strata helper/);
    expect(() => checkContractVersion("acme/strata/prod", "0.9.0")).toThrow(/deploy a current Strata/);
    expect(() => checkContractVersion("acme/other/prod", undefined)).toThrow(StrataContractError);
    expect(() => checkContractVersion("acme/other/prod", undefined)).toThrow(/"acme\/other\/prod" exports no contractVersion/);
  });
});

// The check in stacks/contract.check.ts is only worth something if it fails when the program and the contract
// diverge: compile deliberately broken copies of it and expect tsc to reject each one, for the right reason.
describe("the compile-time contract check", () => {
  const dir = join(PROJECT_DIR, ".tmp", `contract-check-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rejects outputs that drop, add or retype an output, and accepts the real program", () => {
    mkdirSync(dir, { recursive: true });
    const header = `import type * as pulumi from "@pulumi/pulumi";\nimport type { StrataOutputs } from "../../infra/program";\nimport type { ContractConformance } from "../../stacks/contract";\n`;
    const cases = {
      "real.ts": `export const ok: ContractConformance<StrataOutputs> = true;`,
      "missing.ts": `export const bad: ContractConformance<Omit<StrataOutputs, "retention">> = true;`,
      "extra.ts": `export const bad: ContractConformance<StrataOutputs & { surprise: pulumi.Output<string> }> = true;`,
      "retyped.ts": `export const bad: ContractConformance<Omit<StrataOutputs, "archive"> & { archive: Omit<StrataOutputs["archive"], "kmsKeyArn"> & { kmsKeyArn: pulumi.Output<number> } }> = true;`,
    };
    // The real case imports no pulumi types; noUnusedLocals would flag the import.
    for (const [file, body] of Object.entries(cases)) writeFileSync(join(dir, file), (file === "real.ts" ? header.split("\n").slice(1).join("\n") : header) + body + "\n");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", include: Object.keys(cases) }));
    let output = "";
    try {
      execFileSync(process.execPath, [join(PROJECT_DIR, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    const errorsIn = (file: string) => output.split("\n").filter((l) => l.includes(`${file}(`) && l.includes("error TS"));
    expect(errorsIn("real.ts")).toEqual([]);
    expect(errorsIn("missing.ts").join("\n")).toMatch(/do not match StrataContract/);
    expect(errorsIn("extra.ts").join("\n")).toMatch(/does not declare/);
    expect(output).toMatch(/undeclared: "surprise"/);
    expect(errorsIn("retyped.ts").join("\n")).toMatch(/do not match StrataContract/);
  }, 120_000);
});

import * as yaml from "js-yaml";
import type { Findings, Line, PreStep, Verdict } from "./match";

export const VERDICTS: readonly Verdict[] = ["blocked", "conflict", "update", "import", "create"];

/** The report: one line per resource the stack declares, worst first, then the refusals and what to do. */
export function renderReport(stack: string, findings: Findings, written: string[]): string {
  const out: string[] = [`npm run adopt: stack ${stack}, ${findings.lines.length} resource(s)`, ""];
  const width = Math.max(...findings.lines.map((l) => l.what.length), 10);
  for (const verdict of VERDICTS) {
    for (const l of findings.lines.filter((x) => x.verdict === verdict).sort((a, b) => a.what.localeCompare(b.what))) out.push(formatLine(l, width));
  }
  const counts = VERDICTS.map((v) => `${findings.lines.filter((l) => l.verdict === v).length} ${v}`).join(", ");
  out.push("", counts);
  if (findings.refusals.length) {
    out.push("", "preflight: REFUSED until each of these is fixed (then dump again and rerun):");
    for (const r of findings.refusals) out.push(`  ${r.what}: ${r.reason}`, `    fix: ${r.fix}`);
  } else out.push("", "preflight: ok (every volume holding data is Retain, no Helm release is pending)");
  if (findings.notes.length) out.push("", ...findings.notes);
  if (Object.keys(findings.config).length) out.push("", "adopt-config.yaml holds the config that adopts what was found: merge it into the stack file and rerun.");
  if (written.length) out.push("", `wrote: ${written.join(", ")}`);
  return `${out.join("\n")}\n`;
}

function formatLine(l: Line, width: number): string {
  return `${l.verdict.padEnd(8)} ${l.what.padEnd(width)}  ${l.detail}`;
}

/** The `strata:` keys as a stack file spells them, to merge under its `config:`. */
export function renderConfig(config: Record<string, unknown>): string {
  const keyed = Object.fromEntries(Object.entries(config).map(([k, v]) => [`strata:${k}`, v]));
  return `# Written by npm run adopt: merge these keys into the stack file's config (objects merge key by key).\n${yaml.dump({ config: keyed }, { lineWidth: 120, noRefs: true })}`;
}

/** pre-steps.sh: what must happen in the cluster and account before the first `pulumi up`, each step with its reason. */
export function renderPreSteps(stack: string, steps: PreStep[]): string {
  const body = steps.length
    ? steps.map((s) => `# ${s.why}\n${s.commands.join("\n")}\n`).join("\n")
    : "# Nothing to do before the first pulumi up.\n";
  return `#!/usr/bin/env bash
# Written by npm run adopt for stack ${stack}. Read each step before running it: they patch volumes to Retain
# first, and nothing here deletes a volume (a claim is deleted only after its volume is checked to be Retain).
set -euo pipefail

${body}`;
}

/** One problem with the stack configuration, named by its full config key path (e.g. `strata:retention.metricsRawDays`). */
export interface ConfigProblem {
  key: string;
  message: string;
  /** The offending value as the user wrote it, or `undefined` when the key is missing. Secret values are never kept. */
  value?: unknown;
  /** Where the value came from: the stack file, the profile, or a default derived from the stack's own choices. */
  origin?: string;
}

/**
 * Raised before any resource is declared when the stack configuration is invalid. It carries every problem at
 * once, so a user fixes their config in one round trip instead of one error per `pulumi preview`.
 */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function formatValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.key}: ${p.message} (got ${formatValue(p.value)}${p.value !== undefined && p.origin ? `, ${p.origin}` : ""})`);
  return `invalid Strata stack configuration, ${problems.length} problem(s):\n${lines.join("\n")}`;
}

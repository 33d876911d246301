/**
 * Structured logs of the in-pod runtime: one JSON object per line on stderr, with the same fields the scripts wrote
 * (ts, level, script, phase, kind, target, msg, then the call's own fields as strings), so log queries and the
 * runbooks' examples read both.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface LogContext {
  script: string;
  phase: string;
  kind?: string;
  target?: string;
}

export interface Log {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A time as the logs and manifests write it: ISO 8601 in UTC, whole seconds. */
export const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");

export function createLog(ctx: LogContext, write: (line: string) => void = (l) => process.stderr.write(l)): Log {
  const line = (level: string, msg: string, fields: LogFields = {}) => {
    const record: Record<string, string> = { ts: isoSeconds(new Date()), level, script: ctx.script, phase: ctx.phase, kind: ctx.kind ?? "", target: ctx.target ?? "", msg };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = String(v);
    write(JSON.stringify(record) + "\n");
  };
  return {
    info: (m, f) => line("info", m, f),
    warn: (m, f) => line("warn", m, f),
    error: (m, f) => line("error", m, f),
  };
}

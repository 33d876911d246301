/** promtool `test rules` cases written as data: shared by the platform and the backup alert rule suites. */

export interface Series {
  series: string;
  values: string;
}

export interface AlertCase {
  alert: string;
  name: string;
  series: Series[];
  evalTime: string;
  /** Expected firing alerts: their labels (without the rule's own) and the rendered `$value` the annotations show. */
  fires: { labels: Record<string, string>; value: string }[];
}

/** One input series: `metric{k="v", ...}` and its promtool values notation. */
export const s = (metric: string, labels: Record<string, string>, values: string): Series => ({
  series: `${metric}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ")}}`,
  values,
});

/**
 * Renders the few template forms Strata's annotations use: `{{ $labels.x }}` from the alert's labels and
 * `{{ $value ... }}` from the case's expected rendering. Anything else is a template a test cannot predict.
 */
export function render(template: string, labels: Record<string, string>, value: string): string {
  const out = template
    .replace(/\{\{ \$labels\.([a-zA-Z_]+) \}\}/g, (_m, name: string) => labels[name] ?? "")
    .replace(/\{\{ \$value( \| [a-zA-Z0-9]+)? \}\}/g, value);
  if (out.includes("{{")) throw new Error(`unsupported template in ${template}`);
  return out;
}

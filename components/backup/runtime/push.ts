/**
 * Pushgateway pushes: POST to /metrics/job/<job>/kind/<kind>/target/<target>[/method/<method>]. POST replaces only
 * the metric names it carries within that group, so a failure push (which never carries a last-success metric) keeps
 * the last success visible.
 */
import { METRIC_HELP } from "../contract";
import type { Log } from "./log";

export type Samples = Record<string, number>;

/** The text exposition format of gauges, each with its HELP line from the contract. */
export function exposition(samples: Samples): string {
  return Object.entries(samples)
    .map(([name, value]) => `# HELP ${name} ${METRIC_HELP[name] ?? name}\n# TYPE ${name} gauge\n${name} ${value}\n`)
    .join("");
}

export interface PushTarget {
  url: string;
  job: string;
  labels: [string, string][];
  timeoutSeconds: number;
}

export const groupUrl = (t: PushTarget) => `${t.url.replace(/\/+$/, "")}/metrics/job/${encodeURIComponent(t.job)}${t.labels.map(([k, v]) => `/${k}/${encodeURIComponent(v)}`).join("")}`;

const ATTEMPTS = 4;
const RETRY_DELAY_MS = 1000;

/**
 * Sends one exposition to a Pushgateway group, retrying what a retry can fix (no answer, a 5xx): undefined when it was
 * accepted, else why not. POST replaces the names it carries within the group, PUT the whole group.
 */
export async function deliver(url: string, method: "POST" | "PUT", body: string, timeoutSeconds: number): Promise<string | undefined> {
  let detail = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const res = await fetch(url, { method, body, signal: AbortSignal.timeout(timeoutSeconds * 1000) });
      if (res.ok) return undefined;
      detail = `HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`;
      // A 4xx is the body's fault: the same body fails again.
      if (res.status < 500) break;
    } catch (e) {
      detail = e instanceof Error ? `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ""}` : String(e);
    }
    if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
  }
  return detail;
}

/** Pushes; true when the Pushgateway accepted. A refusal is logged as PUSH FAILED with its reason. */
export async function push(target: PushTarget, samples: Samples, log: Log): Promise<boolean> {
  const url = groupUrl(target);
  const refused = await deliver(url, "POST", exposition(samples), target.timeoutSeconds);
  if (refused === undefined) {
    log.info("pushed metrics", { job: target.job, url });
    return true;
  }
  log.error("PUSH FAILED: the Pushgateway did not accept the metrics; this run's result is in the line above", { job: target.job, url, detail: refused });
  return false;
}

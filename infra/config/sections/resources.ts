import { z } from "zod";
import type { RefinementCtx } from "zod";

// Kubernetes quantities in the forms Strata writes: CPU in cores or millicores, memory in binary units.
const CPU = /^(\d+m|\d+(\.\d{1,3})?)$/;
const MEMORY = /^\d+(Mi|Gi)$/;

const cpu = (what: string) => z.string().regex(CPU, "must be a CPU quantity such as 250m or 2").describe(what).meta({ examples: ["250m"] });
const memory = (what: string) => z.string().regex(MEMORY, "must be a memory quantity in Mi or Gi such as 512Mi").describe(what).meta({ examples: ["512Mi"] });

/** Requests and limits of one container; both are required so every pod is schedulable and bounded. */
export const containerResources = (who: string) =>
  z
    .strictObject({
      requests: z
        .strictObject({ cpu: cpu(`CPU ${who} is scheduled with.`), memory: memory(`Memory ${who} is scheduled with.`) })
        .describe(`What the scheduler reserves for ${who}.`),
      limits: z
        .strictObject({ cpu: cpu(`CPU ${who} may use at most (throttled above).`), memory: memory(`Memory ${who} may use at most (OOM-killed above).`) })
        .describe(`The ceiling for ${who}.`),
    })
    .describe(`Resource requests and limits of ${who}.`);

export type ContainerResources = z.infer<ReturnType<typeof containerResources>>;

export function cpuMillis(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

export function memoryMiB(q: string): number {
  return q.endsWith("Gi") ? Number(q.slice(0, -2)) * 1024 : Number(q.slice(0, -2));
}

/** A limit below its request is refused by the API server; say so at plan time, naming the key. */
export function checkResources(r: ContainerResources, path: (string | number)[], ctx: RefinementCtx): void {
  if (cpuMillis(r.limits.cpu) < cpuMillis(r.requests.cpu)) {
    ctx.addIssue({ code: "custom", path: [...path, "limits", "cpu"], input: r.limits.cpu, message: `must be >= requests.cpu (${r.requests.cpu})` });
  }
  if (memoryMiB(r.limits.memory) < memoryMiB(r.requests.memory)) {
    ctx.addIssue({ code: "custom", path: [...path, "limits", "memory"], input: r.limits.memory, message: `must be >= requests.memory (${r.requests.memory})` });
  }
}

import { z } from "zod";

// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters (Kubernetes' rules).
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * `{ matchLabels }` naming one set of pods, as in a Kubernetes LabelSelector (only matchLabels: what a pod affinity
 * term needs to find the pod that holds a ReadWriteOnce claim). An empty selector would match every pod in the
 * namespace, so it is refused.
 */
export const podSelector = (what: string) =>
  z
    .strictObject({
      matchLabels: z
        .record(
          z.string().max(317).regex(LABEL_KEY, "must be a label key: an optional DNS-subdomain prefix and `/`, then at most 63 letters, digits, `-`, `_` or `.`"),
          z.string().regex(LABEL_VALUE, "must be a label value: at most 63 letters, digits, `-`, `_` or `.`, starting and ending alphanumeric"),
        )
        .refine((labels) => Object.keys(labels).length > 0, "must name at least one label: an empty selector matches every pod of the namespace")
        .describe("Labels the pod carries, all of which must match."),
    })
    .describe(what);

export type PodSelector = z.infer<ReturnType<typeof podSelector>>;

/** The fsGroup of the pod that writes a claim's files, which a job reading those files joins (a Linux group id). */
export const writerFsGroup = (what: string) => z.number().int().min(1).max(2147483647).optional().describe(what);

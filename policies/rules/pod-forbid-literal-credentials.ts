import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, WORKLOAD_TYPES, asArray, containersOf, isExcepted, podSpecOf } from "../core/util";

/**
 * A credential written into a pod template as a literal `env[].value` is readable by anyone who can `get` the
 * workload (and sits in Pulumi's state in the clear when the value is not a Pulumi secret); through
 * `valueFrom.secretKeyRef` it stays in a Secret, which RBAC guards on its own. An AWS access key id is caught by its
 * shape whatever the variable is called.
 */
const AWS_ACCESS_KEY_ID_SHAPE = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-pod-forbid-literal-credentials",
  description: "No container of a workload Strata declares sets a credential (an env var named like a key, password, secret or token, or any value shaped like an AWS access key id) as a literal value: it comes from a Secret (valueFrom.secretKeyRef).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      credentialNamePattern: {
        type: "string",
        default: "(^|_)(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|IDENTITY)$",
        description: "A case-insensitive regular expression: env var names that hold credentials.",
      },
    },
  },
  types: WORKLOAD_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const credentialName = new RegExp(String(ctx.config.credentialNamePattern), "i");
    const out: Violation[] = [];
    for (const { kind, container } of containersOf(podSpecOf(r))) {
      for (const entry of asArray<Record<string, unknown>>(container.env)) {
        if (entry?.value === undefined || entry.value === null) continue;
        const name = String(entry.name ?? "?");
        const value = String(entry.value);
        if (credentialName.test(name)) {
          out.push({ message: `${r.name} ${kind} ${container.name ?? "?"} sets ${name} as a literal value; take it from a Secret (valueFrom.secretKeyRef).` });
        } else if (AWS_ACCESS_KEY_ID_SHAPE.test(value)) {
          out.push({ message: `${r.name} ${kind} ${container.name ?? "?"} sets ${name} to an AWS access key id in plain text; take it from a Secret (valueFrom.secretKeyRef).` });
        }
      }
    }
    return out;
  },
};
export default policy;

import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, SECRET_TEXT, T, isExcepted, isObject } from "../core/util";

/**
 * Kubernetes Secrets are built only from Pulumi secrets (`pulumi.secret(...)`, `config.requireSecret(...)`, secret
 * outputs), never from plaintext in code or plain config.
 *
 * Where it can be checked: the offline plan records every secret input as "[secret]", so there each value of `data`
 * and `stringData` (or the whole map) must be "[secret]". Under `pulumi preview --policy-pack`, @pulumi/policy 1.21
 * hands analyzers the *unwrapped* values (secretness is only preserved for remediations), so the policy cannot tell a
 * secret from plaintext there: it reports itself not applicable in preview, and the offline plan, which CI runs on
 * every change, enforces it.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-secret-forbid-plaintext",
  description: "Kubernetes Secrets are built only from Pulumi secrets: every data/stringData value is a secret (enforced in the offline plan; secretness is not visible to analyzers in preview).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ...EXCEPTIONS_SCHEMA } },
  types: [T.secret],
  modes: ["plan"],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const out: Violation[] = [];
    for (const field of ["data", "stringData"] as const) {
      const value = r.props[field];
      if (value === undefined || value === SECRET_TEXT) continue;
      if (!isObject(value)) {
        out.push({ message: `Secret ${r.name} ${field} is not a Pulumi secret.` });
        continue;
      }
      const plain = Object.entries(value).filter(([, v]) => v !== SECRET_TEXT).map(([k]) => k);
      if (plain.length) out.push({ message: `Secret ${r.name} ${field} has plaintext key(s) ${plain.join(", ")}; build them from pulumi.secret / config.requireSecret.` });
    }
    return out;
  },
};
export default policy;

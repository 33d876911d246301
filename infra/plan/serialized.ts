import { SECRET_TEXT, UNKNOWN_TEXT } from "../../policies/core/placeholders";

/**
 * The Pulumi wire format marks secrets, unknowns, resource references and output values with signature keys.
 * The plan shows them as readable placeholders, so nothing secret ever reaches a plan file or a terminal.
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
/** How the wire format spells a value not known yet. */
export const UNKNOWN_WIRE_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export { SECRET_TEXT, UNKNOWN_TEXT };

export function redact(value: unknown): unknown {
  if (value === UNKNOWN_WIRE_VALUE) return UNKNOWN_TEXT;
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG_KEY]) {
    case SECRET_SIG:
      return SECRET_TEXT;
    case RESOURCE_REF_SIG:
      return obj.urn;
    case OUTPUT_VALUE_SIG:
      if (obj.secret) return SECRET_TEXT;
      return "value" in obj ? redact(obj.value) : UNKNOWN_TEXT;
    case ASSET_SIG:
    case ARCHIVE_SIG:
      return { asset: obj.path ?? obj.uri ?? "[inline]" };
    default:
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redact(v)]));
  }
}

/** A provider reference on the wire is `<provider urn>::<provider id>`; the plan names providers by URN. */
export function providerUrn(reference: string): string | undefined {
  if (!reference) return undefined;
  const index = reference.lastIndexOf("::");
  return index > 0 ? reference.slice(0, index) : reference;
}

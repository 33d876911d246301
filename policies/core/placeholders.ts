/**
 * How a plan shows what it cannot or must not show: a secret value, and a value not known until deploy. The pack
 * defines them (it is published on its own); Strata's offline plan writes them (infra/plan/serialized.ts).
 */
export const SECRET_TEXT = "[secret]";
export const UNKNOWN_TEXT = "[unknown]";

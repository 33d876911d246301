import type * as pulumi from "@pulumi/pulumi";

/**
 * Options every resource that holds data (or whose deletion cascades to data, like a namespace) is declared with.
 * `retainOnDelete` is unconditional: removing a resource from the program, or destroying the stack, must never
 * delete data. `protect` is on in prod so that even an explicit destroy stops and asks for intent.
 */
export function statefulOptions(profile: "dev" | "prod"): Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete"> {
  return { protect: profile === "prod", retainOnDelete: true };
}

import type * as pulumi from "@pulumi/pulumi";

/** How a component's data-holding children are kept: the caller decides (retain always, protect per environment). */
export type DataResourceOptions = Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;

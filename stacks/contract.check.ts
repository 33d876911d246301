// Compile-time proof that what infra/program.ts returns is what stacks/contract.ts promises consumers: if they
// diverge, `tsc --noEmit -p .` fails here, naming the undeclared outputs or showing the mismatching shape.
import type { StrataOutputs } from "../infra/program";
import type { ContractConformance } from "./contract";

export const programConformsToContract: ContractConformance<StrataOutputs> = true;

// Pulumi entry point (package.json "main"). The Node.js language host calls an exported function and uses what it
// returns as the stack outputs.
import { strata } from "./program";

export = strata;

// An application stack that consumes Strata through its typed output contract (stacks/contract.ts).
// `pulumi up` here needs a deployed Strata stack that exports `claims`, `endpoints` and `backups`; against one that
// does not (yet), the deployment stops with a StrataContractError naming the missing output.
import * as pulumi from "@pulumi/pulumi";
import { readStrataStack } from "../../stacks/contract";
import { deployConsumer } from "./app";

// The language host awaits an exported async function and uses what it returns as the stack outputs.
export = async () => {
  const config = new pulumi.Config();
  const strata = await readStrataStack(config.require("strataStack"));
  const app = await deployConsumer(strata, { claim: config.require("claim"), backupTarget: config.require("backupTarget"), image: "ghcr.io/acme/orders:1.4.2" });
  return { backupDestination: app.backupDestination, strataContract: strata.contractVersion };
};

// Strata's CrossGuard policy pack: `pulumi preview --policy-pack policies`. The policies themselves are pure
// (rules/, core/) and also run in the offline plan and in `npm run policies -- --plan FILE`; see README.md.
import { PolicyPack } from "@pulumi/policy";
import { toPulumiPolicy } from "./adapter";
import { POLICIES } from "./rules";

new PolicyPack("strata", {
  description: "Strata: no data loss (Retain, protection, versioning, snapshots, restore drills), encryption and least privilege, pinned supply chain.",
  policies: POLICIES.map(toPulumiPolicy),
});

import { perKind } from "../../components/backup/kinds";
import type { BackupKind } from "../config/sections/backups";

/**
 * What each backup kind's restore drill does (its part of the runtime, components/backup/kinds/<kind>/runtime.ts), and
 * whether that is a restore into a running copy of the store or only a check of the artifact: each kind's driver
 * says it (components/backup/kinds/<kind>/), so a new kind does not compile until it says what its drill proves.
 */
export const DRILL_OF_KIND = perKind((d) => d.drillProves);

/**
 * Where each kind's backup and drill run for real on a developer machine and in CI: the integration suite, and
 * whether the store there is real (each kind's driver). test/restorability.test.ts holds each file to existing and
 * running its backup and its drill with that kind. `stubbed` names why a kind cannot be tested for real here.
 */
export const INTEGRATION_TEST_OF_KIND = perKind((d) => d.integrationSuite);

/** The restore runbook of a kind: docs/runbooks/restore-<kind>.md, when it exists. */
export const runbookOfKind = (kind: BackupKind) => `docs/runbooks/restore-${kind}.md`;

/**
 * Prints what the plan gives a scheduled backup run of the backup contract (components/backup/contract/): its phase
 * wait and, given a backup target's name, the WAL receiver's replication slot for it, as the plan names it
 * (PITR_SLOT). One KEY=VALUE a line, for running the runtime outside Kubernetes (bench/backup.sh).
 *   node scripts/run-ts.cjs scripts/backup-contract-env.ts [target]
 */
import { phaseEnv, pitrSlotName, SCHEDULED_PHASE_WAIT_SECONDS } from "../components/backup/contract";

const target = process.argv[2];
const env = { ...phaseEnv(SCHEDULED_PHASE_WAIT_SECONDS), ...(target ? { PITR_SLOT: pitrSlotName(target) } : {}) };
for (const [key, value] of Object.entries(env)) process.stdout.write(`${key}=${value}\n`);

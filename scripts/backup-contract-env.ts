/**
 * Prints the environment the backup, drill, WAL receiver and restore containers get for the backup contract
 * (components/backup/contract/, BACKUP_CONTRACT_ENV) and a scheduled Job's phase wait, one KEY=VALUE a line: for
 * running a backup program outside Kubernetes (bench/backup.sh). Given a backup target's name, also the WAL receiver's
 * replication slot for it, as the plan names it (PITR_SLOT).
 *   node scripts/run-ts.cjs scripts/backup-contract-env.ts [target]
 */
import { BACKUP_CONTRACT_ENV, phaseEnv, pitrSlotName, SCHEDULED_PHASE_WAIT_SECONDS } from "../components/backup/contract";

const target = process.argv[2];
const env = { ...BACKUP_CONTRACT_ENV, ...phaseEnv(SCHEDULED_PHASE_WAIT_SECONDS), ...(target ? { PITR_SLOT: pitrSlotName(target) } : {}) };
for (const [key, value] of Object.entries(env)) process.stdout.write(`${key}=${value}\n`);

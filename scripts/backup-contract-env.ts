/**
 * Prints the environment the backup, drill, WAL receiver and restore containers get for the backup contract
 * (components/backup/contract/, BACKUP_CONTRACT_ENV) and a scheduled Job's phase wait, one KEY=VALUE a line: for
 * running the scripts outside Kubernetes (bench/backup.sh).
 *   node scripts/run-ts.cjs scripts/backup-contract-env.ts
 */
import { BACKUP_CONTRACT_ENV, phaseEnv, SCHEDULED_PHASE_WAIT_SECONDS } from "../components/backup/contract";

for (const [key, value] of Object.entries({ ...BACKUP_CONTRACT_ENV, ...phaseEnv(SCHEDULED_PHASE_WAIT_SECONDS) })) process.stdout.write(`${key}=${value}\n`);

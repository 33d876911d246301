/**
 * Prints the environment the backup and drill CronJobs give every container for the encryption contract
 * (components/backup/encryption.ts), one KEY=VALUE a line: for running the scripts outside Kubernetes (bench/backup.sh).
 *   node scripts/run-ts.cjs scripts/backup-contract-env.ts
 */
import { ENCRYPTION_CONTRACT_ENV } from "../components/backup/encryption";

for (const [key, value] of Object.entries(ENCRYPTION_CONTRACT_ENV)) process.stdout.write(`${key}=${value}\n`);

/** Prints the drill's row-count query (components/backup/kinds/postgresql/rowCounts.ts), for the bench's verification floor. */
import { PG_COUNT_SQL } from "../components/backup/kinds/postgresql/rowCounts";

process.stdout.write(PG_COUNT_SQL);

/**
 * Exact row counts of every table (partitioned parents and partitions too) as "schema.table<TAB>rows", ordered by
 * name: taken in the backup's exported snapshot and again on the restored copy, which must give the same lines.
 */
export const PG_COUNT_SQL = `SELECT format('%s.%s', n.nspname, c.relname) || E'\\t' ||
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname),
    false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1;`;

/** Parses psql's unaligned "name<TAB>count" lines. */
export function parseCountLines(lines: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    if (!line) continue;
    const tab = line.lastIndexOf("\t");
    const n = Number(line.slice(tab + 1));
    if (tab < 0 || !Number.isInteger(n)) throw new Error(`not a row count line: ${JSON.stringify(line)}`);
    counts[line.slice(0, tab)] = n;
  }
  return counts;
}

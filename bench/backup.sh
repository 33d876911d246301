#!/usr/bin/env bash
# shellcheck disable=SC2154 # the t_* figures and their t_*_cpu are set by timed_cpu (bench/floors.sh) through printf -v
# Benchmarks Strata's PostgreSQL backup and restore drill against the floor and against the seeds' pipelines, on one
# generated database of at least 1 GB with realistic entropy (mixed tables of words, uuids, numbers and JSON that
# compress roughly 3-5x, not pgbench filler). Everything runs on loopback: PostgreSQL 15, s3rver, a Pushgateway.
# Prints times, sizes and ratios; never run by the tests. Takes 5-15 minutes on 2 shared cores, depending on load;
# generating the database is a third of it.
#
# Usage: bash bench/backup.sh [size_gb ...] (default: 0.5 2, one whole run per size, to show how each step grows;
#                                           the database's table data is generated to about each size)
#   BENCH_DIR=/path  work in that directory and keep it (database, S3 objects) instead of a temporary one that is
#                    removed on exit; a later run with the same BENCH_DIR and size reuses the generated database,
#                    skipping its generation (which is never part of a timing).
#   BENCH_ONLY=restore  with a BENCH_DIR kept from a full run: skip the backup timings and time only the two restores
#                    of the objects that run left in the bucket (for iterating on the drill; report full runs).
# Targets: Strata backup <= 1.3x the floor (pg_dump -Fc > /dev/null) and >= 2x faster than the seeds'
#          `pg_dump | gzip | aws s3 cp -`; Strata's restore (with verification) >= 2x faster than the seeds'
#          `aws s3 cp - | gunzip | psql`. Strata's restore is the runtime's drill, one process as in the pod, until the
#          verified result is pushed (see "restores" below). The restore floor
#          (the server's work alone, on one CPU) bounds what any restore of the dump can reach on this machine.
# Floors (issue 23 item 5; bench/floors.sh), measured in the same run, each step against the fully overlapped optimum
#          of that step on this machine, target <= 1.15x: logical backup vs max(pg_dump -Fc -Z0 > /dev/null, upload
#          floor of its bytes); verified restore vs max(download floor, pg_restore -j<drill's jobs> of the uncompressed
#          dump from a local file) + verification (the drill's row counts, run alone); base backup vs
#          max(pg_basebackup -Ft -X fetch > /dev/null, upload floor); point-in-time restore vs (max(download floor,
#          unpack) + replay) + verification (pg_verifybackup). Upload and download floors are the same bytes between a
#          local file and the same s3rver, the faster of the AWS CLI and the SDK (bench/s3-floor.cjs). Peak memory is
#          the summed RSS of each step's process tree (shell, tools, clients; not the database server), target 256 MiB.
#          Beside the floors, each step's CPU bounds on this machine: its floor's parts' CPU seconds alone (servers
#          included) spread over every CPU, which no overlap can beat, and the step's own CPU seconds spread likewise.
# PITR (same run, same database, after the logical timings; the server is restarted with wal_level=replica): the WAL
#          receiver (the runtime's wal-receiver) streams while the runtime's basebackup is timed (target >= 5x faster
#          than the seeds' backup); then a steady write load, the RPO sampled from what the receiver reports and
#          measured end to end (the receiver killed mid-load, restore to latest, the newest row found vs the kill
#          time; target <= 60 s); then the runtime's pitr-restore as the restore Job runs it, to verified readiness
#          (SHA-256, pg_verifybackup, zstd checksums, WAL replay to the end, promotion, clean stop; target >= 3x
#          faster than the seeds' restore), and the PITR drill (the same plus a chosen commit and pg_amcheck).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ $# -gt 0 ] || set -- 0.5 2
if [ $# -gt 1 ]; then
  for size in "$@"; do
    echo "=== a database of about $size GB ==="
    BENCH_DIR=${BENCH_DIR:+$BENCH_DIR/$size} bash "$0" "$size" || exit
    echo
  done
  exit 0
fi
size_gb=$1

PG_BIN=/usr/lib/postgresql/15/bin
# The project's Node (>= 22, scripts/ensure-node.sh: the S3 SDK needs it), found before PATH is narrowed to Debian's.
NODE=$(command -v node)
export PATH="/usr/bin:/bin:/usr/sbin:/sbin:$PG_BIN"
for tool in "$PG_BIN/initdb" /usr/bin/aws /usr/bin/prometheus-pushgateway zstd "$NODE" python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (bash scripts/setup.sh)" >&2; exit 1; }
done

only=${BENCH_ONLY:-all}
case "$only" in all) ;; restore) [ -n "${BENCH_DIR:-}" ] || { echo "bench: BENCH_ONLY=restore needs a BENCH_DIR" >&2; exit 2; } ;;
  *) echo "bench: BENCH_ONLY must be all or restore" >&2; exit 2 ;; esac
if [ -n "${BENCH_DIR:-}" ]; then
  mkdir -p "$BENCH_DIR"
  work=$(cd "$BENCH_DIR" && pwd)
else
  work=$(mktemp -d /tmp/strata-bench-XXXXXX)
fi
chmod 755 "$work"
pids=()
pgdata="$work/pgdata"
as_pg() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }
cleanup() {
  # A kept database is shut down cleanly, so the next run starts it without crash recovery.
  if [ -f "$pgdata/postmaster.pid" ]; then as_pg pg_ctl -D "$pgdata" -m "$([ -n "${BENCH_DIR:-}" ] && echo fast || echo immediate)" -w stop >/dev/null 2>&1 || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# CPU time the whole machine spent working (user, nice, system, irq, softirq; not idle, iowait or steal), in clock
# ticks: its difference over a step counts every process the step keeps busy, servers included.
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
cpu_secs() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }

# --- servers -------------------------------------------------------------------------------------------------------
pg_port=$(free_port)
[ "$(id -u)" -ne 0 ] || chown postgres "$work"
generated="$work/generated-$size_gb"
if [ ! -f "$generated" ]; then
  rm -rf "$pgdata" "$work"/generated-*
  as_pg initdb -D "$pgdata" -U postgres -A trust --no-sync -E UTF8 >/dev/null
fi
as_pg pg_ctl -D "$pgdata" -l "$work/pg.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=8GB -c maintenance_work_mem=256MB -c shared_buffers=512MB" \
  start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

s3_port=$(free_port)
[ "$only" = restore ] || rm -rf "$work/s3" "$work/backup-work" "$work/drill-work"
mkdir -p "$work/s3"
"$NODE" -e '
const S3rver = require(process.argv[1] + "/node_modules/s3rver");
new S3rver({ port: Number(process.argv[2]), address: "127.0.0.1", silent: true, directory: process.argv[3], configureBuckets: [{ name: "bench" }] })
  .run().then(() => console.log("s3rver ready"));
' "$repo" "$s3_port" "$work/s3" >"$work/s3.log" 2>&1 &
pids+=($!)
pgw_port=$(free_port)
prometheus-pushgateway --web.listen-address="127.0.0.1:$pgw_port" --log.level=warn >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/s3.log" 2>/dev/null && curl -sf "http://127.0.0.1:$pgw_port/-/ready" >/dev/null && break; sleep 0.2; done

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
: >"$AWS_CONFIG_FILE"
s3=(aws --endpoint-url "http://127.0.0.1:$s3_port")
# shellcheck source=bench/floors.sh
. bench/floors.sh

# --- data ----------------------------------------------------------------------------------------------------------
if [ -f "$generated" ]; then
  echo "reusing the database generated earlier in $work"
else
  echo "generating ~${size_gb} GB of table data (mixed words, uuids, numbers, JSON) ..."
  gen_start=$(now)
  psql_q -d postgres -c "CREATE DATABASE bench"
  rows=$(awk -v g="$size_gb" 'BEGIN { printf "%d", g * 2000000 }') # rows per table; ~500 bytes per pair of rows
  words="ARRAY['order','customer','invoice','payment','shipping','refund','warehouse','delivery','account','balance',
    'pending','complete','cancelled','priority','standard','express','review','product','category','discount',
    'berlin','paris','madrid','vienna','warsaw','lisbon','dublin','athens','prague','oslo','the','and','for','with',
    'from','was','not','are','has','will','request','response','timeout','retry','success','failure','session',
    'token','cache','queue','partition','replica','snapshot','archive','backup','restore','metric','label','alert']"
  # Two sessions in parallel (one per core); each creates and fills its tables in one transaction (no WAL, wal_level=minimal).
  psql_q -d bench <<SQL &
BEGIN;
CREATE TABLE orders (id bigint PRIMARY KEY, customer uuid NOT NULL, status text NOT NULL, amount numeric(12,2),
  currency char(3), created timestamptz NOT NULL, note text);
INSERT INTO orders
SELECT g, md5(g::text || random()::text)::uuid,
  (ARRAY['pending','paid','shipped','delivered','cancelled'])[1 + (random() * 4)::int],
  round((random() * 5000)::numeric, 2), (ARRAY['EUR','USD','GBP'])[1 + (random() * 2)::int],
  timestamptz '2024-01-01' + random() * interval '700 days',
  s.sentences[1 + (random() * 4999)::int] || ' ' || s.sentences[1 + (random() * 4999)::int] || ' #' || (random() * 1e6)::int
FROM generate_series(1, $rows) g,
  -- 5,000 random sentences built once, combined at random per row (a per-row subquery would take ten times longer)
  (SELECT array_agg(t) AS sentences FROM (SELECT string_agg(($words)[1 + (random() * 58)::int], ' ') AS t
     FROM generate_series(1, 5000) i, generate_series(1, 12) w GROUP BY i) x) s;
COMMIT;
SQL
  p1=$!
  psql_q -d bench <<SQL &
BEGIN;
CREATE TABLE events (id bigint PRIMARY KEY, order_id bigint, kind text, at timestamptz, payload jsonb);
INSERT INTO events
SELECT g, (random() * $rows)::bigint, (ARRAY['created','updated','paid','shipped','viewed','clicked'])[1 + (random() * 5)::int],
  timestamptz '2024-01-01' + random() * interval '700 days',
  jsonb_build_object('session', md5(random()::text), 'ip', (random() * 255)::int || '.' || (random() * 255)::int || '.' ||
    (random() * 255)::int || '.' || (random() * 255)::int, 'latency_ms', round((random() * 900)::numeric, 3),
    'agent', (ARRAY['Mozilla/5.0 (X11; Linux x86_64)','Mozilla/5.0 (Macintosh)','curl/8.5.0','okhttp/4.12'])[1 + (random() * 3)::int],
    'tags', jsonb_build_array(($words)[1 + (random() * 58)::int], ($words)[1 + (random() * 58)::int]),
    'score', random())
FROM generate_series(1, $rows) g;
COMMIT;
SQL
  p2=$!
  wait "$p1" "$p2"
  psql_q -d bench -c "CREATE INDEX ON events (order_id); ANALYZE;"
  echo "generated in $(secs "$gen_start" "$(now)") s"
  touch "$generated"
fi
db_bytes=$(psql -X -A -t -d bench -c "SELECT pg_database_size('bench')")
table_bytes=$(psql -X -A -t -d bench -c "SELECT sum(pg_table_size(oid)) FROM pg_class WHERE relname IN ('orders','events')")
echo "database $(mib "$db_bytes"), table data $(mib "$table_bytes")"
sync

# --- backups -------------------------------------------------------------------------------------------------------
strata_env=(BACKUP_KIND=postgresql BACKUP_TARGET=bench S3_BUCKET=bench S3_ENDPOINT_URL="http://127.0.0.1:$s3_port"
  PUSHGATEWAY_URL="http://127.0.0.1:$pgw_port" PGDATABASE=bench AWS_CLI=/usr/bin/aws)
# The backup contract's environment, as the CronJobs give it (components/backup/contract/), and this target's PITR slot.
mapfile -t contract_env < <("$NODE" scripts/run-ts.cjs scripts/backup-contract-env.ts bench)
strata_env+=("${contract_env[@]}")
# The in-pod runtime (components/backup/runtime/), the very loader and bundle the plan ships, run by this Node as the
# pods run it by the pinned node image's: the logical backup and its drill.
runtime=$("$NODE" scripts/run-ts.cjs scripts/runtime-files.ts "$work/runtime")
# stamped LOG T0: copies stdin to LOG, each line prefixed with the seconds since T0 (the scripts log whole seconds).
stamped() {
  local line
  while IFS= read -r line; do printf '%6.1f %s\n' "$(awk -v a="$2" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" "$line"; done >"$1"
}
if [ "$only" = all ]; then
  echo "timing backups ..."
  t0=$(now)
  floor_bytes=$(pg_dump -Fc -d bench | wc -c)
  t_floor=$(secs "$t0" "$(now)")

  t0=$(now)
  pg_dump -d bench | gzip | "${s3[@]}" s3 cp --only-show-errors - s3://bench/seeds/bench.sql.gz
  t_seeds=$(secs "$t0" "$(now)")

  mkdir -p "$work/backup-work"
  t0=$(now)
  c0=$(cpu_ticks)
  (env "${strata_env[@]}" WORK_DIR="$work/backup-work" "$NODE" "$runtime" backup 2>&1 >/dev/null |
    stamped "$work/backup.log" "$t0") &
  backup_pid=$!
  peak_rss_watch "$backup_pid" "$work/backup.rss" &
  watch_pid=$!
  wait "$backup_pid" || { cat "$work/backup.log" >&2; exit 1; }
  t_strata=$(secs "$t0" "$(now)")
  cpu_strata_backup=$(cpu_secs "$c0" "$(cpu_ticks)")
  wait "$watch_pid"

  echo "measuring the logical backup's floors ..."
  c0=$(cpu_ticks)
  t_dump_z0=$(timed pg_dump -Fc -Z0 -d bench)
  cpu_dump_z0=$(cpu_secs "$c0" "$(cpu_ticks)")
fi
seeds_bytes=$(stat -c %s "$work/s3/bench/seeds/bench.sql.gz._S3rver_object")
strata_key=$(sed -n -E 's/^  "key": "(.*)",$/\1/p' "$work/s3/bench/postgresql/bench/latest.json._S3rver_object")
strata_bytes=$(stat -c %s "$work/s3/bench/${strata_key}._S3rver_object")
if [ "$only" = all ]; then
  upload_floor "$work/s3/bench/${strata_key}._S3rver_object"
  up_backup=$floor_best
  up_backup_how="CLI $floor_cli s, SDK $floor_sdk s"
  cpu_up_backup=$floor_sdk_cpu
fi

# --- restores ------------------------------------------------------------------------------------------------------
echo "timing restores ..."
psql_q -d postgres -c "CREATE DATABASE seeds_restore"
t0=$(now)
c0=$(cpu_ticks)
"${s3[@]}" s3 cp --only-show-errors s3://bench/seeds/bench.sql.gz - | gunzip | psql -X -q -v ON_ERROR_STOP=1 -d seeds_restore >/dev/null
t_seeds_restore=$(secs "$t0" "$(now)")
cpu_seeds_restore=$(cpu_secs "$c0" "$(cpu_ticks)")
psql_q -d postgres -c "DROP DATABASE seeds_restore"

# Strata's drill as its pod runs it: one process (the runtime) downloads, verifies and decompresses into scratch while
# its throwaway server starts, restores once the object is verified, counts and pushes. Its time is until it exits.
rm -rf "$work/drill-work"
mkdir -p "$work/drill-work"
t0=$(now)
c0=$(cpu_ticks)
(env "${strata_env[@]}" WORK_DIR="$work/drill-work" RESTORE_JOBS="$(nproc)" "$NODE" "$runtime" drill 2>&1 >/dev/null |
  stamped "$work/drill.log" "$t0") &
drill_pid=$!
peak_rss_watch "$drill_pid" "$work/drill.rss" &
watch_pid=$!
if ! wait "$drill_pid"; then
  sort -n "$work"/drill.log >&2
  exit 1
fi
t_strata_restore=$(secs "$t0" "$(now)")
t_strata_exit=$t_strata_restore
cpu_strata_restore=$(cpu_secs "$c0" "$(cpu_ticks)")
wait "$watch_pid"

# The restore floor: the server's own work in a logical restore of this very dump, measured alone. pg_restore runs in
# one session and one transaction (so nothing is WAL-logged, as in the drill) from an uncompressed local file: no
# download, no checksum, no decompression, no verification; what is left is PostgreSQL parsing every row in COPY and
# building every index. Any restore of this dump does at least this much work, so on N CPUs none can take less than
# floor / N, however its work is split.
zstd -d -q -c "$work/s3/bench/${strata_key}._S3rver_object" >"$work/restore-floor.pgdump"
psql_q -d postgres -c "CREATE DATABASE restore_floor"
t0=$(now)
c0=$(cpu_ticks)
pg_restore -d restore_floor -j1 --single-transaction --exit-on-error --no-owner --no-acl "$work/restore-floor.pgdump"
t_restore_floor=$(secs "$t0" "$(now)")
cpu_restore_floor=$(cpu_secs "$c0" "$(cpu_ticks)")
psql_q -d postgres -c "DROP DATABASE restore_floor"

# The verified restore's floors: the same object downloaded alone; the same dump restored from a local file with the
# drill's job count; the drill's verification (its row-count query, bench/pg-count-sql.ts) run alone on that restored copy.
echo "measuring the verified restore's floors ..."
download_floor "$strata_key"
down_restore=$floor_best
down_restore_how="CLI $floor_cli s, SDK $floor_sdk s"
cpu_down_restore=$floor_sdk_cpu
psql_q -d postgres -c "CREATE DATABASE restore_jobs"
timed_cpu t_restore_jobs pg_restore -d restore_jobs -j "$(nproc)" --exit-on-error --no-owner --no-acl "$work/restore-floor.pgdump"
count_sql=$("$NODE" scripts/run-ts.cjs bench/pg-count-sql.ts)
timed_cpu t_verify psql -X -q -A -t -v ON_ERROR_STOP=1 -d restore_jobs -c "$count_sql"
psql_q -d postgres -c "DROP DATABASE restore_jobs"
rm -f "$work/restore-floor.pgdump"
# --- PITR ----------------------------------------------------------------------------------------------------------
if [ "$only" = all ]; then
  echo "PITR: restarting the server with wal_level=replica ..."
  as_pg pg_ctl -D "$pgdata" -m fast -w stop >/dev/null
  as_pg pg_ctl -D "$pgdata" -l "$work/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_level=replica -c max_wal_senders=10 -c max_wal_size=8GB -c maintenance_work_mem=256MB -c shared_buffers=512MB" \
    start >/dev/null
  rm -rf "$work/wal-claim" "$work/base-work" "$work/pitr-work" "$work/pitr-data" "$work/pitr-drill-work"
  mkdir -p "$work/wal-claim" "$work/base-work" "$work/pitr-work" "$work/pitr-drill-work"
  receiver_env=("${strata_env[@]}" WORK_DIR="$work/wal-claim" PITR_UPLOAD_INTERVAL_SECONDS=15)
  setsid env "${receiver_env[@]}" "$NODE" "$runtime" wal-receiver >/dev/null 2>"$work/receiver.log" &
  receiver_pid=$!
  pids+=("$receiver_pid")
  for _ in $(seq 100); do grep -q "receiving WAL" "$work/receiver.log" && break; sleep 0.2; done

  echo "timing the base backup ..."
  t0=$(now)
  c0=$(cpu_ticks)
  (env "${strata_env[@]}" WORK_DIR="$work/base-work" "$NODE" "$runtime" basebackup \
    2>&1 >/dev/null | stamped "$work/basebackup.log" "$t0") &
  base_pid=$!
  peak_rss_watch "$base_pid" "$work/basebackup.rss" &
  watch_pid=$!
  wait "$base_pid" || { cat "$work/basebackup.log" >&2; exit 1; }
  wait "$watch_pid"
  t_base=$(secs "$t0" "$(now)")
  cpu_base=$(cpu_secs "$c0" "$(cpu_ticks)")
  base_key=$(sed -n -E 's/^  "key": "(.*)",$/\1/p' "$work/s3/bench/postgresql/bench/base/latest.json._S3rver_object")
  base_bytes=$(stat -c %s "$work/s3/bench/${base_key}._S3rver_object")
  echo "measuring the base backup's floors ..."
  timed_cpu t_basebackup_floor pg_basebackup -D - -Ft -X fetch --checkpoint=fast --no-sync
  upload_floor "$work/s3/bench/${base_key}._S3rver_object"
  up_base=$floor_best
  up_base_how="CLI $floor_cli s, SDK $floor_sdk s"
  cpu_up_base=$floor_sdk_cpu

  # A steady write load: every 0.1 s a transaction of 100 rows of ~1 KB (about 1 MB/s of WAL, a segment every
  # ~15 s), committed with its clock time, for PITR_BENCH_LOAD_SECONDS.
  load_s=${PITR_BENCH_LOAD_SECONDS:-120}
  echo "RPO under a steady write load for ${load_s} s ..."
  psql_q -d bench -c "DROP TABLE IF EXISTS rpo_probe; CREATE TABLE rpo_probe (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), pad text)"
  iterations=$((load_s * 10))
  psql_q -d bench -c "DO \$\$ BEGIN FOR i IN 1..$iterations LOOP INSERT INTO rpo_probe (pad) SELECT repeat(md5(random()::text), 30) FROM generate_series(1, 100); COMMIT; PERFORM pg_sleep(0.1); END LOOP; END \$\$" &
  load_pid=$!
  # The receiver's own figure every 2 s: now minus archived_through (what StrataPitrBehindRpo alerts on).
  rpo_samples="$work/rpo-samples.txt"
  : >"$rpo_samples"
  load_start=$(date +%s)
  while [ "$(date +%s)" -lt $((load_start + load_s - 5)) ]; do
    sleep 2
    through=$(sed -n 's/^archived_through_epoch=//p' "$work/wal-claim/archived.status" 2>/dev/null || echo 0)
    [ "$(date +%s)" -lt $((load_start + 30)) ] || echo $(($(date +%s) - ${through:-0})) >>"$rpo_samples"
  done
  # Everything is lost now: the receiver (and its claim) are gone mid-load; only S3 is left.
  kill_at=$(now)
  kill -KILL -- "-$receiver_pid" 2>/dev/null || true
  wait "$load_pid" || true
  # The slot would keep WAL on the kept database for ever (and forbid wal_level=minimal on the next run).
  for _ in $(seq 50); do
    psql -X -q -A -t -d postgres -c "SELECT pg_drop_replication_slot('$(printf '%s\n' "${contract_env[@]}" | sed -n 's/^PITR_SLOT=//p')')" >/dev/null 2>&1 && break
    sleep 0.2
  done
  rpo_max=$(sort -n "$rpo_samples" | tail -n1)
  rpo_mean=$(awk '{ s += $1 } END { printf "%.1f", s / NR }' "$rpo_samples")

  echo "timing the point-in-time restore ..."
  pitr_env=("${strata_env[@]}" PUSHGATEWAY_URL= PITR_TARGET=latest PITR_DATA_DIR="$work/pitr-data" WORK_DIR="$work/pitr-work")
  t0=$(now)
  c0=$(cpu_ticks)
  # In a subshell of its own: $! of a bare background pipeline is its last command, and the memory watch needs the whole.
  (env "${pitr_env[@]}" "$NODE" "$runtime" pitr-restore 2>&1 >/dev/null | stamped "$work/pitr-restore.log" "$t0") &
  pitr_pid=$!
  peak_rss_watch "$pitr_pid" "$work/pitr-restore.rss" &
  watch_pid=$!
  if ! wait "$pitr_pid"; then
    cat "$work/pitr-restore.log" >&2
    exit 1
  fi
  wait "$watch_pid"
  t_pitr=$(secs "$t0" "$(now)")
  cpu_pitr=$(cpu_secs "$c0" "$(cpu_ticks)")
  replay=$(sed -n -E 's/.*"msg":"recovery complete".*"recovery_seconds":"([0-9.]+)".*/\1/p' "$work/pitr-restore.log")
  # End to end: the newest probe row the restored server holds, against the moment everything else was lost.
  sock="$work/pitr-sock"
  mkdir -p "$sock"
  [ "$(id -u)" -ne 0 ] || chown postgres "$sock"
  as_pg pg_ctl -D "$work/pitr-data" -l "$work/pitr-pg.log" -w -t 120 -o "-c listen_addresses='' -c port=5432 -k $sock -c archive_mode=off" start >/dev/null
  newest=$(psql -X -A -t -h "$sock" -p 5432 -U postgres -d bench -c "SELECT extract(epoch FROM max(at)) FROM rpo_probe")
  as_pg pg_ctl -D "$work/pitr-data" -m fast -w stop >/dev/null
  rpo_e2e=$(secs "$newest" "$kill_at")
  rm -rf "$work/pitr-data"

  # The point-in-time restore's floors: the base backup downloaded alone; unpacked alone from a local file; replay is
  # the restored server's own recovery time (its log, above); verification is pg_verifybackup of the unpacked copy.
  echo "measuring the point-in-time restore's floors ..."
  download_floor "$base_key"
  down_base=$floor_best
  down_base_how="CLI $floor_cli s, SDK $floor_sdk s"
  cpu_down_base=$floor_sdk_cpu
  rm -rf "$work/unpack-floor" && mkdir -p "$work/unpack-floor"
  # shellcheck disable=SC2016 # the inner bash's own arguments
  timed_cpu t_unpack bash -c 'zstd -d -q -c "$1" | tar -x -C "$2"' unpack "$work/s3/bench/${base_key}._S3rver_object" "$work/unpack-floor"
  timed_cpu t_verifybackup pg_verifybackup -n "$work/unpack-floor"
  rm -rf "$work/unpack-floor"

  echo "timing the point-in-time drill ..."
  t0=$(now)
  drill_env=("${strata_env[@]}" PITR_TARGET=drill WORK_DIR="$work/pitr-drill-work")
  if ! env "${drill_env[@]}" "$NODE" "$runtime" pitr-restore 2>&1 >/dev/null | stamped "$work/pitr-drill.log" "$t0"; then
    cat "$work/pitr-drill.log" >&2
    exit 1
  fi
  t_pitr_drill=$(secs "$t0" "$(now)")
fi

cpus=$(nproc)
per_cpu() { awk -v c="$1" -v n="$cpus" 'BEGIN { printf "%.1f", c / n }'; }

timeline() { sed -E 's/^ *([0-9.]+) .*"phase":"([^"]*)".*"msg":"([^"]*)".*/  +\1 s  \2: \3/' "$@" | sort -t+ -k2 -n; }
echo
echo "database: $(mib "$db_bytes") ($(mib "$table_bytes") table data), $(nproc) CPUs"
echo "| step | time (s) | bytes | ratio |"
echo "|---|---|---|---|"
if [ "$only" = all ]; then
  cat <<EOF
| floor: pg_dump -Fc > /dev/null | $t_floor | $(mib "$floor_bytes") | 1.00 |
| seeds: pg_dump \| gzip \| aws s3 cp - | $t_seeds | $(mib "$seeds_bytes") | $(ratio "$t_seeds" "$t_floor") x floor |
| strata: the runtime's backup (pg_dump -Fc -Z0 \| zstd \| sha256 \| multipart upload, 4 parts in flight, then manifest, latest.json, push) | $t_strata | $(mib "$strata_bytes") | $(ratio "$t_strata" "$t_floor") x floor (target <= 1.3) |
EOF
fi
cat <<EOF
| seeds: aws s3 cp - \| gunzip \| psql | $t_seeds_restore | $(mib "$seeds_bytes") | 1.00 |
| restore floor: pg_restore -j1 --single-transaction of the uncompressed dump, local (the server's work, one CPU) | $t_restore_floor | | $(ratio "$t_restore_floor" "$t_seeds_restore") x seeds |
| strata: the runtime's drill (download \| sha256 \| zstd -d into scratch while initdb, then pg_restore -j$(nproc), row counts, push) | $t_strata_restore | $(mib "$strata_bytes") | $(ratio "$t_strata_restore" "$t_seeds_restore") x seeds |

EOF
echo "floors (issue 23 item 5): each step against the fully overlapped optimum of that step on this machine, measured in this run"
echo "| step | time (s) | optimum (s) (its parts) | ratio (target) |"
echo "|---|---|---|---|"
if [ "$only" = all ]; then
  floor_row "logical backup (the runtime)" "$t_strata" "$(max "$t_dump_z0" "$up_backup")" "max(pg_dump -Fc -Z0 > /dev/null $t_dump_z0 s, upload floor $up_backup s: $up_backup_how)"
fi
floor_row "verified restore (the runtime's drill, until its verdict is pushed)" "$t_strata_restore" "$(sum "$(max "$down_restore" "$t_restore_jobs")" "$t_verify")" \
  "max(download floor $down_restore s: $down_restore_how, pg_restore -j$(nproc) local $t_restore_jobs s) + verification $t_verify s"
if [ "$only" = all ]; then
  floor_row "base backup (the runtime's basebackup)" "$t_base" "$(max "$t_basebackup_floor" "$up_base")" "max(pg_basebackup -Ft -X fetch > /dev/null $t_basebackup_floor s, upload floor $up_base s: $up_base_how)"
  floor_row "point-in-time restore (the runtime's pitr-restore)" "$t_pitr" "$(sum "$(sum "$(max "$down_base" "$t_unpack")" "${replay:-0}")" "$t_verifybackup")" \
    "(max(download floor $down_base s: $down_base_how, unpack $t_unpack s) + replay ${replay:-?} s) + verification (pg_verifybackup) $t_verifybackup s"
fi
# What the floors' formula leaves out: on few CPUs a step's parts compete for them. The parts' CPU seconds alone
# (servers included), spread perfectly over every CPU, bound what any overlap can reach before the step does anything
# else (compression, hashing, initdb); the step's own CPU seconds over the CPUs bound the step as it runs.
echo
echo "CPU bounds on $cpus CPUs (whole machine's CPU seconds, servers included, spread perfectly over the CPUs)"
echo "| step | time (s) | optimum above (s) | its parts' CPU bound (s) (parts' CPU s) | the step's own CPU bound (s) (its CPU s) | parts' bound / optimum | time / own bound |"
echo "|---|---|---|---|---|---|---|"
# cpu_row STEP TIME OPTIMUM PARTS_BOUND PARTS_HOW STEP_CPU
cpu_row() {
  printf '| %s | %s | %s | %s (%s) | %s (%s) | %sx | %sx |\n' "$1" "$2" "$3" "$4" "$5" "$(per_cpu "$6")" "$6" "$(ratio "$4" "$3")" "$(ratio "$2" "$(per_cpu "$6")")"
}
if [ "$only" = all ]; then
  parts_cpu=$(sum "$cpu_dump_z0" "$cpu_up_backup")
  cpu_row "logical backup" "$t_strata" "$(max "$t_dump_z0" "$up_backup")" "$(per_cpu "$parts_cpu")" "pg_dump -Z0 with its server $cpu_dump_z0 + the SDK's upload with s3rver $cpu_up_backup" "$cpu_strata_backup"
fi
parts_cpu=$(sum "$cpu_down_restore" "$t_restore_jobs_cpu")
cpu_row "verified restore" "$t_strata_restore" "$(sum "$(max "$down_restore" "$t_restore_jobs")" "$t_verify")" "$(sum "$(per_cpu "$parts_cpu")" "$t_verify")" \
  "download $cpu_down_restore + pg_restore -j$cpus $t_restore_jobs_cpu, then verification $t_verify s" "$cpu_strata_restore"
if [ "$only" = all ]; then
  parts_cpu=$(sum "$t_basebackup_floor_cpu" "$cpu_up_base")
  cpu_row "base backup" "$t_base" "$(max "$t_basebackup_floor" "$up_base")" "$(per_cpu "$parts_cpu")" "pg_basebackup $t_basebackup_floor_cpu + upload $cpu_up_base" "$cpu_base"
  parts_cpu=$(sum "$cpu_down_base" "$t_unpack_cpu")
  cpu_row "point-in-time restore" "$t_pitr" "$(sum "$(sum "$(max "$down_base" "$t_unpack")" "${replay:-0}")" "$t_verifybackup")" "$(sum "$(sum "$(per_cpu "$parts_cpu")" "${replay:-0}")" "$t_verifybackup")" \
    "download $cpu_down_base + unpack $t_unpack_cpu, then replay ${replay:-?} s and pg_verifybackup $t_verifybackup s" "$cpu_pitr"
fi
rss() { cat "$work/$1.rss"; }
echo "peak memory (MiB, summed RSS of each process tree; target 256 for the runtime):$([ "$only" = all ] && echo " backup $(rss backup), base backup $(rss basebackup)," ) drill $(rss drill)$([ "$only" = all ] && echo ", point-in-time restore $(rss pitr-restore)")"
echo
if [ "$only" = all ]; then
  echo "backup speed-up vs seeds:  $(ratio "$t_seeds" "$t_strata")x (target >= 2)"
fi
echo "restore speed-up vs seeds: $(ratio "$t_seeds_restore" "$t_strata_restore")x (target >= 2)"
echo "CPU time (whole machine, servers included): seeds' restore $cpu_seeds_restore s in $t_seeds_restore s; restore floor $cpu_restore_floor s in $t_restore_floor s; strata's restore $cpu_strata_restore s in $t_strata_exit s"
echo "restore bound on $cpus CPUs, if the work were split perfectly and nothing waited: the floor's alone $(per_cpu "$cpu_restore_floor") s (at most $(ratio "$t_seeds_restore" "$(per_cpu "$cpu_restore_floor")")x faster than the seeds); strata's whole drill $(per_cpu "$cpu_strata_restore") s (at most $(ratio "$t_seeds_restore" "$(per_cpu "$cpu_strata_restore")")x)"
echo "compression (table data / object): seeds gzip $(ratio "$table_bytes" "$seeds_bytes")x, strata zstd $(ratio "$table_bytes" "$strata_bytes")x"
if [ "$only" = all ]; then
  echo
  echo "strata backup timeline (s since start):"
  timeline "$work/backup.log"
fi
echo "strata restore drill timeline (s since start):"
timeline "$work"/drill.log
if [ "$only" = all ]; then
  echo
  echo "PITR (same database; the server restarted with wal_level=replica):"
  echo "| step | time (s) | bytes | ratio |"
  echo "|---|---|---|---|"
  echo "| strata: the runtime's base backup (pg_basebackup -Ft -X fetch \\| zstd \\| multipart upload, pg_verifybackup of the same stream before the upload completes, manifest, latest.json, push) | $t_base | $(mib "$base_bytes") | $(ratio "$t_seeds" "$t_base")x faster than the seeds' backup (target >= 5) |"
  echo "| strata: the runtime's point-in-time restore (download \\| SHA-256 \\| zstd -d \\| tar -x, WAL each checked, pg_verifybackup, replay to the end, promotion, clean stop) | $t_pitr (replay ${replay:-?} s) | | $(ratio "$t_seeds_restore" "$t_pitr")x faster than the seeds' restore (target >= 3) |"
  echo "| strata: PITR drill (the same to a chosen commit, plus pg_amcheck) | $t_pitr_drill | | $(ratio "$t_seeds_restore" "$t_pitr_drill")x faster than the seeds' restore |"
  echo
  echo "RPO under a steady write load (~1 MB/s of WAL, ${load_s} s, upload cycle 15 s): the receiver's own figure (now - archived_through, every 2 s after 30 s) max ${rpo_max} s, mean ${rpo_mean} s; end to end (receiver killed mid-load, restore to latest, newest row restored vs the kill) ${rpo_e2e} s (target <= 60)"
  echo "CPU time of the point-in-time restore (whole machine): $cpu_pitr s in $t_pitr s"
  echo "PITR restore timeline (s since start):"
  timeline "$work"/pitr-restore.log
fi

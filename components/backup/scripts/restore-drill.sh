#!/usr/bin/env bash
# Strata restore drill: takes the newest COMPLETE backup of one target (the one latest.json names; latest.json is
# only ever moved after an object and its manifest were verified in the bucket), checks that latest.json, the
# manifest and the object agree (size and SHA-256), restores it into scratch space inside the job, checks the
# invariants recorded at backup time, and reports to the Pushgateway.
#
# Usage: restore-drill.sh [all|fetch|restore]     (default: all)
#   fetch    the S3/report phase (AWS CLI v2 + curl + sha256sum): downloads latest.json, the manifest and the object
#            into WORK_DIR, verifies them, writes WORK_DIR/fetch.status, then waits for WORK_DIR/restore.status (at most
#            PHASE_WAIT_SECONDS) and pushes the result. A restore container that never reports is pushed as a failure.
#   restore  the database-tool phase: waits for WORK_DIR/fetch.status, restores and verifies, writes restore.status.
#   all      both in one container.
#
# Environment: BACKUP_KIND, BACKUP_TARGET, WORK_DIR, S3_BUCKET, S3_PREFIX, S3_ENDPOINT_URL, AWS_CLI, PUSHGATEWAY_URL,
#   PHASE_WAIT_SECONDS, PUSH_TIMEOUT_SECONDS as for backup.sh (the drill never writes to S3). Per kind (restore phase):
#   postgresql            PG_BIN_DIR (optional; initdb, pg_ctl, pg_restore, psql), RESTORE_JOBS (pg_restore -j;
#                         default: number of CPUs), PG_DRILL_OS_USER (default postgres; used only when run as root,
#                         since PostgreSQL refuses to run as root), PG_DRILL_SHARED_BUFFERS and
#                         PG_DRILL_MAINTENANCE_WORK_MEM (default 256MB each). A throwaway server: initdb in WORK_DIR,
#                         unix socket only (no TCP), fsync off, wal_level=minimal (pg_restore -j then skips WAL for
#                         the data and the index builds); `pg_restore -j --exit-on-error --no-owner --no-acl`; then
#                         exact row counts per table must equal the manifest's.
#   mongodb               mongod + mongorestore: a throwaway mongod on 127.0.0.1:MONGO_DRILL_PORT (default 27099);
#                         documents restored must equal the manifest's total and none may fail.
#   prometheus-snapshot   promtool: `promtool tsdb list` over the extracted snapshot (block and series counts must
#                         equal the manifest's), `promtool tsdb analyze` of every block (reads each index).
#   rabbitmq-definitions  jq (required): a JSON object with rabbit_version; object counts equal the manifest's.
#   sqlite                python3 + sqlite_tool.py: PRAGMA integrity_check = ok; row counts per table equal the
#                         manifest's.
#
# Metrics (POST to PUSHGATEWAY_URL/metrics/job/strata_restore_drill/kind/<kind>/target/<target>):
#   every run: strata_restore_drill_last_completion_timestamp_seconds, strata_restore_drill_last_run_success (1/0),
#   strata_restore_drill_duration_seconds; success only: strata_restore_drill_last_success_timestamp_seconds,
#   strata_restore_drill_last_verified_backup_timestamp_seconds (the verified backup's start time).
#
# Exit codes: 0 drill passed | 1 drill failed (failure pushed) | 2 usage/config error | 3 drill passed but the push
#   failed.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"

phase=${1:-all}
start_script restore-drill "$phase" all fetch restore

BACKUP_FILE="$WORK_DIR/backup.bin"
LATEST_FILE="$WORK_DIR/latest.json"
SCRATCH="$WORK_DIR/restore"

# --- fetch ---------------------------------------------------------------------------------------------------------

# run_fetch and run_restore set FETCH_RC / RESTORE_RC and return 0: never call them in a conditional context (`if`,
# `||`), where bash ignores errexit even inside the `( set -e ... )` subshells that guard the work.
FETCH_RC=0
RESTORE_RC=0
run_fetch() {
  set_run_time
  rm -f "$WORK_DIR/fetch.status" "$WORK_DIR/restore.status" "$BACKUP_FILE" "$LATEST_FILE"
  local rc=0
  set +e
  (
    set -e
    trap '' PIPE
    if ! s3_get "$(latest_key)" "$LATEST_FILE" 2>"$WORK_DIR/s3.err"; then
      error "no complete backup: cannot read s3://$S3_BUCKET/$(latest_key)" detail="$(tail -c 1000 "$WORK_DIR/s3.err")"
      exit 1
    fi
    key=$(manifest_get "$LATEST_FILE" key)
    manifest_key=$(manifest_get "$LATEST_FILE" manifest_key)
    sha=$(manifest_get "$LATEST_FILE" sha256)
    size=$(manifest_get "$LATEST_FILE" size_bytes)
    [ "$(manifest_get "$LATEST_FILE" kind)" = "$BACKUP_KIND" ] || { error "latest.json is of another kind"; exit 1; }
    [ "$(manifest_get "$LATEST_FILE" target)" = "$BACKUP_TARGET" ] || { error "latest.json is of another target"; exit 1; }
    s3_get "$manifest_key" "$WORK_DIR/manifest.json"
    if ! cmp -s "$LATEST_FILE" "$WORK_DIR/manifest.json"; then
      error "latest.json and the manifest it names differ" manifest_key="$manifest_key"
      exit 1
    fi
    info "fetching the newest complete backup" key="$key" size_bytes="$size"
    s3_get "$key" "$BACKUP_FILE"
    got_size=$(file_size "$BACKUP_FILE")
    got_sha=$(sha256sum "$BACKUP_FILE")
    got_sha=${got_sha%% *}
    if [ "$got_size" != "$size" ] || [ "$got_sha" != "$sha" ]; then
      error "CHECKSUM MISMATCH: the stored backup is not the one that was written" key="$key" \
        expected="$size $sha" got="$got_size $got_sha"
      exit 1
    fi
    info "checksum verified" key="$key" sha256="$sha"
    write_status fetch result=ok "started_epoch=$RUN_EPOCH" "key=$key"
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    rm -f "$BACKUP_FILE"
    write_status fetch result=failed "started_epoch=$RUN_EPOCH" "exit=$rc" || true
    FETCH_RC=1
  fi
}

# --- restore, per kind (each reads BACKUP_FILE and the manifest in WORK_DIR; fails on any mismatch) ------------------

compare_counts() {
  local expected="$WORK_DIR/expected-counts.tsv" actual=$1
  manifest_counts "$WORK_DIR/manifest.json" >"$expected"
  if ! diff -u "$expected" "$actual" >"$WORK_DIR/counts.diff"; then
    error "RESTORED DATA DIFFERS from what was backed up (counts: expected vs restored)" \
      detail="$(head -c 2000 "$WORK_DIR/counts.diff")"
    return 1
  fi
  info "counts match" entries="$(wc -l <"$expected")"
}

decompressed_to() {
  local compression
  compression=$(manifest_get "$WORK_DIR/manifest.json" compression)
  require_compression_tool "$compression"
  decompress_stream "$compression" <"$BACKUP_FILE" >"$1"
  rm -f "$BACKUP_FILE"
}

# Runs a PostgreSQL server-side command as PG_DRILL_OS_USER when we are root (postgres refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid="${PG_DRILL_OS_USER:-postgres}" --regid="$(id -g "${PG_DRILL_OS_USER:-postgres}")" --init-groups -- "$@"
  else
    "$@"
  fi
}


PG_DRILL_DATA=
pg_drill_stop() {
  if [ -n "$PG_DRILL_DATA" ] && [ -f "$PG_DRILL_DATA/postmaster.pid" ]; then
    as_pg pg_ctl -D "$PG_DRILL_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
}

# A throwaway server tuned for one bulk load that is thrown away afterwards: no durability, and wal_level=minimal,
# with which pg_restore -j wraps each table's COPY in a transaction after a TRUNCATE of the table it just created, so
# neither the data nor the index builds are WAL-logged.
PG_DRILL_SETTINGS="-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c wal_level=minimal \
-c max_wal_senders=0 -c archive_mode=off -c max_wal_size=16GB -c checkpoint_timeout=1h -c autovacuum=off \
-c shared_buffers=${PG_DRILL_SHARED_BUFFERS:-256MB} -c maintenance_work_mem=${PG_DRILL_MAINTENANCE_WORK_MEM:-256MB}"

restore_postgresql() {
  local t
  for t in initdb pg_ctl pg_restore psql; do need_tool "$t" "the drill runs a throwaway PostgreSQL (set PG_BIN_DIR)"; done
  local dump="$SCRATCH/dump.pgdump" sock="$SCRATCH/sock" jobs=${RESTORE_JOBS:-$(nproc)}
  PG_DRILL_DATA="$SCRATCH/data"
  mkdir -p "$sock"
  decompressed_to "$dump"
  [ "$(id -u)" -ne 0 ] || chown -R "${PG_DRILL_OS_USER:-postgres}" "$SCRATCH"
  trap pg_drill_stop EXIT
  as_pg initdb -D "$PG_DRILL_DATA" -U postgres -A trust -E UTF8 --no-sync >"$SCRATCH/initdb.log" 2>&1 ||
    { error "initdb in scratch space failed" detail="$(tail -c 1500 "$SCRATCH/initdb.log")"; return 1; }
  as_pg pg_ctl -D "$PG_DRILL_DATA" -l "$SCRATCH/server.log" -w -t "${PG_START_TIMEOUT_SECONDS:-120}" \
    -o "-c listen_addresses='' -k $sock $PG_DRILL_SETTINGS" \
    start >/dev/null 2>&1 ||
    { error "the scratch PostgreSQL did not start" detail="$(tail -c 1500 "$SCRATCH/server.log")"; return 1; }
  local psql=(psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$sock" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE DATABASE drill TEMPLATE template0 ENCODING 'UTF8'" >/dev/null
  info "restoring" jobs="$jobs"
  if ! pg_restore -h "$sock" -U postgres -d drill -j "$jobs" --exit-on-error --no-owner --no-acl "$dump" \
    2>"$SCRATCH/pg_restore.err"; then
    error "pg_restore failed" detail="$(tail -c 2000 "$SCRATCH/pg_restore.err")"
    return 1
  fi
  rm -f "$dump"
  "${psql[@]}" -d drill -c "$PG_COUNT_SQL" >"$SCRATCH/actual-counts.tsv"
  compare_counts "$SCRATCH/actual-counts.tsv"
  pg_drill_stop
}

restore_mongodb() {
  need_tool mongod "the drill runs a throwaway mongod"
  need_tool mongorestore "use an image with the MongoDB database tools"
  local archive="$SCRATCH/dump.archive" port=${MONGO_DRILL_PORT:-27099} out restored failed expected
  mkdir -p "$SCRATCH/db"
  decompressed_to "$archive"
  mongod --dbpath "$SCRATCH/db" --bind_ip 127.0.0.1 --port "$port" --fork --logpath "$SCRATCH/mongod.log" >/dev/null ||
    { error "the scratch mongod did not start" detail="$(tail -c 1500 "$SCRATCH/mongod.log" 2>/dev/null)"; return 1; }
  trap 'mongod --dbpath "$SCRATCH/db" --shutdown >/dev/null 2>&1 || true' EXIT
  if ! out=$(mongorestore --uri="mongodb://127.0.0.1:$port" --archive="$archive" --drop 2>&1); then
    error "mongorestore failed" detail="$(printf '%s' "$out" | tail -c 2000)"
    return 1
  fi
  restored=$(printf '%s\n' "$out" | sed -n -E 's/.*[^0-9]([0-9]+) document\(s\) restored successfully.*/\1/p' | tail -n1)
  failed=$(printf '%s\n' "$out" | sed -n -E 's/.* ([0-9]+) document\(s\) failed to restore.*/\1/p' | tail -n1)
  expected=$(manifest_counts "$WORK_DIR/manifest.json" | awk -F '\t' '{ s += $2 } END { print s + 0 }')
  if [ "${restored:-x}" != "$expected" ] || [ "${failed:-x}" != 0 ]; then
    error "RESTORED DATA DIFFERS: documents restored $restored (failed $failed), expected $expected" \
      detail="$(printf '%s' "$out" | tail -c 1000)"
    return 1
  fi
  info "documents match" documents="$expected"
  mongod --dbpath "$SCRATCH/db" --shutdown >/dev/null 2>&1 || true
}

restore_prometheus_snapshot() {
  need_tool promtool "use an image with promtool (the prometheus image has it)"
  need_tool tar "the snapshot is a tar archive"
  local dir="$SCRATCH/tsdb" blocks series b
  mkdir -p "$dir"
  if ! decompress_stream "$(manifest_get "$WORK_DIR/manifest.json" compression)" <"$BACKUP_FILE" |
    tar -C "$dir" -xf - 2>"$SCRATCH/tar.err"; then
    error "the snapshot archive does not extract" detail="$(tail -c 1000 "$SCRATCH/tar.err")"
    return 1
  fi
  rm -f "$BACKUP_FILE"
  if ! promtool tsdb list "$dir" >"$SCRATCH/list.txt" 2>&1; then
    error "promtool tsdb list failed" detail="$(tail -c 1500 "$SCRATCH/list.txt")"
    return 1
  fi
  # Columns: BLOCK ULID, MIN TIME, MAX TIME, DURATION, NUM SAMPLES, NUM CHUNKS, NUM SERIES, SIZE.
  blocks=$(awk 'NR > 1 && NF >= 7 { n++ } END { print n + 0 }' "$SCRATCH/list.txt")
  series=$(awk 'NR > 1 && NF >= 7 { s += $7 } END { print s + 0 }' "$SCRATCH/list.txt")
  printf 'blocks\t%s\nseries\t%s\n' "$blocks" "$series" >"$SCRATCH/actual-counts.tsv"
  compare_counts "$SCRATCH/actual-counts.tsv"
  while IFS= read -r b; do
    if ! promtool tsdb analyze "$dir" "$b" >"$SCRATCH/analyze.txt" 2>&1; then
      error "promtool tsdb analyze failed on block $b" detail="$(tail -c 1500 "$SCRATCH/analyze.txt")"
      return 1
    fi
  done < <(awk 'NR > 1 && NF >= 7 { print $1 }' "$SCRATCH/list.txt")
  info "snapshot verified" blocks="$blocks" series="$series"
}

restore_rabbitmq_definitions() {
  need_tool jq "the drill validates the definitions with jq (use an image that has it)"
  local defs="$SCRATCH/definitions.json" k c
  decompressed_to "$defs"
  if ! jq -e 'type == "object" and has("rabbit_version")' "$defs" >/dev/null 2>"$SCRATCH/jq.err"; then
    error "the definitions are not a valid RabbitMQ definitions document" detail="$(head -c 500 "$SCRATCH/jq.err")"
    return 1
  fi
  : >"$SCRATCH/actual-counts.tsv"
  while IFS=$'\t' read -r k _; do
    c=$(jq -r --arg k "$k" '.[$k] // [] | length' "$defs")
    printf '%s\t%s\n' "$k" "$c" >>"$SCRATCH/actual-counts.tsv"
  done < <(manifest_counts "$WORK_DIR/manifest.json")
  compare_counts "$SCRATCH/actual-counts.tsv"
}

restore_sqlite() {
  need_tool python3 "use an image with Python 3 and its sqlite3 module (the same as the backup's)"
  local db="$SCRATCH/restored.sqlite3" check
  decompressed_to "$db"
  if ! check=$(python3 "$SCRIPT_DIR/sqlite_tool.py" check "$db" 2>&1); then
    error "the restored database fails integrity_check" detail="$(printf '%s' "$check" | head -c 1000)"
    return 1
  fi
  python3 "$SCRIPT_DIR/sqlite_tool.py" counts "$db" >"$SCRATCH/actual-counts.tsv"
  compare_counts "$SCRATCH/actual-counts.tsv"
}

run_restore() {
  local wait_s=${PHASE_WAIT_SECONDS:-21600} rc=0 fn="restore_${BACKUP_KIND//-/_}"
  if ! wait_status fetch "$wait_s"; then
    error "the fetch phase wrote no status within ${wait_s}s"
    write_status restore result=failed exit=1 || true
    RESTORE_RC=1
    return 0
  fi
  if [ "$(status_get fetch result)" != ok ]; then
    write_status restore result=skipped exit=1 "message=nothing to restore: the fetch phase failed" || true
    RESTORE_RC=1
    return 0
  fi
  rm -rf "$SCRATCH"
  mkdir -p "$SCRATCH"
  set +e
  (
    set -e
    trap '' PIPE
    "$fn"
  )
  rc=$?
  set -e
  rm -rf "$SCRATCH"
  if [ "$rc" -ne 0 ]; then
    error "restore failed" exit="$rc"
    write_status restore result=failed "exit=$rc" || true
    RESTORE_RC=1
    return 0
  fi
  info "restore verified" key="$(status_get fetch key)"
  write_status restore result=ok || RESTORE_RC=1
}

# --- report --------------------------------------------------------------------------------------------------------

run_report() {
  local wait_s=${PHASE_WAIT_SECONDS:-21600} ok=1 now started backup_epoch
  started=$(status_get fetch started_epoch)
  if [ "$(status_get fetch result)" != ok ]; then
    ok=0
  elif ! wait_status restore "$wait_s"; then
    error "the restore phase wrote no status within ${wait_s}s (killed, OOM or hung?)"
    ok=0
  elif [ "$(status_get restore result)" != ok ]; then
    ok=0
  fi
  now=$(date +%s)
  if [ "$ok" -ne 1 ]; then
    error "RESTORE DRILL FAILED" key="$(status_get fetch key 2>/dev/null || echo none)"
    push_metrics strata_restore_drill "$(
      metric strata_restore_drill_last_completion_timestamp_seconds gauge "$now" "When the last restore drill ended."
      metric strata_restore_drill_last_run_success gauge 0 "1 if the last restore drill passed, 0 if it failed."
      metric strata_restore_drill_duration_seconds gauge "$((now - started))" "Duration of the last restore drill."
    )" || true
    return "$EXIT_FAILED"
  fi
  backup_epoch=$(manifest_get "$WORK_DIR/manifest.json" started_epoch)
  info "RESTORE DRILL OK" key="$(status_get fetch key)" duration_seconds="$((now - started))"
  push_metrics strata_restore_drill "$(
    metric strata_restore_drill_last_success_timestamp_seconds gauge "$now" "When the last passing restore drill ended."
    metric strata_restore_drill_last_completion_timestamp_seconds gauge "$now" "When the last restore drill ended."
    metric strata_restore_drill_last_run_success gauge 1 "1 if the last restore drill passed, 0 if it failed."
    metric strata_restore_drill_duration_seconds gauge "$((now - started))" "Duration of the last restore drill."
    metric strata_restore_drill_last_verified_backup_timestamp_seconds gauge "$backup_epoch" \
      "Start time of the newest backup a drill restored and verified."
  )" || return "$EXIT_PUSH"
}

case "$phase" in
  fetch)
    require_s3_config
    require_push_config
    run_fetch
    run_report
    ;;
  restore)
    run_restore
    exit "$RESTORE_RC"
    ;;
  all)
    require_s3_config
    require_push_config
    run_fetch
    if [ "$FETCH_RC" -eq 0 ]; then run_restore; fi
    PHASE_WAIT_SECONDS=0 run_report
    ;;
esac

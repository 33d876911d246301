#!/usr/bin/env bash
# Strata restore drill: takes the newest COMPLETE backup of one target (the one latest.json names; latest.json is
# only ever moved after an object and its manifest were verified in the bucket), checks that latest.json, the
# manifest and the object agree (size and SHA-256), restores it into scratch space inside the job, checks the
# invariants recorded at backup time, and reports to the Pushgateway.
#
# Usage: restore-drill.sh [all|fetch|restore]     (default: all)
#   fetch    the S3/report phase (AWS CLI v2 + curl; openssl if present, else sha256sum): reads latest.json, then
#            downloads the object it names into WORK_DIR/backup.bin in order, hashing the bytes as they arrive, while it
#            fetches the manifest; writes WORK_DIR/download.status when the download starts and WORK_DIR/fetch.status
#            once the manifest is byte-identical to latest.json and the object's size and SHA-256 match (or did not).
#            Then waits for WORK_DIR/restore.status (at most PHASE_WAIT_SECONDS) and pushes the result. A restore
#            container that never reports is pushed as a failure.
#   restore  the database-tool phase: restores and verifies, writes restore.status (then deletes its scratch copy).
#            postgresql starts at once: initdb and the server start while the object downloads, and the dump is
#            decompressed from backup.bin as it grows (bash 4.4+, tail, head); other kinds wait for fetch.status.
#            Nothing is restored before fetch.status says the object was verified; a fetch phase that stops writing
#            is given up on after PHASE_WAIT_SECONDS.
#   all      both phases at once in one container, as in the pod.
#   Status files are polled every PHASE_POLL_SECONDS (default 0.5).
#
# Environment: BACKUP_KIND, BACKUP_TARGET, WORK_DIR, S3_BUCKET, S3_PREFIX, S3_ENDPOINT_URL, AWS_CLI, PUSHGATEWAY_URL,
#   PHASE_WAIT_SECONDS, PUSH_TIMEOUT_SECONDS as for backup.sh (the drill never writes to S3). Per kind (restore phase):
#   postgresql            PG_BIN_DIR (optional; initdb, pg_ctl, pg_restore, psql), RESTORE_JOBS (pg_restore -j;
#                         default: number of CPUs), PG_DRILL_OS_USER (default postgres; used only when run as root,
#                         since PostgreSQL refuses to run as root), PG_DRILL_SHARED_BUFFERS and
#                         PG_DRILL_MAINTENANCE_WORK_MEM (default 256MB each), PG_TIMESCALEDB=1 (the server preloads
#                         TimescaleDB and the restore runs between timescaledb_pre_restore() and _post_restore()).
#                         A throwaway server: initdb in WORK_DIR,
#                         unix socket only (no TCP), fsync off, wal_level=minimal (pg_restore -j then skips WAL for
#                         the data and the index builds); once the object is verified,
#                         `pg_restore -j --exit-on-error --no-owner --no-acl`; then exact row counts per table must
#                         equal the manifest's.
#   mongodb               mongod + mongorestore: a throwaway mongod on 127.0.0.1:MONGO_DRILL_PORT (default 27099);
#                         documents restored must equal the manifest's total and none may fail.
#   prometheus-snapshot   promtool and prometheus: `promtool tsdb list` over the extracted snapshot (block and series
#                         counts must equal the manifest's), `promtool tsdb analyze` of every block (reads each index),
#                         then a throwaway Prometheus on 127.0.0.1:PROM_DRILL_PORT (9099) opens it: it must load every
#                         block and find series at the newest block's end. PROM_DRILL_START_SECONDS (600).
#   rabbitmq-definitions  rabbitmq-server + rabbitmqctl (the rabbitmq image): a throwaway broker in scratch space
#                         (AMQP on 127.0.0.1:RABBITMQ_DRILL_PORT, default 5672; no plugins) imports the definitions
#                         (`rabbitmqctl import_definitions`); its vhosts, users, permissions, policies, queues,
#                         exchanges and bindings must equal the manifest's counts. RABBITMQ_DRILL_DIST_PORT (default:
#                         RabbitMQ's, AMQP + 20000), RABBITMQ_DRILL_START_SECONDS (180).
#   valkey                valkey-server + valkey-cli (or redis-*): the RDB loaded in a throwaway server (unix socket
#                         only); keys per database must equal the manifest's. VALKEY_DATABASES (16).
#   sqlite                python3 + sqlite_tool.py: PRAGMA integrity_check = ok; row counts per table equal the
#                         manifest's.
#
# Metrics (POST to PUSHGATEWAY_URL/metrics/job/strata_restore_drill/kind/<kind>/target/<target>):
#   every run: strata_restore_drill_last_completion_timestamp_seconds, strata_restore_drill_last_run_success (1/0),
#   strata_restore_drill_duration_seconds; success only: strata_restore_drill_last_success_timestamp_seconds,
#   strata_restore_drill_last_verified_backup_timestamp_seconds (the verified backup's start time).
#
# Encrypted backups (the manifest's encryption field, named by MANIFEST_FIELD_ENCRYPTION, is `age`): the fetch phase
#   needs AGE_IDENTITY_FILE (the identity, a Secret volume) and age (age-keygen too, to name a wrong identity before
#   the download); it decrypts as it downloads and checks the ciphertext's SHA-256 and size and the plaintext's against
#   the manifest. It pushes DRILL_DECRYPT_METRIC (1 decrypted, 0 could not) on every drill of an encrypted backup.
#   Manifests without the encryption fields are read as before.
#
# Exit codes: 0 drill passed | 1 drill failed (failure pushed) | 2 usage/config error | 3 drill passed but the push
#   failed | EXIT_DECRYPT (4, from the environment) the drill could not decrypt the backup (failure pushed).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"

phase=${1:-all}
start_script restore-drill "$phase" all fetch restore

BACKUP_FILE="$WORK_DIR/backup.bin"
LATEST_FILE="$WORK_DIR/$LAYOUT_LATEST"
SCRATCH="$WORK_DIR/restore"

# --- fetch ---------------------------------------------------------------------------------------------------------

# sha256_stdin, check_identity, download_decrypting and decrypt_failed: lib.sh.

# run_fetch and run_restore set FETCH_RC / RESTORE_RC and return 0: never call them in a conditional context (`if`,
# `||`), where bash ignores errexit even inside the `( set -e ... )` subshells that guard the work.
FETCH_RC=0
RESTORE_RC=0
run_fetch() {
  set_run_time
  rm -f "$WORK_DIR/fetch.status" "$WORK_DIR/download.status" "$WORK_DIR/restore.status" "$BACKUP_FILE" "$LATEST_FILE" \
    "$WORK_DIR/manifest.json"
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
    [ "$(manifest_get "$LATEST_FILE" kind)" = "$BACKUP_KIND" ] || { error "$LAYOUT_LATEST is of another kind"; exit 1; }
    [ "$(manifest_get "$LATEST_FILE" target)" = "$BACKUP_TARGET" ] || { error "$LAYOUT_LATEST is of another target"; exit 1; }
    # The manifest is fetched while the object downloads: nothing is trusted before both are checked below.
    s3_get "$manifest_key" "$WORK_DIR/manifest.json" 2>"$WORK_DIR/s3-manifest.err" &
    manifest_pid=$!
    info "fetching the newest complete backup" key="$key" size_bytes="$size"
    # Downloaded in order into BACKUP_FILE while the same bytes are hashed. download.status tells the restore phase
    # it may decompress the file as it grows; it restores nothing before fetch.status says everything matched.
    if manifest_encrypted "$LATEST_FILE"; then
      # An age-encrypted object: decrypted as it downloads, so BACKUP_FILE holds the plaintext the restore reads, and
      # both the ciphertext (the object) and the plaintext are checked against the manifest.
      check_identity "$(manifest_get "$LATEST_FILE" "$MANIFEST_FIELD_RECIPIENT_SHA256")"
      : >"$BACKUP_FILE"
      write_status download "key=$key" "size_bytes=$size"
      got_sha=$(download_decrypting "$key" "$BACKUP_FILE" "$sha")
      if [ "$got_sha" != "$sha" ]; then
        error "CHECKSUM MISMATCH: the stored backup is not the one that was written" key="$key" expected="$sha" got="$got_sha"
        exit 1
      fi
      plain_sha=$(manifest_get "$LATEST_FILE" "$MANIFEST_FIELD_PLAINTEXT_SHA256")
      plain_size=$(manifest_get "$LATEST_FILE" "$MANIFEST_FIELD_PLAINTEXT_SIZE")
      got_plain_size=$(file_size "$BACKUP_FILE")
      if [ "$got_plain_size" != "$plain_size" ] || [ "$(cat "$BACKUP_FILE.plain.sha")" != "$plain_sha" ]; then
        error "CHECKSUM MISMATCH: the decrypted backup is not the plaintext that was encrypted" key="$key" \
          expected="$plain_size $plain_sha" got="$got_plain_size $(cat "$BACKUP_FILE.plain.sha")"
        exit 1
      fi
      info "decrypted with age" key="$key" plaintext_sha256="$plain_sha"
      got_size=$size
    else
      : >"$BACKUP_FILE"
      write_status download "key=$key" "size_bytes=$size"
      if ! got_sha=$(s3_get "$key" - 2>"$WORK_DIR/s3.err" | tee "$BACKUP_FILE" | sha256_stdin); then
        error "downloading s3://$S3_BUCKET/$key failed" detail="$(tail -c 1000 "$WORK_DIR/s3.err")"
        exit 1
      fi
      got_size=$(file_size "$BACKUP_FILE")
    fi
    if ! wait "$manifest_pid"; then
      error "cannot read the manifest $LAYOUT_LATEST names" manifest_key="$manifest_key" \
        detail="$(tail -c 1000 "$WORK_DIR/s3-manifest.err")"
      exit 1
    fi
    if ! cmp -s "$LATEST_FILE" "$WORK_DIR/manifest.json"; then
      error "$LAYOUT_LATEST and the manifest it names differ" manifest_key="$manifest_key"
      exit 1
    fi
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
    [ "$rc" -ne "$EXIT_DECRYPT" ] || FETCH_RC=$EXIT_DECRYPT
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

# fetch_wait NAME [POLL_SECONDS]: waits for the fetch phase's status NAME (download or fetch); 1 when fetch.status
# says it failed, 2 when neither arrives within PHASE_WAIT_SECONDS of the restore phase's start or the fetch phase of
# this container (`all`) has exited without writing it.
fetch_wait() {
  local name=$1 poll=${2:-${PHASE_POLL_SECONDS:-0.5}}
  while [ ! -f "$WORK_DIR/$name.status" ] && [ ! -f "$WORK_DIR/fetch.status" ]; do
    if [ "$(date +%s)" -ge "$RESTORE_DEADLINE" ]; then
      error "the fetch phase wrote no $name status within ${PHASE_WAIT_SECONDS}s"
      return 2
    fi
    if [ -n "${FETCH_PID:-}" ] && ! kill -0 "$FETCH_PID" 2>/dev/null && [ ! -f "$WORK_DIR/fetch.status" ]; then
      error "the fetch phase exited without writing its status"
      return 2
    fi
    sleep "$poll"
  done
  if [ -f "$WORK_DIR/fetch.status" ] && [ "$(status_get fetch result)" != ok ]; then
    return 1
  fi
}

# stream_object_to FILE: the restore phase's side of the download. Decompresses BACKUP_FILE into FILE while the fetch
# phase is still writing it (from download.status on), then waits for the fetch phase's verdict. Returns 0 only when
# the object arrived whole, decompressed cleanly, and the fetch phase verified its size and SHA-256 (fetch.status ok);
# nothing may read FILE before. BACKUP_FILE is removed once the verdict is in.
stream_object_to() {
  local out=$1 size compression rc=0
  fetch_wait download || return 1
  # latest.json, as the fetch phase read it; it checks later that the manifest is byte-identical.
  size=$(manifest_plain_size "$LATEST_FILE")
  compression=$(manifest_get "$LATEST_FILE" compression)
  require_compression_tool "$compression"
  # The fetch phase checks the object's size against the manifest's.
  consume_while_downloading "$BACKUP_FILE" "$size" "$SCRATCH/decompress.err" decompress_into "$compression" "$out" || rc=$?
  # The verdict follows the last byte within moments (the hash keeps pace with the download): poll it closely.
  if ! fetch_wait fetch 0.1; then
    warn "nothing restored: the fetch phase did not verify the backup (its log says why)"
    return 1
  fi
  rm -f "$BACKUP_FILE"
  if [ "$rc" -ne 0 ]; then
    error "the verified backup does not decompress" compression="$compression" exit="$rc" \
      detail="$(tail -c 1000 "$SCRATCH/decompress.err")"
    return 1
  fi
  info "decompressed while downloading" bytes="$(file_size "$out")"
}

decompress_into() { decompress_stream "$1" >"$2"; }

decompressed_to() {
  local compression
  compression=$(manifest_get "$WORK_DIR/manifest.json" compression)
  require_compression_tool "$compression"
  decompress_stream "$compression" <"$BACKUP_FILE" >"$1"
  rm -f "$BACKUP_FILE"
}

PG_DRILL_DATA=
pg_drill_stop() { pg_stop_now "$PG_DRILL_DATA"; }

# A throwaway server tuned for one bulk load that is thrown away afterwards: no durability, and wal_level=minimal,
# with which pg_restore -j wraps each table's COPY in a transaction after a TRUNCATE of the table it just created, so
# neither the data nor the index builds are WAL-logged.
PG_DRILL_SETTINGS="-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c wal_level=minimal \
-c max_wal_senders=0 -c archive_mode=off -c max_wal_size=16GB -c checkpoint_timeout=1h -c autovacuum=off \
-c shared_buffers=${PG_DRILL_SHARED_BUFFERS:-256MB} -c maintenance_work_mem=${PG_DRILL_MAINTENANCE_WORK_MEM:-256MB}"

# Streamed: the throwaway server is initialised and started while the fetch phase downloads, and the dump is
# decompressed as it arrives; pg_restore starts once the fetch phase has verified the object.
restore_postgresql() {
  local t
  for t in initdb pg_ctl pg_restore psql; do need_tool "$t" "the drill runs a throwaway PostgreSQL (set PG_BIN_DIR)"; done
  local dump="$SCRATCH/dump.pgdump" sock="$SCRATCH/sock" jobs=${RESTORE_JOBS:-$(nproc)}
  PG_DRILL_DATA="$SCRATCH/data"
  mkdir -p "$sock"
  [ "$(id -u)" -ne 0 ] || chown -R "${PG_DRILL_OS_USER:-postgres}" "$SCRATCH"
  trap pg_drill_stop EXIT
  as_pg initdb -D "$PG_DRILL_DATA" -U postgres -A trust -E UTF8 --no-sync >"$SCRATCH/initdb.log" 2>&1 ||
    { error "initdb in scratch space failed" detail="$(tail -c 1500 "$SCRATCH/initdb.log")"; return 1; }
  local settings="$PG_DRILL_SETTINGS"
  # A TimescaleDB dump restores only into a server that preloads the extension (PG_TIMESCALEDB=1, its drill image).
  [ "${PG_TIMESCALEDB:-0}" != 1 ] || settings+=" -c shared_preload_libraries=timescaledb -c timescaledb.telemetry_level=off"
  as_pg pg_ctl -D "$PG_DRILL_DATA" -l "$SCRATCH/server.log" -w -t "${PG_START_TIMEOUT_SECONDS:-120}" \
    -o "-c listen_addresses='' -k $sock $settings" \
    start >/dev/null 2>&1 ||
    { error "the scratch PostgreSQL did not start" detail="$(tail -c 1500 "$SCRATCH/server.log")"; return 1; }
  local psql=(psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$sock" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE DATABASE drill TEMPLATE template0 ENCODING 'UTF8'" >/dev/null
  if [ "${PG_TIMESCALEDB:-0}" = 1 ]; then
    # TimescaleDB's documented restore: the extension first, then timescaledb_pre_restore() (restoring mode, background
    # workers stopped) before pg_restore and timescaledb_post_restore() after it.
    "${psql[@]}" -d drill -c "CREATE EXTENSION IF NOT EXISTS timescaledb" -c "SELECT timescaledb_pre_restore()" >/dev/null
  fi
  info "scratch server ready, waiting for the backup"
  stream_object_to "$dump"
  info "restoring" jobs="$jobs"
  if ! pg_restore -h "$sock" -U postgres -d drill -j "$jobs" --exit-on-error --no-owner --no-acl "$dump" \
    2>"$SCRATCH/pg_restore.err"; then
    error "pg_restore failed" detail="$(tail -c 2000 "$SCRATCH/pg_restore.err")"
    return 1
  fi
  rm -f "$dump"
  [ "${PG_TIMESCALEDB:-0}" != 1 ] || "${psql[@]}" -d drill -c "SELECT timescaledb_post_restore()" >/dev/null
  info "restored, counting rows"
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
  prometheus_serves_snapshot "$dir" "$blocks"
  info "snapshot verified" blocks="$blocks" series="$series"
}

PROM_DRILL_PID=
prom_drill_stop() {
  if [ -n "$PROM_DRILL_PID" ]; then
    kill "$PROM_DRILL_PID" 2>/dev/null || true
    wait "$PROM_DRILL_PID" 2>/dev/null || true
    PROM_DRILL_PID=
  fi
}

# prometheus_serves_snapshot DIR BLOCKS: the restore itself. A throwaway Prometheus (127.0.0.1:PROM_DRILL_PORT, no
# scrape targets, a retention no block is older than, so none is deleted on start) opens the extracted TSDB; it must
# load exactly BLOCKS blocks (its prometheus_tsdb_blocks_loaded, read before its first compaction a minute after
# start) and answer a query over the newest block's data.
prometheus_serves_snapshot() {
  local dir=$1 blocks=$2 port=${PROM_DRILL_PORT:-9099} url deadline loaded newest answer
  need_tool prometheus "the drill opens the snapshot in a throwaway Prometheus (copy it from the prometheus image)"
  need_tool curl "the drill queries its throwaway Prometheus"
  url="http://127.0.0.1:$port"
  printf 'global: {}\nscrape_configs: []\n' >"$SCRATCH/prometheus.yml"
  trap prom_drill_stop EXIT
  prometheus --config.file="$SCRATCH/prometheus.yml" --storage.tsdb.path="$dir" --storage.tsdb.retention.time=100y \
    --web.listen-address="127.0.0.1:$port" --log.level=warn >"$SCRATCH/prometheus.log" 2>&1 &
  PROM_DRILL_PID=$!
  deadline=$(($(date +%s) + ${PROM_DRILL_START_SECONDS:-600}))
  until curl -sf --max-time 5 "$url/-/ready" >/dev/null 2>&1; do
    if ! kill -0 "$PROM_DRILL_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      error "the throwaway Prometheus did not open the snapshot" detail="$(tail -c 1500 "$SCRATCH/prometheus.log")"
      return 1
    fi
    sleep 0.5
  done
  loaded=$(curl -sf --max-time 30 "$url/metrics" | sed -n -E 's/^prometheus_tsdb_blocks_loaded ([0-9]+)$/\1/p')
  if [ "$loaded" != "$blocks" ]; then
    error "RESTORED DATA DIFFERS: the restored Prometheus loaded ${loaded:-no} blocks, the snapshot has $blocks" \
      detail="$(tail -c 1500 "$SCRATCH/prometheus.log")"
    return 1
  fi
  # MAX TIME (ms) of the newest block: a query there must find series. Kept as text (mawk's numbers are doubles
  # and its %d stops at 2^31).
  newest=$(awk 'NR > 1 && NF >= 7 { print $3 }' "$SCRATCH/list.txt" | sort -n | tail -n 1)
  answer=$(curl -sf --max-time 120 --data-urlencode 'query=count({__name__=~".+"})' \
    --data-urlencode "time=$((newest / 1000 - 1))" "$url/api/v1/query" || true)
  if ! [[ $answer =~ \"value\":\[[0-9.]+,\"[1-9][0-9]*\"\] ]]; then
    error "RESTORED DATA DIFFERS: the restored Prometheus finds no series at the newest block's end" detail="${answer:0:500}"
    return 1
  fi
  info "the restored Prometheus loaded every block and serves them" blocks="$loaded" \
    series_at_end="$(printf '%s' "$answer" | sed -n -E 's/.*"value":\[[0-9.]+,"([0-9]+)"\].*/\1/p')"
  prom_drill_stop
}

RABBITMQ_DRILL_PID=
RABBITMQ_DRILL_EPMD=
rabbitmq_drill_stop() {
  if [ -n "$RABBITMQ_DRILL_PID" ] && kill -0 "$RABBITMQ_DRILL_PID" 2>/dev/null; then
    timeout 60 rabbitmqctl -q shutdown >/dev/null 2>&1 || kill "$RABBITMQ_DRILL_PID" 2>/dev/null || true
    wait "$RABBITMQ_DRILL_PID" 2>/dev/null || true
  fi
  RABBITMQ_DRILL_PID=
  # epmd outlives the node; only the one this drill started is stopped.
  [ -z "$RABBITMQ_DRILL_EPMD" ] || epmd -kill >/dev/null 2>&1 || true
  RABBITMQ_DRILL_EPMD=
}

# rabbitmq_list WHAT ARGS...: `rabbitmqctl list_WHAT` without headers, one object per line.
# stdin is /dev/null: the CLI reads its stdin, and in a `while read` loop it would eat the loop's remaining lines.
rabbitmq_list() { rabbitmqctl -q "list_$1" --no-table-headers "${@:2}" </dev/null; }
# Non-empty lines (an empty listing is printed as an empty line by some commands).
count_lines() { awk 'length > 0 { n++ } END { print n + 0 }'; }

# A real restore: the definitions are imported into a throwaway broker started in scratch space (its own node name,
# data, logs, config and cookie; AMQP on 127.0.0.1 only, no plugins), which starts empty of anything of ours (its
# default user and vhost are deleted first), then the objects the broker holds are counted and compared with the
# counts taken from the document at backup time. The broker, not a JSON check, says whether the document restores.
restore_rabbitmq_definitions() {
  local t
  for t in rabbitmq-server rabbitmqctl epmd; do need_tool "$t" "the drill imports the definitions into a throwaway broker (use the rabbitmq image)"; done
  local defs="$SCRATCH/definitions.json" base="$SCRATCH/broker" deadline v out
  decompressed_to "$defs"
  mkdir -p "$base/mnesia" "$base/log" "$base/conf.d"
  printf 'listeners.tcp.default = 127.0.0.1:%s\n' "${RABBITMQ_DRILL_PORT:-5672}" >"$base/rabbitmq.conf"
  printf '[].\n' >"$base/enabled_plugins"
  export HOME="$base" RABBITMQ_NODENAME="strata-drill-$$@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="${RABBITMQ_DRILL_PORT:-5672}" RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" \
    RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" RABBITMQ_CONFIG_FILES="$base/conf.d" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP="$base/erl_crash.dump"
  # The distribution port: RabbitMQ's default is the AMQP port + 20000.
  [ -z "${RABBITMQ_DRILL_DIST_PORT:-}" ] || export RABBITMQ_DIST_PORT="$RABBITMQ_DRILL_DIST_PORT"
  epmd -names >/dev/null 2>&1 || RABBITMQ_DRILL_EPMD=1
  trap rabbitmq_drill_stop EXIT
  rabbitmq-server >"$base/server.out" 2>&1 &
  RABBITMQ_DRILL_PID=$!
  deadline=$(($(date +%s) + ${RABBITMQ_DRILL_START_SECONDS:-180}))
  until rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1; do
    if ! kill -0 "$RABBITMQ_DRILL_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      error "the throwaway broker did not start" detail="$(tail -c 1500 "$base/server.out")"
      return 1
    fi
    sleep 0.5
  done
  info "throwaway broker started, importing the definitions"
  # list_users prints "name<TAB>[tags]"; user names cannot hold a tab.
  while IFS=$'\t' read -r v _; do rabbitmqctl -q delete_user "$v" </dev/null >/dev/null; done < <(rabbitmq_list users)
  while IFS= read -r v; do rabbitmqctl -q delete_vhost "$v" </dev/null >/dev/null; done < <(rabbitmq_list vhosts name)
  if ! out=$(rabbitmqctl -q import_definitions "$defs" 2>&1); then
    error "RESTORED DATA DIFFERS: the broker rejected the definitions" detail="$(printf '%s' "$out" | tail -c 2000)"
    return 1
  fi
  local vhosts users permissions=0 policies=0 queues=0 exchanges=0 bindings=0
  vhosts=$(rabbitmq_list vhosts name | count_lines)
  users=$(rabbitmq_list users | count_lines)
  while IFS= read -r v; do
    permissions=$((permissions + $(rabbitmq_list permissions -p "$v" | count_lines)))
    policies=$((policies + $(rabbitmq_list policies -p "$v" | count_lines)))
    queues=$((queues + $(rabbitmq_list queues -p "$v" name | count_lines)))
    # A definitions export leaves out what every vhost has anyway: the default exchange, the amq.* exchanges, and
    # the default exchange's implicit binding to every queue (its source is the empty name).
    exchanges=$((exchanges + $(rabbitmq_list exchanges -p "$v" name | awk '$0 != "" && $0 !~ /^amq\./ { n++ } END { print n + 0 }')))
    bindings=$((bindings + $(rabbitmq_list bindings -p "$v" source_name destination_name | awk -F '\t' '$1 != "" { n++ } END { print n + 0 }')))
  done < <(rabbitmq_list vhosts name)
  printf '%s\t%s\n' vhosts "$vhosts" users "$users" permissions "$permissions" policies "$policies" queues "$queues" \
    exchanges "$exchanges" bindings "$bindings" >"$SCRATCH/actual-counts.tsv"
  compare_counts "$SCRATCH/actual-counts.tsv"
  rabbitmq_drill_stop
}

# Loads the RDB in a throwaway server (lib.sh's valkey_key_counts) and compares its keys per database with the
# manifest's, which the backup took the same way from the same bytes.
restore_valkey() {
  valkey_tool server >/dev/null || die_config "neither valkey-server nor redis-server is installed (use the valkey image)"
  valkey_tool cli >/dev/null || die_config "neither valkey-cli nor redis-cli is installed (use the valkey image)"
  local rdb="$SCRATCH/dump.rdb"
  decompressed_to "$rdb"
  trap valkey_scratch_stop EXIT
  valkey_key_counts "$rdb" "$SCRATCH/server" >"$SCRATCH/actual-counts.tsv" || return 1
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

# Kinds whose restore function starts with the fetch phase (and calls stream_object_to); the others start once the
# fetch phase has verified the object.
readonly STREAMED_KINDS="postgresql"

run_restore() {
  local wait_s=$PHASE_WAIT_SECONDS rc=0 fn="restore_${BACKUP_KIND//-/_}"
  RESTORE_DEADLINE=$(($(date +%s) + wait_s))
  if [[ " $STREAMED_KINDS " != *" $BACKUP_KIND "* ]]; then
    fetch_wait fetch || rc=$?
    if [ "$rc" -eq 2 ]; then
      write_status restore result=failed exit=1 || true
      RESTORE_RC=1
      return 0
    fi
    if [ "$rc" -ne 0 ]; then
      write_status restore result=skipped exit=1 "message=nothing to restore: the fetch phase failed" || true
      RESTORE_RC=1
      return 0
    fi
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
  # The verdict first, so the report does not wait for the throwaway copy to be deleted.
  if [ "$rc" -ne 0 ]; then
    RESTORE_RC=1
    if [ -f "$WORK_DIR/fetch.status" ] && [ "$(status_get fetch result)" != ok ]; then
      write_status restore result=skipped exit=1 "message=nothing to restore: the fetch phase failed" || true
    else
      error "restore failed" exit="$rc"
      write_status restore result=failed "exit=$rc" || true
    fi
  else
    info "restore verified" key="$(status_get fetch key)"
    write_status restore result=ok || RESTORE_RC=1
  fi
  rm -rf "$SCRATCH"
}

# --- report --------------------------------------------------------------------------------------------------------

run_report() {
  local wait_s=$PHASE_WAIT_SECONDS ok=1 now started backup_epoch
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
  # Encrypted backups: whether this drill could decrypt, pushed on every such drill.
  local decrypt=''
  if [ "$(status_get fetch exit 2>/dev/null || true)" = "$EXIT_DECRYPT" ]; then
    decrypt=$(drill_decrypt_metric 0)
  elif [ -f "$LATEST_FILE" ] && manifest_encrypted "$LATEST_FILE" && [ "$(status_get fetch result)" = ok ]; then
    decrypt=$(drill_decrypt_metric 1)
  fi
  if [ "$ok" -ne 1 ]; then
    error "RESTORE DRILL FAILED" key="$(status_get fetch key 2>/dev/null || echo none)"
    push_metrics "$PUSH_JOB_DRILL" "$(
      metric "$METRIC_DRILL_LAST_COMPLETION" gauge "$now" "When the last restore drill ended."
      metric "$METRIC_DRILL_LAST_RUN_SUCCESS" gauge 0 "1 if the last restore drill passed, 0 if it failed."
      metric "$METRIC_DRILL_DURATION" gauge "$((now - started))" "Duration of the last restore drill."
      [ -z "$decrypt" ] || printf '%s\n' "$decrypt"
    )" || true
    [ "$(status_get fetch exit 2>/dev/null || true)" != "$EXIT_DECRYPT" ] || return "$EXIT_DECRYPT"
    return "$EXIT_FAILED"
  fi
  backup_epoch=$(manifest_get "$WORK_DIR/manifest.json" started_epoch)
  info "RESTORE DRILL OK" key="$(status_get fetch key)" duration_seconds="$((now - started))"
  push_metrics "$PUSH_JOB_DRILL" "$(
    metric "$METRIC_DRILL_LAST_SUCCESS" gauge "$now" "When the last passing restore drill ended."
    metric "$METRIC_DRILL_LAST_COMPLETION" gauge "$now" "When the last restore drill ended."
    metric "$METRIC_DRILL_LAST_RUN_SUCCESS" gauge 1 "1 if the last restore drill passed, 0 if it failed."
    metric "$METRIC_DRILL_DURATION" gauge "$((now - started))" "Duration of the last restore drill."
    metric "$METRIC_DRILL_LAST_VERIFIED_BACKUP" gauge "$backup_epoch" \
      "Start time of the newest backup a drill restored and verified."
    [ -z "$decrypt" ] || printf '%s\n' "$decrypt"
  )" || return "$EXIT_PUSH"
}

require_phase_wait

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
    # Both phases at once, as in the two-container pod: the fetch phase in a subshell, the restore phase here.
    require_s3_config
    require_push_config
    (
      run_fetch
      exit "$FETCH_RC"
    ) &
    FETCH_PID=$!
    run_restore
    wait "$FETCH_PID" || FETCH_RC=1
    PHASE_WAIT_SECONDS=0 run_report
    ;;
esac

#!/usr/bin/env bash
# Strata backup: dumps one target, uploads it to S3 with its SHA-256 and a manifest, moves the target's latest.json
# pointer only after the object and the manifest are verified in the bucket, and reports to the Pushgateway.
#
# Usage: backup.sh [all|dump|upload]            (default: all)
#   dump    the database-tool phase (postgres/mongo/python image, or a Prometheus sidecar): writes the artifact and
#           WORK_DIR/dump.status, never touches S3 or the Pushgateway.
#   upload  the upload/report phase (an image with the AWS CLI v2 and curl): waits for WORK_DIR/dump.status (at most
#           PHASE_WAIT_SECONDS), uploads, verifies, writes the manifest, then latest.json, then pushes the metrics.
#           A dump that failed, or that never wrote its status (container killed, OOM), is pushed as a failure here.
#   all     both, in one container (an image that has both sets of tools).
#   Run dump and upload as two regular containers of one pod sharing an emptyDir at WORK_DIR (not as an init
#   container: a failed init container would stop the pod before anything is reported).
#
# Environment (every phase):
#   BACKUP_KIND         postgresql | mongodb | prometheus-snapshot | rabbitmq-definitions | sqlite | valkey
#   BACKUP_TARGET       ^[a-z0-9][a-z0-9._-]{0,62}$   a key segment and the Pushgateway label `target`
#   WORK_DIR            scratch directory shared by the phases (emptyDir); needs room for one compressed artifact
#   BACKUP_COMPRESSION  zstd (default; multi-threaded, ZSTD_LEVEL default 1) | gzip (GZIP_LEVEL default 1) | none
# dump phase, per kind:
#   postgresql            libpq env: PGHOST PGPORT PGUSER PGPASSWORD (or PGPASSFILE) PGDATABASE (required);
#                         PG_BIN_DIR (optional, prepended to PATH); PG_ROW_COUNTS=exact (default) | none.
#                         `pg_dump -Fc -Z0 --snapshot=S | zstd -T0`; exact row counts per table are taken in the
#                         same exported snapshot, so they match the dump even on a busy database.
#   mongodb               MONGODB_URI (required; credentials inside it); MONGODUMP_OPLOG=1 adds --oplog.
#                         `mongodump --archive | zstd`; documents per collection parsed from mongodump's log.
#   prometheus-snapshot   PROMETHEUS_URL (started with --web.enable-admin-api), PROM_DATA_DIR (Prometheus's
#                         --storage.tsdb.path, mounted into this container). POSTs /api/v1/admin/tsdb/snapshot,
#                         archives PROM_DATA_DIR/snapshots/<name> (tar), then removes that snapshot directory.
#   rabbitmq-definitions  RABBITMQ_URL (management API base, e.g. http://rabbitmq:15672), RABBITMQ_USER,
#                         RABBITMQ_PASSWORD. python3 + rabbitmq_tool.py: GET /api/definitions, counts of vhosts,
#                         users, permissions, policies, queues, exchanges and bindings.
#   valkey                VALKEY_HOST, VALKEY_PORT (6379), VALKEY_PASSWORD (optional; passed as REDISCLI_AUTH and
#                         VALKEYCLI_AUTH, never argv), VALKEY_DATABASES (16). valkey-cli (or redis-cli) --rdb, then
#                         the RDB loaded in a throwaway valkey-server (or redis-server) for its keys per database.
#   sqlite                SQLITE_PATH (may be on a read-only mount), SQLITE_BUSY_TIMEOUT_MS, SQLITE_WRITER_WAIT_SECONDS.
#                         python3 + sqlite_tool.py: the online backup API in one step (one snapshot, the writer
#                         keeps committing in WAL mode), then integrity_check and row counts of the copy.
# upload phase:
#   S3_BUCKET (required), S3_PREFIX (optional key prefix), S3_ENDPOINT_URL (non-AWS S3), S3_SSE_KMS_KEY_ID (when set:
#   --sse aws:kms --sse-kms-key-id), AWS_CLI (default aws; must be v2), the usual AWS_* credentials/region env,
#   PUSHGATEWAY_URL (required), PHASE_WAIT_SECONDS (required: the plan sets it, components/backup/contract/phases.ts), PUSH_TIMEOUT_SECONDS (default 15).
#   AGE_RECIPIENT (optional, age1...): the artifact is encrypted with `age -r` before upload; the object gets the
#   suffix .age, the manifest's sha256/size_bytes are the ciphertext's and it adds the encryption fields whose names
#   MANIFEST_FIELD_* give (components/backup/encryption.ts). Needs `age` on PATH and scratch room for both copies.
#   With PG_BACKUP_METHOD=basebackup too (the base backup becomes .tar.zst.age; pitr-restore.sh decrypts it); the WAL
#   objects keep_wal_for_base rewrites keep all their metadata (an encrypted segment's plaintext SHA-256 included).
#
# Objects:  [S3_PREFIX/]<kind>/<target>/YYYY/MM/DD/<target>-<YYYYMMDDTHHMMSSZ>.<ext>   (x-amz-meta-sha256)
#           <object key>.manifest.json
#           [S3_PREFIX/]<kind>/<target>/latest.json   byte-identical copy of the newest verified manifest
#   ext: postgresql pgdump.zst | mongodb archive.zst | prometheus-snapshot tar.zst | rabbitmq-definitions json.zst |
#        sqlite sqlite3.zst | valkey rdb.zst   (.gz with gzip, no suffix with none)
#
# Metrics (POST to PUSHGATEWAY_URL/metrics/job/strata_backup/kind/<kind>/target/<target>):
#   strata_backup_last_completion_timestamp_seconds, strata_backup_last_run_success (1/0),
#   strata_backup_duration_seconds: every run;  strata_backup_last_success_timestamp_seconds,
#   strata_backup_size_bytes: success only (a failure push never carries them, so they keep the last success).
#
# Exit codes: 0 success | 1 backup failed (failure pushed) | 2 usage/config error | 3 backup succeeded (object,
#   manifest and latest.json are in the bucket) but the Pushgateway push failed.
# Logs: one JSON object per line on stderr; tools' own stderr is relayed in the `detail` field on failure.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"

phase=${1:-all}
start_script backup "$phase" all dump upload

ARTIFACT_BASE="$WORK_DIR/artifact"
COUNTS_FILE="$WORK_DIR/counts.tsv"

# tool_err NAME: the tail of a tool's stderr kept in WORK_DIR/NAME.err, for the failure log line.
tool_err() {
  local f="$WORK_DIR/$1.err"
  if [ -s "$f" ]; then tail -c 2000 "$f"; fi
}

# write_artifact: stdin -> compressed artifact file; prints the SHA-256 of the stored bytes.
write_artifact() {
  local sha
  sha=$(compress_stream | tee "$ARTIFACT" | sha256sum) || return 1
  printf '%s\n' "${sha%% *}"
}

# --- dump, per kind (each writes ARTIFACT and COUNTS_FILE and prints the artifact's SHA-256) ----------------------


dump_postgresql() {
  need_tool pg_dump "use an image with the PostgreSQL client tools (or set PG_BIN_DIR)"
  need_tool psql "use an image with the PostgreSQL client tools (or set PG_BIN_DIR)"
  [ -n "${PGDATABASE:-}" ] || die_config "PGDATABASE is required for kind postgresql"
  export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-15}
  # A session that exports a snapshot and keeps its transaction open: pg_dump reads that snapshot, and the row
  # counts are taken in it too.
  local snapshot line sha counting=${PG_ROW_COUNTS:-exact}
  coproc PSQL { psql -X -q -A -t -v ON_ERROR_STOP=1 2>"$WORK_DIR/psql.err"; }
  local to_psql=${PSQL[1]} from_psql=${PSQL[0]}
  printf 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\nSELECT pg_export_snapshot();\n' >&"$to_psql" || true
  if ! read -r -t "${PG_CONNECT_TIMEOUT_SECONDS:-60}" snapshot <&"$from_psql" || [ -z "$snapshot" ]; then
    error "cannot open a session on the database" database="$PGDATABASE" host="${PGHOST:-}" detail="$(tool_err psql)"
    return 1
  fi
  info "exported snapshot" snapshot="$snapshot"
  [ "$counting" = none ] || printf '%s\nSELECT %s;\n' "$PG_COUNT_SQL" "'__strata_end__'" >&"$to_psql" || true
  if ! sha=$(pg_dump -Fc -Z0 --snapshot="$snapshot" 2>"$WORK_DIR/pg_dump.err" | write_artifact); then
    error "the dump pipeline failed (pg_dump, compression, or writing to WORK_DIR)" detail="$(tool_err pg_dump)"
    return 1
  fi
  : >"$COUNTS_FILE"
  if [ "$counting" != none ]; then
    while :; do
      if ! read -r -t 3600 line <&"$from_psql"; then
        error "row counts failed" detail="$(tool_err psql)"
        return 1
      fi
      [ "$line" != "__strata_end__" ] || break
      printf '%s\n' "$line" >>"$COUNTS_FILE"
    done
  fi
  printf 'COMMIT;\n\\q\n' >&"$to_psql" || true
  wait "$PSQL_PID" || true
  printf '%s\n' "$sha"
}

# The physical series (PG_BACKUP_METHOD=basebackup): `pg_basebackup -Ft -X fetch` streamed to stdout (one tar with
# the WAL the backup needs and its backup_manifest), compressed and hashed on the way to WORK_DIR while a copy of the
# same stream is unpacked beside it, so pg_verifybackup checks every file against the manifest's CRC32C before anything
# is uploaded. Needs a REPLICATION role (pg_replication_check says what is missing).
dump_postgresql_basebackup() {
  local t
  for t in pg_basebackup pg_verifybackup psql tar; do
    need_tool "$t" "use the postgres image of the server's major version (or set PG_BIN_DIR)"
  done
  pg_replication_check
  local verify="$WORK_DIR/verify" fifo="$WORK_DIR/verify.fifo" tar_pid sha start end
  rm -rf "$verify" "$fifo"
  mkdir -p "$verify"
  mkfifo "$fifo"
  tar -xf "$fifo" -C "$verify" 2>"$WORK_DIR/tar.err" &
  tar_pid=$!
  if ! sha=$(pg_basebackup -D - -Ft -X fetch --checkpoint=fast --manifest-checksums=CRC32C --no-sync -v \
    --label="strata $BACKUP_TARGET $RUN_STAMP" 2>"$WORK_DIR/pg_basebackup.err" | tee "$fifo" | write_artifact); then
    wait "$tar_pid" || true
    rm -rf "$verify" "$fifo"
    error "the base backup pipeline failed (pg_basebackup, compression, or writing to WORK_DIR)" \
      detail="$(tool_err pg_basebackup)"
    return 1
  fi
  if ! wait "$tar_pid"; then
    rm -rf "$verify" "$fifo"
    error "the base backup stream is not a valid tar archive" detail="$(tool_err tar)"
    return 1
  fi
  rm -f "$fifo"
  if ! pg_verifybackup -q "$verify" >"$WORK_DIR/pg_verifybackup.err" 2>&1; then
    rm -rf "$verify"
    error "pg_verifybackup rejects the base backup" detail="$(tool_err pg_verifybackup)"
    return 1
  fi
  rm -rf "$verify"
  # "write-ahead log start point: 0/2000028 on timeline 1" / "write-ahead log end point: 0/2000100"
  start=$(sed -n -E 's/.*write-ahead log start point: ([0-9A-F]+\/[0-9A-F]+) on timeline ([0-9]+).*/\1 \2/p' \
    "$WORK_DIR/pg_basebackup.err")
  end=$(sed -n -E 's/.*write-ahead log end point: ([0-9A-F]+\/[0-9A-F]+).*/\1/p' "$WORK_DIR/pg_basebackup.err")
  if [ -z "$start" ] || [ -z "$end" ]; then
    error "pg_basebackup reported no WAL start/end point" detail="$(tool_err pg_basebackup)"
    return 1
  fi
  printf 'start_lsn=%s\ntimeline=%s\nend_lsn=%s\nend_epoch=%s\nstart_wal_file=%s\n' "${start% *}" "${start#* }" "$end" \
    "$(date -u +%s)" "$(wal_file_name "${start#* }" "${start% *}")" >"$WORK_DIR/basebackup.facts"
  info "base backup verified by pg_verifybackup" start_lsn="${start% *}" end_lsn="$end"
  : >"$COUNTS_FILE"
  printf '%s\n' "$sha"
}

dump_mongodb() {
  need_tool mongodump "use an image with the MongoDB database tools"
  [ -n "${MONGODB_URI:-}" ] || die_config "MONGODB_URI is required for kind mongodb"
  local args=(--uri="$MONGODB_URI" --archive) sha
  [ "${MONGODUMP_OPLOG:-0}" != 1 ] || args+=(--oplog)
  if ! sha=$(mongodump "${args[@]}" 2>"$WORK_DIR/mongodump.err" | write_artifact); then
    error "the dump pipeline failed (mongodump, compression, or writing to WORK_DIR)" detail="$(tool_err mongodump)"
    return 1
  fi
  # "done dumping db.coll (N documents)"
  sed -n -E 's/.*done dumping ([^ ]+) \(([0-9]+) documents?\).*/\1\t\2/p' "$WORK_DIR/mongodump.err" | sort >"$COUNTS_FILE"
  printf '%s\n' "$sha"
}

dump_prometheus_snapshot() {
  need_tool curl "the snapshot is taken through Prometheus's admin API"
  need_tool tar "the snapshot directory is archived with tar"
  [ -n "${PROMETHEUS_URL:-}" ] || die_config "PROMETHEUS_URL is required for kind prometheus-snapshot"
  [ -n "${PROM_DATA_DIR:-}" ] || die_config "PROM_DATA_DIR (Prometheus's --storage.tsdb.path, mounted here) is required"
  [ -d "$PROM_DATA_DIR" ] || die_config "PROM_DATA_DIR '$PROM_DATA_DIR' is not a directory in this container"
  local resp name dir sha rc=0 blocks=0 series=0 meta n
  if ! resp=$(curl -sS --fail-with-body --max-time "${SNAPSHOT_TIMEOUT_SECONDS:-600}" -X POST \
    "${PROMETHEUS_URL%/}/api/v1/admin/tsdb/snapshot" 2>&1); then
    error "snapshot request failed (is --web.enable-admin-api set?)" detail="$resp"
    return 1
  fi
  name=$(printf '%s' "$resp" | sed -n -E 's/.*"name":"([^"]+)".*/\1/p')
  [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || { error "unexpected snapshot response" detail="$resp"; return 1; }
  dir="$PROM_DATA_DIR/snapshots/$name"
  [ -d "$dir" ] || { error "snapshot $name is not under PROM_DATA_DIR/snapshots (wrong volume mounted?)" dir="$dir"; return 1; }
  for meta in "$dir"/*/meta.json; do
    [ -f "$meta" ] || continue
    n=$(sed -n -E 's/.*"numSeries": *([0-9]+).*/\1/p' "$meta" | head -n1)
    blocks=$((blocks + 1))
    series=$((series + ${n:-0}))
  done
  printf 'blocks\t%s\nseries\t%s\n' "$blocks" "$series" >"$COUNTS_FILE"
  sha=$(tar -C "$dir" -cf - . 2>"$WORK_DIR/tar.err" | write_artifact) || rc=$?
  # The snapshot holds hard links to live blocks; remove it whatever happened, or it pins disk on Prometheus's volume.
  rm -rf "$dir" || warn "could not remove the snapshot directory" dir="$dir"
  if [ "$rc" -ne 0 ]; then
    error "archiving the snapshot failed" detail="$(tool_err tar)"
    return 1
  fi
  printf '%s\n' "$sha"
}

dump_rabbitmq_definitions() {
  need_tool python3 "the export runs rabbitmq_tool.py (use the python image components/versions.ts pins)"
  [ -n "${RABBITMQ_URL:-}" ] || die_config "RABBITMQ_URL (management API base URL) is required"
  [ -n "${RABBITMQ_USER:-}" ] || die_config "RABBITMQ_USER is required"
  [ -n "${RABBITMQ_PASSWORD:-}" ] || die_config "RABBITMQ_PASSWORD is required"
  local raw="$WORK_DIR/definitions.json" sha
  # The password stays in the environment (never argv, which the process list shows).
  if ! python3 "$SCRIPT_DIR/rabbitmq_tool.py" export "$raw" >"$COUNTS_FILE" 2>"$WORK_DIR/rabbitmq.err"; then
    rm -f "$raw"
    error "GET /api/definitions failed" url="$RABBITMQ_URL" detail="$(tool_err rabbitmq)"
    return 1
  fi
  sha=$(write_artifact <"$raw") || return 1
  rm -f "$raw"
  printf '%s\n' "$sha"
}

# Valkey (or Redis): an RDB taken the way a replica receives it (`valkey-cli --rdb`: SYNC, then the server's own
# snapshot streamed to us), then loaded into a throwaway server for its key counts per database (lib.sh says how).
dump_valkey() {
  [ -n "${VALKEY_HOST:-}" ] || die_config "VALKEY_HOST is required for kind valkey"
  local cli rdb="$WORK_DIR/dump.rdb" sha
  cli=$(valkey_tool cli) || die_config "neither valkey-cli nor redis-cli is installed in this container (use the valkey image)"
  valkey_tool server >/dev/null || die_config "neither valkey-server nor redis-server is installed: the key counts load the RDB in a throwaway server"
  valkey_auth_env
  # The RDB is as large as the dataset: every way out removes it, or it would fill the scratch space the report needs.
  if ! "$cli" -h "$VALKEY_HOST" -p "${VALKEY_PORT:-6379}" --no-auth-warning --rdb "$rdb" >"$WORK_DIR/valkey-cli.err" 2>&1 ||
    [ ! -s "$rdb" ]; then
    rm -f "$rdb"
    error "taking the RDB failed" host="$VALKEY_HOST" port="${VALKEY_PORT:-6379}" detail="$(tool_err valkey-cli)"
    return 1
  fi
  info "RDB received" size_bytes="$(file_size "$rdb")"
  if ! valkey_key_counts "$rdb" "$WORK_DIR/valkey-count" >"$COUNTS_FILE"; then
    rm -f "$rdb"
    error "the RDB does not load in a throwaway server"
    return 1
  fi
  sha=$(write_artifact <"$rdb") || { rm -f "$rdb"; return 1; }
  rm -f "$rdb"
  printf '%s\n' "$sha"
}

# The SQLite steps run in Python (sqlite_tool.py beside this script explains why not the sqlite3 shell).
sqlite_tool() { python3 "$SCRIPT_DIR/sqlite_tool.py" "$@"; }

dump_sqlite() {
  need_tool python3 "use an image with Python 3 and its sqlite3 module (components/versions.ts pins one)"
  [ -n "${SQLITE_PATH:-}" ] || die_config "SQLITE_PATH is required for kind sqlite"
  [ -f "$SQLITE_PATH" ] || { error "SQLITE_PATH '$SQLITE_PATH' does not exist"; return 1; }
  local copy="$WORK_DIR/sqlite-copy.db" journal_mode check sha
  # The online backup API in one step: one consistent snapshot while the application keeps writing. The copy is
  # as large as the database: every way out removes it, or it would fill the scratch space the report needs.
  if ! journal_mode=$(sqlite_tool backup "$SQLITE_PATH" "$copy" 2>"$WORK_DIR/sqlite.err"); then
    rm -f "$copy"
    error "the online copy failed" detail="$(tool_err sqlite)"
    return 1
  fi
  if [ "$journal_mode" != wal ]; then
    warn "the database is not in WAL mode: its writer could not commit while the copy ran; WAL lets it" journal_mode="$journal_mode"
  fi
  info "online copy complete" journal_mode="$journal_mode" size_bytes="$(file_size "$copy")"
  if ! check=$(sqlite_tool check "$copy" 2>&1); then
    rm -f "$copy"
    error "the copy fails integrity_check" detail="$(printf '%s' "$check" | head -c 1000)"
    return 1
  fi
  if ! sqlite_tool counts "$copy" >"$COUNTS_FILE" 2>"$WORK_DIR/sqlite.err"; then
    rm -f "$copy"
    error "row counts of the copy failed" detail="$(tool_err sqlite)"
    return 1
  fi
  sha=$(write_artifact <"$copy") || { rm -f "$copy"; return 1; }
  rm -f "$copy"
  printf '%s\n' "$sha"
}

# run_dump sets DUMP_RC and always returns 0: it must never be called in a conditional context (`if`, `||`), where
# bash ignores errexit even inside the `( set -e ... )` subshell that guards the dump.
DUMP_RC=0
run_dump() {
  set_run_time
  info "backup started" started_at="$RUN_STAMP"
  rm -f "$WORK_DIR/dump.status" "$ARTIFACT_BASE".*
  ARTIFACT="$ARTIFACT_BASE.partial"
  local rc=0 fn="dump_${BACKUP_KIND//-/_}"
  [ "$PG_BACKUP_METHOD" = dump ] || fn="dump_postgresql_$PG_BACKUP_METHOD"
  rm -f "$WORK_DIR/basebackup.facts"
  # Subshell with its own errexit: any failure inside becomes a status the upload phase reports.
  set +e
  (
    set -e
    # A tool that dies early must not kill us with SIGPIPE before we can say so.
    trap '' PIPE
    require_compression_tool "$BACKUP_COMPRESSION"
    sha=$("$fn")
    [[ $sha =~ ^[0-9a-f]{64}$ ]] || { error "no checksum for the artifact" got="$sha"; exit 1; }
    mv -f "$ARTIFACT" "$ARTIFACT_BASE.ready"
    size=$(file_size "$ARTIFACT_BASE.ready")
    facts=()
    [ ! -f "$WORK_DIR/basebackup.facts" ] || mapfile -t facts <"$WORK_DIR/basebackup.facts"
    write_status dump result=ok "started_epoch=$RUN_EPOCH" "sha256=$sha" "size=$size" \
      "ext=$(ext_for_kind)$(compression_suffix)" "compression=$BACKUP_COMPRESSION" "format=$(format_for_kind)" \
      "tool_version=$(tool_version_for_kind)" "artifact=$ARTIFACT_BASE.ready" "${facts[@]}" || exit 1
    info "dump complete" size_bytes="$size" sha256="$sha"
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    # Free the scratch space first: on a full disk the status file below needs it.
    rm -f "$ARTIFACT" "$ARTIFACT_BASE.ready" "$WORK_DIR/.dump.status.tmp"
    [ "$rc" -eq "$EXIT_CONFIG" ] || rc=$EXIT_FAILED
    write_status dump result=failed "started_epoch=$RUN_EPOCH" "exit=$rc" \
      "message=the $BACKUP_KIND dump of $BACKUP_TARGET failed (exit $rc); see the dump container's log"
    error "dump failed" exit="$rc"
  fi
  DUMP_RC=$rc
}

# Static facts per kind (the dump functions run in a subshell, so these are not read from their variables).
ext_for_kind() {
  [ "$PG_BACKUP_METHOD" = dump ] || { echo tar; return 0; }
  case "$BACKUP_KIND" in
    postgresql) echo pgdump ;; mongodb) echo archive ;; prometheus-snapshot) echo tar ;;
    rabbitmq-definitions) echo json ;; sqlite) echo sqlite3 ;; valkey) echo rdb ;;
  esac
}
format_for_kind() {
  [ "$PG_BACKUP_METHOD" = dump ] || { echo pg_basebackup-tar; return 0; }
  case "$BACKUP_KIND" in
    postgresql) echo pg_dump-custom ;; mongodb) echo mongodump-archive ;; prometheus-snapshot) echo prometheus-tsdb-snapshot-tar ;;
    rabbitmq-definitions) echo rabbitmq-definitions-json ;; sqlite) echo sqlite3-database ;; valkey) echo valkey-rdb ;;
  esac
}
tool_version_for_kind() {
  [ "$PG_BACKUP_METHOD" = dump ] || { pg_basebackup --version 2>/dev/null || true; return 0; }
  case "$BACKUP_KIND" in
    postgresql) pg_dump --version 2>/dev/null || true ;;
    mongodb) mongodump --version 2>/dev/null | head -n1 || true ;;
    sqlite) sqlite_tool version 2>/dev/null || true ;;
    valkey) "$(valkey_tool cli)" --version 2>/dev/null || true ;;
    *) echo "$BACKUP_KIND" ;;
  esac
}

# --- upload and report ---------------------------------------------------------------------------------------------

push_backup_failure() {
  local now started=$1
  now=$(date +%s)
  push_metrics "$PUSH_JOB_BACKUP" "$(
    metric "$METRIC_BACKUP_LAST_COMPLETION" gauge "$now" "When the last backup run ended."
    metric "$METRIC_BACKUP_LAST_RUN_SUCCESS" gauge 0 "1 if the last backup run succeeded, 0 if it failed."
    metric "$METRIC_BACKUP_DURATION" gauge "$((now - started))" "Duration of the last backup run."
  )" || true
}

run_upload() {
  require_s3_config
  require_push_config
  require_age_recipient
  require_phase_wait
  local wait_s=$PHASE_WAIT_SECONDS started result
  if ! wait_status dump "$wait_s"; then
    error "BACKUP FAILED: the dump phase wrote no status within ${wait_s}s (killed, OOM or hung?)"
    push_backup_failure "${RUN_EPOCH:-$(($(date +%s) - wait_s))}"
    return "$EXIT_FAILED"
  fi
  started=$(status_get dump started_epoch)
  result=$(status_get dump result)
  if [ "$result" != ok ]; then
    error "BACKUP FAILED: $(status_get dump message || echo 'the dump phase failed')"
    push_backup_failure "$started"
    [ "$(status_get dump exit || true)" != "$EXIT_CONFIG" ] || return "$EXIT_CONFIG"
    return "$EXIT_FAILED"
  fi
  local sha size ext artifact key manifest_key manifest rc=0 plain_sha='' plain_size='' enc
  sha=$(status_get dump sha256)
  size=$(status_get dump size)
  ext=$(status_get dump ext)
  artifact=$(status_get dump artifact)
  if [ -n "${AGE_RECIPIENT:-}" ]; then
    # Encrypted here, before anything leaves the pod: the bucket only ever holds ciphertext.
    if ! enc=$(encrypt_artifact "$artifact" "$sha" "$size"); then
      rm -f "$artifact" "$artifact.age"
      error "BACKUP FAILED: the artifact was not encrypted; nothing was uploaded" detail="$(tool_err age)"
      push_backup_failure "$started"
      return "$EXIT_FAILED"
    fi
    plain_sha=$sha plain_size=$size
    rm -f "$artifact"
    artifact="$artifact.age" sha=${enc% *} size=${enc#* } ext+=.age
    info "encrypted with age" recipient_sha256="$(sha256_text "$AGE_RECIPIENT")" plaintext_sha256="$plain_sha" size_bytes="$size"
  fi
  key=$(object_key "$started" "$ext")
  manifest_key=$(manifest_key "$key")
  manifest="$WORK_DIR/manifest.json"
  set +e
  (
    set -e
    [ "$(file_size "$artifact")" = "$size" ] || { error "the artifact changed size since the dump"; exit 1; }
    info "uploading" key="$key" size_bytes="$size"
    s3_put "$artifact" "$key" "$sha" application/octet-stream
    s3_verify "$key" "$size" "$sha"
    [ "$PG_BACKUP_METHOD" != basebackup ] || keep_wal_for_base "$(status_get dump start_wal_file)"
    write_manifest "$manifest" "$key" "$manifest_key" "$sha" "$size" "$started" "$plain_sha" "$plain_size"
    msha=$(sha256sum "$manifest")
    msha=${msha%% *}
    s3_put_small "$manifest" "$manifest_key" "$msha" application/json
    # Last: the pointer. Only a run whose object and manifest are verified in the bucket ever gets here.
    s3_put_small "$manifest" "$(latest_key)" "$msha" application/json
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    error "BACKUP FAILED: upload to s3://$S3_BUCKET/$key did not complete; $LAYOUT_LATEST still names the previous backup" key="$key"
    push_backup_failure "$started"
    return "$EXIT_FAILED"
  fi
  local now
  now=$(date +%s)
  info "BACKUP OK" key="$key" size_bytes="$size" sha256="$sha" duration_seconds="$((now - started))"
  rm -f "$artifact"
  push_metrics "$PUSH_JOB_BACKUP" "$(
    metric "$METRIC_BACKUP_LAST_SUCCESS" gauge "$now" "When the last successful backup ended."
    metric "$METRIC_BACKUP_LAST_COMPLETION" gauge "$now" "When the last backup run ended."
    metric "$METRIC_BACKUP_LAST_RUN_SUCCESS" gauge 1 "1 if the last backup run succeeded, 0 if it failed."
    metric "$METRIC_BACKUP_DURATION" gauge "$((now - started))" "Duration of the last backup run."
    metric "$METRIC_BACKUP_SIZE" gauge "$size" "Size of the last successful backup object in bytes."
  )" || return "$EXIT_PUSH"
}

# keep_wal_for_base START_WAL: the WAL objects this base backup needs that the receiver archived before the backup was
# uploaded (those of the minutes it ran) are rewritten in place, server-side, with their own metadata. Every object of
# the bucket expires a fixed time after it was written (strata:retention), so the WAL a base backup needs then never
# expires before the base backup itself; the versions replaced expire with the bucket's noncurrent versions.
# S3_SERVER_SIDE_COPY=false (stores where CopyObject may fail, e.g. Hetzner Object Storage): each object is downloaded,
# checked against its SHA-256 and uploaded again whole instead.
keep_wal_for_base() {
  local start=$1 prefix keys k sha meta ctype n=0 sse=() copy=${S3_SERVER_SIDE_COPY:-true} body="$WORK_DIR/wal-rewrite"
  prefix=$(wal_prefix)
  keys=$(aws_s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$prefix/" --start-after "$prefix/$start" \
    --query 'Contents[].Key' --output text)
  [ -z "${S3_SSE_KMS_KEY_ID:-}" ] || sse=(--server-side-encryption aws:kms --ssekms-key-id "$S3_SSE_KMS_KEY_ID")
  while IFS= read -r k; do
    case "$k" in '' | None) continue ;; esac
    # All of the object's metadata goes back with it (an age-encrypted segment's plaintext SHA-256 and recipient too).
    meta=$(aws_s3 s3api head-object --bucket "$S3_BUCKET" --key "$k" --query Metadata --output json)
    sha=$(printf '%s\n' "$meta" | sed -n -E 's/^ *"sha256": "([0-9a-f]{64})",?$/\1/p')
    ctype=$(wal_content_type "$k")
    if [ "$copy" = true ]; then
      aws_s3 s3api copy-object --bucket "$S3_BUCKET" --key "$k" --copy-source "$S3_BUCKET/$k" --metadata-directive REPLACE \
        --metadata "$meta" --content-type "$ctype" "${sse[@]}" --output text --query CopyObjectResult.ETag >/dev/null
    else
      aws_s3 s3api get-object --bucket "$S3_BUCKET" --key "$k" "$body" >/dev/null
      if [ "$(sha256sum <"$body" | cut -d' ' -f1)" != "$sha" ]; then
        error "WAL object does not match its recorded SHA-256; not rewriting it" key="$k"
        return 1
      fi
      aws_s3 s3api put-object --bucket "$S3_BUCKET" --key "$k" --body "$body" --metadata "$meta" \
        --content-type "$ctype" "${sse[@]}" --output text --query ETag >/dev/null
      rm -f "$body"
    fi
    n=$((n + 1))
  done < <(printf '%s\n' "$keys" | tr '\t' '\n')
  info "kept the WAL the base backup needs as long as the base backup" start_wal_file="$start" objects="$n" server_side_copy="$copy"
}

# encrypt_artifact FILE SHA256 SIZE: FILE (the dump's artifact, whose SHA-256 and size the dump recorded) encrypted to
# AGE_RECIPIENT into FILE.age in one pass that also hashes what age read; prints "<ciphertext sha256> <size>". Fails
# when age fails or the plaintext is no longer what the dump wrote.
encrypt_artifact() {
  local in=$1 want_sha=$2 want_size=$3 fifo="$WORK_DIR/plain.fifo" hash_pid out plain
  rm -f "$fifo" "$WORK_DIR/plain.sha"
  mkfifo "$fifo"
  sha256sum <"$fifo" >"$WORK_DIR/plain.sha" &
  hash_pid=$!
  if ! out=$(tee "$fifo" <"$in" | age -r "$AGE_RECIPIENT" 2>"$WORK_DIR/age.err" | tee "$in.age" | sha256sum); then
    wait "$hash_pid" || true
    rm -f "$fifo"
    return 1
  fi
  wait "$hash_pid"
  rm -f "$fifo"
  plain=$(cat "$WORK_DIR/plain.sha")
  if [ "${plain%% *}" != "$want_sha" ] || [ "$(file_size "$in")" != "$want_size" ]; then
    error "the artifact changed between the dump and its encryption" expected="$want_size $want_sha" got="$(file_size "$in") ${plain%% *}"
    return 1
  fi
  printf '%s %s\n' "${out%% *}" "$(file_size "$in.age")"
}

case "$phase" in
  dump)
    run_dump
    exit "$DUMP_RC"
    ;;
  upload) run_upload ;;
  all)
    run_dump
    # Same process: the dump is over, so there is nothing to wait for (no status file means it could not be written).
    PHASE_WAIT_SECONDS=0 run_upload
    ;;
esac

#!/usr/bin/env bash
# Strata point-in-time restore of one PostgreSQL target: a physical base backup (backup.sh with
# PG_BACKUP_METHOD=basebackup) plus the WAL archive the WAL receiver keeps (wal-receiver.sh), replayed to a target.
# The same script is the scheduled PITR drill (throwaway server in WORK_DIR, pushed to the Pushgateway) and the real
# restore into a new claim (PITR_DATA_DIR; the server is left stopped cleanly, ready for a PostgreSQL to start on it).
#
# Usage: pitr-restore.sh [all|fetch|restore]     (default: all)
#   fetch    the S3/report container (AWS CLI v2 + curl): picks the base backup (the newest, from base/latest.json,
#            for `drill` and `latest`; for a time, the newest whose backup ended before it), downloads it while hashing
#            it (size and SHA-256 must match its manifest), lists the WAL archive and downloads every segment from the
#            one the base backup starts in (and the timeline history files), checks there is no gap in the segment
#            sequence, writes WORK_DIR/fetch.status, waits for WORK_DIR/restore.status and pushes the drill's result.
#   restore  the database-tool container (the postgres image of the server's major version: tar, zstd, pg_ctl,
#            pg_verifybackup, pg_waldump, pg_amcheck, psql): once fetch.status is ok, unpacks the base backup,
#            runs pg_verifybackup on it (every file against the backup_manifest's checksums, and its WAL), decompresses
#            the WAL (zstd checks each segment's content checksum), picks the recovery target, starts PostgreSQL in
#            archive recovery with recovery_target_action=promote, waits for the promotion, checks that recovery
#            stopped where it had to, runs pg_amcheck, stops the server cleanly, writes WORK_DIR/restore.status.
#   all      both at once in one container.
#
# PITR_TARGET:
#   drill    (default) a transaction picked at random among those committed in the last PITR_DRILL_WINDOW_SECONDS
#            (default 86400) after the newest base backup ended, found in the archived WAL with pg_waldump; recovery
#            targets its commit time (recovery_target_time, inclusive) and must stop right after that transaction,
#            which proves the WAL the receiver archived replays to a chosen moment. With no such commit: `latest`.
#   latest   everything the archive holds (the last partial segment included); replay must reach the newest segment.
#   <time>   an ISO-8601 time (e.g. 2026-12-03T08:10:00Z). When no transaction committed after it, the state at that
#            time is the end of the archive, and recovery replays to the end instead of failing.
#
# Environment: BACKUP_KIND=postgresql (default), BACKUP_TARGET, WORK_DIR, S3_BUCKET, S3_PREFIX, S3_ENDPOINT_URL,
#   AWS_CLI, PUSHGATEWAY_URL (the drill; optional with PITR_DATA_DIR), PHASE_WAIT_SECONDS, PG_BIN_DIR,
#   PG_DRILL_OS_USER (postgres, when run as root), PG_DRILL_SHARED_BUFFERS (256MB), PITR_RECOVERY_TIMEOUT_SECONDS
#   (21600), PITR_DATA_DIR (a real restore: an empty directory on the new claim; nothing is pushed),
#   PITR_AMCHECK (1 for the drill, 0 for a real restore, which must not install the amcheck extension),
#   AGE_IDENTITY_FILE (fetch; the identity, a Secret volume) with age and age-keygen on PATH when the base backup or
#   the WAL is age-encrypted: the base backup is decrypted as it downloads (its ciphertext and plaintext SHA-256 and
#   sizes checked against the manifest), each <segment>.zst.age against its object metadata; the wrong identity or
#   none fails with DECRYPT FAILED and EXIT_DECRYPT before anything is restored. MANIFEST_FIELD_*, EXIT_DECRYPT and
#   DRILL_DECRYPT_METRIC come from components/backup/encryption.ts through the environment.
#
# Metrics (drill only; POST to PUSHGATEWAY_URL/metrics/job/strata_restore_drill/kind/postgresql/target/<t>/method/pitr):
#   as restore-drill.sh, plus strata_restore_drill_recovery_seconds (server start to promotion: the WAL replay) and
#   strata_restore_drill_recovered_to_timestamp_seconds (the commit time recovery stopped after).
#
# Exit codes: 0 restored and verified | 1 failed (pushed) | 2 usage/config error | 3 passed but the push failed |
#   EXIT_DECRYPT (4) the base backup or the WAL could not be decrypted (pushed by the drill, with DRILL_DECRYPT_METRIC 0).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"

phase=${1:-all}
BACKUP_KIND=${BACKUP_KIND:-postgresql}
PG_BACKUP_METHOD=basebackup
start_script pitr-restore "$phase" all fetch restore
[ "$BACKUP_KIND" = postgresql ] || die_config "point-in-time restore is for BACKUP_KIND=postgresql only"
PUSH_GROUP_METHOD=pitr

TARGET=${PITR_TARGET:-drill}
TARGET_EPOCH=
case "$TARGET" in
  drill | latest) ;;
  *)
    TARGET_EPOCH=$(date -u -d "$TARGET" +%s 2>/dev/null) ||
      die_config "PITR_TARGET '$TARGET' is not drill, latest or a time such as 2026-12-03T08:10:00Z"
    ;;
esac
REAL_RESTORE=0
[ -z "${PITR_DATA_DIR:-}" ] || REAL_RESTORE=1
[ "$REAL_RESTORE" -eq 0 ] || AGE_IDENTITY_HOLDER=restore
WINDOW=${PITR_DRILL_WINDOW_SECONDS:-86400}
[[ $WINDOW =~ ^[1-9][0-9]*$ ]] || die_config "PITR_DRILL_WINDOW_SECONDS must be a whole number of seconds"

BASE_FILE="$WORK_DIR/base.tar.zst"
MANIFEST="$WORK_DIR/manifest.json"
WAL_ARCHIVE="$WORK_DIR/wal-archive"
SCRATCH="$WORK_DIR/pitr"

# --- fetch ---------------------------------------------------------------------------------------------------------

# choose_base: MANIFEST becomes the base backup to restore from.
choose_base() {
  local k end
  if [ -z "$TARGET_EPOCH" ]; then
    s3_get "$(latest_key)" "$WORK_DIR/$LAYOUT_LATEST" 2>"$WORK_DIR/s3.err" || {
      error "no base backup: cannot read s3://$S3_BUCKET/$(latest_key)" detail="$(tail -c 1000 "$WORK_DIR/s3.err")"
      return 1
    }
    s3_get "$(manifest_get "$WORK_DIR/$LAYOUT_LATEST" manifest_key)" "$MANIFEST" 2>"$WORK_DIR/s3.err" || {
      error "cannot read the manifest $LAYOUT_BASE_SERIES/$LAYOUT_LATEST names" detail="$(tail -c 1000 "$WORK_DIR/s3.err")"
      return 1
    }
    cmp -s "$WORK_DIR/$LAYOUT_LATEST" "$MANIFEST" || { error "$LAYOUT_BASE_SERIES/$LAYOUT_LATEST and the manifest it names differ"; return 1; }
    return 0
  fi
  # Newest first (the keys are dated); the first whose backup ended before the target.
  while IFS= read -r k; do
    case "$k" in '' | None) continue ;; esac
    s3_get "$k" "$MANIFEST" 2>"$WORK_DIR/s3.err" || { error "cannot read $k" detail="$(tail -c 1000 "$WORK_DIR/s3.err")"; return 1; }
    end=$(manifest_get "$MANIFEST" end_epoch) || continue
    if [ "$end" -lt "$TARGET_EPOCH" ]; then return 0; fi
  done < <(aws_s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$(key_prefix)/" \
    --query "Contents[?ends_with(Key, '$LAYOUT_MANIFEST_SUFFIX')].Key" --output text | tr '\t' '\n' | sort -r)
  rm -f "$MANIFEST"
  error "no kept base backup ended before $TARGET: the earliest time this target can be restored to is the end of its oldest kept base backup"
  return 1
}

# segno NAME: a WAL segment's number within its timeline (16 MiB segments).
segno() { printf '%d\n' $(((16#${1:8:8}) * 256 + 16#${1:16:8})); }

fetch_wal() {
  local start=$1 tli=${1:0:8} names=() n last='' expect includes=() sealed=() listed
  listed="$WORK_DIR/wal-list.txt"
  if ! aws_s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$(wal_prefix)/" --query 'Contents[].Key' \
    --output text 2>"$WORK_DIR/s3.err" | tr '\t' '\n' | sed -n 's|.*/||p' | sort >"$listed"; then
    error "cannot list the WAL archive" prefix="$(wal_prefix)/" detail="$(tail -c 1000 "$WORK_DIR/s3.err")"
    return 1
  fi
  while IFS= read -r n; do
    case "$n" in
      [0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F].history.zst) names+=("$n") ;;
      [0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F].history.zst.age) names+=("$n") ;;
      *.zst | *.zst.age)
        [[ $n =~ ^[0-9A-F]{24}(\.partial)?\.zst(\.age)?$ ]] || continue
        [[ ! ${n:0:24} < $start ]] || continue
        names+=("$n")
        ;;
    esac
  done <"$listed"
  # The segments of the base backup's timeline must follow each other from its first one, without a hole; the newest
  # may exist only as a partial segment.
  expect=$(segno "$start")
  while IFS= read -r n; do
    if [ "$(segno "$n")" -ne "$expect" ]; then
      error "WAL GAP: segment $(printf '%s%08X%08X' "$tli" $((expect / 256)) $((expect % 256))) is missing from the archive; recovery cannot pass it" \
        first="$start" next_present="$n"
      return 1
    fi
    expect=$((expect + 1))
    last=$n
  done < <(printf '%s\n' "${names[@]}" | grep "^$tli" | sed 's/\.partial//; s/\.zst\(\.age\)\{0,1\}$//' | sort -u)
  [ -n "$last" ] || { error "WAL GAP: the archive has no segment from $start on (is the WAL receiver running?)"; return 1; }
  for n in "${names[@]}"; do
    case "$n" in *.age) sealed+=("$n") ;; *) includes+=(--include "$n") ;; esac
  done
  info "downloading WAL" first="$start" last="$last" files="${#names[@]}" encrypted="${#sealed[@]}"
  mkdir -p "$WAL_ARCHIVE"
  if [ "${#includes[@]}" -gt 0 ] && ! aws_s3 s3 cp --only-show-errors --recursive "s3://$S3_BUCKET/$(wal_prefix)/" "$WAL_ARCHIVE/" \
    --exclude '*' "${includes[@]}" 2>"$WORK_DIR/s3.err"; then
    error "downloading the WAL archive failed" detail="$(tail -c 1000 "$WORK_DIR/s3.err")"
    return 1
  fi
  if [ "${#sealed[@]}" -gt 0 ]; then
    : >"$WORK_DIR/wal-encrypted"
    fetch_encrypted_wal "${sealed[@]}"
  fi
  printf '%s\n' "$last"
}

# fetch_encrypted_wal NAME...: each age-encrypted WAL object (<name>.zst.age) downloaded with its metadata, its
# ciphertext checked against the recorded sha256, decrypted with AGE_IDENTITY_FILE into WAL_ARCHIVE/<name>.zst and the
# plaintext checked against the recorded plaintext SHA-256; the restore phase then reads it like an unencrypted one.
# The wrong identity (its recipient's fingerprint is not the object's) or one age cannot use exits EXIT_DECRYPT.
fetch_encrypted_wal() {
  local n have meta want_sha want_plain want_rcpt got tmp="$WORK_DIR/wal-cipher" out
  have=$(identity_recipient_sha256) || exit "$?"
  for n in "$@"; do
    out="$WAL_ARCHIVE/${n%.age}"
    if ! meta=$(aws_s3 s3api get-object --bucket "$S3_BUCKET" --key "$(wal_prefix)/$n" "$tmp" --output text \
      --query "[Metadata.sha256, Metadata.\"$(age_meta_key "$MANIFEST_FIELD_PLAINTEXT_SHA256")\", Metadata.\"$(age_meta_key "$MANIFEST_FIELD_RECIPIENT_SHA256")\"]" \
      2>"$WORK_DIR/s3-wal.err"); then
      error "downloading the WAL archive failed" key="$(wal_prefix)/$n" detail="$(tail -c 1000 "$WORK_DIR/s3-wal.err")"
      return 1
    fi
    read -r want_sha want_plain want_rcpt <<<"$meta"
    got=$(sha256_stdin <"$tmp")
    if [ "$got" != "$want_sha" ]; then
      error "CHECKSUM MISMATCH: archived WAL $n is not the object that was written" expected="$want_sha" got="$got"
      return 1
    fi
    if [ -n "$have" ] && [ "$have" != "$want_rcpt" ]; then
      decrypt_failed "the $AGE_IDENTITY_HOLDER's identity is not the one archived WAL $n was encrypted to" \
        recipient_sha256="$want_rcpt" identity_recipient_sha256="$have"
    fi
    age -d -i "$AGE_IDENTITY_FILE" -o "$out" "$tmp" 2>"$WORK_DIR/age-wal.err" ||
      decrypt_failed "age cannot decrypt archived WAL $n with this $AGE_IDENTITY_HOLDER's identity" detail="$(tail -c 1000 "$WORK_DIR/age-wal.err")"
    got=$(sha256_stdin <"$out")
    if [ "$got" != "$want_plain" ]; then
      error "CHECKSUM MISMATCH: decrypted WAL $n is not the plaintext that was encrypted" expected="$want_plain" got="$got"
      return 1
    fi
  done
  rm -f "$tmp"
  info "archived WAL decrypted and verified" files="$#"
}

FETCH_RC=0
run_fetch() {
  set_run_time
  rm -rf "$WORK_DIR/fetch.status" "$WORK_DIR/download.status" "$WORK_DIR/restore.status" "$BASE_FILE" "$MANIFEST" \
    "$WAL_ARCHIVE" "$WORK_DIR/wal-encrypted"
  local rc=0
  set +e
  (
    set -e
    trap '' PIPE
    choose_base
    key=$(manifest_get "$MANIFEST" key)
    sha=$(manifest_get "$MANIFEST" sha256)
    size=$(manifest_get "$MANIFEST" size_bytes)
    [ "$(manifest_get "$MANIFEST" format)" = pg_basebackup-tar ] || { error "the manifest is not a base backup's"; exit 1; }
    start_wal=$(manifest_get "$MANIFEST" start_wal_file)
    info "fetching the base backup" key="$key" size_bytes="$size" start_wal_file="$start_wal"
    # An age-encrypted base backup: the identity is checked against the manifest before anything is downloaded.
    encrypted=0
    if manifest_encrypted "$MANIFEST"; then
      encrypted=1
      check_identity "$(manifest_get "$MANIFEST" "$MANIFEST_FIELD_RECIPIENT_SHA256")"
    fi
    # The WAL comes down while the base backup does.
    fetch_wal "$start_wal" >"$WORK_DIR/wal-last.txt" &
    wal_pid=$!
    # The restore phase unpacks the base backup from BASE_FILE as it grows (the plaintext, when it is decrypted as it
    # downloads); it uses nothing before fetch.status.
    : >"$BASE_FILE"
    write_status download "key=$key" "size_bytes=$(manifest_plain_size "$MANIFEST")"
    if [ "$encrypted" -eq 1 ]; then
      got_sha=$(download_decrypting "$key" "$BASE_FILE" "$sha") || { r=$?; kill "$wal_pid" 2>/dev/null || true; exit "$r"; }
      plain_sha=$(manifest_get "$MANIFEST" "$MANIFEST_FIELD_PLAINTEXT_SHA256")
      plain_size=$(manifest_get "$MANIFEST" "$MANIFEST_FIELD_PLAINTEXT_SIZE")
      if [ "$got_sha" = "$sha" ] && { [ "$(file_size "$BASE_FILE")" != "$plain_size" ] || [ "$(cat "$BASE_FILE.plain.sha")" != "$plain_sha" ]; }; then
        kill "$wal_pid" 2>/dev/null || true
        error "CHECKSUM MISMATCH: the decrypted base backup is not the plaintext that was encrypted" key="$key" \
          expected="$plain_size $plain_sha" got="$(file_size "$BASE_FILE") $(cat "$BASE_FILE.plain.sha")"
        exit 1
      fi
      rm -f "$BASE_FILE.plain.sha"
      got_size=$size
    else
      if ! got_sha=$(s3_get "$key" - 2>"$WORK_DIR/s3-base.err" | tee "$BASE_FILE" | sha256_stdin); then
        kill "$wal_pid" 2>/dev/null || true
        error "downloading s3://$S3_BUCKET/$key failed" detail="$(tail -c 1000 "$WORK_DIR/s3-base.err")"
        exit 1
      fi
      got_size=$(file_size "$BASE_FILE")
    fi
    if [ "$got_size" != "$size" ] || [ "$got_sha" != "$sha" ]; then
      kill "$wal_pid" 2>/dev/null || true
      error "CHECKSUM MISMATCH: the stored base backup is not the one that was written" key="$key" \
        expected="$size $sha" got="$got_size $got_sha"
      exit 1
    fi
    info "checksum verified" key="$key" sha256="$sha"
    [ "$encrypted" -eq 0 ] || info "decrypted with age" key="$key" plaintext_sha256="$plain_sha"
    wait "$wal_pid"
    [ ! -e "$WORK_DIR/wal-encrypted" ] || encrypted=1
    write_status fetch result=ok "started_epoch=$RUN_EPOCH" "key=$key" "last_wal=$(cat "$WORK_DIR/wal-last.txt")" "encrypted=$encrypted"
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    rm -rf "$BASE_FILE" "$WAL_ARCHIVE"
    write_status fetch result=failed "started_epoch=$RUN_EPOCH" "exit=$rc" || true
    FETCH_RC=1
    [ "$rc" -ne "$EXIT_DECRYPT" ] || FETCH_RC=$EXIT_DECRYPT
  fi
}

# --- restore -------------------------------------------------------------------------------------------------------

PG_DATA=
pg_stop_immediate() { pg_stop_now "$PG_DATA"; }

# commits_after LSN TIMELINE: "epoch_microseconds<TAB>xid<TAB>time" of every commit in the archived WAL from LSN on.
commits_after() {
  # pg_waldump stops with an error at the end of the WAL (the zero-filled rest of the last segment): expected.
  TZ=UTC pg_waldump -p "$SCRATCH/wal" -t "$2" -s "$1" -r Transaction 2>"$SCRATCH/waldump.err" |
    sed -n -E 's/.* tx: *([0-9]+), lsn: .*desc: COMMIT ([0-9-]+ [0-9:.]+) UTC.*/\1\t\2/p' |
    while IFS=$'\t' read -r xid t; do
      printf '%s\t%s\t%s\n' "$(date -u -d "$t UTC" +%s%6N)" "$xid" "$t"
    done || true
}

# write_recovery_config FILE: a configuration of our own (the source's postgresql.conf may not be in the backup, and
# its paths, TLS files and memory sizes belong to another machine), plus the recovery target.
write_recovery_config() {
  local sock=$SCRATCH/sock
  mkdir -p "$sock"
  printf 'local all all trust\n' >"$SCRATCH/pg_hba.conf"
  : >"$SCRATCH/pg_ident.conf"
  {
    printf "listen_addresses = ''\nunix_socket_directories = '%s'\nport = 5432\n" "$sock"
    printf "hba_file = '%s'\nident_file = '%s'\n" "$SCRATCH/pg_hba.conf" "$SCRATCH/pg_ident.conf"
    # hot_standby off: no queries during replay (none are needed), and then the server does not require
    # max_connections and the like to be at least the source's, which this configuration does not know.
    printf "shared_buffers = '%s'\nssl = off\narchive_mode = off\nhot_standby = off\n" \
      "${PG_DRILL_SHARED_BUFFERS:-256MB}"
    printf "restore_command = 'cp \"%s/%%f\" \"%%p\"'\nrecovery_target_action = 'promote'\n" "$SCRATCH/wal"
    printf "recovery_target_timeline = 'latest'\n"
    if [ -n "$RECOVERY_TARGET_TIME" ]; then
      printf "recovery_target_time = '%s'\nrecovery_target_inclusive = on\n" "$RECOVERY_TARGET_TIME"
    fi
  } >"$1"
  [ "$(id -u)" -ne 0 ] || chown -R "${PG_DRILL_OS_USER:-postgres}" "$SCRATCH"
}

# fetch_verdict: waits for fetch.status; 0 when it says the base backup and the WAL were verified.
fetch_verdict() {
  while [ ! -f "$WORK_DIR/fetch.status" ]; do
    if [ "$(date +%s)" -ge "$RESTORE_DEADLINE" ]; then return 1; fi
    if [ -n "${FETCH_PID:-}" ] && ! kill -0 "$FETCH_PID" 2>/dev/null && [ ! -f "$WORK_DIR/fetch.status" ]; then return 1; fi
    sleep 0.1
  done
  [ "$(status_get fetch result)" = ok ]
}

# unpack_while_downloading: the base backup is decompressed and unpacked into PG_DATA from BASE_FILE while the fetch
# phase is still writing it (tail -f | head -c <size>), so the download, the SHA-256, zstd and tar overlap. Nothing
# reads PG_DATA before fetch.status says the object's size and SHA-256 matched; if it does not, PG_DATA is emptied.
unpack_base_backup() { zstd -q -d -c | tar -xf - -C "$PG_DATA"; }

unpack_while_downloading() {
  local size rc=0
  size=$(status_get download size_bytes)
  consume_while_downloading "$BASE_FILE" "$size" "$SCRATCH/unpack.err" unpack_base_backup || rc=$?
  if ! fetch_verdict; then
    find "$PG_DATA" -mindepth 1 -delete 2>/dev/null || true
    warn "nothing restored: the fetch phase did not verify the base backup and the WAL (its log says why)"
    return 1
  fi
  rm -f "$BASE_FILE"
  if [ "$rc" -ne 0 ]; then
    error "the verified base backup does not unpack" exit="$rc" detail="$(tail -c 1000 "$SCRATCH/unpack.err")"
    return 1
  fi
  info "base backup unpacked while downloading"
}

RECOVERY_TARGET_TIME=
restore_pitr() {
  local t
  for t in tar zstd pg_ctl pg_verifybackup pg_waldump psql; do
    need_tool "$t" "use the postgres image of the server's major version (or set PG_BIN_DIR)"
  done
  local tli start_lsn last_wal f seg commits chosen xid ctime started promoted deadline psql out
  PG_DATA=${PITR_DATA_DIR:-$SCRATCH/data}
  if [ -d "$PG_DATA" ] && [ -n "$(ls -A "$PG_DATA" 2>/dev/null)" ]; then
    error "PITR_DATA_DIR '$PG_DATA' is not empty: a restore never writes over data"
    return 2
  fi
  mkdir -p "$PG_DATA" "$SCRATCH/wal"
  chmod 700 "$PG_DATA"
  unpack_while_downloading
  tli=$(manifest_get "$MANIFEST" timeline)
  start_lsn=$(manifest_get "$MANIFEST" end_lsn)
  last_wal=$(status_get fetch last_wal)
  [ "$(id -u)" -ne 0 ] || chown -R "${PG_DRILL_OS_USER:-postgres}" "$PG_DATA" "$SCRATCH"
  if ! as_pg pg_verifybackup -q "$PG_DATA" >"$SCRATCH/verify.err" 2>&1; then
    error "BASE BACKUP CORRUPT: pg_verifybackup rejects it" detail="$(tail -c 2000 "$SCRATCH/verify.err")"
    return 1
  fi
  info "base backup verified by pg_verifybackup"
  # Every archived file decompressed (zstd checks each frame's content checksum); a partial segment stands in for a
  # segment only when the completed one was never archived.
  for f in "$WAL_ARCHIVE"/*.zst; do
    [ -e "$f" ] || continue
    seg=$(basename "$f" .zst)
    case "$seg" in *.partial) seg=${seg%.partial}; [ ! -e "$WAL_ARCHIVE/$seg.zst" ] || continue ;; esac
    if ! zstd -q -d -c "$f" >"$SCRATCH/wal/$seg" 2>"$SCRATCH/zstd.err"; then
      error "CHECKSUM MISMATCH: archived WAL $(basename "$f") is corrupt" detail="$(tail -c 500 "$SCRATCH/zstd.err")"
      return 1
    fi
  done
  rm -rf "$WAL_ARCHIVE"
  # The recovery target.
  chosen=
  case "$TARGET" in
    latest) ;;
    drill)
      # Not the last commit: recovery to a time stops before the first commit after it, so one must follow.
      commits=$(commits_after "$start_lsn" "$tli" | sed '$d' |
        awk -F '\t' -v from="$((($(date +%s) - WINDOW) * 1000000))" '$1 >= from')
      if [ -n "$commits" ]; then
        chosen=$(printf '%s\n' "$commits" | sed -n "$((RANDOM % $(printf '%s\n' "$commits" | wc -l) + 1))p")
      else
        info "no transaction committed in the window after the base backup: the drill replays to the end of the WAL"
      fi
      ;;
    *)
      commits=$(commits_after "$start_lsn" "$tli")
      if printf '%s\n' "$commits" | awk -F '\t' -v t="$(date -u -d "$TARGET" +%s%6N)" '$1 > t { found = 1 } END { exit !found }'; then
        RECOVERY_TARGET_TIME=$(date -u -d "$TARGET" '+%Y-%m-%d %H:%M:%S.%6N+00')
      else
        info "no transaction committed after the target time in the archive: that state is the end of the WAL" target="$TARGET"
      fi
      ;;
  esac
  if [ -n "$chosen" ]; then
    xid=$(printf '%s' "$chosen" | cut -f2)
    ctime=$(printf '%s' "$chosen" | cut -f3)
    RECOVERY_TARGET_TIME="$ctime+00"
    info "drill target: the commit of a transaction in the window" xid="$xid" commit_time="$ctime"
  fi
  write_recovery_config "$SCRATCH/postgresql.conf"
  : >"$PG_DATA/recovery.signal"
  rm -f "$PG_DATA/postmaster.pid" "$PG_DATA/postmaster.opts"
  [ "$(id -u)" -ne 0 ] || chown "${PG_DRILL_OS_USER:-postgres}" "$PG_DATA/recovery.signal"
  trap pg_stop_immediate EXIT
  started=$(date +%s%N)
  info "starting archive recovery" target="${RECOVERY_TARGET_TIME:-end of WAL}" last_wal="$last_wal"
  as_pg pg_ctl -D "$PG_DATA" -l "$SCRATCH/server.log" -W -o "-c config_file=$SCRATCH/postgresql.conf" start >/dev/null 2>&1 ||
    { error "PostgreSQL did not start on the restored data" detail="$(tail -c 1500 "$SCRATCH/server.log")"; return 1; }
  psql=(psql -X -q -A -t -h "$SCRATCH/sock" -p 5432 -U postgres -d postgres)
  deadline=$(($(date +%s) + ${PITR_RECOVERY_TIMEOUT_SECONDS:-$PHASE_WAIT_SECONDS}))
  promoted=
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if out=$("${psql[@]}" -c "SELECT pg_is_in_recovery()" 2>/dev/null) && [ "$out" = f ]; then
      promoted=$(date +%s%N)
      break
    fi
    if ! as_pg pg_ctl -D "$PG_DATA" status >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  if [ -z "$promoted" ]; then
    error "RECOVERY FAILED: the server did not finish recovery" detail="$(grep -E 'FATAL|PANIC|ERROR|LOG: +recovery' "$SCRATCH/server.log" | tail -c 2000)"
    return 1
  fi
  RECOVERY_SECONDS=$(awk -v a="$started" -v b="$promoted" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  # Where recovery stopped must be where it had to.
  if [ -n "$chosen" ]; then
    # Recovery to a time stops before the first commit later than it: the chosen transaction must be committed, and
    # the one recovery stopped before must have committed after it.
    local stop_line status
    stop_line=$(grep -o "recovery stopping before commit of transaction [0-9]*, time .*" "$SCRATCH/server.log" | tail -n1)
    status=$("${psql[@]}" -c "SELECT pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) + $xid)::text::xid8)")
    if [ -z "$stop_line" ] || [ "$status" != committed ] || [ "${stop_line#*transaction }" = "$xid, ${stop_line#*, }" ]; then
      error "RECOVERY MISSED ITS TARGET: transaction $xid is '$status' after recovery to its commit time" \
        detail="$(grep -E 'recovery|redo' "$SCRATCH/server.log" | tail -c 2000)"
      return 1
    fi
    info "recovery stopped at the target" committed_xid="$xid" stopped_before="${stop_line#recovery stopping before }"
    RECOVERED_TO=$(date -u -d "$ctime UTC" +%s)
  elif [ -n "$RECOVERY_TARGET_TIME" ]; then
    grep -q "recovery stopping before commit of transaction\|recovery stopping after commit of transaction" "$SCRATCH/server.log" || {
      error "RECOVERY MISSED ITS TARGET: no stop at the target time" detail="$(grep -E 'recovery|redo' "$SCRATCH/server.log" | tail -c 2000)"
      return 1
    }
    RECOVERED_TO=$TARGET_EPOCH
  else
    # Replaying to the end must reach the newest archived segment: a corrupt record stops replay early, silently.
    local redo_end
    redo_end=$(sed -n -E 's/.*redo done at ([0-9A-F]+\/[0-9A-F]+).*/\1/p' "$SCRATCH/server.log" | tail -n1)
    if [ -z "$redo_end" ] || [[ $(wal_file_name "$tli" "$redo_end") < ${last_wal:0:24} ]]; then
      error "RECOVERY STOPPED EARLY: replay ended at ${redo_end:-?}, before the newest archived segment $last_wal" \
        detail="$(grep -E 'redo|invalid|recovery' "$SCRATCH/server.log" | tail -c 2000)"
      return 1
    fi
    RECOVERED_TO=$("${psql[@]}" -c "SELECT coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::bigint, 0)")
  fi
  info "recovery complete" recovery_seconds="$RECOVERY_SECONDS" recovered_to="$RECOVERED_TO"
  if [ "${PITR_AMCHECK:-$((1 - REAL_RESTORE))}" = 1 ]; then
    need_tool pg_amcheck "the drill checks the restored heap and indexes with pg_amcheck"
    if ! pg_amcheck -h "$SCRATCH/sock" -p 5432 -U postgres --all --install-missing >"$SCRATCH/amcheck.out" 2>&1; then
      error "RESTORED DATA CORRUPT: pg_amcheck reports damage" detail="$(tail -c 2000 "$SCRATCH/amcheck.out")"
      return 1
    fi
    info "pg_amcheck found no corruption"
  fi
  "${psql[@]}" -F $'\t' -c "SELECT datname, pg_database_size(oid) FROM pg_database WHERE NOT datistemplate ORDER BY 1" \
    >"$SCRATCH/databases.tsv"
  info "restored databases" databases="$(tr '\t\n' '= ' <"$SCRATCH/databases.tsv")"
  # A clean shutdown: the restored data directory starts as an ordinary primary.
  as_pg pg_ctl -D "$PG_DATA" -m fast -w -t 300 stop >/dev/null 2>&1 || { error "the restored server did not stop cleanly"; return 1; }
  trap - EXIT
}

RESTORE_RC=0
run_restore() {
  local wait_s=$PHASE_WAIT_SECONDS rc=0
  RESTORE_DEADLINE=$(($(date +%s) + wait_s))
  # The restore starts with the download (download.status), or not at all when the fetch phase failed first.
  while [ ! -f "$WORK_DIR/download.status" ] && [ ! -f "$WORK_DIR/fetch.status" ]; do
    if [ "$(date +%s)" -ge "$RESTORE_DEADLINE" ] || { [ -n "${FETCH_PID:-}" ] && ! kill -0 "$FETCH_PID" 2>/dev/null && [ ! -f "$WORK_DIR/fetch.status" ]; }; then
      error "the fetch phase wrote no status"
      write_status restore result=failed exit=1 || true
      RESTORE_RC=1
      return 0
    fi
    sleep "${PHASE_POLL_SECONDS:-0.5}"
  done
  if [ -f "$WORK_DIR/fetch.status" ] && [ "$(status_get fetch result)" != ok ]; then
    write_status restore result=skipped exit=1 "message=nothing to restore: the fetch phase failed" || true
    RESTORE_RC=1
    return 0
  fi
  mkdir -p "$SCRATCH"
  set +e
  (
    set -e
    trap '' PIPE
    restore_pitr
    write_status restore result=ok "recovery_seconds=$RECOVERY_SECONDS" "recovered_to_epoch=$RECOVERED_TO" \
      "data_dir=$PG_DATA"
  )
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    error "restore failed" exit="$rc"
    write_status restore result=failed "exit=$rc" || true
    RESTORE_RC=$rc
    [ "$rc" -eq "$EXIT_CONFIG" ] || RESTORE_RC=1
  else
    info "POINT-IN-TIME RESTORE OK" data_dir="$(status_get restore data_dir)" \
      recovery_seconds="$(status_get restore recovery_seconds)"
  fi
  # The drill's throwaway copy goes; a real restore keeps its data directory (only the WAL copy goes).
  if [ "$REAL_RESTORE" -eq 1 ]; then rm -rf "$SCRATCH"; else rm -rf "$SCRATCH" "$WORK_DIR/wal-archive"; fi
}

# --- report --------------------------------------------------------------------------------------------------------

run_report() {
  local wait_s=$PHASE_WAIT_SECONDS ok=1 now started
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
  # Encrypted backups and WAL: whether this drill could decrypt, pushed on every such drill.
  local decrypt='' failed_rc=$EXIT_FAILED
  if [ "$(status_get fetch exit 2>/dev/null || true)" = "$EXIT_DECRYPT" ]; then
    decrypt=$(drill_decrypt_metric 0)
    failed_rc=$EXIT_DECRYPT
  elif [ "$(status_get fetch encrypted 2>/dev/null || true)" = 1 ]; then
    decrypt=$(drill_decrypt_metric 1)
  fi
  if [ "$REAL_RESTORE" -eq 1 ]; then
    [ "$ok" -eq 1 ] || { error "POINT-IN-TIME RESTORE FAILED"; return "$failed_rc"; }
    return 0
  fi
  if [ "$ok" -ne 1 ]; then
    error "RESTORE DRILL FAILED" method=pitr key="$(status_get fetch key 2>/dev/null || echo none)"
    push_metrics "$PUSH_JOB_DRILL" "$(
      metric "$METRIC_DRILL_LAST_COMPLETION" gauge "$now" "When the last restore drill ended."
      metric "$METRIC_DRILL_LAST_RUN_SUCCESS" gauge 0 "1 if the last restore drill passed, 0 if it failed."
      metric "$METRIC_DRILL_DURATION" gauge "$((now - started))" "Duration of the last restore drill."
      [ -z "$decrypt" ] || printf '%s\n' "$decrypt"
    )" || true
    return "$failed_rc"
  fi
  info "RESTORE DRILL OK" method=pitr key="$(status_get fetch key)" duration_seconds="$((now - started))" \
    recovered_to="$(status_get restore recovered_to_epoch)"
  push_metrics "$PUSH_JOB_DRILL" "$(
    metric "$METRIC_DRILL_LAST_SUCCESS" gauge "$now" "When the last passing restore drill ended."
    metric "$METRIC_DRILL_LAST_COMPLETION" gauge "$now" "When the last restore drill ended."
    metric "$METRIC_DRILL_LAST_RUN_SUCCESS" gauge 1 "1 if the last restore drill passed, 0 if it failed."
    metric "$METRIC_DRILL_DURATION" gauge "$((now - started))" "Duration of the last restore drill."
    metric "$METRIC_DRILL_LAST_VERIFIED_BACKUP" gauge "$(manifest_get "$MANIFEST" started_epoch)" \
      "Start time of the newest backup a drill restored and verified."
    metric "$METRIC_DRILL_RECOVERY_SECONDS" gauge "$(status_get restore recovery_seconds)" \
      "WAL replay of the last point-in-time drill: server start to promotion."
    metric "$METRIC_DRILL_RECOVERED_TO" gauge "$(status_get restore recovered_to_epoch)" \
      "The commit time the last point-in-time drill recovered to."
    [ -z "$decrypt" ] || printf '%s\n' "$decrypt"
  )" || return "$EXIT_PUSH"
}

require_phase_wait

case "$phase" in
  fetch)
    require_s3_config
    [ "$REAL_RESTORE" -eq 1 ] || require_push_config
    run_fetch
    run_report
    ;;
  restore)
    run_restore
    exit "$RESTORE_RC"
    ;;
  all)
    require_s3_config
    [ "$REAL_RESTORE" -eq 1 ] || require_push_config
    (
      run_fetch
      exit "$FETCH_RC"
    ) &
    FETCH_PID=$!
    run_restore
    wait "$FETCH_PID" || FETCH_RC=1
    [ "$RESTORE_RC" -ne "$EXIT_CONFIG" ] || exit "$EXIT_CONFIG"
    PHASE_WAIT_SECONDS=0 run_report
    ;;
esac

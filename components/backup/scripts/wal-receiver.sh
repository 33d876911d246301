#!/usr/bin/env bash
# Strata WAL receiver: continuous WAL of one PostgreSQL target to S3, over the replication protocol only (Strata does
# not own the server: no archive_command, nothing beside its data directory). Runs for ever in a single-replica
# StatefulSet whose small Retain claim is WORK_DIR.
#
# Usage: wal-receiver.sh [all|receive|upload]      (default: all)
#   receive  the database-tool container (the postgres image of the server's major version): checks the grants
#            (pg_replication_check: REPLICATION role, pg_hba.conf replication line, wal_level=replica), creates the
#            physical replication slot if missing, and runs `pg_receivewal --synchronous` on it into WORK_DIR/wal,
#            restarting it with a back-off when the connection drops. The slot makes the server keep every WAL
#            segment until the receiver has flushed it, so a restart (of the receiver or the server) leaves no gap.
#            Every PITR_STATUS_INTERVAL_SECONDS it probes the server's WAL position and the slot's, and writes
#            WORK_DIR/receiver.status: retained WAL, and the newest moment up to which everything the server had
#            written is on the receiver's volume (received_through_epoch).
#   upload   the S3/report container (AWS CLI v2 + curl + zstd): every PITR_UPLOAD_INTERVAL_SECONDS uploads each
#            completed segment (and timeline history file) not yet uploaded, in order, then the current .partial
#            segment if it changed, each zstd-compressed, with SSE-KMS, Content-MD5 and its SHA-256 as metadata, to
#            [S3_PREFIX/]postgresql/<target>/wal/<name>.zst (<segment>.partial.zst for the partial one; with
#            AGE_RECIPIENT <name>.zst.age, age-encrypted by the receive container before it is staged, metadata
#            sha256 (ciphertext), plaintext-sha256 and age-recipient-sha256 (encryption.ts's fields, - for _)). An upload
#            that fails stops the cycle (nothing is skipped; the segment stays on the volume and goes up first next
#            cycle). Uploaded segments are removed from the volume except the newest PITR_LOCAL_KEEP_SEGMENTS; nothing
#            is ever deleted in S3. Pushes the receiver's state to the Pushgateway every cycle.
#   all      both in one container (tests, an image with both tool sets).
#
# Environment: BACKUP_KIND=postgresql (the default), BACKUP_TARGET, WORK_DIR (the claim), PITR_SLOT (required:
#   the plan names it, components/backup/contract/layout.ts pitrSlotName); receive: libpq env PGHOST PGPORT PGUSER PGPASSWORD/PGPASSFILE, PG_BIN_DIR,
#   PITR_STATUS_INTERVAL_SECONDS (5), AGE_RECIPIENT (optional: WAL encrypted with age, `age` on PATH); upload: S3_BUCKET, S3_PREFIX, S3_ENDPOINT_URL, S3_SSE_KMS_KEY_ID, AWS_CLI,
#   PUSHGATEWAY_URL, PITR_UPLOAD_INTERVAL_SECONDS (15; the component sets it from the RPO), PITR_LOCAL_KEEP_SEGMENTS
#   (4), ZSTD_LEVEL (1).
#
# Metrics (POST to PUSHGATEWAY_URL/metrics/job/strata_pitr_wal/kind/postgresql/target/<target>), every cycle:
#   strata_pitr_wal_archived_through_timestamp_seconds  everything the server had written by then is in S3
#   strata_pitr_wal_upload_backlog_segments              completed segments on the volume not yet in S3
#   strata_pitr_wal_last_cycle_success                   1 if the last upload cycle left nothing behind
#   strata_pitr_slot_retained_wal_bytes                  WAL the server keeps for the slot (server LSN - slot LSN)
#   strata_pitr_receiver_lag_seconds                     now - received_through_epoch
#   strata_pitr_wal_uploader_heartbeat_timestamp_seconds when this cycle ran
#
# Exit codes: 2 configuration error (the message names what is missing); otherwise the receiver runs until SIGTERM
#   (exit 0 after a last upload cycle).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"

phase=${1:-all}
BACKUP_KIND=${BACKUP_KIND:-postgresql}
start_script wal-receiver "$phase" all receive upload
[ "$BACKUP_KIND" = postgresql ] || die_config "the WAL receiver is for BACKUP_KIND=postgresql only"

WAL_DIR="$WORK_DIR/wal"
STAGED_DIR="$WAL_DIR/.staged"
OUTBOX="$WORK_DIR/outbox"
SENDING="$WORK_DIR/sending"
# The slot's name is the plan's (components/backup/contract/layout.ts: pitrSlotName), so the alerts and the runbook
# name the same slot.
SLOT=${PITR_SLOT:-}
[ -n "$SLOT" ] || die_config "PITR_SLOT is required: the physical replication slot this receiver holds on the server"
[[ $SLOT =~ ^[a-z0-9_]{1,63}$ ]] || die_config "PITR_SLOT '$SLOT' must match ^[a-z0-9_]{1,63}$"
mkdir -p "$WAL_DIR" "$STAGED_DIR" "$OUTBOX" "$SENDING"

STOPPING=0
on_term() { STOPPING=1; }

# --- receive -------------------------------------------------------------------------------------------------------

# probe_loop: every PITR_STATUS_INTERVAL_SECONDS, the server's WAL position and the slot's. A sample (t, server LSN)
# whose LSN the slot has reached means everything written before t is on the volume (pg_receivewal --synchronous
# reports a position only once it is flushed).
probe_loop() {
  local interval=${PITR_STATUS_INTERVAL_SECONDS:-5} samples=() out now server slot server_b slot_b through s i
  while :; do
    now=$(date +%s)
    if out=$(pg_replication_psql "IDENTIFY_SYSTEM" "READ_REPLICATION_SLOT $SLOT" 2>&1); then
      server=$(printf '%s\n' "$out" | sed -n 1p | cut -d'|' -f3)
      slot=$(printf '%s\n' "$out" | sed -n 2p | cut -d'|' -f2)
      if [ -n "$server" ] && [ -n "$slot" ]; then
        server_b=$(lsn_bytes "$server")
        slot_b=$(lsn_bytes "$slot")
        samples+=("$now:$server_b")
        # Bounded: an hour of samples at the default interval.
        [ "${#samples[@]}" -le 720 ] || samples=("${samples[@]:1}")
        through=
        for ((i = ${#samples[@]} - 1; i >= 0; i--)); do
          s=${samples[i]}
          if [ "${s#*:}" -le "$slot_b" ]; then
            through=${s%%:*}
            break
          fi
        done
        write_status receiver "ts=$now" "server_lsn=$server" "slot_lsn=$slot" \
          "retained_bytes=$((server_b - slot_b))" "received_through_epoch=${through:-0}" || true
      else
        write_status receiver "ts=$now" "error=the slot $SLOT has no position yet" || true
      fi
    else
      write_status receiver "ts=$now" "error=probe failed: ${out//$'\n'/ }" || true
    fi
    sleep "$interval"
  done
}

run_receive() {
  need_tool pg_receivewal "use the postgres image of the server's major version (or set PG_BIN_DIR)"
  need_tool psql "use the postgres image of the server's major version (or set PG_BIN_DIR)"
  need_tool zstd "WAL is compressed in this container (the postgres image ships zstd)"
  require_age_recipient
  [ -z "${AGE_RECIPIENT:-}" ] || info "WAL is encrypted with age before it leaves this container" recipient_sha256="$(sha256_text "$AGE_RECIPIENT")"
  local backoff=1 rc out probe_pid stage_pid child
  until pg_replication_check; do
    warn "the server is not reachable yet; retrying" retry_in_seconds="$backoff"
    sleep "$backoff"
    backoff=$((backoff < 60 ? backoff * 2 : 60))
  done
  if ! out=$(pg_receivewal --create-slot --if-not-exists --slot="$SLOT" 2>&1); then
    error "cannot create the replication slot" slot="$SLOT" detail="$out"
    exit "$EXIT_FAILED"
  fi
  info "receiving WAL" slot="$SLOT" dir="$WAL_DIR"
  probe_loop &
  probe_pid=$!
  stage_loop &
  stage_pid=$!
  trap 'on_term; kill "${child:-}" "$probe_pid" "$stage_pid" 2>/dev/null || true' TERM INT
  backoff=1
  while [ "$STOPPING" -eq 0 ]; do
    pg_receivewal -D "$WAL_DIR" --slot="$SLOT" --synchronous --no-loop --no-password \
      --status-interval=10 2>"$WORK_DIR/pg_receivewal.err" &
    child=$!
    rc=0
    wait "$child" || rc=$?
    [ "$STOPPING" -eq 0 ] || break
    error "pg_receivewal stopped; restarting it on the same slot" exit="$rc" retry_in_seconds="$backoff" \
      detail="$(tail -c 1500 "$WORK_DIR/pg_receivewal.err")"
    sleep "$backoff" || true
    backoff=$((backoff < 30 ? backoff * 2 : 30))
    # A grant revoked while running is a configuration error now: say so instead of retrying for ever.
    if grep -q -e "must be superuser or replication role" -e "no pg_hba.conf entry" "$WORK_DIR/pg_receivewal.err"; then
      pg_replication_check || true
    fi
  done
  kill "$probe_pid" 2>/dev/null || true
  # One last staging pass of what was received, so the uploader's last cycle sends it.
  kill "$stage_pid" 2>/dev/null || true
  info "receiver stopped"
}

# --- stage (receive container: compression needs zstd, which the postgres image has and the AWS CLI image lacks) ---

# The completed segments and history files on the volume, oldest first (hex names sort in WAL order).
completed_files() {
  find "$WAL_DIR" -maxdepth 1 -type f -regextype posix-extended \( -regex '.*/[0-9A-F]{24}' -o -regex '.*/[0-9A-F]{8}\.history' \) \
    -printf '%f\n' | sort
}

# stage FILE NAME: FILE compressed into OUTBOX/NAME (renamed into place, so the uploader never sees half of it), with
# its SHA-256 beside it (NAME.sha256). With AGE_RECIPIENT the compressed file is encrypted to it into OUTBOX/NAME.age
# (the suffix backup.sh gives encrypted objects), so the volume's outbox and the bucket only ever hold ciphertext, and
# NAME.age.sha256 has three lines: the ciphertext's SHA-256, the plaintext's (the compressed segment), the recipient's
# fingerprint, which the uploader stores as the object's metadata.
stage() {
  local name=$2 tmp sha plain
  [ -z "${AGE_RECIPIENT:-}" ] || name+=.age
  tmp="$OUTBOX/.$name.tmp"
  if [ -z "${AGE_RECIPIENT:-}" ]; then
    zstd -q -T1 "-${ZSTD_LEVEL:-1}" -c "$1" >"$tmp" || { rm -f "$tmp"; error "cannot compress $1"; return 1; }
    sha=$(sha256sum "$tmp")
    printf '%s\n' "${sha%% *}" >"$tmp.sha256"
  else
    zstd -q -T1 "-${ZSTD_LEVEL:-1}" -c "$1" >"$tmp.plain" || { rm -f "$tmp.plain"; error "cannot compress $1"; return 1; }
    plain=$(sha256sum "$tmp.plain")
    if ! age -r "$AGE_RECIPIENT" -o "$tmp" "$tmp.plain" 2>"$WORK_DIR/age.err"; then
      rm -f "$tmp" "$tmp.plain"
      error "cannot encrypt $1 with age; nothing staged" detail="$(tail -c 500 "$WORK_DIR/age.err")"
      return 1
    fi
    rm -f "$tmp.plain"
    sha=$(sha256sum "$tmp")
    printf '%s\n%s\n%s\n' "${sha%% *}" "${plain%% *}" "$(sha256_text "$AGE_RECIPIENT")" >"$tmp.sha256"
  fi
  mv -f "$tmp.sha256" "$OUTBOX/$name.sha256"
  mv -f "$tmp" "$OUTBOX/$name"
}

# stage_loop: every PITR_UPLOAD_INTERVAL_SECONDS, each completed segment not staged yet, then the .partial segment if
# it changed, into OUTBOX; then staged.status with the receiver's received_through_epoch read BEFORE the files, so
# everything it claims is in the files staged. Staged segments leave the WAL directory but the newest
# PITR_LOCAL_KEEP_SEGMENTS (pg_receivewal resumes from the newest file it finds).
stage_loop() {
  local interval=${PITR_UPLOAD_INTERVAL_SECONDS:-15} f partial sum last_sum='' through ok
  while :; do
    through=0
    if [ -f "$WORK_DIR/receiver.status" ] && ! status_get receiver error >/dev/null 2>&1; then
      through=$(status_get receiver received_through_epoch || echo 0)
    fi
    ok=1
    while IFS= read -r f; do
      [ ! -e "$STAGED_DIR/$f" ] || continue
      if stage "$WAL_DIR/$f" "$f.zst"; then : >"$STAGED_DIR/$f"; else ok=0; break; fi
    done < <(completed_files)
    partial=$(find "$WAL_DIR" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}\.partial' -printf '%f\n' | sort | tail -n1)
    if [ "$ok" -eq 1 ] && [ -n "$partial" ]; then
      sum=$(sha256sum "$WAL_DIR/$partial" 2>/dev/null) || sum=
      if [ -n "$sum" ] && [ "$sum" != "$last_sum" ]; then
        if stage "$WAL_DIR/$partial" "$partial.zst"; then last_sum=$sum; else ok=0; fi
      fi
    fi
    while IFS= read -r f; do
      rm -f "$WAL_DIR/$f" "$STAGED_DIR/$f"
    done < <(completed_files | grep -v '\.history$' | while IFS= read -r f; do
      [ ! -e "$STAGED_DIR/$f" ] || printf '%s\n' "$f"
    done | head -n "-${PITR_LOCAL_KEEP_SEGMENTS:-4}")
    [ "$ok" -eq 0 ] || write_status staged "received_through_epoch=$through" "retained_bytes=$(status_get receiver retained_bytes 2>/dev/null || echo 0)" || true
    sleep "$interval"
  done
}

# --- upload (S3/report container) ----------------------------------------------------------------------------------

# upload_outbox: every staged file, oldest segment first and partial segments last; each is claimed by a rename
# first, so a newer partial staged meanwhile is never removed unsent. Stops at the first failure: nothing is skipped.
UPLOADED=0
upload_outbox() {
  local f sums more out
  UPLOADED=0
  while IFS= read -r f; do
    mv -f "$OUTBOX/$f" "$SENDING/$f" 2>/dev/null || continue
    mapfile -t sums <"$OUTBOX/$f.sha256"
    # An age-encrypted segment: the plaintext's SHA-256 and the recipient's fingerprint as metadata beside sha256.
    more=
    [ -z "${sums[1]:-}" ] ||
      more="$(age_meta_key "$MANIFEST_FIELD_PLAINTEXT_SHA256")=${sums[1]},$(age_meta_key "$MANIFEST_FIELD_RECIPIENT_SHA256")=${sums[2]}"
    if ! out=$(s3_put_small "$SENDING/$f" "$(wal_prefix)/$f" "${sums[0]}" "$(wal_content_type "$f")" "$more" 2>&1); then
      # Back to the outbox unless a newer copy of the same partial segment was staged meanwhile.
      mv -n "$SENDING/$f" "$OUTBOX/$f" 2>/dev/null || true
      rm -f "$SENDING/$f"
      error "WAL upload failed; kept on the volume, retried next cycle" key="$(wal_prefix)/$f" detail="$out"
      return 1
    fi
    rm -f "$SENDING/$f"
    # Keep the checksum of a partial segment while a newer copy waits beside it.
    [ -e "$OUTBOX/$f" ] || rm -f "$OUTBOX/$f.sha256"
    UPLOADED=$((UPLOADED + 1))
    case "$f" in *.partial.zst | *.partial.zst.age) ;; *) info "segment uploaded" file="${f%%.zst*}" ;; esac
  done < <(find "$OUTBOX" -maxdepth 1 -type f \( -name '*.zst' -o -name '*.zst.age' \) ! -name '.*' -printf '%f\n' |
    awk '{ print (/\.partial\.zst(\.age)?$/ ? 1 : 0) "\t" $0 }' | sort | cut -f2)
}

ARCHIVED_THROUGH=0
upload_cycle() {
  local now ok=1 through=0 retained=0 backlog lag
  now=$(date +%s)
  # Read before the outbox: every file staged.status speaks for is already in the outbox (or uploaded).
  if [ -f "$WORK_DIR/staged.status" ]; then
    through=$(status_get staged received_through_epoch || echo 0)
    retained=$(status_get staged retained_bytes || echo 0)
  fi
  upload_outbox || ok=0
  backlog=$(find "$OUTBOX" -maxdepth 1 -type f \( -name '*.zst' -o -name '*.zst.age' \) ! -name '*.partial.zst*' ! -name '.*' | wc -l)
  [ "$UPLOADED" -eq 0 ] || info "upload cycle" uploaded="$UPLOADED" backlog="$backlog"
  if [ "$ok" -eq 1 ] && [ "$through" -gt "$ARCHIVED_THROUGH" ]; then
    ARCHIVED_THROUGH=$through
    write_status archived "archived_through_epoch=$through" "cycle_epoch=$now" || true
  fi
  lag=$now
  [ "$through" -eq 0 ] || lag=$((now - through))
  push_metrics "$PUSH_JOB_PITR_WAL" "$(
    metric "$METRIC_PITR_WAL_HEARTBEAT" gauge "$now" "When the WAL uploader last ran a cycle."
    metric "$METRIC_PITR_WAL_LAST_CYCLE_SUCCESS" gauge "$ok" "1 if the last WAL upload cycle left nothing behind."
    metric "$METRIC_PITR_WAL_BACKLOG_SEGMENTS" gauge "$backlog" "Completed WAL segments on the receiver's volume not yet in S3."
    metric "$METRIC_PITR_WAL_SLOT_RETAINED_BYTES" gauge "$retained" "WAL the server keeps for the receiver's replication slot."
    metric "$METRIC_PITR_WAL_RECEIVER_LAG_SECONDS" gauge "$lag" "Seconds since the newest moment everything the server wrote was on the receiver's volume."
    if [ "$ARCHIVED_THROUGH" -gt 0 ]; then
      metric "$METRIC_PITR_WAL_ARCHIVED_THROUGH" gauge "$ARCHIVED_THROUGH" \
        "Everything the server had written by this time is in S3."
    fi
  )" >/dev/null 2>&1 || warn "PUSH FAILED: the Pushgateway did not accept the WAL receiver's metrics"
}

run_upload() {
  require_s3_config
  require_push_config
  local interval=${PITR_UPLOAD_INTERVAL_SECONDS:-15} started
  [[ $interval =~ ^[1-9][0-9]*$ ]] || die_config "PITR_UPLOAD_INTERVAL_SECONDS must be a whole number >= 1"
  [ -z "${1:-}" ] || trap on_term TERM INT
  info "uploading WAL" prefix="$(wal_prefix)" interval_seconds="$interval"
  while :; do
    started=$(date +%s)
    upload_cycle
    [ "$STOPPING" -eq 0 ] || break
    while [ "$STOPPING" -eq 0 ] && [ "$(date +%s)" -lt $((started + interval)) ]; do sleep 0.5; done
    if [ "$STOPPING" -eq 1 ]; then
      upload_cycle
      break
    fi
  done
  info "uploader stopped"
}

case "$phase" in
  receive) run_receive ;;
  upload) run_upload trap ;;
  all)
    (run_receive) &
    receive_pid=$!
    trap 'kill -TERM "$receive_pid" 2>/dev/null || true; on_term' TERM INT
    run_upload
    wait "$receive_pid" || true
    ;;
esac

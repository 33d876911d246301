#!/usr/bin/env bash
# Strata backup library: sourced by backup.sh and restore-drill.sh, never run on its own.
#
# What lives here (see README.md beside this file for the full interface):
#   - structured logging: one JSON object per line on stderr
#   - the backup contract's check: its facts come from the environment (see below), never from these scripts
#   - the object key layout  [S3_PREFIX/]<kind>/<target>/YYYY/MM/DD/<target>-<YYYYMMDDTHHMMSSZ>.<ext>
#     with the manifest at <object key>.manifest.json and the pointer [S3_PREFIX/]<kind>/<target>/latest.json
#   - the manifest's writer (its reader in TypeScript validates it: components/backup/contract/manifest.ts)
#   - S3 access through the AWS CLI v2 (S3_ENDPOINT_URL for non-AWS S3, SSE-KMS when S3_SSE_KMS_KEY_ID is set)
#   - the phase status files that let two containers of one pod hand over through a shared emptyDir
#   - Pushgateway pushes (POST: replaces only the metric names pushed, so a failure push keeps last_success)
#
# Bash 4+, coreutils, curl. Nothing here needs jq or python (the valkey helpers at the end need its binaries).

# The backup contract is defined once, in TypeScript (components/backup/contract/), and every container gets it as
# environment variables (BACKUP_CONTRACT_ENV); BACKUP_CONTRACT_NAMES lists them. The scripts read, never restate:
#   EXIT_OK EXIT_FAILED EXIT_CONFIG EXIT_PUSH EXIT_DECRYPT      exit statuses (contract/exitCodes.ts)
#   LAYOUT_LATEST LAYOUT_MANIFEST_SUFFIX LAYOUT_BASE_SERIES LAYOUT_WAL_SERIES LAYOUT_KINDS   key layout (layout.ts)
#   MANIFEST_SCHEMA_VERSION MANIFEST_FIELD_*                     the manifest's version and encryption fields (manifest.ts)
#   PUSH_JOB_* METRIC_*                                          Pushgateway job labels and metric names (metrics.ts)
# PHASE_WAIT_SECONDS (contract/phases.ts) is the Job's own: the scripts that wait for another phase require it.

# Command substitutions fail the way the commands in them fail.
shopt -s inherit_errexit

STRATA_SCRIPT=${STRATA_SCRIPT:-strata}
STRATA_PHASE=${STRATA_PHASE:-}

json_escape() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '%s' "$s"
}

# log LEVEL MESSAGE [key=value ...]: one JSON line on stderr.
log() {
  local level=$1 msg=$2 kv line
  shift 2
  line=$(printf '{"ts":"%s","level":"%s","script":"%s","phase":"%s","kind":"%s","target":"%s","msg":"%s"' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$level" "$STRATA_SCRIPT" "$STRATA_PHASE" \
    "$(json_escape "${BACKUP_KIND:-}")" "$(json_escape "${BACKUP_TARGET:-}")" "$(json_escape "$msg")")
  for kv in "$@"; do
    line+=$(printf ',"%s":"%s"' "$(json_escape "${kv%%=*}")" "$(json_escape "${kv#*=}")")
  done
  printf '%s}\n' "$line" >&2
}
info() { log info "$@"; }
warn() { log warn "$@"; }
error() { log error "$@"; }

die_config() {
  error "$1"
  exit "$EXIT_CONFIG"
}

# require_backup_contract: every name BACKUP_CONTRACT_NAMES lists is set. Without the contract a script cannot even
# know its configuration error's status, so it exits 1 (a failure) then; with part of it, EXIT_CONFIG.
require_backup_contract() {
  local v missing=()
  if [ -z "${BACKUP_CONTRACT_NAMES:-}" ]; then
    error "BACKUP_CONTRACT_NAMES is not set: run the scripts with the backup contract's environment (components/backup/contract/; node scripts/run-ts.cjs scripts/backup-contract-env.ts prints it)"
    exit 1
  fi
  for v in $BACKUP_CONTRACT_NAMES; do [ -n "${!v:-}" ] || missing+=("$v"); done
  if [ ${#missing[@]} -gt 0 ]; then
    error "the backup contract's environment is incomplete (components/backup/contract/): ${missing[*]} not set"
    exit "${EXIT_CONFIG:-1}"
  fi
}
require_backup_contract

# require_phase_wait: PHASE_WAIT_SECONDS, how long a phase waits for another (the plan sets it from contract/phases.ts).
require_phase_wait() {
  [[ ${PHASE_WAIT_SECONDS:-} =~ ^[0-9]+$ ]] ||
    die_config "PHASE_WAIT_SECONDS is required: how long this phase waits for the other (the Job's deadline less the time to report)"
}

# start_script NAME PHASE ALLOWED_PHASES...: checks the phase argument, sets the log fields and PATH, validates the
# common settings. Every script starts with it.
start_script() {
  local name=$1 phase=$2 p
  shift 2
  for p in "$@"; do
    if [ "$phase" = "$p" ]; then
      STRATA_SCRIPT=$name
      STRATA_PHASE=$phase
      [ -z "${PG_BIN_DIR:-}" ] || PATH="$PG_BIN_DIR:$PATH"
      require_common_config
      return 0
    fi
  done
  local IFS='|'
  echo "usage: $name.sh [$*]" >&2
  exit "$EXIT_CONFIG"
}

# Exact row counts of every table (partitioned parents and partitions too) as "schema.table<TAB>rows", ordered by
# name: run in the backup's snapshot and again on the restored copy, which must give the same lines.
# shellcheck disable=SC2034 # used by backup.sh and restore-drill.sh
readonly PG_COUNT_SQL="SELECT format('%s.%s', n.nspname, c.relname) || E'\\t' ||
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname),
    false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1;"

# Validates the settings every phase needs; target and kind become path segments and Pushgateway label values.
require_common_config() {
  [ -n "${BACKUP_KIND:-}" ] || die_config "BACKUP_KIND is required (one of: $LAYOUT_KINDS)"
  case " $LAYOUT_KINDS " in *" $BACKUP_KIND "*) ;; *) die_config "BACKUP_KIND '$BACKUP_KIND' is not one of: $LAYOUT_KINDS" ;; esac
  [ -n "${BACKUP_TARGET:-}" ] || die_config "BACKUP_TARGET is required"
  [[ $BACKUP_TARGET =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] ||
    die_config "BACKUP_TARGET '$BACKUP_TARGET' must match ^[a-z0-9][a-z0-9._-]{0,62}$"
  [ -n "${WORK_DIR:-}" ] || die_config "WORK_DIR is required (the scratch directory, an emptyDir shared by the phases)"
  mkdir -p "$WORK_DIR" || die_config "WORK_DIR '$WORK_DIR' cannot be created"
  case "${BACKUP_COMPRESSION:=zstd}" in zstd | gzip | none) ;; *) die_config "BACKUP_COMPRESSION must be zstd, gzip or none" ;; esac
  case "${PG_BACKUP_METHOD:=dump}" in
    dump) KEY_SERIES= ;;
    basebackup)
      [ "$BACKUP_KIND" = postgresql ] || die_config "PG_BACKUP_METHOD=basebackup needs BACKUP_KIND=postgresql"
      KEY_SERIES=$LAYOUT_BASE_SERIES
      ;;
    *) die_config "PG_BACKUP_METHOD '$PG_BACKUP_METHOD' must be dump (pg_dump) or basebackup (pg_basebackup)" ;;
  esac
  # The Pushgateway group gains a method label for the physical series, so it never replaces the logical one's.
  PUSH_GROUP_METHOD=
  [ "$PG_BACKUP_METHOD" = dump ] || PUSH_GROUP_METHOD=$PG_BACKUP_METHOD
}

require_s3_config() {
  [ -n "${S3_BUCKET:-}" ] || die_config "S3_BUCKET is required"
  command -v "${AWS_CLI:-aws}" >/dev/null || die_config "the AWS CLI ('${AWS_CLI:-aws}') is not installed in this container"
}

require_push_config() {
  [ -n "${PUSHGATEWAY_URL:-}" ] || die_config "PUSHGATEWAY_URL is required (e.g. http://pushgateway.monitoring:9091)"
  command -v curl >/dev/null || die_config "curl is not installed in this container (needed for the Pushgateway)"
}

need_tool() {
  command -v "$1" >/dev/null || die_config "$1 is not installed in this container: $2"
}

# --- time and keys -------------------------------------------------------------------------------------------------

# The run's timestamp, fixed once: RUN_EPOCH (seconds) and RUN_STAMP (YYYYMMDDTHHMMSSZ).
set_run_time() {
  RUN_EPOCH=$(date -u +%s)
  # shellcheck disable=SC2034 # read by the sourcing scripts
  RUN_STAMP=$(date -u -d "@$RUN_EPOCH" +%Y%m%dT%H%M%SZ)
}

# target_prefix: [S3_PREFIX/]<kind>/<target>, under which every object of one target lives.
target_prefix() {
  local p=${S3_PREFIX:-}
  p=${p#/}
  p=${p%/}
  printf '%s' "${p:+$p/}$BACKUP_KIND/$BACKUP_TARGET"
}

# key_prefix: where this run's dated objects and LAYOUT_LATEST go: the target prefix for logical backups, its
# LAYOUT_BASE_SERIES sub-prefix for PostgreSQL physical base backups (PG_BACKUP_METHOD=basebackup), so both series keep
# their own pointer and the WAL archive (<target prefix>/LAYOUT_WAL_SERIES/) sits beside them.
key_prefix() {
  printf '%s%s' "$(target_prefix)" "${KEY_SERIES:+/$KEY_SERIES}"
}

wal_prefix() { printf '%s/%s' "$(target_prefix)" "$LAYOUT_WAL_SERIES"; }

# wal_content_type KEY: a WAL object's Content-Type: zstd, or opaque once age-encrypted (<name>.zst.age).
wal_content_type() {
  case "$1" in *.age) printf 'application/octet-stream\n' ;; *) printf 'application/zstd\n' ;; esac
}

# lsn_bytes X/Y: a PostgreSQL LSN as a byte position (decimal), for lag arithmetic.
lsn_bytes() {
  local hi=${1%/*} lo=${1#*/}
  printf '%d\n' "$(((16#$hi << 32) + 16#$lo))"
}

# object_key EPOCH EXT
object_key() {
  printf '%s/%s/%s-%s.%s' "$(key_prefix)" "$(date -u -d "@$1" +%Y/%m/%d)" "$BACKUP_TARGET" \
    "$(date -u -d "@$1" +%Y%m%dT%H%M%SZ)" "$2"
}

latest_key() { printf '%s/%s' "$(key_prefix)" "$LAYOUT_LATEST"; }

# manifest_key OBJECT_KEY: where an object's manifest goes.
manifest_key() { printf '%s%s' "$1" "$LAYOUT_MANIFEST_SUFFIX"; }

compression_suffix() {
  case "$BACKUP_COMPRESSION" in zstd) printf '.zst' ;; gzip) printf '.gz' ;; none) ;; esac
}

# compress_stream / decompress_stream: stdin -> stdout with BACKUP_COMPRESSION (or $1 for decompress).
compress_stream() {
  case "$BACKUP_COMPRESSION" in
    zstd) zstd -q -T0 "-${ZSTD_LEVEL:-1}" -c ;;
    gzip) gzip -c "-${GZIP_LEVEL:-1}" ;;
    none) cat ;;
  esac
}
decompress_stream() {
  case "$1" in
    zstd) zstd -q -d -c ;;
    gzip) gzip -d -c ;;
    none) cat ;;
    *) error "unknown compression '$1' in manifest"; return 1 ;;
  esac
}
require_compression_tool() {
  case "$1" in
    zstd) need_tool zstd "set BACKUP_COMPRESSION=gzip or use an image with zstd" ;;
    gzip) need_tool gzip "set BACKUP_COMPRESSION=none or use an image with gzip" ;;
  esac
}

file_size() { stat -c %s "$1"; }

# --- S3 ------------------------------------------------------------------------------------------------------------

aws_s3() {
  local args=()
  [ -n "${S3_ENDPOINT_URL:-}" ] && args+=(--endpoint-url "$S3_ENDPOINT_URL")
  "${AWS_CLI:-aws}" "${args[@]}" --no-cli-pager "$@"
}

sse_args() {
  if [ -n "${S3_SSE_KMS_KEY_ID:-}" ]; then
    printf '%s\n' --sse aws:kms --sse-kms-key-id "$S3_SSE_KMS_KEY_ID"
  fi
}

# s3_put FILE KEY SHA256 CONTENT_TYPE: uploads (multipart for large files), the checksum as x-amz-meta-sha256.
s3_put() {
  local file=$1 key=$2 sha=$3 ctype=$4 sse=()
  mapfile -t sse < <(sse_args)
  aws_s3 s3 cp --only-show-errors "${sse[@]}" --content-type "$ctype" --metadata "sha256=$sha" \
    "$file" "s3://$S3_BUCKET/$key"
}

# s3_verify KEY SIZE SHA256: the stored object has the expected length and recorded checksum.
s3_verify() {
  local key=$1 size=$2 sha=$3 got
  got=$(aws_s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" \
    --query '[ContentLength, Metadata.sha256]' --output text) || return 1
  if [ "$got" != "$size"$'\t'"$sha" ]; then
    error "uploaded object does not match" key="$key" expected="$size $sha" got="${got//$'\t'/ }"
    return 1
  fi
}

# s3_put_small FILE KEY SHA256 CONTENT_TYPE [MORE_METADATA]: one PutObject with Content-MD5, so S3 itself rejects a
# body that arrived different from what we sent; a success needs no read-back (S3 is read-after-write consistent).
# MORE_METADATA: k=v[,k=v...] stored beside sha256.
s3_put_small() {
  local file=$1 key=$2 sha=$3 ctype=$4 more=${5:-} md5 sse=()
  # s3api spells the SSE-KMS options differently from `s3 cp`.
  [ -z "${S3_SSE_KMS_KEY_ID:-}" ] || sse=(--server-side-encryption aws:kms --ssekms-key-id "$S3_SSE_KMS_KEY_ID")
  md5=$(md5_base64 "$file")
  aws_s3 s3api put-object --bucket "$S3_BUCKET" --key "$key" --body "$file" --content-md5 "$md5" \
    --content-type "$ctype" --metadata "sha256=$sha${more:+,$more}" "${sse[@]}" --output text --query ETag >/dev/null
}

# md5_base64 FILE: the base64 of the binary MD5 (Content-MD5), with coreutils only (no openssl in every image).
md5_base64() {
  local hex bin='' i
  hex=$(md5sum "$1")
  hex=${hex%% *}
  for ((i = 0; i < 32; i += 2)); do bin+="\\x${hex:i:2}"; done
  # shellcheck disable=SC2059 # the format is the escaped bytes
  printf "$bin" | base64
}

s3_get() {
  aws_s3 s3 cp --only-show-errors "s3://$S3_BUCKET/$1" "$2"
}

# --- PostgreSQL replication protocol (PITR) -----------------------------------------------------------------------

# wal_file_name TIMELINE LSN: the WAL segment file holding LSN (16 MiB segments, PostgreSQL's default; initdb
# --wal-segsize changes it, and such a server is refused by pg_replication_check).
wal_file_name() {
  local seg
  seg=$(($(lsn_bytes "$2") / 16777216))
  printf '%08X%08X%08X\n' "$1" $((seg / 256)) $((seg % 256))
}

# pg_replication_psql COMMAND...: psql on a physical replication connection (libpq env for host, port, user,
# password), one command per -c; '|'-separated rows on stdout.
pg_replication_psql() {
  local args=() c
  for c in "$@"; do args+=(-c "$c"); done
  psql -X -A -t -v ON_ERROR_STOP=1 -d "dbname=replication replication=true" "${args[@]}"
}

# pg_replication_check: the grants PITR needs, with a message that says exactly what is missing. Exits 2 (a
# configuration error, not retried) when the role, pg_hba.conf or the server settings refuse us; returns 1 when the
# server is unreachable (may be transient).
pg_replication_check() {
  local out role=${PGUSER:-$(id -un)}
  export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-15}
  if ! out=$(pg_replication_psql "IDENTIFY_SYSTEM" "SHOW wal_level" "SHOW wal_segment_size" 2>&1); then
    case "$out" in
      *"must be superuser or replication role"*)
        die_config "the role '$role' lacks the REPLICATION attribute: run ALTER ROLE \"$role\" WITH REPLICATION on the server (see docs/runbooks/restore-postgresql-pitr.md)" ;;
      *"no pg_hba.conf entry for replication connection"*)
        die_config "pg_hba.conf has no line for replication connections of '$role': add 'host replication $role <pod CIDR> scram-sha-256' and reload the server" ;;
      *"password authentication failed"*)
        die_config "authentication of '$role' failed on the replication connection (check the password Secret)" ;;
      *"exceeds max_wal_senders"* | *"too many clients"*)
        error "the server has no free WAL sender: raise max_wal_senders (the receiver, the base backup and the status probe use one each)" detail="$out"
        return 1 ;;
    esac
    error "cannot open a replication connection" host="${PGHOST:-}" detail="$out"
    return 1
  fi
  local lines
  mapfile -t lines <<<"$out"
  case "${lines[1]:-}" in
    replica | logical) ;;
    *) die_config "the server runs with wal_level=${lines[1]:-unknown}: PITR needs wal_level=replica (or logical), which takes a restart" ;;
  esac
  [ "${lines[2]:-}" = 16MB ] || die_config "the server's wal_segment_size is ${lines[2]:-unknown}; Strata's WAL archive expects the default 16MB"
}

# --- manifests (written by us with one top-level field per line, so a line parser is exact) -----------------------

# manifest_get FILE FIELD: prints a top-level scalar (string or number) of a manifest or latest.json.
manifest_get() {
  local line
  line=$(grep -m1 -E "^  \"$2\": " "$1") || return 1
  line=${line#*\": }
  line=${line%,}
  if [[ $line == \"*\" ]]; then
    line=${line#\"}
    line=${line%\"}
  fi
  printf '%s\n' "$line"
}

# manifest_counts FILE: prints "name<TAB>count" lines of the "counts" object (one entry per line).
manifest_counts() {
  local name count
  while IFS=$'\t' read -r name count; do
    name=${name//\\\\/$'\001'}
    name=${name//\\\"/\"}
    printf '%s\t%s\n' "${name//$'\001'/\\}" "$count"
  done < <(sed -n '/^  "counts": {$/,/^  }/p' "$1" | sed -n -E 's/^    "(.*)": ([0-9]+),?$/\1\t\2/p')
}

# counts_json TSV_FILE: the "counts" object body for a manifest from "name<TAB>count" lines.
counts_json() {
  local name count first=1
  printf '{\n'
  while IFS=$'\t' read -r name count; do
    [ -n "$name" ] || continue
    [ $first -eq 1 ] || printf ',\n'
    first=0
    printf '    "%s": %s' "$(json_escape "$name")" "$count"
  done <"$1"
  [ $first -eq 1 ] || printf '\n'
  printf '  }'
}

# write_manifest FILE KEY MANIFEST_KEY SHA256 SIZE STARTED [PLAINTEXT_SHA256 PLAINTEXT_SIZE]: the manifest of version
# MANIFEST_SCHEMA_VERSION (components/backup/contract/manifest.ts reads and validates it). SHA256 and SIZE are the
# object's as stored; the plaintext pair is given for an age-encrypted object, with the recipient's fingerprint. The
# rest comes from the dump phase's status (WORK_DIR/dump.status) and COUNTS_FILE ("name<TAB>count" lines).
write_manifest() {
  local file=$1 key=$2 manifest_key=$3 sha=$4 size=$5 started=$6 plain_sha=${7:-} plain_size=${8:-}
  {
    printf '{\n'
    printf '  "schema": %s,\n' "$MANIFEST_SCHEMA_VERSION"
    printf '  "kind": "%s",\n' "$BACKUP_KIND"
    printf '  "target": "%s",\n' "$BACKUP_TARGET"
    printf '  "bucket": "%s",\n' "$(json_escape "$S3_BUCKET")"
    printf '  "key": "%s",\n' "$(json_escape "$key")"
    printf '  "manifest_key": "%s",\n' "$(json_escape "$manifest_key")"
    printf '  "sha256": "%s",\n' "$sha"
    printf '  "size_bytes": %s,\n' "$size"
    if [ -n "$plain_sha" ]; then
      printf '  "%s": "age",\n' "$MANIFEST_FIELD_ENCRYPTION"
      printf '  "%s": "%s",\n' "$MANIFEST_FIELD_RECIPIENT_SHA256" "$(sha256_text "$AGE_RECIPIENT")"
      printf '  "%s": "%s",\n' "$MANIFEST_FIELD_PLAINTEXT_SHA256" "$plain_sha"
      printf '  "%s": %s,\n' "$MANIFEST_FIELD_PLAINTEXT_SIZE" "$plain_size"
    fi
    printf '  "compression": "%s",\n' "$(status_get dump compression)"
    printf '  "format": "%s",\n' "$(status_get dump format)"
    printf '  "tool_version": "%s",\n' "$(json_escape "$(status_get dump tool_version)")"
    printf '  "started_epoch": %s,\n' "$started"
    printf '  "started_at": "%s",\n' "$(date -u -d "@$started" +%Y-%m-%dT%H:%M:%SZ)"
    printf '  "uploaded_epoch": %s,\n' "$(date -u +%s)"
    # A base backup's WAL facts: where replay starts (the oldest WAL segment it needs) and must at least reach.
    local f v
    for f in start_lsn end_lsn timeline start_wal_file end_epoch; do
      if v=$(status_get dump "$f"); then
        case "$f" in timeline | end_epoch) printf '  "%s": %s,\n' "$f" "$v" ;; *) printf '  "%s": "%s",\n' "$f" "$v" ;; esac
      fi
    done
    printf '  "counts": %s\n' "$(counts_json "$COUNTS_FILE")"
    printf '}\n'
  } >"$file"
}

# --- client-side encryption (age; the manifest's field names are the contract's MANIFEST_FIELD_*) -------------------

# require_age_recipient: AGE_RECIPIENT, when set, is an age X25519 recipient and age is here to use it (the backup
# jobs' upload phase, the base backup's, the WAL receiver's staging).
require_age_recipient() {
  [ -n "${AGE_RECIPIENT:-}" ] || return 0
  [[ $AGE_RECIPIENT =~ ^age1[02-9ac-hj-np-z]{58}$ ]] ||
    die_config "AGE_RECIPIENT must be an age X25519 recipient (age1 followed by 58 Bech32 characters, as age-keygen -y prints)"
  need_tool age "the backup is encrypted with age before upload (the pod's init container copies it onto PATH)"
}

# sha256_text STRING: the SHA-256 (hex) of a string, as the manifest's recipient fingerprint is defined.
sha256_text() {
  local out
  out=$(printf '%s' "$1" | sha256sum)
  printf '%s\n' "${out%% *}"
}

# sha256_stdin: the SHA-256 (hex) of stdin. openssl's uses the CPU's SHA instructions, several times faster than
# coreutils' sha256sum, which is the fallback in an image without openssl.
sha256_stdin() {
  local out
  if command -v openssl >/dev/null; then out=$(openssl dgst -sha256 -r); else out=$(sha256sum); fi
  printf '%s\n' "${out%% *}"
}

# decrypt_failed MESSAGE [key=value ...]: a drill or restore cannot open an encrypted object; exits EXIT_DECRYPT.
decrypt_failed() {
  local msg=$1
  shift
  error "DECRYPT FAILED: $msg" "$@"
  exit "$EXIT_DECRYPT"
}

# Who holds the identity, in the messages: a drill unless the script says otherwise (a real restore).
AGE_IDENTITY_HOLDER=${AGE_IDENTITY_HOLDER:-drill}

# identity_recipient_sha256: the recipient fingerprint of AGE_IDENTITY_FILE (age-keygen -y), or nothing when
# age-keygen is not here (age itself then says whether the identity opens the object). Exits EXIT_DECRYPT when there
# is no identity, it cannot be read, it is no age identity, or age is missing.
identity_recipient_sha256() {
  local recipient
  [ -n "${AGE_IDENTITY_FILE:-}" ] || decrypt_failed "the backup is encrypted with age but this $AGE_IDENTITY_HOLDER has no identity (AGE_IDENTITY_FILE is not set)"
  [ -r "$AGE_IDENTITY_FILE" ] || decrypt_failed "the identity file '$AGE_IDENTITY_FILE' cannot be read"
  command -v age >/dev/null || decrypt_failed "age is not installed in this container (the pod's init container copies it into WORK_DIR/bin)"
  command -v age-keygen >/dev/null || return 0
  recipient=$(age-keygen -y "$AGE_IDENTITY_FILE" 2>"$WORK_DIR/age-keygen.err") ||
    decrypt_failed "the identity file is not an age identity" detail="$(tail -c 500 "$WORK_DIR/age-keygen.err")"
  sha256_text "$recipient"
}

# check_identity RECIPIENT_SHA256: the job has an identity, and it is the one the object was encrypted to (its
# recipient, as age-keygen -y derives it, has the manifest's fingerprint); said before anything is downloaded.
check_identity() {
  local want=$1 have
  have=$(identity_recipient_sha256)
  if [ -n "$have" ] && [ "$have" != "$want" ]; then
    decrypt_failed "the $AGE_IDENTITY_HOLDER's identity is not the one this backup was encrypted to" recipient_sha256="$want" identity_recipient_sha256="$have"
  fi
}

# download_decrypting KEY OUT WANT_SHA256: the object downloaded and decrypted in one stream: the ciphertext hashed as
# it arrives (printed), the plaintext written to OUT and its SHA-256 into OUT.plain.sha. A download that fails exits
# 1; a ciphertext that is the stored one (WANT_SHA256) but that age cannot open exits EXIT_DECRYPT.
download_decrypting() {
  local key=$1 out=$2 want=$3 fifo="$2.cipher.fifo" hash_pid cipher_sha
  rm -f "$fifo" "$out.cipher.sha" "$out.plain.sha" "$out.s3.rc" "$out.age.rc"
  mkfifo "$fifo"
  sha256_stdin <"$fifo" >"$out.cipher.sha" &
  hash_pid=$!
  # Each tool's status in a file: a pipeline's own status would not say which one failed.
  { s3_get "$key" - 2>"$out.s3.err"; echo $? >"$out.s3.rc"; } | tee "$fifo" |
    { age -d -i "$AGE_IDENTITY_FILE" 2>"$out.age.err"; echo $? >"$out.age.rc"; } |
    tee "$out" | sha256_stdin >"$out.plain.sha" || true
  wait "$hash_pid" || true
  rm -f "$fifo"
  if [ "$(cat "$out.s3.rc")" != 0 ]; then
    error "downloading s3://$S3_BUCKET/$key failed" detail="$(tail -c 1000 "$out.s3.err")"
    exit 1
  fi
  cipher_sha=$(cat "$out.cipher.sha")
  # The stored object first: a ciphertext that is not the one written is a checksum mismatch, not a key problem.
  if [ "$cipher_sha" = "$want" ] && [ "$(cat "$out.age.rc")" != 0 ]; then
    decrypt_failed "age cannot decrypt the stored backup with this $AGE_IDENTITY_HOLDER's identity" key="$key" detail="$(tail -c 1000 "$out.age.err")"
  fi
  rm -f "$out.cipher.sha" "$out.s3.rc" "$out.age.rc" "$out.s3.err" "$out.age.err"
  printf '%s\n' "$cipher_sha"
}

# age_meta_key FIELD: the object metadata key of a manifest field, for age-encrypted objects that have no manifest of
# their own (WAL segments): they carry the manifest's plaintext and recipient fields as metadata beside sha256 (the
# ciphertext's), with - for _ (HTTP header names).
age_meta_key() { printf '%s' "${1//_/-}"; }

# drill_decrypt_metric 0|1: the drill's decrypt sample, pushed by every drill of something encrypted.
drill_decrypt_metric() {
  metric "$METRIC_DRILL_LAST_DECRYPT_SUCCESS" gauge "$1" "1 if the last drill of an age-encrypted backup decrypted it, 0 if it could not."
}

# manifest_encrypted FILE: true when the manifest (or latest.json) describes an age-encrypted object.
manifest_encrypted() {
  [ "$(manifest_get "$1" "$MANIFEST_FIELD_ENCRYPTION" 2>/dev/null || true)" = age ]
}

# manifest_plain_size FILE: the size of what the drill restores from: the plaintext of an encrypted object, else
# the object itself.
manifest_plain_size() {
  if manifest_encrypted "$1"; then manifest_get "$1" "$MANIFEST_FIELD_PLAINTEXT_SIZE"; else manifest_get "$1" size_bytes; fi
}

# --- phase status files (the hand-over between containers) --------------------------------------------------------

# write_status NAME key=value...: written to a temp file and renamed, so a reader never sees half of it.
write_status() {
  local name=$1 tmp
  shift
  tmp="$WORK_DIR/.$name.status.tmp"
  if printf '%s\n' "$@" >"$tmp" && mv -f "$tmp" "$WORK_DIR/$name.status"; then
    return 0
  fi
  error "cannot write $WORK_DIR/$name.status (disk full?)"
  return 1
}

# status_get NAME KEY: parsed, never sourced.
status_get() {
  local k v
  while IFS='=' read -r k v; do
    if [ "$k" = "$2" ]; then
      printf '%s\n' "$v"
      return 0
    fi
  done <"$WORK_DIR/$1.status"
  return 1
}

# wait_status NAME SECONDS: waits for another container's status file; 1 on timeout.
wait_status() {
  local name=$1 deadline=$(($(date +%s) + $2))
  while [ ! -f "$WORK_DIR/$name.status" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      return 1
    fi
    sleep "${PHASE_POLL_SECONDS:-0.5}"
  done
}

# --- Pushgateway ---------------------------------------------------------------------------------------------------

# push_metrics JOB BODY: POST to /metrics/job/JOB/kind/KIND/target/TARGET. POST replaces only the metric names in
# BODY within that group, so a failure push (which never carries *_last_success_*) keeps the last success visible.
push_metrics() {
  local job=$1 body=$2 url out
  url="${PUSHGATEWAY_URL%/}/metrics/job/$job/kind/$BACKUP_KIND/target/$BACKUP_TARGET${PUSH_GROUP_METHOD:+/method/$PUSH_GROUP_METHOD}"
  if out=$(printf '%s\n' "$body" | curl -sS --fail-with-body --max-time "${PUSH_TIMEOUT_SECONDS:-15}" \
    --retry 3 --retry-delay 1 --retry-connrefused -X POST --data-binary @- "$url" 2>&1); then
    info "pushed metrics" job="$job" url="$url"
    return 0
  fi
  error "PUSH FAILED: the Pushgateway did not accept the metrics; this run's result is in the line above" \
    job="$job" url="$url" detail="$out"
  return 1
}

# metric NAME TYPE VALUE HELP: one metric in the text exposition format.
metric() {
  printf '# HELP %s %s\n# TYPE %s %s\n%s %s\n' "$1" "$4" "$1" "$2" "$1" "$3"
}

# --- valkey (backup.sh and restore-drill.sh) ------------------------------------------------------------------------

# valkey_tool cli|server: the valkey binary, or the redis one it is compatible with (Debian's redis-tools in tests).
valkey_tool() {
  local name
  for name in "valkey-$1" "redis-$1"; do
    if command -v "$name" >/dev/null; then
      printf '%s\n' "$name"
      return 0
    fi
  done
  return 1
}

# The password through the environment both CLIs read (argv would show it in the process list).
valkey_auth_env() {
  if [ -n "${VALKEY_PASSWORD:-}" ]; then
    export REDISCLI_AUTH="$VALKEY_PASSWORD" VALKEYCLI_AUTH="$VALKEY_PASSWORD"
  fi
}

VALKEY_SCRATCH_PID=
valkey_scratch_stop() {
  if [ -n "$VALKEY_SCRATCH_PID" ]; then
    kill "$VALKEY_SCRATCH_PID" 2>/dev/null || true
    wait "$VALKEY_SCRATCH_PID" 2>/dev/null || true
    VALKEY_SCRATCH_PID=
  fi
}

# valkey_key_counts RDB DIR: loads RDB in a throwaway server (unix socket in DIR, no TCP, nothing saved) and prints
# "db<N><TAB>keys" per database that has keys. The server runs as a replica of an address nobody listens on: a
# primary drops keys whose TTL has passed while it loads an RDB, a replica keeps them, so the count is the RDB's own
# and the same at backup time and at every later drill.
valkey_key_counts() {
  local rdb=$1 dir=$2 server cli sock deadline reply
  server=$(valkey_tool server) || { error "neither valkey-server nor redis-server is installed"; return 1; }
  cli=$(valkey_tool cli) || { error "neither valkey-cli nor redis-cli is installed"; return 1; }
  mkdir -p "$dir"
  sock="$dir/s.sock"
  "$server" --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$(dirname "$rdb")" --dbfilename "$(basename "$rdb")" \
    --save '' --appendonly no --replicaof 127.0.0.1 1 --databases "${VALKEY_DATABASES:-16}" \
    --logfile "$dir/server.log" >/dev/null 2>&1 &
  VALKEY_SCRATCH_PID=$!
  deadline=$(($(date +%s) + ${VALKEY_LOAD_TIMEOUT_SECONDS:-3600}))
  while :; do
    reply=$(env -u REDISCLI_AUTH -u VALKEYCLI_AUTH "$cli" -s "$sock" INFO persistence 2>/dev/null | tr -d '\r' | sed -n 's/^loading://p') || true
    [ "$reply" != 0 ] || break
    if ! kill -0 "$VALKEY_SCRATCH_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      error "the throwaway server did not load the RDB" detail="$(tail -c 1500 "$dir/server.log" 2>/dev/null)"
      valkey_scratch_stop
      return 1
    fi
    sleep 0.2
  done
  env -u REDISCLI_AUTH -u VALKEYCLI_AUTH "$cli" -s "$sock" INFO keyspace | tr -d '\r' | sed -n -E 's/^(db[0-9]+):keys=([0-9]+),.*/\1\t\2/p' | sort
  valkey_scratch_stop
}

# --- throwaway PostgreSQL servers (drills and point-in-time restores) ---------------------------------------------

# Runs a PostgreSQL server-side command as PG_DRILL_OS_USER when we are root (postgres refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid="${PG_DRILL_OS_USER:-postgres}" --regid="$(id -g "${PG_DRILL_OS_USER:-postgres}")" --init-groups -- "$@"
  else
    "$@"
  fi
}

# pg_stop_now DATADIR: stops the throwaway server of DATADIR at once, if one runs there; its data is thrown away.
pg_stop_now() {
  local data=$1
  if [ -n "$data" ] && [ -f "$data/postmaster.pid" ]; then
    as_pg pg_ctl -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
}

# consume_while_downloading FILE SIZE ERRFILE COMMAND [ARG...]: the restore phase's side of a download. Feeds the
# first SIZE bytes of FILE to COMMAND's standard input while the fetch phase is still writing FILE (tail -f follows
# it as it grows, head stops at SIZE), so the download, its hash and the consumer overlap; COMMAND's stderr goes to
# ERRFILE. Stops early when the fetch phase reports a failure (WORK_DIR/fetch.status), dies without a verdict
# (FETCH_PID), or RESTORE_DEADLINE passes. Returns COMMAND's status; the caller still waits for the fetch verdict
# before anything reads what COMMAND wrote.
consume_while_downloading() {
  local file=$1 size=$2 err=$3 src tail_pid pid rc=0
  shift 3
  exec {src}< <(exec tail -c +1 -f -s 0.2 "$file")
  tail_pid=$!
  # In a subshell, so that waiting for it gives the pipeline's status however early it ended.
  (head -c "$size" <&"$src" | "$@") 2>"$err" &
  pid=$!
  exec {src}<&-
  while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$WORK_DIR/fetch.status" ] && [ "$(status_get fetch result)" != ok ]; then break; fi
    if [ "$(date +%s)" -ge "$RESTORE_DEADLINE" ]; then break; fi
    if [ -n "${FETCH_PID:-}" ] && ! kill -0 "$FETCH_PID" 2>/dev/null && [ ! -f "$WORK_DIR/fetch.status" ]; then break; fi
    sleep 0.1
  done
  # A download that stopped short leaves tail waiting for more: ending it ends head, and the consumer sees a
  # truncated stream.
  kill "$tail_pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  return "$rc"
}

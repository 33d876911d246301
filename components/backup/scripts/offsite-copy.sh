#!/usr/bin/env bash
# Strata off-site copy: copies the backups bucket's objects that are new or changed since they were last copied to a
# bucket in another location or at another provider, checking every byte by SHA-256, and reports to the Pushgateway.
# It never deletes at the destination (expiry there is the destination bucket's own lifecycle).
#
# Per object that is new, or whose source is newer or of another size than its copy:
#   1. download it from the source and hash it; an object that records a SHA-256 (x-amz-meta-sha256: every backup,
#      manifest, latest.json and WAL object Strata writes) must match it, or it is not copied (a mismatch);
#   2. upload it with that SHA-256 as x-amz-meta-sha256 (so the copy is drillable by the same scripts) and the
#      source's content type;
#   3. download the copy again and hash it: a copy that differs is a mismatch, uploaded once more, and named in
#      <OFFSITE_STATE_PREFIX>unverified.txt at the destination so the next run copies it again whatever its date.
#
# Environment:
#   source       S3_BUCKET, S3_ENDPOINT_URL (non-AWS), the usual AWS_* credentials (IRSA, Pod Identity or a key)
#   destination  DEST_BUCKET, DEST_REGION, DEST_ENDPOINT_URL (non-AWS), DEST_AWS_ACCESS_KEY_ID, DEST_AWS_SECRET_ACCESS_KEY
#   both         AWS_REQUEST_CHECKSUM_CALCULATION / AWS_RESPONSE_CHECKSUM_VALIDATION (`when_required` on S3-compatible
#                stores; the SHA-256 checks above do not depend on them), AWS_CLI (default aws)
#   WORK_DIR (scratch: one object at a time), PUSHGATEWAY_URL, PUSH_TIMEOUT_SECONDS (15),
#   OFFSITE_STATE_PREFIX (default strata-offsite-copy/; never copied from the source)
#
# Metrics (POST to PUSHGATEWAY_URL/metrics/job/strata_offsite_copy/destination/<DEST_BUCKET>), every run:
#   strata_offsite_copy_last_completion_timestamp_seconds, strata_offsite_copy_last_run_success (1/0),
#   strata_offsite_copy_duration_seconds, strata_offsite_copy_source_objects, strata_offsite_copy_objects_copied,
#   strata_offsite_copy_bytes_copied, strata_offsite_copy_checksum_mismatches;
#   when the destination's versioning could be read: strata_offsite_copy_destination_versioned (1 Enabled, 0 not);
#   on success only: strata_offsite_copy_last_success_timestamp_seconds. (Names from the contract's environment.)
#
# Exit codes: 0 every object is copied and verified | 1 a copy failed or a checksum did not match (pushed) |
#   2 configuration error | 3 the copy succeeded but the Pushgateway push failed.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$SCRIPT_DIR/lib.sh"
STRATA_SCRIPT=offsite-copy

for v in S3_BUCKET DEST_BUCKET DEST_REGION DEST_AWS_ACCESS_KEY_ID DEST_AWS_SECRET_ACCESS_KEY WORK_DIR; do
  [ -n "${!v:-}" ] || die_config "$v is required"
done
require_s3_config
require_push_config
need_tool sha256sum "coreutils"
mkdir -p "$WORK_DIR" || die_config "WORK_DIR '$WORK_DIR' cannot be created"
STATE_PREFIX=${OFFSITE_STATE_PREFIX:-strata-offsite-copy/}

# dest ARGS...: the AWS CLI against the destination with its own key only (whatever identity the source uses).
dest() (
  unset AWS_SESSION_TOKEN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_FULL_URI \
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_PROFILE
  export AWS_ACCESS_KEY_ID=$DEST_AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$DEST_AWS_SECRET_ACCESS_KEY
  export AWS_REGION=$DEST_REGION AWS_DEFAULT_REGION=$DEST_REGION
  S3_ENDPOINT_URL=${DEST_ENDPOINT_URL:-}
  aws_s3 "$@"
)

# listing SIDE BUCKET: "key<TAB>size<TAB>last-modified" per current object (the CLI follows every page).
listing() {
  local out
  out=$("$1" s3api list-objects-v2 --bucket "$2" --query 'Contents[].[Key,Size,LastModified]' --output text) || return 1
  [ "$out" = None ] || printf '%s\n' "$out"
}

sha_of() { sha256sum <"$1" | cut -d' ' -f1; }

started=$(date -u +%s)
copied=0 bytes=0 mismatches=0 failed=0 total=0 versioned=
obj="$WORK_DIR/object"

declare -A have=() unverified=()
if ! src_list=$(listing aws_s3 "$S3_BUCKET" 2>"$WORK_DIR/err"); then
  error "cannot list the source bucket" bucket="$S3_BUCKET" detail="$(cat "$WORK_DIR/err")"
  failed=1
elif ! dst_list=$(listing dest "$DEST_BUCKET" 2>"$WORK_DIR/err"); then
  error "cannot list the destination bucket" bucket="$DEST_BUCKET" detail="$(cat "$WORK_DIR/err")"
  failed=1
else
  while IFS=$'\t' read -r key size modified; do
    [ -n "$key" ] && have[$key]="$size ${modified:0:19}"
  done <<<"$dst_list"
  # Strata never deletes at the destination, but whoever else holds its key can, and only versioning lets that be
  # undone. Checked every run (an owner can suspend it any day); not fatal: the copy is still worth making.
  if status=$(dest s3api get-bucket-versioning --bucket "$DEST_BUCKET" --query Status --output text 2>"$WORK_DIR/err"); then
    if [ "$status" = Enabled ]; then
      versioned=1
    else
      versioned=0
      error "DESTINATION NOT VERSIONED: an object overwritten or deleted there cannot be recovered; enable versioning on it (or let Strata declare it: archive.offsiteCopy.manage)" bucket="$DEST_BUCKET" status="$status"
    fi
  else
    warn "cannot read the destination bucket's versioning (the destination key may not be allowed s3:GetBucketVersioning)" bucket="$DEST_BUCKET" detail="$(cat "$WORK_DIR/err")"
  fi
  if [ -n "${have[${STATE_PREFIX}unverified.txt]:-}" ] && dest s3 cp --only-show-errors "s3://$DEST_BUCKET/${STATE_PREFIX}unverified.txt" "$WORK_DIR/unverified.txt"; then
    while IFS= read -r key; do [ -z "$key" ] || unverified[$key]=1; done <"$WORK_DIR/unverified.txt"
  fi
fi
: >"$WORK_DIR/unverified.next"

# copy_one KEY SIZE: steps 1-3 above; 0 copied and verified, 1 failed, 2 checksum mismatch.
copy_one() {
  local key=$1 size=$2 meta recorded ctype sha attempt back
  if ! meta=$(aws_s3 s3api get-object --bucket "$S3_BUCKET" --key "$key" "$obj" --query '[Metadata.sha256, ContentType]' --output text 2>"$WORK_DIR/err"); then
    error "cannot download the source object" key="$key" detail="$(cat "$WORK_DIR/err")"
    return 1
  fi
  IFS=$'\t' read -r recorded ctype <<<"$meta"
  sha=$(sha_of "$obj")
  if [ "$recorded" != None ] && [ "$recorded" != "$sha" ]; then
    error "CHECKSUM MISMATCH: the source object does not match the SHA-256 it records; not copied" key="$key" recorded="$recorded" got="$sha"
    return 2
  fi
  [ "$ctype" != None ] || ctype=binary/octet-stream
  for attempt in 1 2; do
    # The read-back is hashed as it streams: scratch space holds one object, not two.
    if ! dest s3 cp --only-show-errors --content-type "$ctype" --metadata "sha256=$sha" "$obj" "s3://$DEST_BUCKET/$key" 2>"$WORK_DIR/err" ||
      ! back=$(dest s3 cp --only-show-errors "s3://$DEST_BUCKET/$key" - 2>>"$WORK_DIR/err" | sha256sum | cut -d' ' -f1); then
      error "cannot write or read back the copy" key="$key" detail="$(cat "$WORK_DIR/err")"
      return 1
    fi
    if [ "$back" = "$sha" ]; then
      [ "$attempt" -eq 1 ] || warn "the second upload verified" key="$key"
      bytes=$((bytes + size))
      return 0
    fi
    error "CHECKSUM MISMATCH: the copy read back from the destination differs from the source" key="$key" attempt="$attempt" expected="$sha" got="$back"
  done
  return 2
}

if [ "$failed" -eq 0 ]; then
  while IFS=$'\t' read -r key size modified; do
    [ -n "$key" ] || continue
    case "$key" in "$STATE_PREFIX"*) continue ;; esac
    total=$((total + 1))
    # Unchanged: a copy of the same size written after the source object was (timestamps in UTC, to the second).
    if [ -z "${unverified[$key]:-}" ] && [ -n "${have[$key]:-}" ]; then
      read -r dsize dmodified <<<"${have[$key]}"
      if [ "$dsize" = "$size" ] && [[ ! "$dmodified" < "${modified:0:19}" ]]; then continue; fi
    fi
    rc=0
    copy_one "$key" "$size" || rc=$?
    rm -f "$obj"
    case "$rc" in
      0) copied=$((copied + 1)) ;;
      2) mismatches=$((mismatches + 1)) && printf '%s\n' "$key" >>"$WORK_DIR/unverified.next" ;;
      *) failed=$((failed + 1)) ;;
    esac
  done <<<"$src_list"
  # What the next run must copy again whatever its date; an empty list once everything verified.
  if [ -s "$WORK_DIR/unverified.next" ] || [ "${#unverified[@]}" -gt 0 ]; then
    dest s3 cp --only-show-errors --content-type text/plain "$WORK_DIR/unverified.next" "s3://$DEST_BUCKET/${STATE_PREFIX}unverified.txt" ||
      { error "cannot write the list of unverified copies" && failed=$((failed + 1)); }
  fi
fi

now=$(date -u +%s)
ok=0
[ "$failed" -gt 0 ] || [ "$mismatches" -gt 0 ] || ok=1
body=$(
  metric "$METRIC_OFFSITE_COPY_LAST_COMPLETION" gauge "$now" "End of the last off-site copy run."
  metric "$METRIC_OFFSITE_COPY_LAST_RUN_SUCCESS" gauge "$ok" "1 if every object of the last run was copied and verified."
  metric "$METRIC_OFFSITE_COPY_DURATION" gauge "$((now - started))" "Duration of the last off-site copy run."
  metric "$METRIC_OFFSITE_COPY_SOURCE_OBJECTS" gauge "$total" "Objects in the backups bucket at the last run."
  metric "$METRIC_OFFSITE_COPY_OBJECTS_COPIED" gauge "$copied" "Objects copied and verified by the last run."
  metric "$METRIC_OFFSITE_COPY_BYTES_COPIED" gauge "$bytes" "Bytes copied and verified by the last run."
  metric "$METRIC_OFFSITE_COPY_MISMATCHES" gauge "$mismatches" "Objects whose SHA-256 did not match in the last run."
  if [ -n "$versioned" ]; then metric "$METRIC_OFFSITE_COPY_DESTINATION_VERSIONED" gauge "$versioned" "1 if the destination bucket's versioning is Enabled."; fi
  if [ "$ok" -eq 1 ]; then metric "$METRIC_OFFSITE_COPY_LAST_SUCCESS" gauge "$now" "End of the last off-site copy run that copied and verified everything."; fi
)
url="${PUSHGATEWAY_URL%/}/metrics/job/$PUSH_JOB_OFFSITE_COPY/destination/$DEST_BUCKET"
pushed=0
if out=$(printf '%s\n' "$body" | curl -sS --fail-with-body --max-time "${PUSH_TIMEOUT_SECONDS:-15}" --retry 3 --retry-delay 1 \
  --retry-connrefused -X POST --data-binary @- "$url" 2>&1); then
  pushed=1
else
  error "PUSH FAILED: the Pushgateway did not accept the metrics" url="$url" detail="$out"
fi

if [ "$ok" -eq 1 ]; then
  info "OFFSITE COPY OK" source_objects="$total" copied="$copied" bytes="$bytes" destination="$DEST_BUCKET"
  [ "$pushed" -eq 1 ] || exit "$EXIT_PUSH"
  exit "$EXIT_OK"
fi
error "OFFSITE COPY FAILED" source_objects="$total" copied="$copied" mismatches="$mismatches" failed="$failed" destination="$DEST_BUCKET"
exit "$EXIT_FAILED"

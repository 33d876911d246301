#!/usr/bin/env bash
# The archive buckets' own protection, read through the S3 API and compared with what the plan declared
# (components/archive/protection.ts generates CHECKS_FILE from the same definitions the buckets are declared from).
#
# CHECKS_FILE: one check per line, tab-separated: bucket, check name, `aws s3api` operation, JMESPath projection,
# expected JSON. The AWS CLI evaluates `<projection> == `<expected>`` (a deep comparison), so nothing here parses
# JSON. S3's "not configured" errors compare as null: `null` expected means the setting must be absent.
#
# Pushes (PUT, so a bucket no longer checked disappears) to the group job=strata-bucket-protection:
#   strata_bucket_protection_matches{bucket,check}      1 as declared, 0 different (drift)
#   strata_bucket_protection_unreadable{bucket,check}   1 when S3 did not answer (access denied, unsupported, ...)
#   strata_bucket_protection_last_run_timestamp_seconds when this run finished
# Exit: 0 pushed (whatever was found), 2 bad input, 3 the push failed.
set -euo pipefail

readonly JOB=strata-bucket-protection
readonly EXIT_CONFIG=2 EXIT_PUSH=3
AWS_CLI=${AWS_CLI:-aws}
# The errors S3 answers when the setting is simply not configured on the bucket.
readonly NOT_CONFIGURED='ServerSideEncryptionConfigurationNotFoundError|NoSuchLifecycleConfiguration|ObjectLockConfigurationNotFoundError'

log() {
  local level=$1
  shift
  printf '%s level=%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$level" "$*" >&2
}

[[ -n ${CHECKS_FILE:-} && -r ${CHECKS_FILE:-} ]] || { log error "CHECKS_FILE is not set or not readable"; exit "$EXIT_CONFIG"; }
[[ -n ${PUSHGATEWAY_URL:-} ]] || { log error "PUSHGATEWAY_URL is not set"; exit "$EXIT_CONFIG"; }

matches=""
unreadable=""
drift=0 failed=0 checked=0
while IFS=$'\t' read -r bucket check operation query expected || [[ -n ${bucket:-} ]]; do
  [[ -z $bucket ]] && continue
  if [[ -z $check || -z $operation || -z $query || -z $expected ]]; then
    log error "malformed line in $CHECKS_FILE" bucket="$bucket"
    exit "$EXIT_CONFIG"
  fi
  checked=$((checked + 1))
  labels="bucket=\"$bucket\",check=\"$check\""
  result=""
  if out=$("$AWS_CLI" s3api "$operation" --bucket "$bucket" --query "$query == \`$expected\`" --output text 2>&1); then
    case $out in
      True | true) result=1 ;;
      False | false) result=0 ;;
      *) log error "unexpected answer" bucket="$bucket" check="$check" answer="$out" ;;
    esac
  elif grep -Eq "$NOT_CONFIGURED" <<<"$out"; then
    if [[ $expected == null ]]; then result=1; else result=0; fi
  else
    log error "cannot read the setting" bucket="$bucket" check="$check" operation="$operation" detail="$(tr '\n' ' ' <<<"$out")"
  fi
  if [[ -z $result ]]; then
    failed=$((failed + 1))
    unreadable+="strata_bucket_protection_unreadable{$labels} 1"$'\n'
    continue
  fi
  matches+="strata_bucket_protection_matches{$labels} $result"$'\n'
  if [[ $result == 0 ]]; then
    drift=$((drift + 1))
    actual=$("$AWS_CLI" s3api "$operation" --bucket "$bucket" --query "$query" --output json 2>&1 | tr -s ' \n' ' ' || true)
    log warn "DRIFT: not what the plan declared" bucket="$bucket" check="$check" expected="$expected" actual="$actual"
  else
    log info "as declared" bucket="$bucket" check="$check"
  fi
done <"$CHECKS_FILE"

body="# HELP strata_bucket_protection_matches 1 when the bucket's setting is what the plan declared, 0 when it differs.
# TYPE strata_bucket_protection_matches gauge
${matches}# HELP strata_bucket_protection_unreadable 1 when the setting could not be read.
# TYPE strata_bucket_protection_unreadable gauge
${unreadable}# HELP strata_bucket_protection_last_run_timestamp_seconds When the check last finished.
# TYPE strata_bucket_protection_last_run_timestamp_seconds gauge
strata_bucket_protection_last_run_timestamp_seconds $(date +%s)"

url="${PUSHGATEWAY_URL%/}/metrics/job/$JOB"
if ! out=$(printf '%s\n' "$body" | curl -sS --fail-with-body --max-time "${PUSH_TIMEOUT_SECONDS:-15}" --retry 3 --retry-delay 1 --retry-connrefused -X PUT --data-binary @- "$url" 2>&1); then
  log error "PUSH FAILED: the Pushgateway did not accept the result" url="$url" detail="$out"
  exit "$EXIT_PUSH"
fi
log info "pushed" checked="$checked" drift="$drift" unreadable="$failed" url="$url"

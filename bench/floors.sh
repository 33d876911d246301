# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # NODE, now, secs, s3, s3_port and work are bench/backup.sh's, which sources this
# file and reads the floor_* results
# The floors of issue 23 item 5, sourced by bench/backup.sh after its servers are up: each step is printed against the
# fully overlapped optimum of that step on this machine, measured in the same run (so a loaded or slow host moves the
# step and its floor together). Uses the bench's now, secs, s3 (the AWS CLI against s3rver), s3_port and work.

# The faster of the two clients a backup job could move bytes with; the SDK is the one the typed runtime will use.
S3_FLOOR_TARGET=1.15
sdk_transfer() { "$NODE" bench/s3-floor.cjs "$1" "http://127.0.0.1:$s3_port" bench "$2" "$3"; }

# timed CMD...: runs CMD (output discarded) and prints its wall-clock seconds; fails as CMD fails.
timed() {
  local t0
  t0=$(now)
  "$@" >/dev/null || return 1
  secs "$t0" "$(now)"
}

# timed_cpu NAME CMD...: runs CMD (output discarded), sets NAME to its wall-clock seconds and NAME_cpu to the whole
# machine's CPU seconds meanwhile (servers included); fails as CMD fails.
timed_cpu() {
  local name=$1 c0 t0
  shift
  c0=$(cpu_ticks)
  t0=$(now)
  "$@" >/dev/null || return 1
  printf -v "$name" '%s' "$(secs "$t0" "$(now)")"
  printf -v "${name}_cpu" '%s' "$(cpu_secs "$c0" "$(cpu_ticks)")"
}

# min A B: the smaller of two second counts.
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
# max A B: the larger.
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
# sum A B: the two added.
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a + b }'; }

# upload_floor FILE: the seconds to put FILE's bytes into the bench bucket with the AWS CLI (floor_cli) and the SDK
# (floor_sdk, and the whole machine's CPU seconds meanwhile in floor_sdk_cpu), and the faster (floor_best). The objects are removed again (no later step reads them).
upload_floor() {
  local c0
  floor_cli=$(timed "${s3[@]}" s3 cp --only-show-errors "$1" s3://bench/floor/upload-cli)
  c0=$(cpu_ticks)
  floor_sdk=$(timed sdk_transfer upload floor/upload-sdk "$1")
  floor_sdk_cpu=$(cpu_secs "$c0" "$(cpu_ticks)")
  "${s3[@]}" s3 rm --only-show-errors --recursive s3://bench/floor/ >/dev/null
  floor_best=$(min "$floor_cli" "$floor_sdk")
}

# download_floor KEY: the same for getting object KEY of the bench bucket into a local file (floor_sdk_cpu too).
download_floor() {
  local c0
  floor_cli=$(timed "${s3[@]}" s3 cp --only-show-errors "s3://bench/$1" "$work/floor-download")
  rm -f "$work/floor-download"
  c0=$(cpu_ticks)
  floor_sdk=$(timed sdk_transfer download "$1" "$work/floor-download")
  floor_sdk_cpu=$(cpu_secs "$c0" "$(cpu_ticks)")
  rm -f "$work/floor-download"
  floor_best=$(min "$floor_cli" "$floor_sdk")
}

# peak_rss_watch ROOT_PID OUT: until ROOT_PID exits, samples every 0.1 s the summed resident memory of ROOT_PID and
# all its descendants, and writes the peak in MiB to OUT (a pipeline's processes all count: shell, tools, clients).
# One Python process reading /proc: a ps and an awk forked ten times a second took about a quarter of a core from the
# very step it measured.
peak_rss_watch() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time
root, out = int(sys.argv[1]), sys.argv[2]
page = os.sysconf("SC_PAGE_SIZE")
peak = 0
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
while alive(root):
    parent, rss = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # from the state on: ppid is [1], rss (pages) is [21]
        parent[int(name)], rss[int(name)] = int(fields[1]), int(fields[21]) * page
    total = 0
    for pid, size in rss.items():
        q = pid
        while q not in (0, root) and q in parent:
            q = parent[q]
        if q == root:
            total += size
    peak = max(peak, total)
    time.sleep(0.1)
with open(out, "w") as f:
    f.write(f"{peak / 1048576:.0f}\n")
PY
}

# floor_row STEP ACTUAL OPTIMUM HOW: a table row of the step against its optimum and the 1.15x target.
floor_row() {
  local r verdict
  r=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", a / b }')
  verdict=$(awk -v r="$r" -v t="$S3_FLOOR_TARGET" 'BEGIN { print (r <= t ? "within" : "over") }')
  printf '| %s | %s | %s (%s) | %sx (%s %s) |\n' "$1" "$2" "$3" "$4" "$r" "$verdict" "$S3_FLOOR_TARGET"
}

#!/usr/bin/env bash
# Prints how long the offline prod plan takes against the floor the issue defines: node importing the Pulumi SDKs
# the program uses; then the same for prod with 5 and with 100 backup targets (each target adds a CronJob, a drill,
# alerts and two identities, so this is where the plan grows). Target: plan / floor <= 2 for each. The plan itself
# runs with Node's compile cache and does not load the SDK's function serializer (infra/plan/deferredSdkModules.ts),
# so its own start-up costs less than the floor: each ratio is also printed against the floor with a warm compile
# cache, the CLI's own start-up (`--help`: the same imports as a plan) is printed, and so is what each backup target
# adds to a plan, which is what grows.
# Usage: bash bench/plan.sh [runs]   (default 7; medians are printed; the commands take turns, one run each per round)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}

now_ns() { date +%s%N; }

# Each figure is the median of $runs timed runs after one warm-up. The commands are run in rounds, one run of each per
# round, rather than each command's runs in a row: this host's speed drifts over minutes, and a ratio is only
# meaningful when both its figures saw the same drift.
declare -a names=() commands=()
measure() { names+=("$1"); shift; commands+=("$(printf '%q ' "$@")"); }
declare -A samples=()
run_rounds() {
  local i c start end
  for c in "${!commands[@]}"; do eval "${commands[$c]}" >/dev/null 2>&1; done
  for ((i = 0; i < runs; i++)); do
    for c in "${!commands[@]}"; do
      start=$(now_ns)
      eval "${commands[$c]}" >/dev/null 2>&1
      end=$(now_ns)
      samples[${names[$c]}]+="$(((end - start) / 1000000)) "
    done
  done
}
median_of() {
  # shellcheck disable=SC2086 # the samples are space-separated numbers
  printf '%s\n' ${samples[$1]} | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

# A prod stack file with N postgresql backup targets (each with a database size for the capacity plan), written to
# a temporary directory removed on exit.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stack_with_targets() {
  local n=$1 file="$work/Pulumi.prod-${1}-targets.yaml"
  # Pulumi.prod.yaml with its backup targets and database sizes replaced by N postgresql targets.
  # shellcheck disable=SC2016 # the single-quoted text is JavaScript, its ${...} are template literals
  node -e '
    const fs = require("fs");
    const yaml = require("js-yaml");
    const [n, out] = [Number(process.argv[1]), process.argv[2]];
    const doc = yaml.load(fs.readFileSync("Pulumi.prod.yaml", "utf8"));
    const id = (t) => `pg-${String(t).padStart(3, "0")}`;
    const targets = [], databases = {};
    for (let t = 1; t <= n; t++) {
      targets.push({ name: id(t), kind: "postgresql", host: `${id(t)}.data.svc.cluster.local`, database: "app", user: "strata_backup", passwordSecret: { name: `${id(t)}-backup`, key: "password" } });
      databases[id(t)] = 20;
    }
    doc.config["strata:backups"] = { targets };
    doc.config["strata:capacity"] = { ...(doc.config["strata:capacity"] ?? {}), databases };
    fs.writeFileSync(out, yaml.dump(doc));
  ' "$n" "$file"
  # A stack file that does not plan cleanly would time an error path; refuse to print a figure for it.
  node scripts/run-ts.cjs infra/plan/main.ts --config "$file" --stack "prod-${n}" >/dev/null
  echo "$file"
}
targets5=$(stack_with_targets 5)
targets100=$(stack_with_targets 100)

floor_script='for (const m of ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/kubernetes", "@pulumi/hcloud", "@pulumi/random"]) require(m);'
measure floor node -e "$floor_script"
# The plan runs with Node's compile cache (scripts/run-ts.cjs), so its own imports cost less than the floor's. The
# same imports with a warm compile cache show how much of the ratio that is.
measure cached_floor env NODE_COMPILE_CACHE="$work/compile-cache" node -e "$floor_script"
measure startup node scripts/run-ts.cjs infra/plan/main.ts --help
measure plan node scripts/run-ts.cjs infra/plan/main.ts prod
measure plan5 node scripts/run-ts.cjs infra/plan/main.ts --config "$targets5" --stack prod-5
measure plan100 node scripts/run-ts.cjs infra/plan/main.ts --config "$targets100" --stack prod-100
run_rounds
floor=$(median_of floor) cached_floor=$(median_of cached_floor) startup=$(median_of startup)
plan=$(median_of plan) plan5=$(median_of plan5) plan100=$(median_of plan100)

ratio() { awk -v p="$1" -v f="$2" 'BEGIN { printf "%.2f", p / f }'; }
echo "runs per figure:                  ${runs}"
echo "floor (import the SDKs):          ${floor} ms"
echo "  the same, compile cache warm:   ${cached_floor} ms"
echo "the plan CLI's start-up (--help): ${startup} ms"
for row in "prod plan (npm run plan):|$plan" "prod, 5 backup targets:|$plan5" "prod, 100 backup targets:|$plan100"; do
  label=${row%|*} ms=${row#*|}
  printf '%-34s%s ms    ratio %s (target <= 2); %s against the cached floor\n' "$label" "$ms" "$(ratio "$ms" "$floor")" "$(ratio "$ms" "$cached_floor")"
done
echo "each backup target adds:          $(awk -v a="$plan5" -v b="$plan100" 'BEGIN { printf "%.1f", (b - a) / 95 }') ms (from 5 to 100 targets; 11 resources each)"

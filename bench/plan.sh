#!/usr/bin/env bash
# Prints how long the offline prod plan takes against the floor it cannot beat: node importing the Pulumi SDKs the
# program uses. Target: plan / floor <= 2. Usage: bash bench/plan.sh [runs]   (default 7; medians are printed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}

now_ns() { date +%s%N; }

# Runs "$@" $runs times after one warm-up and prints the median wall time in milliseconds.
median_ms() {
  local samples=() start end
  "$@" >/dev/null 2>&1
  for ((i = 0; i < runs; i++)); do
    start=$(now_ns)
    "$@" >/dev/null 2>&1
    end=$(now_ns)
    samples+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

floor_script='for (const m of ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/kubernetes", "@pulumi/hcloud", "@pulumi/random"]) require(m);'
floor=$(median_ms node -e "$floor_script")
plan=$(median_ms node scripts/run-ts.cjs infra/plan/main.ts prod)

echo "runs per figure:             ${runs}"
echo "floor (import the SDKs):     ${floor} ms"
echo "prod plan (npm run plan):    ${plan} ms"
awk -v p="$plan" -v f="$floor" 'BEGIN { printf "ratio plan/floor:            %.2f (target <= 2)\n", p / f }'

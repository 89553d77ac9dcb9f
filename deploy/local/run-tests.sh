#!/usr/bin/env bash
# Run the whole test suite against real servers: start PostgreSQL and Kafka (reusing running
# ones), export their addresses, run pytest with every tier, and stop only the servers this
# script started. Any failure (including "no tests collected", pytest's exit 5) is non-zero.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

started=()
cleanup() {
  local status=$?
  for server in "${started[@]}"; do
    "$here/$server.sh" stop || true
  done
  exit "$status"
}
trap cleanup EXIT

for server in postgres kafka; do
  if ! "$here/$server.sh" status >/dev/null 2>&1; then
    started+=("$server")
  fi
  "$here/$server.sh" start
  eval "$("$here/$server.sh" env)"
done

export JIUZHU_REQUIRE_SERVERS=1
start=$(date +%s)
python3 -m uv run pytest "$@"
echo "pytest finished in $(( $(date +%s) - start ))s"

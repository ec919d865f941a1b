#!/usr/bin/env bash
# bench-growth.sh fills one throwaway network (own state dir, base port
# CHENGNUO_BENCH_BASE_PORT, default 47000; always torn down) with letters
# and measures it at each milestone: letters per second, verification by
# digest and by letter, proof size and times, disk per peer, memory per
# kind of process, CPU a letter; then prints the table and each figure's
# slope per 100,000 letters (chengnuo growth). It runs long — about half an
# hour per 1,000,000 letters on two cores — and is not part of make test.
#   CHENGNUO_GROWTH_MILESTONES ("10000,100000,300000,1000000")
#   CHENGNUO_GROWTH_CLIENTS (300: the best client count of make bench here)
#   CHENGNUO_GROWTH_MEASURE (20s)  CHENGNUO_GROWTH_MIN_FREE_GB (12)
#   CHENGNUO_GROWTH_STATE: keep the network in this directory (not torn
#   down), to look at it afterwards
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CHENGNUO_STATE
keep="${CHENGNUO_GROWTH_STATE:-}"
CHENGNUO_STATE="${keep:-$(mktemp -d -t chengnuo-growth-XXXXXX)}"
export CHENGNUO_BASE_PORT="${CHENGNUO_BENCH_BASE_PORT:-47000}"
# Measure the gateway, not its per-client rate limit on public routes.
export CHENGNUO_PUBLIC_RATE=1000000
if [[ -z "$keep" ]]; then
  trap 'scripts/network.sh clean > /dev/null 2>&1; rm -rf "$CHENGNUO_STATE"' EXIT
fi
echo "== starting a throwaway network in ${CHENGNUO_STATE}"
scripts/network.sh up > "${CHENGNUO_STATE}.up.log" 2>&1 || { tail -30 "${CHENGNUO_STATE}.up.log"; exit 1; }
rm -f "${CHENGNUO_STATE}.up.log"
go build -o "${CHENGNUO_STATE}/bin/chengnuo" ./cmd/chengnuo
"${CHENGNUO_STATE}/bin/chengnuo" growth --network "${CHENGNUO_STATE}/network.json" \
  --key-file "${CHENGNUO_STATE}/depts/market/gateway/keys.env" \
  --milestones "${CHENGNUO_GROWTH_MILESTONES:-10000,100000,300000,1000000}" \
  --clients "${CHENGNUO_GROWTH_CLIENTS:-300}" --measure "${CHENGNUO_GROWTH_MEASURE:-20s}" \
  --min-free-gb "${CHENGNUO_GROWTH_MIN_FREE_GB:-12}"

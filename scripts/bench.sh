#!/usr/bin/env bash
# bench.sh prints performance figures. It starts a throwaway network (own
# state dir, base port CHENGNUO_BENCH_BASE_PORT, default 47000), measures the
# gateway side by side — one sequential client as the latency baseline, then
# N concurrent clients — and always tears the network down.
#   CHENGNUO_BENCH_CLIENTS (50)  CHENGNUO_BENCH_DURATION (30s)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
clients="${CHENGNUO_BENCH_CLIENTS:-50}"
duration="${CHENGNUO_BENCH_DURATION:-30s}"

echo "== Go benchmarks"
mapfile -t units < <(go list ./... | grep -v /integration)
go test -run '^$' -bench . -benchmem "${units[@]}"

export CHENGNUO_STATE
CHENGNUO_STATE="$(mktemp -d -t chengnuo-bench-XXXXXX)"
export CHENGNUO_BASE_PORT="${CHENGNUO_BENCH_BASE_PORT:-47000}"
# Measure the gateway, not its per-client rate limit on public routes.
export CHENGNUO_PUBLIC_RATE=1000000
trap 'scripts/network.sh clean > /dev/null 2>&1; rm -rf "$CHENGNUO_STATE"' EXIT
echo "== starting a throwaway network in ${CHENGNUO_STATE}"
scripts/network.sh up > "${CHENGNUO_STATE}.up.log" 2>&1 || { tail -30 "${CHENGNUO_STATE}.up.log"; exit 1; }
rm -f "${CHENGNUO_STATE}.up.log"
go build -o "${CHENGNUO_STATE}/bin/chengnuo" ./cmd/chengnuo
url="$(jq -r '.departments[] | select(.key == "market") | .gateway' "${CHENGNUO_STATE}/network.json")"
# shellcheck disable=SC1091
source "${CHENGNUO_STATE}/depts/market/gateway/keys.env"
export CLERK_KEY
echo "== gateway load against ${url} (MarketMSP), ${duration} each"
"${CHENGNUO_STATE}/bin/chengnuo" bench --url "$url" --mode read --clients "$clients" --duration 10s
"${CHENGNUO_STATE}/bin/chengnuo" bench --url "$url" --mode anchor --clients 1 --duration 10s
"${CHENGNUO_STATE}/bin/chengnuo" bench --url "$url" --mode anchor --clients "$clients" --duration "$duration"
"${CHENGNUO_STATE}/bin/chengnuo" bench --url "$url" --mode submit --clients 1 --duration 10s
"${CHENGNUO_STATE}/bin/chengnuo" bench --url "$url" --mode submit --clients "$clients" --duration "$duration"

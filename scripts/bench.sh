#!/usr/bin/env bash
# bench.sh prints performance figures, side by side, from one run on one
# throwaway network (own state dir, base port CHENGNUO_BENCH_BASE_PORT,
# default 47000), which it always tears down:
#   - Go micro-benchmarks of the hot paths (letter parsing, SM2, SM3, JCS);
#   - the baseline: bare anchors, one transaction per record;
#   - signed letters (prepared and signed before the clock) at several
#     client counts, then open loop at 80 % of the best rate (its p99);
#   - public verification by digest and by letter at another department,
#     at several client counts, then open loop at 10,000/s;
# each with p50/p90/p99, CPU seconds per 1,000 answered per kind of
# process (and the busiest one), memory (PSS, its anonymous part, and RSS),
# and the load generator's own CPU. Benchmarks are not tests: nothing here
# passes or fails on time.
#   CHENGNUO_BENCH_DURATION (20s)  CHENGNUO_BENCH_LETTER_CLIENTS ("100 300 600")
#   CHENGNUO_BENCH_VERIFY_CLIENTS ("20 50 100")  CHENGNUO_BENCH_VERIFY_RATE (10000)
#   CHENGNUO_BENCH_GO (1: run Go benchmarks)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
duration="${CHENGNUO_BENCH_DURATION:-20s}"
letter_clients="${CHENGNUO_BENCH_LETTER_CLIENTS:-100 300 600}"
verify_clients="${CHENGNUO_BENCH_VERIFY_CLIENTS:-20 50 100}"
verify_rate="${CHENGNUO_BENCH_VERIFY_RATE:-10000}"

if [[ "${CHENGNUO_BENCH_GO:-1}" == 1 ]]; then
  echo "== Go benchmarks"
  mapfile -t units < <(go list ./... | grep -v /integration)
  go test -run '^$' -bench . -benchmem -benchtime 1s "${units[@]}" | grep -E '^(Benchmark|ok|FAIL|PASS)' || true
fi

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
net="${CHENGNUO_STATE}/network.json"
gw() { jq -r --arg k "$1" '.departments[] | select(.key == $k) | .gateway' "$net"; }
market="$(gw market)"
justice="$(gw justice)"
summary="${CHENGNUO_STATE}/summary.jsonl"
digests="${CHENGNUO_STATE}/digests.jsonl"
# The clerk's key is read from its file: a key on a command line or in an
# environment would be readable by any local user (/proc).
bench() {
  "${CHENGNUO_STATE}/bin/chengnuo" bench --network "$net" --summary "$summary" \
    --key-file "${CHENGNUO_STATE}/depts/market/gateway/keys.env" "$@"
}
rate_of() { jq -s -r --arg m "$1" '[.[] | select(.mode == $m and .offered == 0) | .rate] | max // 0' "$summary"; }

echo "== baseline: bare anchors at ${market} (MarketMSP), one transaction per record"
bench --url "$market" --mode anchor --clients 50 --duration "$duration"
base="$(rate_of anchor)"

echo "== signed letters at ${market}: draft+sign before the clock, then submit; answered once committed"
for c in $letter_clients; do
  bench --url "$market" --mode letters --clients "$c" --duration "$duration" --digests "$digests" --baseline "$base"
done
best="$(rate_of letters)"
offered="$(jq -n --argjson b "$best" '($b * 0.8) | floor')"
if [[ "$offered" -gt 0 ]]; then
  echo "== signed letters, open loop at 80 % of the best rate (${offered}/s)"
  bench --url "$market" --mode letters --rate "$offered" --clients 2000 --duration "$duration" --digests "$digests" --baseline "$base"
fi

echo "== public verification at ${justice} (JusticeMSP) of the letters anchored at market, from its read model"
for c in $verify_clients; do
  bench --url "$justice" --mode verify --clients "$c" --duration 10s --digests "$digests"
done
for c in $verify_clients; do
  bench --url "$justice" --mode verify-letter --clients "$c" --duration 10s --digests "$digests"
done
echo "== public verification, open loop at ${verify_rate}/s, by digest and by letter"
bench --url "$justice" --mode verify --rate "$verify_rate" --clients 100 --duration 10s --digests "$digests"
bench --url "$justice" --mode verify-letter --rate "$verify_rate" --clients 100 --duration 10s --digests "$digests"

# The ratio by CPU (the baseline transaction's network CPU over a letter's)
# moves less with the machine's speed than the ratio of rates, and does not
# depend on whether a client count found the knee.
basecpu="$(jq -s -r '[.[] | select(.mode == "anchor") | .networkCpuPer1000] | first // 0' "$summary")"
echo "== summary (CPU: the network's seconds per 1,000 answered; memory: the network's PSS after the run)"
jq -s -r --argjson base "$base" --argjson basecpu "$basecpu" '.[] | [.mode, (if .offered > 0 then "offered \(.offered)/s" else "clients \(.clients)" end),
  "\(.rate | floor)/s", "p50 \(.p50ms * 10 | round / 10)ms", "p90 \(.p90ms * 10 | round / 10)ms", "p99 \(.p99ms * 10 | round / 10)ms",
  "cpu \(.networkCpuPer1000 * 100 | floor / 100)s", "gen \(.generatorCpuPer1000 * 100 | floor / 100)s", "pss \(.networkPssMB)MB",
  (if .mode == "letters" and $base > 0 then "x\(.rate / $base * 10 | floor / 10) baseline" else empty end),
  (if .mode == "letters" and $basecpu > 0 and .networkCpuPer1000 > 0 then "x\($basecpu / .networkCpuPer1000 * 10 | floor / 10) by CPU" else empty end)] | join("\t")' "$summary"

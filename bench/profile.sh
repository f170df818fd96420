#!/usr/bin/env bash
# Profiles an uncached render of the 50-comment article page (issue 12), for `make profile`.
#
# Starts the release server with the page cache off on a benchmark database of its own (made
# by the generator), keeps it busy with wrk (16 connections), samples it with perf, and
# writes to $OUT (default /var/tmp/besthub/profile):
#   top.txt         the functions taking the most samples (self time), and the threads
#   flamegraph.svg  the call stacks (perf --call-graph dwarf, folded and drawn by inferno)
#   wrk.txt         what wrk measured meanwhile
# Needs perf (Debian linux-perf), wrk and inferno (`cargo install inferno`).
set -euo pipefail

TARGET=${CARGO_TARGET_DIR:-/var/tmp/besthub/target}
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/var/tmp/besthub/profile}
PORT=${PORT:-3977}
SECONDS_SAMPLED=${SECONDS_SAMPLED:-10}
mkdir -p "$OUT"
rm -f "$OUT"/profile.db*

"$TARGET/release/examples/bench_seed" --database-url "sqlite://$OUT/profile.db" --comments-100k 1000 >"$OUT/seed.json"
slug=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["article_50"])' "$OUT/seed.json")

LEPTOS_SITE_ROOT="$REPO/target/site" LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=besthub LEPTOS_ENV=PROD \
	BESTHUB_CONFIG="$REPO/Leptos.toml" BESTHUB_LISTEN="127.0.0.1:$PORT" \
	BESTHUB_DATABASE_URL="sqlite://$OUT/profile.db" BESTHUB_PUBLIC_URL="http://127.0.0.1:$PORT" \
	BESTHUB_PAGE_CACHE_SECONDS=0 BESTHUB_LOG_FILTER=warn \
	"$TARGET/release/besthub" serve >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
	sleep 0.2
done
url="http://127.0.0.1:$PORT/articles/$slug"

wrk -t1 -c16 -d$((SECONDS_SAMPLED + 4))s "$url" >"$OUT/wrk.txt" &
load=$!
sleep 2
perf record -F 199 --call-graph dwarf,16384 -p "$server" -o "$OUT/perf.data" -- sleep "$SECONDS_SAMPLED" 2>/dev/null
wait $load
{
	echo "# self time, by function"
	perf report -i "$OUT/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
		grep '%' | cut -c1-160 | sed 's/ *$//' | awk 'NR <= 30'
	echo
	echo "# by thread"
	perf report -i "$OUT/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep '%'
} >"$OUT/top.txt"
perf script --no-inline -i "$OUT/perf.data" 2>/dev/null | inferno-collapse-perf | inferno-flamegraph >"$OUT/flamegraph.svg"
echo "profile of $url written to $OUT (top.txt, flamegraph.svg, wrk.txt)"

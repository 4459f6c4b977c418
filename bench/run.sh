#!/usr/bin/env bash
# Benchmarks harborwatch analyze against tshark on the same generated
# capture, in one run. Usage: bench/run.sh [PACKETS] (default 2000000).
# Needs tshark and GNU time (/usr/bin/time) for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-2000000}
out=bench/out
mkdir -p "$out"
cap="$out/mix-$packets.pcap"
[ -f "$cap" ] || go run ./bench/gen -out "$cap" -packets "$packets" -flows 200000
go build -o "$out/harborwatch" ./cmd/harborwatch
size=$(stat -c %s "$cap")
echo "capture: $cap, $packets packets, $size bytes"

measure() { # name, command...
	local name=$1; shift
	local t0 t1 rss
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$out/rss" "$@" >/dev/null 2>"$out/err" || { cat "$out/err"; exit 1; }
	t1=$(date +%s.%N)
	rss=$(tail -1 "$out/rss")
	awk -v n="$name" -v a="$t0" -v b="$t1" -v p="$packets" -v s="$size" -v r="$rss" \
		'BEGIN { d=b-a; printf "%-28s %7.2f s  %6.2f Mpps  %7.1f MB/s  peak RSS %6.1f MB\n", n, d, p/d/1e6, s/d/1e6, r/1024 }' | tee -a "$out/results"
}
: > "$out/results"
measure "harborwatch workers=1" "$out/harborwatch" analyze --workers 1 --format json "$cap"
measure "harborwatch workers=2" "$out/harborwatch" analyze --workers 2 --format json "$cap"
measure "tshark -q -z io,stat,0" tshark -r "$cap" -q -z io,stat,0

#!/usr/bin/env bash
# Benchmarks harborwatch analyze, in one run and on the same file, against
# tshark, a plain gopacket loop (bench/baseline) and cat.
#
#   bench/run.sh [small|large|both]      (default both)
#
# small is a ~100 MB capture of a terminal's traffic, large a ~1 GB one with
# at least 200,000 distinct flows. Both are made once under bench/out
# (ignored by git) and reused; BENCH_REGEN=1 makes them anew. They come from
# `harborwatch simulate --duration 1m|10m --rate PPS --cranes 8` (PPS fitted
# to the size; BENCH_CRANES changes the cranes) when that command has
# --rate, else, or when simulate's large capture has too few flows, from
# `go run ./bench/gen` (the synthetic mix). analyze gets simulate's site
# model with --site.
#
# Per corpus, one run each of: cat (the disk ceiling; the file is in the
# page cache, so this is memory bandwidth), harborwatch analyze with 1 and 2
# workers (full path, no --events, --format json to /dev/null), the gopacket
# baseline (DecodingLayerParser, and NewPacketSource for contrast),
# `tshark -q -z io,stat,0`, and — on the small corpus only, as it takes
# minutes — `tshark -T fields` with Modbus/S7/CIP fields. For each: wall
# seconds, Mpps, MB/s, CPU seconds and peak RSS (GNU time), then
# harborwatch's ratios and the project's targets. The tables go to standard
# output and bench/out/results-CORPUS.md. Run it on an idle machine: the
# table says how busy the CPUs were just before.
#
# Needs go, tshark and capinfos (Debian: apt-get install tshark) and GNU
# time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bench/run.sh [small|large|both]" >&2; exit 2; }
[ $# -le 1 ] || usage
case "${1:-both}" in
small) corpora=(small) ;;
large) corpora=(large) ;;
both) corpora=(small large) ;;
*) usage ;;
esac

die() { echo "bench: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }
need go "install Go (see go.mod for the version)"
need tshark "install it (Debian/Ubuntu: apt-get install tshark; Fedora: dnf install wireshark-cli)"
need capinfos "it comes with tshark (Debian/Ubuntu: apt-get install tshark)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: install GNU time (Debian/Ubuntu: apt-get install time)"
/usr/bin/time -f %M -o /dev/null true 2>/dev/null || die "/usr/bin/time is not GNU time (no -f): install GNU time"

out=bench/out
mkdir -p "$out"
hw=$out/harborwatch
go build -o "$hw" ./cmd/harborwatch || die "cannot build cmd/harborwatch"
go build -o "$out/baseline" ./bench/baseline ||
	die "cannot build bench/baseline (a missing go.sum entry for golang.org/x/net or x/sys, needed by gopacket/pcapgo, is fixed by 'go mod tidy')"
go build -o "$out/gen" ./bench/gen || die "cannot build bench/gen"

# Corpus parameters: target size, distinct flows (gen), capture time
# (simulate, whose --rate is fitted to the size).
declare -A target=([small]=100000000 [large]=1000000000)
declare -A want_flows=([small]=50000 [large]=250000)
declare -A min_flows=([small]=0 [large]=200000)
declare -A duration=([small]=1m [large]=10m)
cranes=${BENCH_CRANES:-8}

packets_of() { capinfos -M -c "$1" | awk -F: '/Number of packets/ { gsub(/[ ,]/, "", $2); print $2 }'; }
# flows_of prints the baseline's distinct flows (VLAN + 5-tuple) of a capture.
flows_of() { "$out/baseline" "$1" 2>&1 >/dev/null | sed -n 's/.* flows=\([0-9]*\) .*/\1/p'; }

has_simulate() {
	local help
	help=$("$hw" simulate --help 2>&1 || true)
	grep -q -- --rate <<<"$help"
}

# fit NAME MAKE START: runs "MAKE N" (which writes $out/NAME.tmp.pcap) with
# N from START on, correcting N by the secant in log-log space until the
# file is within 10% of the target size; prints the N it kept. Sizes are
# not proportional to N (bench/gen's frames grow with the packets per flow),
# hence the secant.
fit() {
	local name=$1 make=$2 n0=0 s0=0 n1=$3 s1 i
	for i in 1 2 3 4 5 6; do
		"$make" "$n1" >&2
		s1=$(stat -c %s "$out/$name.tmp.pcap")
		if awk -v s="$s1" -v t="${target[$name]}" 'BEGIN { exit !(s >= t * 0.9 && s <= t * 1.1) }'; then
			echo "$n1"
			return
		fi
		read -r n0 s0 n1 < <(awk -v n0="$n0" -v s0="$s0" -v n1="$n1" -v s1="$s1" -v t="${target[$name]}" 'BEGIN {
			k = 1
			if (n0 > 0 && n0 != n1 && s0 != s1) k = log(s1 / s0) / log(n1 / n0)
			if (k < 0.5) k = 0.5
			if (k > 3) k = 3
			printf "%.0f %.0f %.0f\n", n1, s1, n1 * exp(log(t / s1) / k)
		}')
	done
	die "$make cannot reach ${target[$name]} bytes (last: $n1, $s1 bytes)"
}

# make_corpus NAME writes $out/NAME.pcap and $out/NAME.meta once.
make_corpus() {
	local name=$1 cap=$out/$1.pcap meta=$out/$1.meta
	if [ -f "$cap" ] && [ -f "$meta" ] && [ "${BENCH_REGEN:-0}" != 1 ]; then
		return
	fi
	rm -f "$cap" "$meta" "$out/$name".*.yaml "$out/$name".*.json "$out/$name".*.csv "$out/$name".tmp.*
	local tmp=$out/$name.tmp.pcap how="" n flows
	# shellcheck disable=SC2317 # called through fit
	simulate() { "$hw" simulate --out "$tmp" --format pcap --duration "${duration[$name]}" --rate "$1" --cranes "$cranes" >/dev/null; }
	# shellcheck disable=SC2317
	generate() { "$out/gen" -out "$tmp" -packets "$1" -flows "${want_flows[$name]}"; }
	if has_simulate; then
		echo "bench: making the $name corpus with harborwatch simulate" >&2
		n=$(fit "$name" simulate 10000)
		how="harborwatch simulate --duration ${duration[$name]} --rate $n --cranes $cranes"
		flows=$(flows_of "$tmp")
		if [ "$flows" -lt "${min_flows[$name]}" ]; then
			echo "bench: simulate made $flows flows, fewer than ${min_flows[$name]}: using bench/gen instead" >&2
			rm -f "$out/$name".tmp.*
			how=""
		fi
	fi
	if [ -z "$how" ]; then
		echo "bench: making the $name corpus with bench/gen" >&2
		n=$(fit "$name" generate $((target[$name] / 150)))
		how="go run ./bench/gen -packets $n -flows ${want_flows[$name]}"
		flows=$(flows_of "$tmp")
	fi
	echo "bench: made the $name corpus: $how" >&2
	local f
	for f in "$out/$name".tmp.*; do # the capture and simulate's site.yaml, inventory.csv, truth.json
		mv "$f" "$out/$name.${f#"$out/$name".tmp.}"
	done
	local packets
	packets=$(packets_of "$cap")
	[ "$flows" -ge "${min_flows[$name]}" ] || die "$cap has $flows flows, want at least ${min_flows[$name]}"
	printf 'made=%s\npackets=%s\nflows=%s\n' "$how" "$packets" "$flows" >"$meta"
}

# measure LABEL COMMAND... runs COMMAND once with its standard output to
# /dev/null and records wall seconds, CPU seconds (user + system) and peak
# RSS (KiB).
labels=() secs=() cpu=() rss=()
measure() {
	local label=$1 t0 t1
	shift
	echo "bench: $label" >&2
	t0=$(date +%s.%N)
	if ! /usr/bin/time -f '%M %U %S' -o "$out/time" "$@" >/dev/null 2>"$out/stderr"; then
		cat "$out/stderr" >&2
		die "failed: $*"
	fi
	t1=$(date +%s.%N)
	labels+=("$label")
	secs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
	cpu+=("$(tail -n 1 "$out/time" | awk '{ printf "%.2f", $2 + $3 }')")
	rss+=("$(tail -n 1 "$out/time" | awk '{ print $1 }')")
}
# busy_percent prints how much of the machine's CPU time others use, over
# two seconds of this script doing nothing.
busy_percent() {
	local a b
	a=$(head -n 1 /proc/stat)
	sleep 2
	b=$(head -n 1 /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		n = split(a, x); split(b, y); tot = 0
		for (i = 2; i <= n; i++) tot += y[i] - x[i]
		idle = (y[5] - x[5]) + (y[6] - x[6])
		printf "%d", (tot > 0 ? 100 * (tot - idle) / tot + 0.5 : 0)
	}'
}
seconds_of() { # LABEL
	local i
	for i in "${!labels[@]}"; do
		[ "${labels[$i]}" != "$1" ] || { echo "${secs[$i]}"; return; }
	done
}

run_corpus() {
	local name=$1 cap=$out/$1.pcap
	make_corpus "$name"
	local made packets flows size site=()
	made=$(sed -n 's/^made=//p' "$out/$name.meta")
	packets=$(sed -n 's/^packets=//p' "$out/$name.meta")
	flows=$(sed -n 's/^flows=//p' "$out/$name.meta")
	size=$(stat -c %s "$cap")
	[ ! -f "$out/$name.site.yaml" ] || site=(--site "$out/$name.site.yaml")
	labels=() secs=() cpu=() rss=()
	local busy
	busy=$(busy_percent)

	cat "$cap" >/dev/null # into the page cache: every run below reads from memory
	measure "cat FILE > /dev/null" cat "$cap"
	measure "harborwatch analyze --workers 1" "$hw" analyze "${site[@]}" --workers 1 --format json "$cap"
	measure "harborwatch analyze --workers 2" "$hw" analyze "${site[@]}" --workers 2 --format json "$cap"
	measure "gopacket DecodingLayerParser" "$out/baseline" -mode parser "$cap"
	local got
	got=$(sed -n 's/.* packets=\([0-9]*\) .*/\1/p' "$out/stderr")
	[ "$got" = "$packets" ] || die "baseline read $got packets, capinfos $packets"
	measure "gopacket NewPacketSource" "$out/baseline" -mode source "$cap"
	measure "tshark -q -z io,stat,0" tshark -r "$cap" -q -z io,stat,0
	if [ "$name" = small ]; then
		measure "tshark -T fields (Modbus/S7/CIP)" tshark -r "$cap" -T fields \
			-e frame.number -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e udp.dstport \
			-e modbus.func_code -e s7comm.header.rosctr -e s7comm.param.func -e enip.command -e cip.sc
	fi

	local res=$out/results-$name.md i
	{
		echo "## $name corpus: $(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1e6 }'), $packets packets, $flows flows"
		echo
		echo "Made by \`$made\`; $(nproc) cores; $(go env GOVERSION); tshark $(tshark --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n 1); other processes used ${busy}% of the CPUs just before."
		if [ "$busy" -gt 10 ]; then
			echo "The machine was busy: wall times are inflated, CPU times much less."
		fi
		[ ${#site[@]} -eq 0 ] || echo "harborwatch analyze ran with --site ${site[1]#"$out/"} (simulate's site model)."
		[ "$name" = small ] || echo "tshark -T fields is run on the small corpus only: it takes minutes."
		echo
		echo "| command | seconds | Mpps | MB/s | CPU s | peak RSS MB |"
		echo "|---|---:|---:|---:|---:|---:|"
		for i in "${!labels[@]}"; do
			awk -v n="${labels[$i]}" -v d="${secs[$i]}" -v p="$packets" -v s="$size" -v c="${cpu[$i]}" -v r="${rss[$i]}" \
				'BEGIN { printf "| %s | %.2f | %.3f | %.1f | %.2f | %.1f |\n", n, d, p / d / 1e6, s / d / 1e6, c, r / 1024 }'
		done
		echo
		local w1 w2
		w1=$(seconds_of "harborwatch analyze --workers 1")
		w2=$(seconds_of "harborwatch analyze --workers 2")
		echo "Ratios (time of the other / time of harborwatch --workers 1; above 1 means harborwatch is faster):"
		echo
		for i in "${!labels[@]}"; do
			case "${labels[$i]}" in harborwatch*) continue ;; esac
			awk -v n="${labels[$i]}" -v d="${secs[$i]}" -v w="$w1" 'BEGIN { printf "- vs %s: %.2f×\n", n, d / w }'
		done
		awk -v a="$w1" -v b="$w2" 'BEGIN { printf "- workers 2 / workers 1 throughput: %.2f×\n", a / b }'
		echo
		echo "Targets:"
		echo
		awk -v p="$packets" -v w="$w1" 'BEGIN { m = p / w / 1e6; printf "- 1 worker >= 2 Mpps: %.2f Mpps, %s\n", m, m >= 2 ? "met" : "NOT met" }'
		awk -v a="$w1" -v b="$w2" 'BEGIN { r = a / b; printf "- 2 workers >= 1.7x 1 worker: %.2fx, %s\n", r, r >= 1.7 ? "met" : "NOT met" }'
		local tf
		tf=$(seconds_of "tshark -T fields (Modbus/S7/CIP)")
		[ -z "$tf" ] || awk -v t="$tf" -v w="$w1" 'BEGIN { r = t / w; printf "- >= 100x tshark -T fields: %.1fx, %s\n", r, r >= 100 ? "met" : "NOT met" }'
		if [ "$name" = large ]; then
			for i in "${!labels[@]}"; do
				case "${labels[$i]}" in harborwatch*)
					awk -v n="${labels[$i]}" -v r="${rss[$i]}" 'BEGIN { m = r / 1024; printf "- peak RSS <= 256 MB (%s): %.1f MB, %s\n", n, m, m <= 256 ? "met" : "NOT met" }'
					;;
				esac
			done
		fi
		echo
	} >"$res"
	cat "$res"
}

for c in "${corpora[@]}"; do
	run_corpus "$c"
done

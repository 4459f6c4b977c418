#!/usr/bin/env bash
# Benchmarks harborwatch serve against harborwatch analyze on the same
# capture: the capture uploaded through the API and analyzed by the server
# (events and findings stored in SQLite) versus analyze on the file.
#
#   bench/serve.sh [CAPTURE SITE.yaml]
#
# Without arguments it uses the large corpus of bench/run.sh (~1 GB,
# bench/out/large.pcap and its site model), made by `bench/run.sh large`
# when missing. Prints: analyze's wall seconds and peak RSS; the server's
# upload seconds, upload-to-done seconds, peak RSS (VmHWM of the server
# process) and the ratio to analyze; and the findings query latency
# (p50/p99 of 200 GET /api/v1/findings?site=…&limit=100) once the run is in.
# Results go to standard output and bench/out/results-serve.md.
#
# Needs go, curl and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "bench: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl not found"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: install GNU time"

out=bench/out
mkdir -p "$out"
hw=$out/harborwatch
go build -o "$hw" ./cmd/harborwatch || die "cannot build cmd/harborwatch"
cap=${1:-$out/large.pcap}
site=${2:-$out/large.site.yaml}
if [ ! -f "$cap" ]; then
	[ $# -eq 0 ] || die "$cap not found"
	bench/run.sh large >/dev/null || die "cannot make the large corpus"
fi
[ -f "$site" ] || die "$site not found"
size=$(stat -c %s "$cap")
echo "bench: $cap, $size bytes" >&2

# analyze, as the reference
/usr/bin/time -f '%e %M' -o "$out/serve.time" "$hw" analyze --site "$site" --format json --out /dev/null "$cap"
read -r a_wall a_rss <"$out/serve.time"

data=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
token=$("$hw" token create --data "$data" --name bench --role admin 2>/dev/null)
"$hw" serve --data "$data" --addr 127.0.0.1:0 --insecure-http --log-level warn ${SERVE_FLAGS:-} 2>"$out/serve.log" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$out/serve.log")
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || die "serve did not start: $(cat "$out/serve.log")"
auth="Authorization: Bearer $token"
curl -sf -X PUT -H "$auth" --data-binary "@$site" "$url/api/v1/sites/bench" >/dev/null || die "PUT site failed"

t0=$(date +%s.%N)
id=$(curl -sf -X POST -H "$auth" -H 'Content-Type: application/octet-stream' -T "$cap" "$url/api/v1/sites/bench/captures" |
	sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$id" ] || die "upload failed"
t1=$(date +%s.%N)
while :; do
	status=$(curl -sf -H "$auth" "$url/api/v1/captures/$id" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
	[ "$status" = done ] && break
	[ "$status" = failed ] && die "the run failed: $(curl -sf -H "$auth" "$url/api/v1/captures/$id")"
	sleep 0.2
done
t2=$(date +%s.%N)
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")

# findings query latency
lat=$out/serve.lat
: >"$lat"
for _ in $(seq 1 200); do
	curl -sf -o /dev/null -w '%{time_total}\n' -H "$auth" "$url/api/v1/findings?site=bench&limit=100" >>"$lat"
done
read -r p50 p99 < <(sort -n "$lat" | awk '{ v[NR] = $1 } END { printf "%.1f %.1f\n", v[int(NR*0.5)]*1000, v[int(NR*0.99)]*1000 }')
events=$(curl -sf -H "$auth" "$url/metrics" | awk '/^harborwatch_events_stored_total/ { print $2 }')

upload=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
total=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
ratio=$(awk -v t="$total" -v a="$a_wall" 'BEGIN { printf "%.2f", t / a }')
{
	echo "| capture | bytes | analyze s | analyze RSS MB | upload s | upload→done s | ratio | serve RSS MB | events | findings p50 ms | p99 ms |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	echo "| $(basename "$cap") | $size | $a_wall | $((a_rss / 1024)) | $upload | $total | $ratio | $((rss / 1024)) | $events | $p50 | $p99 |"
	echo
	echo "Targets: ratio ≤ 1.5, serve RSS ≤ 512 MB, p99 < 50 ms."
} | tee "$out/results-serve.md"

#!/bin/sh
# bench/http.sh [BUILD]: porterd's HTTP throughput and latency against a bare
# libmicrohttpd server with the same threading (bench/hello_mhd.c), in the
# same run. wrk drives each with 64 keep-alive connections.
#
# Cores: the server under test is pinned to CPU 0 and wrk to CPU 1 (taskset),
# so the load generator does not inflate the server's latency (FACTS).
# Prints a markdown table; exits non-zero only if something failed to run.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
SECS=${BENCH_HTTP_SECONDS:-10}
CONNS=${BENCH_HTTP_CONNS:-64}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

fail() { echo "bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || fail "wrk is missing: make deps installs it"
command -v curl >/dev/null || fail "curl is missing: make deps installs it"
ninja -C "$build" porterd porter bench/hello_mhd >/dev/null || fail "build failed"

wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# run NAME URL [header]: prints "NAME req/s p50 p99"
run() {
	name=$1 url=$2 hdr=${3:-}
	if [ -n "$hdr" ]; then
		taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H "$hdr" "$url" >"$tmp/$name.wrk" 2>&1
	else
		taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$url" >"$tmp/$name.wrk" 2>&1
	fi || fail "wrk failed on $name"
	rps=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\)/\1/p' "$tmp/$name.wrk")
	p50=$(awk '$1 == "50%" { print $2 }' "$tmp/$name.wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$tmp/$name.wrk")
	non2xx=$(sed -n 's/^[[:space:]]*Non-2xx or 3xx responses:[[:space:]]*\([0-9]*\)/\1/p' "$tmp/$name.wrk")
	[ -z "$non2xx" ] || fail "$name: $non2xx answers were not 2xx"
	echo "$name $rps $p50 $p99"
}

# The baseline.
taskset -c 0 "$build/bench/hello_mhd" "$tmp/hello.port" & pids="$pids $!"
wait_file "$tmp/hello.port" || fail "hello_mhd did not start"
hello=$(run hello "http://127.0.0.1:$(cat "$tmp/hello.port")/v1/health")

# porterd with a fresh database, one owner, one home, one key.
printf '[server]\nlisten = 127.0.0.1:0\n[store]\npath = %s/db/porter.db\n[log]\nlevel = warn\n' "$tmp" >"$tmp/porterd.conf"
taskset -c 0 "$build/porterd" -d -f "$tmp/porterd.conf" -R "$tmp/porterd.port" 2>"$tmp/porterd.log" &
pd=$!
pids="$pids $pd"
wait_file "$tmp/porterd.port" || fail "porterd did not start"
base="http://127.0.0.1:$(cat "$tmp/porterd.port")"
J='Content-Type: application/json'
curl -sf -H "$J" -d '{"email":"bench@example.org","password":"bench passphrase 1","name":"Bench"}' "$base/v1/accounts" >/dev/null || fail "sign-up failed"
token=$(curl -sf -H "$J" -d '{"email":"bench@example.org","password":"bench passphrase 1"}' "$base/v1/sessions" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "sign-in failed"
A="Authorization: Bearer $token"
home=$(curl -sf -H "$J" -H "$A" -d '{"name":"Bench","tz":"Europe/Berlin"}' "$base/v1/homes" | sed -n 's/.*"id":"\(h-[0-9a-f]*\)".*/\1/p')
[ -n "$home" ] || fail "home creation failed"
"$build/porter" keygen -o "$tmp/owner.key" >/dev/null || fail "keygen failed"
pk=$("$build/porter" pubkey "$tmp/owner.key")
curl -sf -H "$J" -H "$A" -d "{\"public_key\":\"$pk\",\"label\":\"bench\"}" "$base/v1/homes/$home/owner-keys" >/dev/null || fail "key upload failed"
sleep 1
idle=$(rss_kb "$pd")

health=$(run health "$base/v1/health")
read=$(run read "$base/v1/homes/$home" "$A")
keys=$(run keys "$base/v1/homes/$home/owner-keys" "$A")
loaded=$(rss_kb "$pd")

echo "| route (64 connections, ${SECS} s, server on CPU 0, wrk on CPU 1) | req/s | p50 | p99 | ratio to bare |"
echo "|---|---:|---:|---:|---:|"
hr=$(echo "$hello" | cut -d' ' -f2)
for line in "$hello" "$health" "$read" "$keys"; do
	set -- $line
	case $1 in
	hello) what="bare libmicrohttpd, JSON body (baseline)" ;;
	health) what="porterd GET /v1/health (no session)" ;;
	read) what="porterd GET /v1/homes/{id} (session + membership + home)" ;;
	keys) what="porterd GET /v1/homes/{id}/owner-keys (session + list)" ;;
	esac
	ratio=$(awk -v a="$2" -v b="$hr" 'BEGIN { printf "%.2f", a / b }')
	echo "| $what | $2 | $3 | $4 | ${ratio}x |"
done
echo ""
echo "porterd RSS: ${idle} kB idle after start-up and setup, ${loaded} kB after the load."

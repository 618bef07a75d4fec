#!/bin/sh
# bench/http.sh [BUILD]: porterd's HTTP throughput and latency against a bare
# libmicrohttpd server with the same threading (bench/hello_mhd.c), in the
# same run. wrk drives each with 64 keep-alive connections.
#
# Cores: the server under test is pinned to CPU 0 and wrk to CPU 1 (taskset),
# so the load generator does not inflate the server's latency (FACTS).
#
# Two figures per route:
#   req/s, p50, p99   wrk's; the ratio to bare is the goal's figure
#   CPU us/req        the server's CPU time (user + system, all threads,
#                     from /proc/PID/stat) over the run divided by the
#                     requests wrk completed. On a shared machine other work
#                     on CPU 0 takes wall-clock time from the server but
#                     hardly changes this, so its ratio (bare's CPU per
#                     request over porterd's) is the steadier one.
#
# Routes: the bare server with libmicrohttpd's default memory per connection
# (the goals' baseline) and with porterd's (16 KiB, daemons/porterd/http.c),
# then porterd on a fresh SQLite database with one owner, one home and one
# owner key, logging at warn (the read routes again at info, the default,
# after a SIGHUP: one log line per request). BENCH_BEFORE_PORTERD=BINARY
# adds the same routes on another porterd (a build of an earlier commit) in
# the same run. Prints a markdown table; exits non-zero only if something
# failed to run.
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
rss_kb() { sed -n "s/^$2:[[:space:]]*\\([0-9]*\\) kB/\\1/p" "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run NAME PID URL [header]: prints "NAME req/s p50 p99 cpu-us-per-request"
run() {
	name=$1 pid=$2 url=$3 hdr=${4:-}
	c0=$(cpu_ticks "$pid")
	if [ -n "$hdr" ]; then
		taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H "$hdr" "$url" >"$tmp/$name.wrk" 2>&1
	else
		taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$url" >"$tmp/$name.wrk" 2>&1
	fi || fail "wrk failed on $name"
	c1=$(cpu_ticks "$pid")
	rps=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\)/\1/p' "$tmp/$name.wrk")
	p50=$(awk '$1 == "50%" { print $2 }' "$tmp/$name.wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$tmp/$name.wrk")
	n=$(awk '/ requests in / { print $1 }' "$tmp/$name.wrk")
	non2xx=$(sed -n 's/^[[:space:]]*Non-2xx or 3xx responses:[[:space:]]*\([0-9]*\)/\1/p' "$tmp/$name.wrk")
	[ -z "$non2xx" ] || fail "$name: $non2xx answers were not 2xx"
	cpu=$(awk -v t=$((c1 - c0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
	echo "$name $rps $p50 $p99 $cpu"
}

# The baselines.
taskset -c 0 "$build/bench/hello_mhd" "$tmp/hello.port" & hp=$!
pids="$pids $hp"
taskset -c 0 "$build/bench/hello_mhd" "$tmp/hello16.port" 16384 & hp16=$!
pids="$pids $hp16"
wait_file "$tmp/hello.port" && wait_file "$tmp/hello16.port" || fail "hello_mhd did not start"
hello=$(run hello "$hp" "http://127.0.0.1:$(cat "$tmp/hello.port")/v1/health")
hello16=$(run hello16 "$hp16" "http://127.0.0.1:$(cat "$tmp/hello16.port")/v1/health")
kill "$hp" "$hp16"

# start_porterd NAME BINARY: porterd with a fresh database under $tmp/NAME,
# one owner, one home, one key; sets pd, base, auth, home
conf() { printf '[server]\nlisten = 127.0.0.1:0\n[store]\npath = %s/db/porter.db\nsealing_key = %s/db/sealing.key\n[log]\nlevel = %s\n' "$1" "$1" "$2" >"$1/porterd.conf"; }
start_porterd() {
	d=$tmp/$1
	mkdir -p "$d"
	conf "$d" warn
	taskset -c 0 "$2" -d -f "$d/porterd.conf" -R "$d/porterd.port" 2>"$d/porterd.log" &
	pd=$!
	pids="$pids $pd"
	wait_file "$d/porterd.port" || fail "porterd ($2) did not start"
	started=$(rss_kb "$pd" VmRSS)
	startedhwm=$(rss_kb "$pd" VmHWM)
	base="http://127.0.0.1:$(cat "$d/porterd.port")"
	J='Content-Type: application/json'
	curl -sf -H "$J" -d '{"email":"bench@example.org","password":"bench passphrase 1","name":"Bench"}' "$base/v1/accounts" >/dev/null || fail "sign-up failed"
	token=$(curl -sf -H "$J" -d '{"email":"bench@example.org","password":"bench passphrase 1"}' "$base/v1/sessions" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	[ -n "$token" ] || fail "sign-in failed"
	auth="Authorization: Bearer $token"
	home=$(curl -sf -H "$J" -H "$auth" -d '{"name":"Bench","tz":"Europe/Berlin"}' "$base/v1/homes" | sed -n 's/.*"id":"\(h-[0-9a-f]*\)".*/\1/p')
	[ -n "$home" ] || fail "home creation failed"
	"$build/porter" keygen -o "$d/owner.key" >/dev/null || fail "keygen failed"
	pk=$("$build/porter" pubkey "$d/owner.key")
	curl -sf -H "$J" -H "$auth" -d "{\"public_key\":\"$pk\",\"label\":\"bench\"}" "$base/v1/homes/$home/owner-keys" >/dev/null || fail "key upload failed"
}

# Optional: another porterd binary (e.g. a build of the previous commit) on
# the same routes in the same run, for before/after figures.
before=""
if [ -n "${BENCH_BEFORE_PORTERD:-}" ]; then
	start_porterd before "$BENCH_BEFORE_PORTERD"
	bhealth=$(run bhealth "$pd" "$base/v1/health")
	bread=$(run bread "$pd" "$base/v1/homes/$home" "$auth")
	bkeys=$(run bkeys "$pd" "$base/v1/homes/$home/owner-keys" "$auth")
	kill "$pd"
	before="$bhealth|$bread|$bkeys"
fi

start_porterd porterd "$build/porterd"
sleep 1
idle=$(rss_kb "$pd" VmRSS)
idlehwm=$(rss_kb "$pd" VmHWM)

health=$(run health "$pd" "$base/v1/health")
read=$(run read "$pd" "$base/v1/homes/$home" "$auth")
keys=$(run keys "$pd" "$base/v1/homes/$home/owner-keys" "$auth")
loaded=$(rss_kb "$pd" VmRSS)
hwm=$(rss_kb "$pd" VmHWM)

# The default log level: one line per request (to a file here).
conf "$d" info
kill -HUP "$pd"
sleep 1
grep -q 'event=reload result=applied' "$d/porterd.log" || fail "porterd did not reload"
readinfo=$(run readinfo "$pd" "$base/v1/homes/$home" "$auth")
lines=$(grep -c 'event=request ' "$d/porterd.log")

echo "| route (64 connections, ${SECS} s, server on CPU 0, wrk on CPU 1) | req/s | p50 | p99 | ratio to bare | CPU us/req | CPU ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
hr=$(echo "$hello" | cut -d' ' -f2)
hc=$(echo "$hello" | cut -d' ' -f5)
IFS='|'
set -- $before
unset IFS
for line in "$hello" "$hello16" "$@" "$health" "$read" "$keys" "$readinfo"; do
	set -- $line
	case $1 in
	bhealth) what="before: porterd GET /v1/health (\$BENCH_BEFORE_PORTERD)" ;;
	bread) what="before: porterd GET /v1/homes/{id}" ;;
	bkeys) what="before: porterd GET /v1/homes/{id}/owner-keys" ;;
	hello) what="bare libmicrohttpd, JSON body (baseline; 32 KiB per connection)" ;;
	hello16) what="bare libmicrohttpd, 16 KiB per connection as porterd" ;;
	health) what="porterd GET /v1/health (no session)" ;;
	read) what="porterd GET /v1/homes/{id} (session + membership + home)" ;;
	keys) what="porterd GET /v1/homes/{id}/owner-keys (session + list)" ;;
	readinfo) what="porterd GET /v1/homes/{id}, log level info (a line per request)" ;;
	esac
	ratio=$(awk -v a="$2" -v b="$hr" 'BEGIN { printf "%.2f", a / b }')
	cratio=$(awk -v a="$5" -v b="$hc" 'BEGIN { printf "%.2f", b / a }')
	echo "| $what | $2 | $3 | $4 | ${ratio}x | $5 | ${cratio}x |"
done
echo ""
echo "porterd memory (/proc/PID/status): VmRSS ${started} kB once listening (VmHWM ${startedhwm} kB), ${idle} kB idle after the setup's requests (VmHWM ${idlehwm} kB), ${loaded} kB after the read runs (VmHWM ${hwm} kB); ${lines} request lines logged at info."

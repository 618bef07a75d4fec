#!/bin/sh
# bench/issue.sh [BUILD]: porterd's credential-issue route and its durable
# write routes against a bare libmicrohttpd server (bench/hello_mhd.c), in
# the same run, with wrk at 64 keep-alive connections.
#
# The issue route is the courier's real request: POST
# /v1/deliveries/{id}/arrive with the device key, a position at the home and
# the scanned package id, for a delivery that is out for delivery, in-home,
# with standing approval (no owner action needed), under an owner delegation
# to a hosted carrier. Each request, first outside any transaction: the
# delegation's chain verified (or found in porterd's memo of verified chains:
# after the first request), one Ed25519 signature with the carrier's key
# (unsealed for it), the new link verified against the delegation's holder;
# then one transaction (committed, durable) that reads the delivery and what
# the credential rests on again, moves the delivery to at-the-door, stores
# the chain as a grant and moves it to credential-issued. Each delivery is
# used once, so wrk walks a list of ids (bench/walk.lua), every answer must
# be 200 with a credential.
#
# The list is made by the two routes before it, which are measured too:
#   create    POST /v1/deliveries (a carrier admin): one transaction
#   dispatch  POST /v1/deliveries/{id}/dispatch to the courier: the same
# Accounts, home, keys, delegation, courier and device: bench/setup_issue.py.
#
# fsyncs/answer: porterd's fdatasync and fsync calls over the run (perf's
# syscall tracepoints, when perf can read them here) per answer. With group
# commit (lib/store/store_sqlite.c) commits that wait at the same time share
# one; SQLite's checkpoints add a few (two per checkpoint, about every 1,000
# WAL pages). BENCH_PORTERD_THREADS sets porterd's server.threads (default 2,
# porterd's default): a request waiting for its fsync holds its thread, so
# the threads bound how many commits can share one.
#
# Cores: the server under test is pinned to CPU 0 and wrk to CPU 1 (taskset),
# as in bench/http.sh; CPU us/req is the server's CPU time per answer, as
# there. Prints a markdown table; exits non-zero only if something failed to
# run or an answer was not what docs/api.md says.
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
command -v python3 >/dev/null || fail "python3 is missing: make deps installs it"
ninja -C "$build" porterd porter bench/hello_mhd >/dev/null || fail "build failed"

# fsyncs are counted with perf's syscall tracepoints when they can be read
# here (linux-perf is not a dependency: without it the column shows -)
perf_ok=""
if command -v perf >/dev/null 2>&1 &&
	perf stat -x, -e syscalls:sys_enter_fdatasync -o /dev/null true >/dev/null 2>&1; then
	perf_ok=1
fi

wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }
rss_kb() { sed -n "s/^$2:[[:space:]]*\\([0-9]*\\) kB/\\1/p" "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# stats NAME TICKS [SYNCS]: "NAME req/s p50 p99 cpu-us-per-request
# syncs-per-answer" from $tmp/NAME.wrk, the server's CPU ticks over the run
# (see bench/http.sh) and its fdatasync + fsync calls over the run
stats() {
	rps=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\)/\1/p' "$tmp/$1.wrk")
	p50=$(awk '$1 == "50%" { print $2 }' "$tmp/$1.wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$tmp/$1.wrk")
	n=$(awk '/ requests in / { print $1 }' "$tmp/$1.wrk")
	cpu=$(awk -v t="$2" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
	spa=-
	if [ -n "${3:-}" ] && [ "$3" != - ]; then
		spa=$(awk -v s="$3" -v n="$n" 'BEGIN { printf "%.2f", s / n }')
	fi
	echo "$1 $rps $p50 $p99 $cpu $spa"
}

# walk NAME TOKEN IDS PATH STATUS [MUST]: wrk with bench/walk.lua, body
# $tmp/NAME.json; the ids of good answers go to $tmp/NAME.ids
walk() {
	name=$1 tok=$2 ids=$3 path=$4 status=$5 must=${6:-}
	: >"$tmp/$name.ids"
	c0=$(cpu_ticks "$pd")
	pp=""
	if [ -n "$perf_ok" ]; then
		perf stat -x, -e syscalls:sys_enter_fdatasync -e syscalls:sys_enter_fsync -p "$pd" \
			-o "$tmp/$name.perf" >/dev/null 2>&1 &
		pp=$!
		sleep 0.2
	fi
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $tok" \
		-s bench/walk.lua "$base" -- "$ids" "$path" "$tmp/$name.json" "$status" \
		"$tmp/$name.ids" "$must" >"$tmp/$name.wrk" 2>&1 || { cat "$tmp/$name.wrk" >&2; fail "wrk failed on $name"; }
	counts=$(sed -n 's/^walk //p' "$tmp/$name.wrk")
	[ -n "$counts" ] || { cat "$tmp/$name.wrk" >&2; fail "$name: no counts from walk.lua"; }
	case $counts in
	"ok=0 "*) cat "$tmp/$name.wrk" >&2; fail "$name: no good answer" ;;
	*" bad=0 "*) ;;
	*) cat "$tmp/$name.wrk" >&2; fail "$name: $counts" ;;
	esac
	echo "$counts" >"$tmp/$name.counts"
	c1=$(cpu_ticks "$pd")
	syncs=-
	if [ -n "$pp" ]; then
		kill -INT "$pp"
		wait "$pp" 2>/dev/null
		syncs=$(awk -F, '/syscalls:sys_enter_f/ { s += $1 } END { print s + 0 }' "$tmp/$name.perf")
	fi
	stats "$name" $((c1 - c0)) "$syncs"
}

# The baseline.
taskset -c 0 "$build/bench/hello_mhd" "$tmp/hello.port" & hp=$!
pids="$pids $hp"
wait_file "$tmp/hello.port" || fail "hello_mhd did not start"
c0=$(cpu_ticks "$hp")
taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "http://127.0.0.1:$(cat "$tmp/hello.port")/v1/health" \
	>"$tmp/hello.wrk" 2>&1 || fail "wrk failed on hello"
c1=$(cpu_ticks "$hp")
hello=$(stats hello $((c1 - c0)))
kill "$hp"

# porterd with a fresh database.
printf '[server]\nlisten = 127.0.0.1:0\nthreads = %s\n[store]\npath = %s/db/porter.db\nsealing_key = %s/db/sealing.key\n[log]\nlevel = warn\n' \
	"${BENCH_PORTERD_THREADS:-2}" "$tmp" "$tmp" >"$tmp/porterd.conf"
taskset -c 0 "$build/porterd" -d -f "$tmp/porterd.conf" -R "$tmp/porterd.port" 2>"$tmp/porterd.log" &
pd=$!
pids="$pids $pd"
wait_file "$tmp/porterd.port" || fail "porterd did not start"
base="http://127.0.0.1:$(cat "$tmp/porterd.port")"
python3 bench/setup_issue.py "$base" "$build/porter" "$tmp" >"$tmp/setup.env" || fail "setup failed"
. "$tmp/setup.env"
now=$(date +%s)
printf '{"carrier_id":"%s","home_id":"%s","package_id":"PKG-BENCH-1","window_start":%d,"window_end":%d,"in_home":true}' \
	"$CARRIER" "$HOME_ID" $((now - 60)) $((now + 6 * 3600)) >"$tmp/create.json"
printf '{"courier":%s}' "$COURIER_ID" >"$tmp/dispatch.json"
printf '{"device_key":"%s","lat":52.5201,"lon":13.4049,"package_id":"PKG-BENCH-1"}' "$DEVICE" >"$tmp/arrive.json"
sleep 1
idle=$(rss_kb "$pd" VmRSS)

create=$(walk create "$ADMIN_TOKEN" - /v1/deliveries 201 '"state":"scheduled"')
dispatch=$(walk dispatch "$ADMIN_TOKEN" "$tmp/create.ids" /v1/deliveries/%s/dispatch 200 '"state":"out-for-delivery"')
arrive=$(walk arrive "$COURIER_TOKEN" "$tmp/dispatch.ids" /v1/deliveries/%s/arrive 200 '"credential":"')
loaded=$(rss_kb "$pd" VmRSS)
hwm=$(rss_kb "$pd" VmHWM)
kill "$pd"
wait "$pd" 2>/dev/null
"$build/porter" audit verify --db "$tmp/db/porter.db" >"$tmp/audit.out" 2>&1 ||
	{ cat "$tmp/audit.out" >&2; fail "the audit chain does not verify after the run"; }

echo "| route (64 connections, up to ${SECS} s, server on CPU 0, wrk on CPU 1, server.threads ${BENCH_PORTERD_THREADS:-2}) | req/s | p50 | p99 | ratio to bare | CPU us/req | fsyncs/answer | answers checked |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
hr=$(echo "$hello" | cut -d' ' -f2)
for line in "$hello" "$create" "$dispatch" "$arrive"; do
	set -- $line
	n=""
	[ -f "$tmp/$1.counts" ] && n=$(sed 's/^ok=\([0-9]*\).*/\1/' "$tmp/$1.counts")
	case $1 in
	hello) what="bare libmicrohttpd, JSON body (baseline)" ;;
	create) what="porterd POST /v1/deliveries (write: 1 transaction)" ;;
	dispatch) what="porterd POST /v1/deliveries/{id}/dispatch (write: 1 transaction)" ;;
	arrive) what="porterd POST /v1/deliveries/{id}/arrive, credential issued (1 transaction, 1 signature, 1 verification: the delegation's is remembered)" ;;
	esac
	ratio=$(awk -v a="$2" -v b="$hr" 'BEGIN { printf "%.3f", a / b }')
	echo "| $what | $2 | $3 | $4 | ${ratio}x | $5 | ${6:--} | $n |"
done
echo ""
echo "porterd RSS: ${idle} kB idle after start-up and setup, ${loaded} kB after the writes and issues (VmHWM ${hwm} kB); audit chain: $(cat "$tmp/audit.out")"

#!/bin/sh
# bench/durability.sh [BUILD]: porterd's durable writes under load, with group
# commit (lib/store/store_sqlite.c): is every acknowledged write durable, and
# whether a kill -9 loses any. Two parts:
#
# 1. Order. porterd runs under strace (pwrite64, fdatasync, fsync, sendmsg,
#    with times and the files behind the descriptors) while wrk drives the
#    write routes of bench/issue.sh at 64 connections: create, dispatch and
#    arrive (credential issued), each answer checked (bench/walk.lua).
#    bench/durable_check.py then checks every answer: the WAL frames its
#    thread wrote were covered by a sync of the WAL that started after they
#    were written and returned before the answer was sent. A kill -9 cannot
#    show this (the page cache outlives the process); the trace does, for
#    every answer.
# 2. kill -9. porterd without strace takes creates at 64 connections and is
#    killed with SIGKILL in the middle; restarted on the same database, every
#    delivery whose 201 reached wrk must be there (GET -> 200), and the audit
#    chain must verify.
#
# strace slows porterd several times over: part 1's throughput is not a
# figure. BENCH_DURABILITY_PARTS picks the parts ("order kill", the default).
# Exits non-zero if an answer was early, an acknowledged write is missing,
# or the audit chain is broken.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
SECS=${BENCH_DURABILITY_SECONDS:-4}
PARTS=${BENCH_DURABILITY_PARTS:-order kill}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

fail() { echo "bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || fail "wrk is missing: make deps installs it"
command -v strace >/dev/null || fail "strace is missing (apt-get install strace)"
ninja -C "$build" porterd porter >/dev/null || fail "build failed"
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }

printf '[server]\nlisten = 127.0.0.1:0\n[store]\npath = %s/db/porter.db\nsealing_key = %s/db/sealing.key\n[log]\nlevel = warn\n' \
	"$tmp" "$tmp" >"$tmp/porterd.conf"

# walk NAME TOKEN IDS PATH STATUS OUT MUST: as bench/issue.sh; good ids to $tmp/OUT.ids
walk() {
	: >"$tmp/$6.ids"
	taskset -c 1 wrk -t1 -c64 -d"${SECS}s" -H "Authorization: Bearer $2" -s bench/walk.lua "$base" -- \
		"$3" "$4" "$tmp/$1.json" "$5" "$tmp/$6.ids" "$7" >"$tmp/$1.wrk" 2>&1 || fail "wrk failed on $1"
	grep -q '^walk ok=[1-9][0-9]* bad=0 ' "$tmp/$1.wrk" || { grep -E '^walk' "$tmp/$1.wrk" >&2; fail "$1: bad answers"; }
}

# 1. Order, under strace (without it, only the setup).
case " $PARTS " in
*" order "*)
	strace -f -ttt -T -y -e trace=pwrite64,fdatasync,fsync,sendmsg -o "$tmp/trace" \
		"$build/porterd" -d -f "$tmp/porterd.conf" -R "$tmp/porterd.port" >/dev/null 2>"$tmp/porterd.log" &
	sp=$!
	pids="$pids $sp"
	wait_file "$tmp/porterd.port" || fail "porterd did not start under strace"
	pd=$(ps -o pid= --ppid "$sp" | tr -d ' ')
	[ -n "$pd" ] || fail "cannot find porterd under strace"
	pids="$pd $pids"	# porterd first: strace waits for it
	;;
*)
	"$build/porterd" -d -f "$tmp/porterd.conf" -R "$tmp/porterd.port" >/dev/null 2>"$tmp/porterd.log" &
	pd=$! sp=$!
	pids="$pids $pd"
	wait_file "$tmp/porterd.port" || fail "porterd did not start"
	;;
esac
base="http://127.0.0.1:$(cat "$tmp/porterd.port")"
mkdir -p "$tmp/keys"
python3 bench/setup_issue.py "$base" "$build/porter" "$tmp/keys" >"$tmp/setup.env" || fail "setup failed"
. "$tmp/setup.env"
now=$(date +%s)
printf '{"carrier_id":"%s","home_id":"%s","package_id":"PKG-BENCH-1","window_start":%d,"window_end":%d,"in_home":true}' \
	"$CARRIER" "$HOME_ID" $((now - 60)) $((now + 6 * 3600)) >"$tmp/create.json"
printf '{"courier":%s}' "$COURIER_ID" >"$tmp/dispatch.json"
printf '{"device_key":"%s","lat":52.5201,"lon":13.4049,"package_id":"PKG-BENCH-1"}' "$DEVICE" >"$tmp/arrive.json"
case " $PARTS " in
*" order "*)
	walk create "$ADMIN_TOKEN" - /v1/deliveries 201 created '"state":"scheduled"'
	walk dispatch "$ADMIN_TOKEN" "$tmp/created.ids" /v1/deliveries/%s/dispatch 200 dispatched '"state":"out-for-delivery"'
	walk arrive "$COURIER_TOKEN" "$tmp/dispatched.ids" /v1/deliveries/%s/arrive 200 issued '"credential":"'
	kill -TERM "$pd"
	wait "$sp" 2>/dev/null
	order=$(python3 bench/durable_check.py "$tmp/trace") || { echo "$order" >&2; fail "an answer left before its writes were durable"; }
	echo "order (create, dispatch, arrive for ${SECS} s each at 64 connections, under strace): $order"
	;;
*)
	kill -TERM "$pd"
	wait "$pd" 2>/dev/null
	;;
esac
case " $PARTS " in
*" kill "*) ;;
*) exit 0 ;;
esac

# 2. kill -9 during creates, restart, every acknowledged one present.
rm -f "$tmp/porterd.port"
"$build/porterd" -d -f "$tmp/porterd.conf" -R "$tmp/porterd.port" >/dev/null 2>>"$tmp/porterd.log" &
pd=$!
pids="$pids $pd"
wait_file "$tmp/porterd.port" || fail "porterd did not restart"
base="http://127.0.0.1:$(cat "$tmp/porterd.port")"
: >"$tmp/acked.ids"
taskset -c 1 wrk -t1 -c64 -d"${SECS}s" -H "Authorization: Bearer $ADMIN_TOKEN" -s bench/walk.lua "$base" -- \
	- /v1/deliveries "$tmp/create.json" 201 "$tmp/acked.ids" '"state":"scheduled"' >"$tmp/kill.wrk" 2>&1 &
wp=$!
sleep $((SECS / 2))
kill -KILL "$pd"
wait "$wp"
acked=$(wc -l <"$tmp/acked.ids")
[ "$acked" -gt 0 ] || fail "no create was acknowledged before the kill"
rm -f "$tmp/porterd.port"
"$build/porterd" -d -f "$tmp/porterd.conf" -R "$tmp/porterd.port" >/dev/null 2>>"$tmp/porterd.log" &
pd=$!
pids="$pids $pd"
wait_file "$tmp/porterd.port" || fail "porterd did not start after the kill"
missing=$(python3 - "$(cat "$tmp/porterd.port")" "$ADMIN_TOKEN" "$tmp/acked.ids" <<'EOF'
import http.client, sys
port, token, idsf = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
missing = 0
for i in (l.strip() for l in open(idsf)):
    if not i:
        continue
    c.request("GET", "/v1/deliveries/" + i, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        missing += 1
print(missing)
EOF
) || fail "cannot read the deliveries back"
kill -TERM "$pd"
wait "$pd" 2>/dev/null
"$build/porter" audit verify --db "$tmp/db/porter.db" >"$tmp/audit.out" 2>&1 ||
	{ cat "$tmp/audit.out" >&2; fail "the audit chain does not verify after kill -9"; }
echo "kill -9: $acked creates acknowledged before SIGKILL, $missing missing after the restart; $(cat "$tmp/audit.out")"
[ "$missing" -eq 0 ] || fail "acknowledged writes were lost"

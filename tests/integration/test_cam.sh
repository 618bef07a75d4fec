#!/usr/bin/env bash
# porter-cam end to end, TAP output: the real porter-cam (monitor and input
# worker) on FFmpeg's lavfi sources in a temporary directory, its signed
# health messages received and checked by `porter cam health` exactly as
# the hub checks them (signature, camera id, freshness, order).
#   healthy testsrc2; frozen (smptebars: a still picture); black; moved
#   (reference on testsrc2, then the view mirrored); stalled (RTSP to a
#   closed port, a source that ends) with back-off in the log; a killed
#   worker comes back; the sandbox (uid, no_new_privs, seccomp) and a
#   forbidden system call killed by SIGSYS.
# Usage: test_cam.sh PORTER_CAM PORTER
# KEEP=1 keeps the directory (logs, state) for a look afterwards.
set -u
CAM=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
P=$(realpath "$2")
T=$(mktemp -d)
umask 022
chmod 755 "$T"	# the camera's user (nobody, when we are root) reads its config here
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
cd "$T" || exit 1
n=0 failed=0

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 30; }
now_ms() { date +%s%3N; }

ROOT=false
[ "$(id -u)" -eq 0 ] && ROOT=true
USERLINE=""
$ROOT && USERLINE="user = nobody"
SRC="size=320x180:rate=25"

# conf NAME INPUT [extra lines for [health]...]
conf() {
	local name=$1 input=$2
	shift 2
	cat >"$name" <<EOF
[cam]
id = cam-1
$USERLINE
input = $input
state_dir = $T/state
hub_socket = $T/hub.sock
[input]
backoff_min = 300ms
backoff_max = 2s
open_timeout = 3s
io_timeout = 2s
[health]
frozen = 2s
black = 1s
moved = 2s
stall = 2s
$(printf '%s\n' "$@")
EOF
}

CAMPID=""
start() { # CONF LOG
	"$CAM" -d -f "$1" 2>"$2" &
	CAMPID=$!
	PIDS+=("$CAMPID")
}
stop() {
	kill -TERM "$CAMPID" 2>/dev/null
	wait "$CAMPID" 2>/dev/null
}
# health ARGS...: listen as the hub would, with the camera's public key.
health() {
	"$P" cam health --socket "$T/hub.sock" --mode 0666 --key "$T/state/cam.key.pub" \
		--id cam-1 "$@"
}
field() { # KEY LINE
	tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

# ---- configuration and key ----
conf healthy.conf "lavfi:testsrc2=$SRC"
"$CAM" -n -f healthy.conf >out 2>&1
ok "-n: the configuration is ok" || show out
"$CAM" -n -v -f healthy.conf >out 2>&1
grep -q '^seccomp.allow = read ' out && ! grep -q '^seccomp.allow = \(execve\|open\|openat\|socket\|connect\|clone\)' out
ok "-n -v prints the seccomp allow-list: read, no execve/openat/socket/connect/clone" || show out
grep -q '^health.frozen = 2s' out && grep -q '^health.frozen_change = 0.02' out
ok "-n -v prints the values" || show out
printf '[cam]\ninput = lavfi:testsrc2\nbogus = 1\n' >bad.conf
! "$CAM" -n -f bad.conf >out 2>&1 && grep -q "unknown key 'bogus'" out
ok "an unknown key is refused" || show out
printf '[health]\nblack_luma = 300\n' >bad.conf
! "$CAM" -n -f bad.conf >out 2>&1 && grep -q "health.black_luma" out
ok "a value out of range is refused" || show out
printf '[cam]\nid = cam-1\n' >bad.conf
! "$CAM" -n -f bad.conf >out 2>&1 && grep -q "cam.input is required" out
ok "no input: refused" || show out
if $ROOT; then
	printf '[cam]\ninput = lavfi:testsrc2\nstate_dir = %s/rootstate\n' "$T" >bad.conf
	! "$CAM" -d -f bad.conf >out 2>&1 && grep -q "refusing to run as root" out
	ok "started as root without cam.user: refused" || show out
else
	skip "started as root without cam.user: refused" "not root"
fi

"$CAM" key -f healthy.conf >out 2>&1
PUB=$(sed -n 's/^public key: *//p' out)
[ -n "$PUB" ] && [ "$(stat -c %a state/cam.key)" = 600 ] && grep -qF -- "$PUB" state/cam.key.pub
ok "key: made 0600, public half printed and in cam.key.pub" || show out
if $ROOT; then
	[ "$(stat -c %U state state/cam.key)" = "nobody
nobody" ]
	ok "state dir and key belong to the camera's user" || ls -la state | show
else
	skip "state dir and key belong to the camera's user" "not root"
fi
"$CAM" key -f healthy.conf >out2 2>&1
grep -qF -- "$PUB" out2 && ! grep -q "(new)" out2
ok "key again: the same key" || show out2

# ---- healthy ----
# systemd's notify socket, played by Python (dist/porter-cam.service is
# Type=notify): writable by the camera's user, which porter-cam is by then.
python3 "$HERE/notify_listen.py" "$T/notify.sock" "$T/notify.txt" &
PIDS+=("$!")
for _i in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
t0=$(now_ms)
NOTIFY_SOCKET="$T/notify.sock" "$CAM" -d -f healthy.conf 2>healthy.log &
CAMPID=$!
PIDS+=("$CAMPID")
health --until ok --timeout 10 >h.out 2>&1
ok "testsrc2: healthy within $(( ($(now_ms) - t0) / 1000 + 1 )) s" || { show h.out; show healthy.log; }
health --count 3 --timeout 6 >h.out 2>&1
[ "$(grep -c ' status=ok,noref .*healthy=yes' h.out)" -eq 3 ]
ok "3 signed messages, each verified with the camera key: ok, noref, healthy" || show h.out
s1=$(sed -n 1p h.out) s3=$(sed -n 3p h.out)
# pps and fps count one second each: the best of the three (a loaded machine may starve one)
pps=$(sed -n 's/.* pps=\([0-9]*\) .*/\1/p' h.out | sort -n | tail -n 1)
fps=$(sed -n 's/.* fps=\([0-9]*\) .*/\1/p' h.out | sort -n | tail -n 1)
[ "$(field seq "$s3")" -eq $(( $(field seq "$s1") + 2 )) ] && [ "${pps:-0}" -ge 20 ] &&
	[ "${fps:-0}" -ge 3 ] && [ "$(field change "$s3")" -gt 2 ] &&
	[ "$(field luma "$s3")" -gt 50 ]
ok "one a second, seq +1; pps, fps, luma and change as testsrc2 makes them" || show h.out
"$P" keygen -o other.key >/dev/null 2>&1
"$P" cam health --socket "$T/hub.sock" --mode 0666 --key other.key.pub --id cam-1 --count 1 \
	--timeout 3 >h.out 2>&1
[ $? -eq 2 ] && grep -q '^refused bad-signature' h.out
ok "another camera key: every message refused (bad-signature)" || show h.out
"$P" cam health --socket "$T/hub.sock" --mode 0666 --key state/cam.key.pub --id cam-2 \
	--count 1 --timeout 3 >h.out 2>&1
[ $? -eq 2 ] && grep -q '^refused untrusted-root' h.out
ok "the right key but another camera id: refused" || show h.out

WPID=$(sed -n 's/.*event=worker_start pid=\([0-9]*\).*/\1/p' healthy.log | tail -n 1)
if [ -n "$WPID" ] && [ -r "/proc/$WPID/status" ]; then
	grep -q '^Seccomp:[[:space:]]*2' "/proc/$WPID/status" &&
		grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$WPID/status"
	ok "the input worker runs under its seccomp filter with no_new_privs" ||
		show "/proc/$WPID/status"
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$CAMPID/status" &&
		! grep -q '^Seccomp:[[:space:]]*2' "/proc/$CAMPID/status"
	ok "the monitor: no_new_privs, no filter of its own (its workers must open sources)" ||
		show "/proc/$CAMPID/status"
	if $ROOT; then
		NOBODY=$(id -u nobody)
		awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$WPID/status" | grep -qx "$NOBODY $NOBODY $NOBODY $NOBODY" &&
			awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$CAMPID/status" | grep -qx "$NOBODY $NOBODY $NOBODY $NOBODY" &&
			grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$WPID/status"
		ok "started as root, both run as nobody (every uid) without capabilities" ||
			{ show "/proc/$WPID/status"; show "/proc/$CAMPID/status"; }
	else
		skip "started as root, both run as nobody" "not root"
	fi
	kill -KILL "$WPID"
	sleep 1
	health --until ok --timeout 10 >h.out 2>&1
	grep -q "signal=9" healthy.log && grep -q 'event=reconnect attempt=1 delay_ms=300' healthy.log &&
		[ "$(field restarts "$(tail -n 1 h.out)")" -ge 1 ]
	ok "worker killed: logged, restarted after the back-off, healthy again (restarts >= 1)" ||
		{ show h.out; show healthy.log; }
else
	for d in "worker filter" "monitor" "uids" "worker killed"; do
		n=$((n + 1)); echo "not ok $n - $d: no worker pid"; failed=$((failed + 1))
	done
fi
kill -HUP "$CAMPID"
sleep 0.5
health --until ok --timeout 10 >/dev/null 2>&1 && grep -q 'event=reload result=applied' healthy.log
ok "SIGHUP: reloaded, the worker restarted, healthy again" || show healthy.log
stop
grep -q 'event=stopped' healthy.log && ! grep -q 'level=error' healthy.log
ok "SIGTERM: stopped cleanly, no error logged" || show healthy.log
# (the listener may write its last line a moment after the camera exits)
for _i in $(seq 50); do
	[ "$(tr '\n' ' ' <notify.txt 2>/dev/null)" = "READY=1 RELOADING=1 READY=1 STOPPING=1 " ] && break
	sleep 0.1
done
[ "$(tr '\n' ' ' <notify.txt 2>/dev/null)" = "READY=1 RELOADING=1 READY=1 STOPPING=1 " ]
ok "sd_notify: READY=1 once started, RELOADING=1 and READY=1 around SIGHUP, STOPPING=1" ||
	show notify.txt

# ---- frozen: a still picture ----
conf frozen.conf "lavfi:smptebars=$SRC"
t0=$(now_ms)
start frozen.conf frozen.log
health --until frozen --timeout 12 >h.out 2>&1
rc=$?
el=$(( $(now_ms) - t0 ))
[ $rc -eq 0 ] && [ "$el" -ge 2000 ] && grep -q 'status=frozen' h.out && grep -q 'healthy=no' h.out
ok "smptebars (a still picture): frozen after $el ms (limit 2 s), unhealthy" || { show h.out; show frozen.log; }
[ "$(field change "$(tail -n 1 h.out)")" -eq 0 ]
ok "its picture change is 0" || show h.out
stop
grep -q 'event=status status=frozen' frozen.log
ok "the transition is logged" || show frozen.log

# ---- black ----
conf black.conf "lavfi:color=c=black:$SRC"
start black.conf black.log
health --until black --timeout 10 >h.out 2>&1
[ $? -eq 0 ] && [ "$(field luma "$(tail -n 1 h.out)")" -lt 24 ]
ok "color=black: black, mean luma under 24" || { show h.out; show black.log; }
stop
conf grey.conf "lavfi:color=c=0x808080:$SRC"
start grey.conf grey.log
health --until black --timeout 10 >h.out 2>&1
[ $? -eq 0 ] && [ "$(field luma "$(tail -n 1 h.out)")" -gt 100 ]
ok "a flat grey picture (a covered lens): black too, whatever its luma" || { show h.out; show grey.log; }
stop

# ---- moved ----
conf ref-black.conf "lavfi:color=c=black:$SRC"
! "$CAM" reference -f ref-black.conf >out 2>&1 && grep -q "too little detail" out && [ ! -e state/reference.pgm ]
ok "reference: a black picture is refused" || show out
"$CAM" reference -f healthy.conf >out 2>&1
[ $? -eq 0 ] && [ "$(head -c 12 state/reference.pgm | tr '\n' ' ')" = "P5 64 36 255" ] &&
	[ "$(stat -c %s state/reference.pgm)" -eq $((13 + 64 * 36)) ]
ok "reference: taken from testsrc2, a 64x36 PGM" || show out
start healthy.conf healthy2.log
health --until ok --timeout 10 >h.out 2>&1
m=$(field match "$(tail -n 1 h.out)")
[ $? -eq 0 ] && [ "$m" != "-" ] && [ "$m" -ge 400 ] && ! grep -q noref h.out
ok "the same view: ok, matching the reference ($m per mille)" || show h.out
stop
conf moved.conf "lavfi:testsrc2=$SRC,hflip"
t0=$(now_ms)
start moved.conf moved.log
health --until moved --timeout 12 >h.out 2>&1
rc=$?
el=$(( $(now_ms) - t0 ))
[ $rc -eq 0 ] && [ "$el" -ge 2000 ] && [ "$(field match "$(tail -n 1 h.out)")" -lt 400 ] &&
	! grep -q frozen h.out
ok "the view mirrored (camera turned): moved after $el ms, not frozen" || { show h.out; show moved.log; }
stop
conf bright.conf "lavfi:testsrc2=$SRC,eq=brightness=0.25:contrast=0.6"
start bright.conf bright.log
# from its first ok (a slow start-up is not counted), then 3 of the next 4 ok
health --until ok --timeout 10 >h.out 2>&1 && health --count 4 --timeout 10 >>h.out 2>&1
[ $? -eq 0 ] && ! grep -q moved h.out && [ "$(grep -c 'status=ok' h.out)" -ge 4 ]
ok "the same view in other light: not moved" || show h.out
stop

# ---- stalled ----
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf stall.conf "rtsp://127.0.0.1:$PORT/cam"
start stall.conf stall.log
health --until stalled --timeout 10 >h.out 2>&1
[ $? -eq 0 ] && grep -q 'healthy=no' h.out && ! grep -q 'healthy=yes' h.out
ok "RTSP to a closed port: stalled, never healthy" || { show h.out; show stall.log; }
# four attempts (300 + 600 + 1200 ms apart, then the cap): wait for the
# fourth rather than for a time, which a loaded machine may not keep
for _ in $(seq 200); do
	[ "$(grep -c 'event=reconnect attempt=' stall.log)" -ge 4 ] && break
	sleep 0.1
done
stop
d=$(sed -n 's/.*event=reconnect attempt=[0-9]* delay_ms=\([0-9]*\).*/\1/p' stall.log | tr '\n' ' ')
case "$d" in "300 600 1200 2000"*) true ;; *) false ;; esac
ok "reconnects with exponential back-off, capped: $d" || show stall.log
grep -q 'error="Connection refused"' stall.log
ok "the reason is logged" || show stall.log
# 2 s of source: each run reports ok for about a second, so a health message (one a second) falls in it
conf ends.conf "lavfi:testsrc2=$SRC:duration=2" "stall = 1s"
start ends.conf ends.log
health --until stalled --timeout 30 >h.out 2>&1
[ $? -eq 0 ] && grep -q 'status=ok' h.out
ok "a source that ends (2 s, again and again): ok, then stalled once the back-off grows" ||
	{ show h.out; show ends.log; }
stop
grep -q 'event=input_end' ends.log && grep -q 'reason="the source ended"' ends.log
ok "the end of the source is logged" || show ends.log

# ---- the sandbox ----
for call in execve open socket; do
	( "$CAM" worker -f healthy.conf -X "$call" 3>/dev/null 2>sb.log ) 2>/dev/null
	rc=$?
	[ $rc -eq $((128 + 31)) ] && grep -q "event=sandbox_test call=$call" sb.log
	ok "a worker that calls $call after the filter is killed by SIGSYS (exit $rc)" || show sb.log
done
"$CAM" worker -f healthy.conf -X none 3>/dev/null 2>sb.log
ok "the same worker without a forbidden call exits 0" || show sb.log
"$CAM" worker -f healthy.conf 3>&- 2>sb.log
[ $? -eq 2 ] && grep -q "no report descriptor" sb.log
ok "a worker started by hand, without its report socket, refuses" || show sb.log

echo "1..$n"
[ "$failed" -eq 0 ]

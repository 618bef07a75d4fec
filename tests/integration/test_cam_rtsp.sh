#!/usr/bin/env bash
# RTSP health end to end (docs/cam.md, "Input" and "Health"), TAP output:
# a real gst-rtsp-server (cam_clip_rtsp.py, as test_cam_clip.sh uses it)
# serves an H.264 file made with the ffmpeg CLI in real time; the real
# porter-cam reads it and sends its signed health messages to the real
# porter-hub (sim drivers), which decides camera-required credentials
# with them (`porter courier unlock`).
#   RTSP over TCP: healthy, the camera credential granted; the server
#   paused (SIGSTOP): porter-cam reports stalled, the hub records
#   camera.unhealthy (stalled) and refuses the credential camera-unhealthy
#   (exit 25), the worker ends on a read timeout, the monitor backs off
#   (longer delays, reconnects that fail while the server is paused); the
#   server resumed (SIGCONT): a new worker opens it, healthy, granted.
#   RTSP over UDP (input.rtsp_transport = udp): the same pause and resume.
# Times are never asserted: every wait is a bounded loop, and what is
# checked is the order of the log lines and events.
# The file is longer than the whole test (cam_clip_rtsp.py plays it once),
# so an end of stream can never pass for a stall (the first worker to end
# after a pause must have timed out). While paused the camera never reads
# healthy again (the frame FFmpeg's parser flushes when a read times out
# is not counted as a packet).
# Usage: test_cam_rtsp.sh PORTER_HUB PORTER PORTER_CAM
# KEEP=1 keeps the directory (logs, state) for a look afterwards.
set -u
HUB=$(realpath "$1")
P=$(realpath "$2")
CAM=$(realpath "$3")
RTSP=$(realpath "$(dirname "$0")/cam_clip_rtsp.py")
. "$(dirname "$0")/lib.sh"

need ffmpeg
if ! /usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0")' 2>/dev/null; then
	echo "1..0 # SKIP python3-gi / gir1.2-gst-rtsp-server-1.0 missing (gst-rtsp-server)"
	exit 0
fi

t_begin cam-rtsp
umask 022
chmod 755 "$T"	# the camera's user (nobody, when we are root) reads its config here
RTSPPID=""
gone() { ! alive "$1"; }
# halt PID: SIGCONT (a paused server must be resumed to end), SIGTERM,
# SIGKILL after 10 s; reaped and taken out of PIDS (its number may be
# reused); 1 when it had to be killed
halt() {
	local p rc=0 keep=()
	kill -CONT "$1" 2>/dev/null
	kill -TERM "$1" 2>/dev/null
	if ! wait_for 10 gone "$1"; then
		kill -KILL "$1" 2>/dev/null
		rc=1
	fi
	wait "$1" 2>/dev/null
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
	return $rc
}
cleanup() {
	local p
	for p in "${PIDS[@]}"; do alive "$p" && halt "$p"; done
	t_cleanup
}
trap cleanup EXIT

ROOT=false
[ "$(id -u)" -eq 0 ] && ROOT=true
USERLINE=""
$ROOT && USERLINE="user = nobody"
mkdir -m 755 run

# ---- the source: 2 minutes of H.264 (key frame every second) ----
ffmpeg -v error -f lavfi -i "testsrc2=size=320x240:rate=10" -t 120 -c:v libx264 \
	-preset ultrafast -g 10 -pix_fmt yuv420p -movflags +faststart src.mp4 && chmod 644 src.mp4
ok "an H.264 file made with the ffmpeg CLI" || { t_end; exit 1; }

rtsp_start() {
	rm -f rtsp.port
	/usr/bin/python3 "$RTSP" "$T/src.mp4" "$T/rtsp.port" 2>>rtsp.log &
	RTSPPID=$!
	PIDS+=("$RTSPPID")
	wait_for 10 test -s rtsp.port
}
rtsp_stop() {
	halt "$RTSPPID"
	RTSPPID=""
}

# ---- porter-cam: short timings ----
camconf() { # NAME URL TRANSPORT
	cat >"$1" <<EOF
[cam]
id = cam-1
$USERLINE
input = $2
state_dir = $T/camstate
hub_socket = $T/run/cam.sock
[input]
rtsp_transport = $3
backoff_min = 300ms
backoff_max = 2s
open_timeout = 5s
io_timeout = 3s
[health]
stall = 2s
EOF
}
CAMPID=""
cam_start() { # CONF LOG
	"$CAM" -d -f "$1" 2>"$2" &
	CAMPID=$!
	PIDS+=("$CAMPID")
}
cam_stop() {
	halt "$CAMPID" || echo "# porter-cam had not exited 10 s after SIGTERM: killed"
}
camconf probe.conf rtsp://127.0.0.1:1/cam tcp
"$CAM" key -f probe.conf >key.out 2>&1 && "$CAM" -n -v -f probe.conf >n.out 2>&1 &&
	grep -q '^input.rtsp_transport = tcp' n.out
ok "porter-cam: the camera's key; input.rtsp_transport = tcp" || { show key.out; show n.out; }
camconf probe.conf rtsp://127.0.0.1:1/cam udp
"$CAM" -n -v -f probe.conf >n.out 2>&1 && grep -q '^input.rtsp_transport = udp' n.out
ok "input.rtsp_transport = udp" || show n.out
camconf probe.conf rtsp://127.0.0.1:1/cam http
! "$CAM" -n -f probe.conf >n.out 2>&1 && grep -q 'rtsp_transport' n.out
ok "input.rtsp_transport = http: refused" || show n.out

# ---- the hub (sim drivers) ----
cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
[link]
tcp =
challenge_ttl = 2s
[door]
open_timeout = 3s
relock_delay = 100ms
[drivers]
sim_lock_delay = 50ms
[server]
revocations_max_age = 0
[camera]
socket = $T/run/cam.sock
id = cam-1
key = $T/camstate/cam.key.pub
max_age = 2s
EOF
HPID=""
hub_start() {
	rm -f "$T/hub/link.sock"
	"$HUB" -f "$T/hub.conf" -d >>"$T/hub.out" 2>>"$T/hub.log" &
	HPID=$!
	PIDS+=("$HPID")
	for _ in $(seq 200); do
		if [ -S "$T/hub/link.sock" ]; then
			# porter-cam runs as nobody: the socket's group is its group
			if $ROOT && [ -S "$T/run/cam.sock" ]; then chgrp nogroup "$T/run/cam.sock"; fi
			return 0
		fi
		alive "$HPID" || return 1
		sleep 0.05
	done
	return 1
}
LINK="unix:$T/hub/link.sock"
sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
is_state() { sim status 2>/dev/null | grep -q "\"state\":\"$1\""; }
is_camera() { sim status 2>/dev/null | grep -q "\"camera\":\"$1\""; }
unlock() { "$P" courier unlock --hub "$LINK" --key courier.key "$@"; }
events() { "$HUB" -f "$T/hub.conf" -E; }
evcount() { events | wc -l; }
since() { events | tail -n +"$(($1 + 1))"; }
# first_line FILE PATTERN [FROM]: the number of the first line at or
# after FROM (1) that matches, empty when none
first_line() { tail -n +"${3:-1}" "$1" | grep -n -m1 -- "$2" | cut -d: -f1 | awk -v f="${3:-1}" '{print $1 + f - 1}'; }

# sockets PID udp|tcp: how many of PID's descriptors are sockets of that kind
sockets() {
	local ino k=0
	for ino in $(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n'); do
		awk -v i="$ino" 'NR > 1 && $10 == i {f = 1} END {exit !f}' "/proc/$1/net/$2" "/proc/$1/net/${2}6" &&
			k=$((k + 1))
	done
	echo "$k"
}

hub_start
ok "the hub starts with a [camera] socket" || { show hub.log; t_end; exit 1; }
"$P" keygen -o owner.key >/dev/null && "$P" keygen -o courier.key >/dev/null
"$HUB" pair -f hub.conf -q >pair.out 2>&1
"$P" hub pair-local --key owner.key --home home-1 --hub-key "$(awk '/^hub key:/ {print $3}' pair.out)" \
	--hub "$LINK" --code "$(awk '/^pairing code:/ {print $3}' pair.out)" >pr.out 2>&1 &&
	"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
		--expires +1h --entries 50 --camera -o cam.cbor >/dev/null
ok "paired; a credential that requires the camera" || show pr.out

# granted WHAT: the camera credential opens, the door relocks behind
granted() {
	unlock --cred cam.cbor >"u-$1.out" 2>&1 && wait_for 5 is_state unlocked &&
		sim door open >/dev/null && wait_for 5 is_state open &&
		sim door close >/dev/null && wait_for 5 is_state secured
}
# refused WHAT: the camera credential refused camera-unhealthy (exit 25),
# the bolt never moved
refused() {
	local rc
	unlock --cred cam.cbor >"u-$1.out" 2>&1
	rc=$?
	[ $rc -eq 25 ] && grep -q camera-unhealthy "u-$1.out" && is_state secured
}

# after LINE PATTERN: a line of $log from LINE on matches PATTERN
after() { tail -n +"$1" "$log" | grep -q -- "$2"; }
# reconnects LINE N: at least N reconnect lines in $log from LINE on
reconnects() { [ "$(tail -n +"$1" "$log" | grep -c "event=reconnect ")" -ge "$2" ]; }
# pause_resume NAME TRANSPORT BACKOFF: the whole cycle against a fresh
# server; BACKOFF=yes also waits, while paused, for a reconnect that fails.
pause_resume() {
	local name=$1 tr=$2 log=$2.log m mp flaps l0 l1 l_st l_err l_exit l_rc l_open l_ok d1 d2 ev w udp tcp
	rtsp_start
	ok "$name: gst-rtsp-server listens (port $(cat rtsp.port 2>/dev/null))" || { show rtsp.log; return; }
	camconf "$tr.conf" "rtsp://127.0.0.1:$(cat rtsp.port)/cam" "$tr"
	cam_start "$tr.conf" "$log"
	wait_for 20 log_has "event=opened .*format=rtsp codec=h264" "$log"
	ok "$name: porter-cam opens the stream (H.264 over RTSP)" || { show "$log"; show rtsp.log; }
	wait_for 20 is_camera healthy
	ok "$name: the hub sees the camera healthy" || { show "$log"; show hub.log; }
	w=$(pgrep -P "$CAMPID" | head -n 1)
	udp=$(sockets "$w" udp) tcp=$(sockets "$w" tcp)
	if [ "$tr" = tcp ]; then [ "$udp" -eq 0 ] && [ "$tcp" -ge 1 ]; else [ "$udp" -ge 2 ]; fi
	ok "$name: the worker's sockets: $tcp TCP, $udp UDP" || ls -l "/proc/$w/fd" | show
	granted "$tr-1"
	ok "$name: healthy: the camera credential is granted, the door relocks" ||
		{ show "u-$tr-1.out"; show hub.log; }

	# -- paused --
	wait_for 10 is_camera healthy
	m=$(evcount)
	l0=$(($(wc -l <"$log") + 1))
	mp=$m
	kill -STOP "$RTSPPID"
	wait_for 15 after "$l0" "event=status status=stalled"
	ok "$name: server paused: porter-cam reports stalled" || tail -n +"$l0" "$log" | show
	# what the kernel had buffered may still trickle in (a loaded machine):
	# once the worker has seen nothing for io_timeout, nothing is left
	wait_for 15 after "$l0" "event=worker_exit exit=11 "
	ok "$name: the worker ends on a read timeout (exit 11, read error or timeout)" ||
		tail -n +"$l0" "$log" | show
	wait_for 10 is_camera unhealthy
	ok "$name: the hub sees the camera unhealthy" || { show hub.log; sim status | show; }
	ev=$(since "$m" | grep ' camera\.' | tail -n 1)
	grep -q ' camera.unhealthy ' <<<"$ev" && grep -q '"status":"stalled' <<<"$ev"
	ok "$name: the hub's event: camera.unhealthy, status stalled" || since "$m" | show
	refused "$tr-2"
	ok "$name: stalled: the camera credential is refused camera-unhealthy (exit 25), the bolt never moved" ||
		{ show "u-$tr-2.out"; show hub.log; }
	since "$m" | grep ' decision.refuse ' | grep -q '"reason":"camera-unhealthy"'
	ok "$name: event: decision.refuse, reason camera-unhealthy" || since "$m" | show
	[ "$(first_line "$log" "event=worker_exit" "$l0")" = "$(first_line "$log" "event=worker_exit exit=11 " "$l0")" ]
	ok "$name: the first worker to end after the pause timed out (no end of stream, no error)" ||
		tail -n +"$l0" "$log" | show
	l_st=$(first_line "$log" "event=status status=stalled" "$l0")
	l_err=$(first_line "$log" "event=input_error" "$l0")
	l_exit=$(first_line "$log" "event=worker_exit exit=11 " "$l0")
	l_rc=$(first_line "$log" "event=reconnect " "$l0")
	[ -n "$l_st" ] && [ -n "$l_err" ] && [ -n "$l_exit" ] && [ -n "$l_rc" ] &&
		[ "$l_st" -lt "$l_err" ] && [ "$l_err" -lt "$l_exit" ] && [ "$l_exit" -lt "$l_rc" ]
	ok "$name: in order: stalled, input_error, worker_exit, reconnect" ||
		{ echo "# lines $l_st $l_err $l_exit $l_rc"; tail -n +"$l0" "$log" | show; }
	sed -n "${l_err:-1}p" "$log" | grep -q 'error="no data within io_timeout"\|timed out'
	ok "$name: input_error: the read timed out" || sed -n "${l_err:-1}p" "$log" | show
	m=$(evcount)
	if [ "$3" = yes ]; then
		wait_for 25 reconnects "$l0" 2
		d1=$(tail -n +"$l0" "$log" | grep 'event=reconnect ' | sed -n '1s/.*delay_ms=\([0-9]*\).*/\1/p')
		d2=$(tail -n +"$l0" "$log" | grep 'event=reconnect ' | sed -n '2s/.*delay_ms=\([0-9]*\).*/\1/p')
		[ -n "$d1" ] && [ -n "$d2" ] && [ "$d2" -gt "$d1" ] &&
			after "$l_exit" 'event=worker_exit exit=12 reason="cannot open the source"'
		ok "$name: paused, the monitor backs off: reconnect after $d1 ms, the open fails, then after $d2 ms" ||
			tail -n +"$l0" "$log" | show
	fi
	# When a read times out FFmpeg flushes its H.264 parser and
	# av_read_frame hands over the frame it held; the worker must not count
	# it as a fresh packet (worker.c), or the camera would read healthy
	# again for up to health.stall while the server is paused.
	flaps=$(since "$mp" | grep -c ' camera.healthy ')
	[ "$flaps" -eq 0 ]
	ok "$name: paused: never healthy again before the worker ended (no flushed frame counted)" ||
		since "$mp" | show
	! since "$m" | grep -q ' camera.healthy ' && is_camera unhealthy
	ok "$name: paused: after the worker ended, the camera stays unhealthy" || since "$m" | show

	# -- resumed --
	m=$(evcount)
	l1=$(($(wc -l <"$log") + 1))
	kill -CONT "$RTSPPID"
	wait_for 30 is_camera healthy
	ok "$name: server resumed: the hub sees the camera healthy again" || { show "$log"; show hub.log; }
	l_open=$(first_line "$log" "event=opened" "$l0")
	l_ok=$(first_line "$log" "event=status status=ok" "${l_open:-1}")
	[ -n "$l_open" ] && [ -n "$l_ok" ] && [ "$l_open" -ge "$l1" ] && [ "$l_ok" -gt "$l_open" ]
	ok "$name: resumed: a new worker opened the stream (not before), then status ok" ||
		{ echo "# lines $l1 $l_open $l_ok"; tail -n +"$l0" "$log" | show; }
	since "$m" | grep ' camera\.' | tail -n 1 | grep -q ' camera.healthy '
	ok "$name: event: camera.healthy" || since "$m" | show
	granted "$tr-3"
	ok "$name: healthy again: the camera credential is granted, the door relocks" ||
		{ show "u-$tr-3.out"; show hub.log; }
	! grep -q 'signal=31' "$log"
	ok "$name: no worker killed by its seccomp filter" || grep 'signal=31' "$log" | show
	cam_stop
	rtsp_stop
	grep -q 'event=stopped' "$log"
	ok "$name: porter-cam stops cleanly" || show "$log"
}

pause_resume "RTSP/TCP" tcp yes
pause_resume "RTSP/UDP" udp no
"$HUB" -f hub.conf -V >v.out 2>&1
ok "the hub's event chain verifies" || show v.out
halt "$HPID" || echo "# porter-hub had not exited 10 s after SIGTERM: killed"
grep -q 'event=stopped' hub.log
ok "the hub stops on SIGTERM (event=stopped)" || show hub.log
! grep -q 'Sanitizer\|runtime error' hub.log tcp.log udp.log
ok "no sanitizer report (ASan/UBSan builds)" || grep -A5 'Sanitizer\|runtime error' hub.log tcp.log udp.log | show
t_end

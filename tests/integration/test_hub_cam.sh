#!/usr/bin/env bash
# porter-hub and a real porter-cam (docs/cam.md, docs/hub.md), TAP output:
# porter-cam on FFmpeg's lavfi sources sends its signed health messages to
# the hub's [camera] socket; the real hub (sim devices) decides with them.
#   healthy: a camera-required credential is granted; the camera killed,
#   or frozen (a still picture): refused camera-unhealthy within the max
#   age; a camera that fails during an entry: camera.unhealthy and the
#   alert at once; a credential without the condition is not affected;
#   another camera key: never healthy; no camera: refused. Clip marks: a
#   receiver on the marks socket checks each START and END against the
#   session events (clip id, seq).
# Usage: test_hub_cam.sh PORTER_HUB PORTER PORTER_CAM
# KEEP=1 keeps the directory (logs, state) for a look afterwards.
set -u
HUB=$(realpath "$1")
P=$(realpath "$2")
CAM=$(realpath "$3")
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
unset NOTIFY_SOCKET
n=0 failed=0

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 30; }
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
now_ms() { date +%s%3N; }

ROOT=false
[ "$(id -u)" -eq 0 ] && ROOT=true
USERLINE=""
$ROOT && USERLINE="user = nobody"
SRC="size=320x180:rate=25"
mkdir -m 755 run

# ---- porter-cam ----
camconf() { # NAME INPUT
	cat >"$1" <<EOF
[cam]
id = cam-1
$USERLINE
input = $2
state_dir = $T/camstate
hub_socket = $T/run/cam.sock
[input]
backoff_min = 300ms
backoff_max = 2s
open_timeout = 3s
io_timeout = 2s
[health]
frozen = 2s
black = 1s
stall = 2s
EOF
}
CAMPID=""
cam_start() { # CONF LOG
	"$CAM" -d -f "$1" 2>"$2" &
	CAMPID=$!
	PIDS+=("$CAMPID")
}
cam_stop() { # [SIGNAL]
	kill "-${1:-TERM}" "$CAMPID" 2>/dev/null
	wait "$CAMPID" 2>/dev/null
}
camconf live.conf "lavfi:testsrc2=$SRC"
camconf still.conf "lavfi:smptebars=$SRC"
"$CAM" key -f live.conf >key.out 2>&1
ok "porter-cam key: the camera's key" || show key.out

# ---- the hub ----
conf() { # [lines for [camera]...]
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
$(printf '%s\n' "$@")
EOF
}
CAMERA=("socket = $T/run/cam.sock" 'id = cam-1' "key = $T/camstate/cam.key.pub" 'max_age = 2s'
	"marks = $T/run/marks.sock")
PID=""
start() {
	rm -f "$T/hub/link.sock"
	"$HUB" -f "$T/hub.conf" -d >>"$T/hub.out" 2>>"$T/hub.log" &
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 100); do
		if [ -S "$T/hub/link.sock" ]; then
			# porter-cam runs as nobody: the socket's group is its group
			if $ROOT && [ -S "$T/run/cam.sock" ]; then chgrp nogroup "$T/run/cam.sock"; fi
			return 0
		fi
		alive "$PID" || return 1
		sleep 0.05
	done
	return 1
}
stop() {
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
}
LINK="unix:$T/hub/link.sock"
sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
state() {
	for _ in $(seq 60); do
		sim status 2>/dev/null | grep -q "\"state\":\"$1\"" && return 0
		sleep 0.05
	done
	return 1
}
# camera WORD SECONDS: wait until the hub says the camera is WORD.
camera() {
	for _ in $(seq $(($2 * 20))); do
		sim status 2>/dev/null | grep -q "\"camera\":\"$1\"" && return 0
		sleep 0.05
	done
	sim status | sed 's/^/# status: /'
	return 1
}
unlock() { "$P" courier unlock --hub "$LINK" "$@"; }
evcount() { "$HUB" -f "$T/hub.conf" -E | wc -l; }
# hub_ms L0 PATTERN: the time (ms) in the ts= of the hub's first log line after
# line L0 that matches (waits up to 15 s): when the hub did it, not when a slow
# loop of sim status and -E runs saw it
hub_ms() {
	local ts
	for _ in $(seq 300); do
		ts=$(tail -n +"$(($1 + 1))" hub.log | grep -m 1 -e "$2" | sed -n 's/^ts=\([^ ]*\) .*/\1/p')
		[ -n "$ts" ] && { date -d "$ts" +%s%3N; return 0; }
		sleep 0.05
	done
	return 1
}
# The event log, read after a sim status: the hub answers that in a later turn
# of its loop, so every event of the turn before (written after its DECISION) is in.
since() { sim status >/dev/null 2>&1; "$HUB" -f "$T/hub.conf" -E | tail -n +"$(($1 + 1))"; }

# The marks receiver: binds the marks socket and prints each datagram as
# "kind clip seq time" (the CBOR map of porter/clip.h, decoded strictly
# enough to check the hub's bytes).
cat >marks.py <<'PY'
import os, socket, sys
path = sys.argv[1]
if os.path.exists(path): os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path)
def item(b, i):
    ib = b[i]; mt, ai = ib >> 5, ib & 31; i += 1
    if ai < 24: v = ai
    elif ai in (24, 25, 26, 27):
        n = 1 << (ai - 24); v = int.from_bytes(b[i:i + n], 'big'); i += n
    else: raise ValueError('head')
    if mt == 0: return v, i
    if mt == 2: return b[i:i + v], i + v
    if mt == 5:
        out = {}
        for _ in range(v):
            k, i = item(b, i); x, i = item(b, i); out[k] = x
        return out, i
    raise ValueError('type')
open(path + '.ready', 'w').close()
while True:
    d = s.recv(1024)
    if d[:1] == b'\x83':	# the hub's owner keys (porter/cam_owners.h), not a mark
        print('owners', len(d), flush=True)
        continue
    try:
        m, end = item(d, 0)
        assert end == len(d) and sorted(m) == [1, 2, 3, 4] and len(m[2]) == 16
        print(('start' if m[1] == 1 else 'end' if m[1] == 2 else 'bad'), m[2].hex(), m[3], m[4], flush=True)
    except Exception as e:
        print('malformed', d.hex(), e, flush=True)
PY
python3 marks.py "$T/run/marks.sock" >marks.out 2>&1 &
PIDS+=("$!")
for _ in $(seq 300); do [ -e "$T/run/marks.sock.ready" ] && break; sleep 0.05; done

conf "${CAMERA[@]}"
"$HUB" -f hub.conf -n >out 2>&1
ok "-n: the [camera] keys are valid" || show out
conf 'socket = /tmp/x.sock' 'id = cam-1'
"$HUB" -f hub.conf -n >out 2>&1; [ $? -eq 1 ] && grep -q "camera.key is required" out
ok "-n: a camera socket without its key is refused" || show out
conf 'socket = /tmp/x.sock' 'id = cam-1' 'key = AAAA'
"$HUB" -f hub.conf -n >out 2>&1; [ $? -eq 1 ] && grep -q "camera.key" out
ok "-n: a key that does not parse is refused" || show out

conf "${CAMERA[@]}"
start
ok "the hub starts, its camera socket mode 0660" || { show hub.log; echo "1..$n"; exit 1; }
[ "$(stat -c %a run/cam.sock)" = 660 ]
ok "the camera socket is 0660" || ls -la run | show
"$P" keygen -o owner.key >/dev/null && "$P" keygen -o courier.key >/dev/null
"$HUB" pair -f hub.conf -q >pair.out 2>&1
"$P" hub pair-local --key owner.key --home home-1 --hub-key "$(awk '/^hub key:/ {print $3}' pair.out)" \
	--hub "$LINK" --code "$(awk '/^pairing code:/ {print $3}' pair.out)" >pr.out 2>&1
ok "paired" || show pr.out
"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
	--expires +1h --entries 20 --camera -o cam.cbor >/dev/null &&
	"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
		--expires +1h --entries 20 -o plain.cbor >/dev/null
ok "credentials: one requires the camera, one does not"

unlock --cred cam.cbor --key courier.key >u0.out 2>&1; rc=$?
[ $rc -eq 25 ] && grep -q camera-unhealthy u0.out && sim status | grep -q '"camera":"unhealthy"'
ok "before porter-cam speaks: unhealthy, the camera credential refused (exit 25)" || show u0.out

# ---- healthy ----
cam_start live.conf live.log
camera healthy 12
ok "porter-cam on testsrc2: the hub sees the camera healthy" || { show live.log; show hub.log; }
"$HUB" -f hub.conf -E | grep -q 'camera.healthy'
ok "event: camera.healthy" || "$HUB" -f hub.conf -E | show
m=$(evcount)
unlock --cred cam.cbor --key courier.key >u1.out 2>&1; rc=$?
[ $rc -eq 0 ] && state unlocked
ok "healthy: the camera-required credential is granted" || { show u1.out; show hub.log; }
sim door open >/dev/null && state open && sim door close >/dev/null && state secured
ok "in and out: secured" || show hub.log
sleep 0.3
start_ev=$(since "$m" | grep ' session.start ')
end_ev=$(since "$m" | grep ' session.end ')
clip=$(sed -n 's/.*"clip":"\([0-9a-f]*\)".*/\1/p' <<<"$start_ev")
[ ${#clip} -eq 32 ] && grep -q "\"clip\":\"$clip\"" <<<"$end_ev"
ok "session.start and session.end carry the same random clip id" || since "$m" | show
sseq=$(awk '{print $1}' <<<"$start_ev") eseq=$(awk '{print $1}' <<<"$end_ev")
grep -q "^start $clip $sseq [0-9]*$" marks.out && grep -q "^end $clip $eseq [0-9]*$" marks.out
ok "START and END marks reached the marks socket: that clip, the events' seq ($sseq, $eseq)" ||
	{ show marks.out; echo "# want $clip $sseq $eseq"; }
t=$(awk -v c="$clip" '$1 == "start" && $2 == c {print $4}' marks.out)
[ -n "$t" ] && [ $(( $(now_ms) - t )) -lt 60000 ] && [ $(( $(now_ms) - t )) -ge 0 ]
ok "the mark's time is the hub's clock in ms" || show marks.out
! grep -q malformed marks.out
ok "every mark decodes" || show marks.out

# ---- killed ----
l0=$(wc -l <hub.log)
t0=$(now_ms)
cam_stop KILL
camera unhealthy 5 && ms=$(hub_ms "$l0" 'event=camera state=unhealthy') && el=$((ms - t0)) || el=never
[ "$el" != never ] && [ "$el" -le 3500 ]
ok "porter-cam killed: unhealthy after $el ms (max age 2 s)" || show hub.log
unlock --cred cam.cbor --key courier.key >u2.out 2>&1; rc=$?
[ $rc -eq 25 ] && grep -q "camera-unhealthy" u2.out && state secured
ok "the camera credential: refused camera-unhealthy (exit 25), the bolt never moved" || show u2.out
"$HUB" -f hub.conf -E | grep ' camera.unhealthy ' | tail -n 1 | grep -q '"status":"silent"'
ok "event: camera.unhealthy (silent)" || "$HUB" -f hub.conf -E | tail -n 5 | show
unlock --cred plain.cbor --key courier.key >u3.out 2>&1 && state unlocked
ok "a credential without the camera condition still opens" || show u3.out
sim door open >/dev/null; sim door close >/dev/null; state secured

# ---- frozen ----
cam_start still.conf still.log
t0=$(now_ms)
camera unhealthy 1 >/dev/null 2>&1
for _ in $(seq 200); do
	"$HUB" -f hub.conf -E | tail -n 20 | grep 'camera.unhealthy' | grep -q frozen && break
	sleep 0.05
done
el=$(( $(now_ms) - t0 ))
"$HUB" -f hub.conf -E | tail -n 20 | grep 'camera.unhealthy' | grep -q frozen
ok "smptebars (a still picture): camera.unhealthy (frozen) after $el ms" || { show still.log; show hub.log; }
unlock --cred cam.cbor --key courier.key >u4.out 2>&1; rc=$?
[ $rc -eq 25 ]
ok "frozen: the camera credential is refused (exit 25)" || show u4.out
cam_stop

# ---- a camera that fails during an entry ----
cam_start live.conf live2.log
camera healthy 12
ok "healthy again" || show live2.log
m=$(evcount)
unlock --cred cam.cbor --key courier.key >u5.out 2>&1 && state unlocked && sim door open >/dev/null &&
	state open
ok "an entry starts, the door stands open" || show u5.out
l0=$(wc -l <hub.log)
t0=$(now_ms)
cam_stop KILL
ms=$(hub_ms "$l0" 'event=alert type=camera-unhealthy') && el=$((ms - t0)) || el=never
since "$m" | grep 'alert.camera-unhealthy' | grep -q '"session"' && [ "$el" != never ] &&
	[ "$el" -le 3500 ]
ok "the camera dies during the entry: alert.camera-unhealthy with the session, $el ms after" ||
	since "$m" | show
since "$m" | grep 'alert.camera-unhealthy' | grep -q '"clip"'
ok "the alert names the open clip" || since "$m" | show
sim door close >/dev/null; state secured

# ---- the marks to a real porter-cam ----
# porter-cam's own clips ([clips] marks): it logs each mark it takes and
# closes the clip after its post-roll. Skipped when this porter-cam has
# no [clips] yet.
mkdir -m 755 run2
$ROOT && chown nobody run2
camconf clips.conf "lavfi:testsrc2=$SRC"
cat >>clips.conf <<EOF
[clips]
marks = $T/run2/clips.sock
owners = $T/owner.key.pub
preroll = 1s
postroll = 1s
segment = 1s
EOF
if "$CAM" -n -f clips.conf >clipsn.out 2>&1; then
	stop
	conf "${CAMERA[@]:0:4}" "marks = $T/run2/clips.sock"
	start
	cam_start clips.conf clips.log
	camera healthy 12
	for _ in $(seq 300); do [ -S run2/clips.sock ] && break; sleep 0.05; done
	m=$(evcount)
	unlock --cred cam.cbor --key courier.key >u8.out 2>&1 && state unlocked && sim door open >/dev/null &&
		state open && sim door close >/dev/null && state secured
	ok "porter-cam with clips: an entry in and out" || { show u8.out; show clips.log; }
	sleep 0.3
	start_ev=$(since "$m" | grep ' session.start ')
	end_ev=$(since "$m" | grep ' session.end ')
	clip=$(sed -n 's/.*"clip":"\([0-9a-f]*\)".*/\1/p' <<<"$start_ev")
	sseq=$(awk '{print $1}' <<<"$start_ev") eseq=$(awk '{print $1}' <<<"$end_ev")
	for _ in $(seq 300); do grep -q "event=mark kind=end clip=$clip" clips.log && break; sleep 0.05; done
	grep -q "event=mark kind=start clip=$clip seq=$sseq" clips.log &&
		grep -q "event=mark kind=end clip=$clip seq=$eseq" clips.log
	ok "porter-cam took the hub's START and END for clip $clip (seq $sseq, $eseq)" ||
		{ show clips.log; echo "# want $clip $sseq $eseq"; }
	for _ in $(seq 200); do grep -q "event=clip_closed clip=$clip" clips.log && break; sleep 0.05; done
	grep -q "event=clip_closed clip=$clip" clips.log
	ok "porter-cam closed that clip after its post-roll" || show clips.log
	! since "$m" | grep -q 'clip.mark-failed'
	ok "no mark failed" || since "$m" | show
	cam_stop
	m=$(evcount)
	unlock --cred plain.cbor --key courier.key >u9.out 2>&1 && state unlocked
	for _ in $(seq 300); do since "$m" | grep -q 'clip.mark-failed' && break; sleep 0.05; done
	since "$m" | grep 'clip.mark-failed' | grep -q '"kind":"start"' &&
		since "$m" | grep 'clip.mark-failed' | grep -q '"failures":1'
	ok "porter-cam gone: the START mark fails, recorded (clip.mark-failed, failures 1), the door still opens" ||
		since "$m" | show
	sim door open >/dev/null; sim door close >/dev/null; state secured
else
	for d in "an entry" "START and END" "clip closed" "no mark failed" "mark failed"; do
		n=$((n + 1)); echo "ok $n - porter-cam clips: $d # SKIP this porter-cam has no [clips]"
	done
fi

# ---- regression: the camera judged again when a waiting grant goes on ----
stop
CAMUID=$(id -u)
$ROOT && CAMUID=$(id -u nobody)
conf "${CAMERA[@]:0:4}" "uid = $CAMUID" '[alarm]' 'driver = sim' 'entry_zones = 1' \
	'bypass_timeout = 8s'
start
ok "restarted with the sim alarm panel and camera.uid = $CAMUID (porter-cam's user)" || show hub.log
"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
	--expires +1h --entries 5 --camera --alarm-bypass -o both.cbor >/dev/null
cam_start live.conf live4.log
camera healthy 12
ok "datagrams from porter-cam's uid are taken: healthy" || { show live4.log; show hub.log; }
sim alarm confirm off >/dev/null
m=$(evcount)
"$P" courier unlock --hub "$LINK" --cred both.cbor --key courier.key --timeout 20 >u10.out 2>&1 &
up=$!
for _ in $(seq 300); do sim status | grep -q '"waiting_for_panel":true' && break; sleep 0.05; done
sim status | grep -q '"waiting_for_panel":true'
ok "a camera-and-alarm credential waits for the (silent) panel" || { show u10.out; sim status | show; }
cam_stop KILL
camera unhealthy 5
sim alarm confirm on >/dev/null
wait "$up"; rc=$?
[ $rc -eq 25 ] && grep -q camera-unhealthy u10.out &&
	since "$m" | grep 'decision.refuse' | grep -q '"why":"changed-while-waiting"' &&
	! since "$m" | grep -q 'decision.grant\|lock.unlocking'
ok "the camera dies while the grant waits: refused camera-unhealthy when the panel confirms, the bolt never moved" ||
	{ show u10.out; since "$m" | show; }

# ---- regression: only porter-cam's uid may speak; refusals logged once per 10 s ----
stop
conf 'socket = /tmp/x.sock' 'id = cam-1' "key = $T/camstate/cam.key.pub" 'uid = no-such-user-here'
"$HUB" -f hub.conf -n >out 2>&1; [ $? -eq 1 ] && grep -q "camera.uid" out
ok "-n: a camera.uid that is no user is refused" || show out
conf "${CAMERA[@]:0:4}" 'uid = 4242'
l0=$(wc -l <hub.log)
start
cam_start live.conf live5.log
sleep 3.5
tail -n +"$((l0 + 1))" hub.log | grep 'event=camera_refused' >refused.out
sim status | grep -q '"camera":"unhealthy"' && grep -q 'last_reason=sender' refused.out &&
	[ "$(wc -l <refused.out)" -eq 1 ]
ok "camera.uid = 4242: porter-cam's datagrams dropped (sender), never healthy, one log line in 3.5 s" ||
	{ show refused.out; sim status | show; }
cam_stop

# ---- another camera key ----
stop
"$P" keygen -o other.key >/dev/null
conf "socket = $T/run/cam.sock" 'id = cam-1' "key = $T/other.key.pub" 'max_age = 2s'
start
cam_start live.conf live3.log
sleep 3
sim status | grep -q '"camera":"unhealthy"' && grep -q 'event=camera_refused .*last_reason=bad-signature' hub.log
ok "another camera's key configured: every message refused (bad-signature), never healthy" ||
	{ sim status | show; show hub.log; }
cam_stop

# ---- no camera ----
stop
conf
start
ok "restarted without a camera" || show hub.log
sim status | grep -q '"camera":null'
ok "status: no camera" || sim status | show
unlock --cred cam.cbor --key courier.key >u6.out 2>&1; rc=$?
[ $rc -eq 25 ]
ok "no camera: a credential that requires it is refused (exit 25)" || show u6.out
unlock --cred plain.cbor --key courier.key >u7.out 2>&1 && state unlocked
ok "a credential without the condition opens" || show u7.out
sim door open >/dev/null; sim door close >/dev/null; state secured
"$HUB" -f hub.conf -V >v.out 2>&1
ok "the event chain verifies" || show v.out
stop
! grep -q 'level=error' hub.log
ok "no error logged by the hub" || grep 'level=error' hub.log | show
! grep -q 'Sanitizer\|runtime error' hub.log
ok "no sanitizer report (ASan/UBSan builds)" || grep -A5 'Sanitizer\|runtime error' hub.log | show

echo "1..$n"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# porter-cam's live view end to end, TAP output (docs/cam.md, "Live view";
# porter/live.h): the real porter-cam (monitor, input worker, uploader) on
# an H.264 file made with the ffmpeg CLI, a hub key made here, orders
# signed with it by cam_live_order and sent to the marks socket as the
# hub sends them, cam_live_sink.py standing in for porterd's live routes
# (it stores what it gets and answers 410 when told), and cam_live_open
# opening what it stored with the viewer's X25519 secret (key record
# signature, live key, each fragment's signature, header, seal, prefix).
# Checked: ffprobe reads the result, H.264 at the source's size with the
# source's profile, level and extradata and a run of its packets (remuxed,
# not re-encoded); fragment durations about fragment_ms, capture times
# increasing and near the wall clock; a second session joins mid-stream
# and plays; a third is refused (sessions = 2); a 503 drops a fragment and
# the session goes on; a 403 ends it; after 410 no PUT of that
# session more than 3 s later, none after a session's expiry; on a slow link
# the camera drops fragments rather than queue them; orders
# signed by another key, for another camera, replayed, stale, expired or
# with too long an expiry upload nothing and are logged refused; a clip
# (START/END) is recorded beside it.
# Usage: test_cam_live.sh PORTER_CAM PORTER CAM_LIVE_ORDER CAM_LIVE_OPEN
# KEEP=1 keeps the directory.
set -u
CAM=$(realpath "$1")
P=$(realpath "$2")
ORDER=$(realpath "$3")
OPEN=$(realpath "$4")
SINK=$(realpath "$(dirname "$0")/cam_live_sink.py")
T=$(mktemp -d)
umask 022
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

ok() {
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1${TIMING:+ # ${SECONDS}s}"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 30; }
now_ms() { date +%s%3N; }
# wait_log FILE PATTERN SECONDS
wait_log() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

for c in ffmpeg ffprobe python3; do
	if ! command -v $c >/dev/null; then
		echo "1..0 # SKIP $c is needed"
		exit 0
	fi
done
if [ "$(id -u)" -eq 0 ]; then
	USERLINE="user = nobody"
	chmod 777 "$T"
else
	USERLINE=""
fi

"$P" keygen -o owner.key >/dev/null && "$P" keygen -o hub.key >/dev/null &&
	"$P" keygen -o other.key >/dev/null && chmod 644 owner.key.pub hub.key.pub
XPK=$("$OPEN" keygen viewer)
[ ${#XPK} -eq 64 ]
ok "keys: owner, hub, another key, the viewer's X25519 pair" || exit 1

ffmpeg -v error -f lavfi -i "testsrc2=size=320x240:rate=25" -t 30 -c:v libx264 -preset ultrafast \
	-g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p src.mp4 && chmod 644 src.mp4
ok "an H.264 file made with the ffmpeg CLI (a key frame a second)" || exit 1

mkdir sink
python3 "$SINK" "$T/sink" "$T/port" & PIDS+=($!)
for ((i = 0; i < 50; i++)); do [ -s port ] && break; sleep 0.1; done
PORT=$(cat port 2>/dev/null)
[ -n "$PORT" ]
ok "the sink listens on 127.0.0.1:$PORT" || exit 1

conf() {
	cat <<EOF
[cam]
id = cam-1
$USERLINE
input = $T/src.mp4
state_dir = $T/st
hub_socket = $T/hub.sock
[clips]
marks = $T/marks.sock
owners = $T/owner.key.pub
server = http://127.0.0.1:$PORT
preroll = 1s
postroll = 1s
segment = 2s
[live]
$1
EOF
}

# ---- configuration ----
conf "hub_key = $T/hub.key.pub" >c.conf
"$CAM" -n -v -f c.conf >out 2>&1 && grep -q "^live.hub_key = $T/hub.key.pub" out &&
	grep -q '^live.sessions = 2 ' out && grep -q '^live.fragment_ms = 1000 ' out
ok "-n -v prints the [live] keys and their defaults" || show out
conf "hub_key = AAAA" >bad.conf
! "$CAM" -n -f bad.conf >out 2>&1 && grep -q "live.hub_key" out
ok "a hub_key that is not a key: refused" || show out
conf "sessions = 3" >bad.conf
! "$CAM" -n -f bad.conf >out 2>&1 && grep -q "live.sessions" out
ok "sessions = 3: refused (1 .. 2)" || show out
conf "fragment_ms = 100" >bad.conf
! "$CAM" -n -f bad.conf >out 2>&1 && grep -q "live.fragment_ms" out
ok "fragment_ms = 100: refused (250 .. 5000)" || show out
printf '[cam]\ninput = x\n[live]\nhub_key = %s\n' "$(cut -d' ' -f2 hub.key.pub)" >bad.conf
! "$CAM" -n -f bad.conf >out 2>&1 && grep -q "needs clips.marks" out
ok "hub_key without clips.marks and clips.server: refused" || show out

CAMPK=$("$CAM" key -f c.conf | sed -n 's/^public key: *//p')
[ -n "$CAMPK" ]
ok "the camera key" || exit 1

"$CAM" -d -f c.conf 2>cam.log & CAMPID=$!
PIDS+=("$CAMPID")
wait_log cam.log "event=opened.*codec=h264" 10 && wait_log cam.log "event=upload_started.*live=1" 10
ok "porter-cam opened the H.264 file; the uploader runs with live on" || show cam.log
order() { "$ORDER" "$T/$1" "$T/marks.sock" "$2" "$XPK" "$3" "$4" "$5" ${6:-}; }

# ---- orders that must be refused ----
order other.key cam-1 new 0 60000 >/dev/null
wait_log cam.log "event=live result=refused reason=bad-signature" 5
ok "an order signed by another key: refused (bad-signature)" || show cam.log
order hub.key cam-2 new 0 60000 >/dev/null
wait_log cam.log "event=live result=refused reason=other-camera" 5
ok "an order for another camera: refused" || show cam.log
order hub.key cam-1 new -30000 10000 >/dev/null
wait_log cam.log "event=live result=refused reason=expired" 5
ok "an expired order: refused" || show cam.log
order hub.key cam-1 new -120000 300000 >/dev/null
wait_log cam.log "event=live result=refused reason=stale" 5
ok "an order signed 2 minutes ago (still unexpired): refused (stale)" || show cam.log
order hub.key cam-1 new 0 700000 raw >/dev/null
wait_log cam.log "event=live result=refused reason=\(malformed\|too-long\)" 5
ok "an order whose expiry is more than 600 s after its time: refused" || show cam.log
"$ORDER" send "$T/marks.sock" 8241004100
wait_log cam.log "event=live result=refused reason=malformed bytes=5" 5
ok "garbage shaped like an order: refused (malformed)" || show cam.log
sleep 1.1
m0=$(grep -c "event=live result=refused reason=malformed bytes=5" cam.log)
# (one process sends the 40: 40 processes started one after another take
# longer than 4 s on a loaded machine, and so are no burst)
"$ORDER" send "$T/marks.sock" 8241004100 40
wait_log cam.log "event=live result=refused reason=rate-limited dropped=" 5
m1=$(grep -c "event=live result=refused reason=malformed bytes=5" cam.log)
[ $((m1 - m0)) -lt 40 ]
ok "40 orders at once: at most 10 a second verified ($((m1 - m0))), the rest dropped and counted" ||
	show cam.log
sleep 1.1
sleep 0.5
[ -z "$(ls sink)" ] && ! grep -q "event=live result=started" cam.log
ok "none of them started a session or uploaded anything" || { ls -R sink; show cam.log; }

# ---- two sessions, a third refused, a replay refused; a clip beside ----
t1=$(now_ms)
S1=$(order hub.key cam-1 new 0 60000)
wait_log cam.log "event=live result=started session=$S1" 5
ok "an order signed by the hub key: session started" || show cam.log
sleep 2
S2=$(order hub.key cam-1 new 0 12000)
t2=$(now_ms)
wait_log cam.log "event=live result=started session=$S2" 5
ok "a second session started" || show cam.log
S3=$(order hub.key cam-1 new 0 60000)
wait_log cam.log "event=live result=refused reason=too-many session=$S3" 5
ok "a third at once: refused (sessions = 2)" || show cam.log
order hub.key cam-1 "$S1" 0 60000 >/dev/null
wait_log cam.log "event=live result=refused reason=replayed session=$S1" 5
ok "an order for a session id seen before: refused (replayed)" || show cam.log
CLIP=$("$P" cam mark --socket "$T/marks.sock" start --seq 3)
sleep 2
"$P" cam mark --socket "$T/marks.sock" end --clip "$CLIP" --seq 4 >/dev/null
sleep 2

# ---- 410 ends a session; expiry ends the other ----
echo "$S1 410" >sink/control
t410=$(now_ms)
wait_log cam.log "event=live_end session=$S1 reason=gone" 6
ok "410: the camera ends the session" || show cam.log
# from now on the sink answers session 2 with 503: wait for one (before the
# slow session below holds the uploader up, 2 s a PUT, and session 2 expires)
printf '%s 503\n' "$S2" >>sink/control
wait_log cam.log "event=live_upload session=$S2 index=[0-9]* result=dropped status=503" 10
# a session on a slow link: the sink takes 2 s to answer each of its PUTs (well
# inside the uploader's 3 s time-out), for 10 s: after its key record and init
# (4 s) media fragments still start before expiry, and more come than go
S4=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
printf '%s delay 2000\n' "$S4" >>sink/control
order hub.key cam-1 "$S4" 0 10000 >/dev/null
t4=$(now_ms)
wait_log cam.log "event=live result=started session=$S4" 5
ok "a session started while another runs on (sessions = 2 again after the 410)" || show cam.log
exp2=$((t2 + 12000))
exp4=$((t4 + 10000))
while [ "$(now_ms)" -lt $((exp2 + 3500)) ] || [ "$(now_ms)" -lt $((exp4 + 3500)) ] ||
	[ "$(now_ms)" -lt $((t410 + 3500)) ]; do sleep 0.3; done
grep -q "event=live_end session=$S2 reason=expired" cam.log
ok "the second session ends at its expiry" || show cam.log
grep -q "event=live_upload session=$S2 index=[0-9]* result=dropped status=503" cam.log
ok "503: that fragment is dropped, the session goes on (to its expiry)" || show cam.log
d=$(sed -n "s/.*event=live_end session=$S4 .* dropped=\([0-9]*\).*/\1/p" cam.log)
[ "${d:-0}" -gt 0 ] && grep -q "event=live_end session=$S4 reason=expired" cam.log
ok "a slow link: the camera dropped fragments of that session ($d) rather than queue them" || show cam.log
late=$(awk -v s="$S1" -v t=$((t410 + 3000)) '$3 ~ s && $1 > t' sink/requests.log | wc -l)
[ "$late" -eq 0 ] && grep -q " PUT /v1/live/$S1/fragments/[0-9]* [0-9]* -> 410" sink/requests.log
ok "no PUT of the 410 session more than 3 s after the 410 answers began" || show sink/requests.log
late=$(awk -v s="$S2" -v t=$((exp2 + 3000)) '$3 ~ s && $1 > t' sink/requests.log | wc -l)
late4=$(awk -v s="$S4" -v t=$((exp4 + 3000)) '$3 ~ s && $1 > t' sink/requests.log | wc -l)
[ "$late" -eq 0 ] && [ "$late4" -eq 0 ]
ok "no PUT of an expired session more than 3 s after its expiry" || show sink/requests.log
wait_log cam.log "event=live_muxer result=stopped" 3
ok "the worker's live muxer stopped with the last session" || show cam.log
wait_log cam.log "event=clip_closed clip=$CLIP" 8
ok "the clip (START/END) was recorded beside live view" || show cam.log
for s in $S1 $S2; do grep -q "Content-Type: application/cbor" sink/$s/keyrec.hdr &&
	grep -q "Porter-Camera: cam-1" sink/$s/000001.frag.hdr &&
	grep -q "Content-Type: application/octet-stream" sink/$s/000001.frag.hdr || break; done
ok "key record and fragments carry Porter-Camera and the content types" || ls -R sink

# another 4xx (403): the session ends at once, logged with its status
S5=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
echo "$S5 403" >>sink/control
order hub.key cam-1 "$S5" 0 30000 >/dev/null
wait_log cam.log "event=live_end session=$S5 reason=server-403" 6 &&
	grep -q "event=live_upload session=$S5 result=ended status=403" cam.log
ok "403 from the server: the session ends, logged with the status" || show cam.log

kill -TERM "$CAMPID"; wait "$CAMPID"
# The sink has no clip routes: the clip is refused (404) and kept, an error line of its own.
grep -q "event=stopped" cam.log && ! grep "level=error" cam.log | grep -vq "event=upload_refused" &&
	! grep -q "signal=31" cam.log && ! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" cam.log
ok "porter-cam stops cleanly: no error but the sink's refused clip, no SIGSYS, no sanitizer report" || show cam.log

# ---- what the viewer gets ----
"$OPEN" open "sink/$S1" "$CAMPK" cam-1 viewer s1.mp4 >s1.txt 2>&1
ok "session 1 opens with the viewer's key: key record, signatures, headers, seals" || show s1.txt
"$OPEN" open "sink/$S2" "$CAMPK" cam-1 viewer s2.mp4 gaps >s2.txt 2>&1
ok "session 2 (joined mid-stream; it shared the uploader with the slow one) opens" || show s2.txt
"$OPEN" open "sink/$S4" "$CAMPK" cam-1 viewer s4.mp4 gaps >s4.txt 2>&1 &&
	ffmpeg -v error -i s4.mp4 -f null - >dec4.out 2>&1 && [ ! -s dec4.out ]
ok "the slow session opens and decodes, what reached the sink" || { show s4.txt; show dec4.out; } || show s2.txt
"$OPEN" keygen stranger >/dev/null
! "$OPEN" open "sink/$S1" "$CAMPK" cam-1 stranger x.mp4 >x.txt 2>&1
[ $? -eq 0 ] && grep -q "does not open\|another" x.txt
ok "another viewer key cannot open it" || show x.txt
! "$OPEN" open "sink/$S1" "$(cut -d' ' -f2 other.key.pub)" cam-1 viewer x.mp4 >x.txt 2>&1 &&
	grep -q "does not verify" x.txt
ok "another camera key does not verify the key record" || show x.txt
mkdir -p "flip/$S1" && cp sink/$S1/* "flip/$S1/" && f=flip/$S1/000002.frag && at=$(($(stat -c %s $f) / 2)) &&
	b=$(od -An -tu1 -j $at -N1 $f | tr -d ' ') &&
	printf "\\$(printf %03o $((b ^ 1)))" | dd of=$f bs=1 seek=$at conv=notrunc status=none
! "$OPEN" open "flip/$S1" "$CAMPK" cam-1 viewer x.mp4 >x.txt 2>&1 && grep -q "fragment 2" x.txt
ok "a flipped byte in fragment 2 is caught" || show x.txt

# one ffprobe per file: stream (codec, profile, level, size, extradata hash), duration, packet sizes
pr() { ffprobe -v error -select_streams v:0 -show_data_hash SHA256 -show_entries \
	stream=codec_name,profile,level,width,height,extradata_hash:format=duration:packet=size \
	-of default=nw=1 "$1" >"$2"; grep -v '^size=\|^duration=' "$2" >"$2.stream";
	echo " $(sed -n 's/^size=//p' "$2" | tr '\n' ' ')" >"$2.sizes"; }
pr src.mp4 src.probe
for s in s1 s2; do
	pr $s.mp4 $s.probe && grep -q "codec_name=h264" $s.probe.stream &&
		grep -q "width=320" $s.probe.stream && grep -q "height=240" $s.probe.stream &&
		diff -q src.probe.stream $s.probe.stream >/dev/null || break
done
ok "ffprobe: H.264, 320x240, the source's profile, level and extradata (not re-encoded)" ||
	{ show src.probe.stream; show s1.probe.stream; show s2.probe.stream; }
np=$(wc -w <s1.probe.sizes)
grep -qF -- "$(cat s1.probe.sizes)" src.probe.sizes && [ "$np" -gt 50 ]
ok "session 1's packets are a run of the source's packets ($np of them)" || true
ffmpeg -v error -i s1.mp4 -i s2.mp4 -map 0:v -map 1:v -f null - >dec.out 2>&1 && [ ! -s dec.out ]
ok "both decode without an error" || show dec.out

# fragments: durations about fragment_ms, capture times increasing, near the wall clock
python3 - s1.txt "$t1" "$t410" <<'EOF'
import sys
rows = [dict(kv.split("=") for kv in l.split()) for l in open(sys.argv[1]) if l.startswith("index=")]
t1, t410 = int(sys.argv[2]), int(sys.argv[3])
media = rows[1:]
caps = [int(r["capture_ms"]) for r in media]
durs = [int(r["duration_ms"]) for r in media]
print("# fragments %d, durations %s" % (len(media), durs))
assert rows[0]["index"] == "0" and rows[0]["capture_ms"] == "0", "fragment 0 is the init"
assert len(media) >= 4, "too few fragments"
assert all(900 <= d <= 1100 for d in durs), "durations"
assert all(b > a for a, b in zip(caps, caps[1:])), "capture times increase"
assert all(abs((b - a) - d) <= 500 for a, b, d in zip(caps, caps[1:], durs)), "spacing"
assert t1 - 1500 <= caps[0] <= t1 + 5000, "first capture near the order"
assert caps[-1] <= t410 + 1000, "capture times before the end"
EOF
ok "session 1: fragments of about 1000 ms, capture times increasing and near the wall clock" || show s1.txt
dur=$(sed -n "s/^duration=//p" s1.probe)
frags=$(sed -n 's/^fragments=//p' s1.txt)
awk -v d="$dur" -v f="$frags" 'BEGIN { exit !(d >= (f - 1) * 0.9 && d <= (f - 1) * 1.1) }'
ok "ffprobe's duration ($dur s) is the media fragments' ($((frags - 1)))" || show s1.txt
! grep -qi -- "$(cut -c1-16 viewer.xsk)" cam.log
ok "nothing of the viewer's secret in the log" || true

echo "1..$n"
[ $failed -eq 0 ]

#!/usr/bin/env bash
# porter-cam's health verdicts on H.264 with B-frames, with and without the
# frames no other frame references skipped at the decoder (docs/cam.md,
# "Decoding"), TAP output. The real porter-cam reads H.264 files made with
# the ffmpeg CLI (libx264's default: B-frames, most of them unreferenced),
# at their own rate, under its sandbox; `porter cam health` checks its
# signed messages as the hub does. Each case runs twice: analyse_fps = 5
# (25 fps is 3x that or more: unreferenced frames skipped, logged
# frames=unreferenced) and analyse_fps = 10 (below 3x: every frame
# decoded, frames=none); the verdicts must be the same:
#   live (testsrc2): healthy throughout, never frozen;
#   a freeze (testsrc2 for 4 s, then its last frame repeated: the deauth
#   attack): frozen, not before 4 s + health.frozen;
#   reference taken from the live file, then the view mirrored: moved.
# No timing is asserted beyond what pacing guarantees (a verdict cannot
# come sooner than the picture allows). Usage: test_cam_decode.sh
# PORTER_CAM PORTER. KEEP=1 keeps the directory.
set -u
CAM=$(realpath "$1")
P=$(realpath "$2")
T=$(mktemp -d)
umask 022
chmod 755 "$T"	# the camera's user (nobody, when we are root) reads here
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
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 30; }
now_ms() { date +%s%3N; }

if ! command -v ffmpeg >/dev/null; then
	echo "1..0 # SKIP the ffmpeg CLI (Debian's ffmpeg) is needed"
	exit 0
fi
USERLINE=""
[ "$(id -u)" -eq 0 ] && USERLINE="user = nobody"

# conf NAME INPUT ANALYSE_FPS
conf() {
	cat >"$1" <<EOF
[cam]
id = cam-1
$USERLINE
input = $T/$2
state_dir = $T/state
hub_socket = $T/hub.sock
[input]
open_timeout = 5s
io_timeout = 3s
[health]
analyse_fps = $3
frozen = 2s
black = 1s
moved = 2s
stall = 3s
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
health() {
	"$P" cam health --socket "$T/hub.sock" --mode 0666 --key "$T/state/cam.key.pub" \
		--id cam-1 "$@"
}

# ---- the sources: 320x180, 25 fps, 30 s, libx264 defaults (B-frames) ----
mk() { # NAME FILTERGRAPH
	ffmpeg -v error -f lavfi -i "$2" -t 30 -c:v libx264 -preset veryfast -g 50 \
		-pix_fmt yuv420p "$1.mp4" && chmod 644 "$1.mp4"
}
frames() { # FILE [SKIP]: frames the ffmpeg CLI decodes, with -skip_frame SKIP
	ffmpeg -hide_banner -threads 1 -skip_frame "${2:-default}" -i "$1" -f null - 2>&1 |
		tr '\r' '\n' | sed -n 's/^frame= *\([0-9]*\).*/\1/p' | tail -n 1
}
SRC="size=320x180:rate=25"
mk live "testsrc2=$SRC" && mk freeze "testsrc2=$SRC:d=4,tpad=stop_mode=clone:stop_duration=26" &&
	mk mirror "testsrc2=$SRC,hflip"
ok "three H.264 files made with the ffmpeg CLI (live, a freeze after 4 s, mirrored)" ||
	{ echo "1..$n"; exit 1; }
all=$(frames live.mp4) ref=$(frames live.mp4 noref)
[ "${all:-0}" -eq 750 ] && [ "${ref:-0}" -gt 0 ] && [ "$ref" -lt "$all" ]
ok "the live file has unreferenced frames: $ref of $all decoded when they are skipped" ||
	echo "# all=$all noref=$ref"

for afps in 5 10; do
	if [ "$afps" -eq 5 ]; then mode=unreferenced; else mode=none; fi
	rm -rf state

	# ---- live ----
	conf live.conf live.mp4 "$afps"
	"$CAM" key -f live.conf >out 2>&1
	ok "analyse_fps=$afps: camera key made" || show out
	start live.conf "live-$afps.log"
	health --until ok --timeout 15 >h0.out 2>&1 && health --count 8 --timeout 20 >h.out 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ "$(grep -c 'status=ok' h.out)" -eq 8 ] && ! grep -q -E 'frozen|black|stalled' h.out
	ok "analyse_fps=$afps, live: 8 health messages in a row, all ok, never frozen" ||
		{ show h0.out h.out; show "live-$afps.log"; }
	grep "event=decode_skip frames=$mode rate=25/1" "live-$afps.log" >/dev/null
	ok "analyse_fps=$afps: the worker logs frames=$mode" || show "live-$afps.log"
	echo "# analysed pictures per second (fps=): $(grep -o 'fps=[0-9]*' h.out | tr '\n' ' ')"
	stop

	# ---- a freeze after 4 s ----
	conf freeze.conf freeze.mp4 "$afps"
	t0=$(now_ms)
	start freeze.conf "freeze-$afps.log"
	health --until frozen --timeout 25 >h.out 2>&1
	rc=$?
	el=$(( $(now_ms) - t0 ))
	[ $rc -eq 0 ] && [ "$el" -ge 6000 ] && grep -q 'status=ok' h.out &&
		grep -q 'status=frozen.*healthy=no' h.out
	ok "analyse_fps=$afps, live then frozen: ok first, frozen after $el ms (4 s + frozen 2 s at least)" ||
		{ show h.out; show "freeze-$afps.log"; }
	stop

	# ---- moved: reference from the live file, then the view mirrored ----
	"$CAM" reference -f live.conf >out 2>&1
	ok "analyse_fps=$afps: reference taken from the live H.264 file" || show out
	conf mirror.conf mirror.mp4 "$afps"
	start live.conf "same-$afps.log"
	health --until ok --timeout 15 >h.out 2>&1
	m=$(tail -n 1 h.out | tr ' ' '\n' | sed -n 's/^match=//p')
	[ $? -eq 0 ] && [ -n "$m" ] && [ "$m" != "-" ] && [ "$m" -ge 400 ]
	ok "analyse_fps=$afps: the same view matches the reference ($m per mille)" ||
		{ show h.out; show "same-$afps.log"; }
	stop
	start mirror.conf "mirror-$afps.log"
	health --until moved --timeout 20 >h.out 2>&1
	[ $? -eq 0 ] && ! grep -q frozen h.out
	ok "analyse_fps=$afps, the view mirrored: moved, not frozen" || { show h.out; show "mirror-$afps.log"; }
	stop
done

echo "1..$n"
[ "$failed" -eq 0 ]

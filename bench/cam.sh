#!/usr/bin/env bash
# bench/cam.sh [BUILD [BASE]]: what porter-cam costs in CPU per stream, as a share
# of one core: utime + stime of its two processes (monitor and input
# worker) from /proc/<pid>/stat over BENCH_CAM_SECONDS (default 10) after
# 3 s of warm-up. Measures, never asserts (the goal, at most 15% of one
# core per 1080p stream, is judged in docs/performance.md).
#
#   testsrc2          FFmpeg's lavfi testsrc2, 1920x1080 at 25 fps, generated
#                     inside the worker (what the brief asked for); the
#                     generator's own cost is in the figure, so it is also
#                     measured alone (the ffmpeg CLI, -re, to a null sink)
#   h264 all / keys   a 1080p25 H.264 file (4 Mb/s, GOP 2 s: an IP
#                     camera's main stream), made once with the ffmpeg CLI,
#                     read at its own rate; decode = all (every frame) and
#                     decode = keyframes
#   h264 1080p30 +clip  a 1080p30 H.264 file (4 Mb/s, GOP 2 s), health as
#                     above (decode = all and keyframes) while a clip is
#                     being recorded the whole time (START before the
#                     measurement, no END): remux into 2 s fMP4 segments,
#                     sealing, signing and fsync'd spool writes included;
#                     and the same stream without clips, for the difference
#   B-frames / no B-frames  four streams, 1080p25 and 1080p30, 4 Mb/s,
#                     GOP 2 s, made alike: libx264's default (B-frames) and
#                     -bf 0 (none, as many IP cameras send); decode = all;
#                     BENCH_CAM_ROUNDS times (default 1). With BASE (another
#                     build directory, e.g. main's), each stream is read by
#                     BASE's porter-cam (before) and BUILD's (after) one
#                     after the other, the order swapped every other round
# Then bench/cam_seal: sealing throughput against bare secretstream on the
# same data in the same run.
# Each with analyse_fps = 5 (the default). The H.264 rows need the ffmpeg
# CLI (Debian's ffmpeg); without it they are left out.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
base=${2:-}
secs=${BENCH_CAM_SECONDS:-10}
rounds=${BENCH_CAM_ROUNDS:-1}
cam=$build/porter-cam
fail() { echo "bench: $*" >&2; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || fail "cannot set up '$build'"
fi
ninja -C "$build" porter-cam porter bench/cam_seal >/dev/null || fail "cannot build porter-cam"
if [ -n "$base" ]; then
	[ -f "$base/build.ninja" ] || fail "'$base' is not a build directory"
	ninja -C "$base" porter-cam >/dev/null || fail "cannot build porter-cam in '$base'"
fi
T=$(mktemp -d)
chmod 777 "$T"	# nobody (when we are root) binds the marks socket here
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
user=""
[ "$(id -u)" -eq 0 ] && user="user = nobody"
hz=$(getconf CLK_TCK)

ticks() { # PID: utime + stime
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# run KEY NAME INPUT DECODE [clip]
run() {
	local key=$1 name=$2 input=$3 decode=$4 clip=${5:-} pid wpid m0 w0 m1 w1 i
	cat >"$T/$key.conf" <<EOF
[cam]
$user
input = $input
state_dir = $T/state
hub_socket = $T/hub.sock
[input]
decode = $decode
EOF
	if [ -n "$clip" ]; then
		printf '[clips]\nmarks = %s/marks.sock\nowners = %s/owner.key.pub\nmax_length = 30m\n' \
			"$T" "$T" >>"$T/$key.conf"
	fi
	"$cam" -d -f "$T/$key.conf" 2>"$T/$key.log" &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 50); do
		grep -q 'event=opened' "$T/$key.log" 2>/dev/null && break
		sleep 0.2
	done
	wpid=$(sed -n 's/.*event=worker_start pid=\([0-9]*\).*/\1/p' "$T/$key.log" | tail -n 1)
	[ -n "$wpid" ] || { echo "| $name | did not start | | |"; return; }
	[ -n "$clip" ] && "$build/porter" cam mark --socket "$T/marks.sock" start >/dev/null
	sleep 3
	m0=$(ticks "$pid") w0=$(ticks "$wpid")
	sleep "$secs"
	m1=$(ticks "$pid") w1=$(ticks "$wpid")
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	if grep -q 'event=worker_exit' "$T/$key.log"; then
		echo "| $name | the worker restarted during the run: see below | | |"
		grep 'event=worker_exit' "$T/$key.log" | head -n 3
		return
	fi
	awk -v m=$((m1 - m0)) -v w=$((w1 - w0)) -v hz="$hz" -v s="$secs" -v n="$name" \
		'BEGIN { printf "| %s | %.1f%% | %.1f%% | %.1f%% |\n", n, 100*m/hz/s, 100*w/hz/s, 100*(m+w)/hz/s }'
}

echo "porter-cam CPU per stream, % of one core over ${secs} s ($(nproc) cores, $(date -u +%Y-%m-%d))"
echo
echo "| source | monitor | worker | total |"
echo "|---|---|---|---|"
run testsrc2 "testsrc2 1080p25" "lavfi:testsrc2=size=1920x1080:rate=25" all
if command -v ffmpeg >/dev/null 2>&1; then
	ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=1920x1080:rate=25 \
		-t $((secs + 3)) -f null - &
	gpid=$!
	sleep 3
	g0=$(ticks "$gpid")
	sleep "$secs"
	g1=$(ticks "$gpid")
	wait "$gpid" 2>/dev/null
	awk -v g=$((g1 - g0)) -v hz="$hz" -v s="$secs" \
		'BEGIN { printf "| (testsrc2 1080p25 alone, ffmpeg -re to null) | | | %.1f%% |\n", 100*g/hz/s }'
	ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1920x1080:rate=25 \
		-t $((secs + 8)) -c:v libx264 -preset veryfast -b:v 4M -maxrate 4M -bufsize 8M \
		-g 50 -pix_fmt yuv420p "$T/h264.mp4" || fail "cannot make the H.264 file"
	run h264-all "h264 1080p25 4 Mb/s, decode all" "$T/h264.mp4" all
	run h264-key "h264 1080p25 4 Mb/s, decode keyframes" "$T/h264.mp4" keyframes
	ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 \
		-t $((secs + 10)) -c:v libx264 -preset veryfast -b:v 4M -maxrate 4M -bufsize 8M \
		-g 60 -pix_fmt yuv420p "$T/h264-30.mp4" || fail "cannot make the H.264 file"
	"$build/porter" keygen -o "$T/owner.key" >/dev/null && chmod 644 "$T/owner.key.pub"
	run h30-all "h264 1080p30 4 Mb/s, decode all" "$T/h264-30.mp4" all
	run h30-all-clip "h264 1080p30 4 Mb/s, decode all, recording a clip" "$T/h264-30.mp4" all clip
	run h30-key-clip "h264 1080p30 4 Mb/s, decode keyframes, recording a clip" "$T/h264-30.mp4" \
		keyframes clip
	segs=$(find "$T/state/spool" -name '*.seg' 2>/dev/null | wc -l)
	echo "| (segments sealed and spooled during the clip rows: $segs) | | | |"
	# mk NAME RATE X264-ARGS...: the B-frame comparison's streams.
	mk() {
		local name=$1 rate=$2
		shift 2
		ffmpeg -hide_banner -loglevel error -y -f lavfi \
			-i "testsrc2=size=1920x1080:rate=$rate" -t $((secs + 10)) -c:v libx264 \
			-preset veryfast -b:v 4M -maxrate 4M -bufsize 8M -g $((2 * rate)) "$@" \
			-pix_fmt yuv420p "$T/$name.mp4" || fail "cannot make $name.mp4"
	}
	mk b25 25
	mk p25 25 -bf 0
	mk b30 30
	mk p30 30 -bf 0
	after=$cam
	# ab KEY ROW-NAME FILE: BASE's porter-cam (when given), then BUILD's;
	# the order swapped every other round.
	ab() {
		local order="before after" which
		[ $((r % 2)) -eq 0 ] && order="after before"
		for which in $order; do
			if [ "$which" = before ]; then
				[ -n "$base" ] || continue
				cam=$base/porter-cam
				run "$1-before" "$2, before ($base), round $r" "$3" all
			else
				cam=$after
				run "$1-after" "$2${base:+, after ($build)}, round $r" "$3" all
			fi
		done
		cam=$after
	}
	for r in $(seq "$rounds"); do
		for f in b25 p25 b30 p30; do
			case $f in
			b*) what="B-frames (x264 default)" ;;
			*) what="no B-frames (-bf 0)" ;;
			esac
			ab "$f" "h264 1080p${f#?} 4 Mb/s, $what, decode all" "$T/$f.mp4"
		done
	done
else
	echo "| h264 rows | no ffmpeg CLI: left out | | |"
fi
echo
"$build/bench/cam_seal" 1024 32 7

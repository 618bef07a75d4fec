#!/usr/bin/env bash
# bench/live.sh [BUILD]: live view (docs/live.md) on make run's whole stack
# (scripts/run.sh with this build, free loopback ports, a temporary state
# directory), with porter-cam reading a 1080p H.264 source it remuxes
# without re-encoding:
#
#   source      FFmpeg's lavfi testsrc2, 1920x1080 at 25 fps, encoded once
#               with the ffmpeg CLI (libx264 veryfast, 4 Mb/s, a key frame
#               every BENCH_LIVE_GOP frames, default 25: one a second),
#               looped with -stream_loop into a file long enough for the
#               whole run, read by porter-cam at its own rate (input.pace)
#   latency     glass to glass as `porter live --stats` reports it: a
#               fragment's capture time (the camera's clock, when its first
#               picture was read) to the moment porter live has fetched,
#               verified, decrypted and written it (same machine, same
#               clock); p50 and p95 over every media fragment
#   porterd CPU utime + stime of porterd (/proc/PID/stat, all its threads)
#               over BENCH_LIVE_SECONDS (default 60) with 0 viewers (the
#               baseline: MQTT, time beacons, the hub's state), 1 viewer
#               and 2 viewers ([live] viewers_per_home, default 2), each
#               measured from the first media fragment on, in the same
#               run; per viewer = (n viewers - baseline) / n
#
# The viewers write to /dev/null (--out -). Everything shares the
# machine's cores: porter-cam (decoding 1080p for its health checks),
# the viewers, the broker, the hub and whatever else runs; the load
# average is printed. Measures, never asserts: the goals (p50 < 2 s,
# p95 < 3 s, porterd < 2% of a core per 1080p viewer) are judged in
# docs/performance.md.
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
secs=${BENCH_LIVE_SECONDS:-60}
gop=${BENCH_LIVE_GOP:-25}
fail() { echo "bench: $*" >&2; exit 1; }

for b in ffmpeg python3 setsid; do
	command -v "$b" >/dev/null 2>&1 || fail "$b is not installed"
done
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || fail "cannot set up '$build'"
fi
ninja -C "$build" porter porterd porter-hub porter-cam >/dev/null || fail "cannot build in '$build'"
BUILD=$(cd "$build" && pwd)
[ -x "$BUILD/porter-cam" ] || fail "$BUILD/porter-cam is not built (FFmpeg's libraries missing?)"

T=$(mktemp -d "${TMPDIR:-/tmp}/porter-bench-live.XXXXXX")
chmod 0711 "$T"	# the camera's user (nobody, as root) reads the source here
V=$T/var
RUNPID="" VIEWERS=()
cleanup() {
	local f p
	for p in "${VIEWERS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	if [ -n "$RUNPID" ] && kill -0 "$RUNPID" 2>/dev/null; then
		kill -TERM -- "-$RUNPID" 2>/dev/null
		for _ in $(seq 150); do kill -0 "$RUNPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$RUNPID" 2>/dev/null
	fi
	for f in porterd hub cam mosquitto; do
		p=$(cat "$V/run/$f.pid" 2>/dev/null) && [ "$p" -gt 1 ] 2>/dev/null &&
			kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
hz=$(getconf CLK_TCK)
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # SECONDS command...
	local end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# ---- the source: 1080p25 H.264, long enough for the whole run ----
total=$((secs * 3 + 150))
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1920x1080:rate=25 -t 10 \
	-c:v libx264 -preset veryfast -b:v 4M -maxrate 4M -bufsize 8M -g "$gop" -keyint_min "$gop" \
	-pix_fmt yuv420p "$T/clip.mp4" || fail "cannot make the H.264 clip"
ffmpeg -hide_banner -loglevel error -y -stream_loop $((total / 10)) -i "$T/clip.mp4" -c copy \
	"$T/source.mp4" || fail "cannot loop the H.264 clip"
chmod 0644 "$T/source.mp4"

# ---- the stack: run.sh with this build; porter-cam reads the source ----
# run.sh writes porter-cam's configuration (lavfi test source) at every
# start; this build directory's porter-cam is the real one, started on a
# copy of that configuration whose input is the 1080p file.
mkdir "$T/build"
for b in porter porterd porter-hub web; do
	[ -e "$BUILD/$b" ] && ln -s "$BUILD/$b" "$T/build/$b"
done
cat >"$T/build/porter-cam" <<EOF
#!/bin/sh
# bench/live.sh: the real porter-cam, its input the bench's source
n=\$#
i=0
for a in "\$@"; do
	i=\$((i + 1))
	if [ "\$prev" = -f ] && [ "\${a##*/}" = porter-cam.conf ]; then
		sed 's|^input = .*|input = $T/source.mp4|' "\$a" >"\${a%.conf}.bench.conf"
		chmod 0644 "\${a%.conf}.bench.conf"
		a=\${a%.conf}.bench.conf
	fi
	set -- "\$@" "\$a"
	prev=\$a
done
shift "\$n"
exec "$BUILD/porter-cam" "\$@"
EOF
chmod 0755 "$T/build/porter-cam"

HTTP=$(free_port) MQTT=$(free_port) LINK=$(free_port)
PORTER_VAR=$V PORTER_BUILD=$T/build PORTER_HTTP_PORT=$HTTP PORTER_MQTT_PORT=$MQTT \
	PORTER_LINK_PORT=$LINK PORTER_STOP_WAIT=5 setsid sh scripts/run.sh >"$T/run.out" 2>&1 &
RUNPID=$!
ready() { grep -q '^run *| ready$' "$T/run.out" || ! kill -0 "$RUNPID" 2>/dev/null; }
wait_for 150 ready
grep -q '^run *| ready$' "$T/run.out" || { tail -n 30 "$T/run.out" >&2; fail "the stack did not start"; }
grep -q "^input = $T/source.mp4" "$V/etc/porter-cam.bench.conf" ||
	fail "porter-cam was not started on the 1080p source"
export PORTER_CONFIG=$V/demo/client.conf
HOME_ID=$(cat "$V/demo/home.id")
CAMKEY=$(sed -n 's/^public key: *//p' "$V/run/cam.key.out")
PD=$(cat "$V/run/porterd.pid")

# measure NAME: porterd's CPU over $secs s from now, as % of one core
measure() {
	local a b
	a=$(ticks "$PD")
	sleep "$secs"
	b=$(ticks "$PD")
	awk -v t=$((b - a)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.2f", 100 * t / hz / s }'
}
# viewers N: start N viewers, wait for a media fragment at each, measure
viewers() {
	local k i
	VIEWERS=()
	for k in $(seq "$1"); do
		"$BUILD/porter" live --home "$HOME_ID" --key "$V/demo/owner.key" --camera-key "$CAMKEY" \
			--seconds $((secs + 25)) --stats --out - >/dev/null 2>"$T/viewer$1.$k.err" &
		VIEWERS+=($!)
	done
	for k in $(seq "$1"); do
		for i in $(seq 150); do
			grep -q '^live: fragment=[1-9]' "$T/viewer$1.$k.err" && break
			sleep 0.2
		done
		grep -q '^live: fragment=[1-9]' "$T/viewer$1.$k.err" ||
			{ cat "$T/viewer$1.$k.err" >&2; fail "viewer $k of $1 got no video"; }
	done
	CPU[$1]=$(measure)
	for i in "${VIEWERS[@]}"; do wait "$i" || echo "bench: a viewer exited $?" >&2; done
	VIEWERS=()
	sleep 3	# the camera stops those sessions
}
summary() { # FILE KEY
	sed -n "s/^live: summary .* $2=\([0-9]*\).*/\1/p" "$1"
}

declare -A CPU
load0=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 5
CPU[0]=$(measure)
viewers 1
viewers 2
load1=$(cut -d' ' -f1-3 /proc/loadavg)

echo "live view, 1080p25 H.264 4 Mb/s (key frame every $gop frames), ${secs} s per row," \
	"$(nproc) cores, load average $load0 at the start, $load1 at the end ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "| viewers | porterd CPU, % of one core | per viewer, over the baseline | fragments | latency p50 | latency p95 | max |"
echo "|---|---:|---:|---:|---:|---:|---:|"
echo "| 0 (baseline) | ${CPU[0]}% | | | | | |"
for nv in 1 2; do
	for k in $(seq "$nv"); do
		f=$T/viewer$nv.$k.err
		awk -v c="${CPU[$nv]}" -v b="${CPU[0]}" -v nv="$nv" -v k="$k" \
			-v fr="$(summary "$f" fragments)" -v p50="$(summary "$f" latency_ms_p50)" \
			-v p95="$(summary "$f" latency_ms_p95)" -v mx="$(summary "$f" latency_ms_max)" \
			'BEGIN { if (k == 1) printf "| %d | %s%% | %.2f%% |", nv, c, (c - b) / nv
				 else printf "| (viewer %d) | | |", k
				 printf " %s | %.2f s | %.2f s | %.2f s |\n", fr, p50 / 1000, p95 / 1000, mx / 1000 }'
	done
done

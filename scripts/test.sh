#!/bin/sh
# make test: build and run every test, then again under ASan + UBSan, then
# replay the fuzz corpora and fuzz each target briefly. Ends with the line
# "N passed, N failed" (also left in build/test-summary.txt).
set -u
cd "$(dirname "$0")/.."
FUZZ_BRIEF=${FUZZ_BRIEF:-10}
status=0
logs=""

step() { printf '\n== %s\n' "$*"; }

# The suites that drive the whole stack through a browser or a script
# (make run's stack, Debian's chromium) run in the gcc build only: under
# ASan they doubled CI time and test no C that the integration suites do
# not already run under ASan. So do the integration suites' PostgreSQL
# runs (suite pg): the store's PostgreSQL code runs under ASan in
# store-pg, and the rest of porterd is the same code as on SQLite. Also
# gcc only, to keep CI under 30 minutes on two cores: make run's stack
# (suite run: the daemons' start-up, which every integration suite runs
# under ASan), RTSP input (cam-rtsp: cam-clip still records from RTSP
# under ASan, and suite cam runs the same worker on files and lavfi), and the
# hub killed mid-stream (hub-crash-events: durability; the same replay and
# batching code runs under ASan in hub-state's crash rounds), and
# cam-decode (the same verdicts with and without skipped frames: cam-clip
# decodes an H.264 file with frames skipped under ASan).
GCC_ONLY="web-e2e web-live demo live-cli pg run cam-rtsp hub-crash-events cam-decode"

setup() { # builddir [meson setup options...]
	dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
}

# How many tests run at once. The gcc suites mostly sleep on daemons,
# sockets and timers: three at a time, the CPU was still about a third idle
# and the suites took 603 s instead of 805 s with two (a fresh clone's
# .ci/run, 2026-12-04). The ASan + UBSan suites use more CPU (about half
# idle with two): two. The tests that must run alone (is_parallel: false)
# still do.
JOBS_GCC=${TEST_JOBS_GCC:-3}
JOBS_ASAN=${TEST_JOBS_ASAN:-2}
for j in "$JOBS_GCC" "$JOBS_ASAN"; do
	case $j in ''|0*|*[!0-9]*) echo "TEST_JOBS_GCC / TEST_JOBS_ASAN: '$j' is not a count" >&2; exit 1 ;; esac
done

run_tests() { # builddir jobs skip-suites
	dir=$1; jobs=$2; skip=$3
	step "test $dir ($jobs at a time)"
	set --
	for s in $skip; do set -- "$@" --no-suite "$s"; done
	meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" "$@" || status=1
	logs="$logs $dir/meson-logs/testlog.json"
}

ASAN_OPTS="-Db_sanitize=address,undefined -Db_lundef=false -Dbench=false"

mkdir -p build
step "web app (scripts/web.sh build/web)"
sh scripts/web.sh build/web || status=1
step "build build"
setup build && ninja -C build || { echo "build failed"; exit 1; }

# The gcc suites mostly wait on daemons, sockets and timers, so the
# ASan + UBSan build and the fuzz targets are built meanwhile, and the
# corpora replayed and each target fuzzed briefly, all at the lowest
# priority (the suites keep the CPU when they want it) and the fuzzing one
# target at a time (one core stays free for the suites). -max_total_time
# is wall time, so a busy machine fuzzes less, never longer.
step "in the background: build build-asan and build-fuzz (build/background-build.log), then fuzz (build/fuzz.log)"
rm -f build/fuzz-results.txt build/fuzz.log build/fuzz.status
# shellcheck disable=SC2086
( setup build-asan $ASAN_OPTS && nice -n 19 ninja -C build-asan &&
  nice -n 19 sh scripts/fuzz.sh --build ) >build/background-build.log 2>&1 &
bg=$!
( wait_bg() { while kill -0 $bg 2>/dev/null; do sleep 1; done; }
  wait_bg
  [ -x build-fuzz/fuzz/fuzz_link ] || exit 0	# the build failed: said below
  FUZZ_SECONDS=$FUZZ_BRIEF FUZZ_JOBS=1 RESULTS=build/fuzz-results.txt \
	nice -n 19 sh scripts/fuzz.sh >build/fuzz.log 2>&1
  echo $? >build/fuzz.status ) &
fz=$!
rm -f build/meson-logs/testlog.json build-asan/meson-logs/testlog.json	# never an earlier run's
run_tests build "$JOBS_GCC" ""
step "waiting for the background build"
if ! wait $bg; then
	tail -n 60 build/background-build.log
	echo "background build failed"
	status=1
fi
if [ -f build-asan/build.ninja ] && ninja -C build-asan >/dev/null; then
	run_tests build-asan "$JOBS_ASAN" "$GCC_ONLY"
else
	echo "FAIL: the ASan build" >&2; status=1
	logs="$logs build-asan/meson-logs/testlog.json"	# counted as a failure
fi

step "fuzz: replay corpora, then ${FUZZ_BRIEF}s of fuzzing per target (run in the background)"
wait $fz
if [ -s build/fuzz-results.txt ]; then
	cat build/fuzz.log
	[ "$(cat build/fuzz.status 2>/dev/null)" = 0 ] || status=1
else
	# not run (the fuzz build failed above): counted as a failure
	tail -n 30 build/fuzz.log 2>/dev/null
	echo "FAIL fuzz-not-run" >build/fuzz-results.txt
	status=1
fi
logs="$logs build/fuzz-results.txt"

step "summary"
python3 scripts/count.py $logs | tee build/test-summary.txt
[ "$(tail -n 1 build/test-summary.txt | sed 's/.* passed, \([0-9]*\) failed/\1/')" = 0 ] || status=1
exit $status

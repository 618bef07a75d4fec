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
# store-pg, and the rest of porterd is the same code as on SQLite.
GCC_ONLY="web-e2e web-live demo live-cli pg"

run_suite() { # builddir skip-suites [meson setup options...]
	dir=$1; skip=$2; shift 2
	step "build $dir $*"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" || return 1
	step "test $dir"
	set --
	for s in $skip; do set -- "$@" --no-suite "$s"; done
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
	logs="$logs $dir/meson-logs/testlog.json"
}

mkdir -p build
step "web app (scripts/web.sh build/web)"
sh scripts/web.sh build/web || status=1
run_suite build "" || status=1
run_suite build-asan "$GCC_ONLY" -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false || status=1

step "fuzz: replay corpora, then ${FUZZ_BRIEF}s of fuzzing per target"
FUZZ_SECONDS=$FUZZ_BRIEF RESULTS=build/fuzz-results.txt sh scripts/fuzz.sh || status=1
logs="$logs build/fuzz-results.txt"

step "summary"
python3 scripts/count.py $logs | tee build/test-summary.txt
[ "$(tail -n 1 build/test-summary.txt | sed 's/.* passed, \([0-9]*\) failed/\1/')" = 0 ] || status=1
exit $status

#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan), replay each committed
# corpus, then fuzz each target for FUZZ_SECONDS (default 300), FUZZ_JOBS
# targets at a time (default: one per core). New inputs go to
# build-fuzz/corpus/, never into the committed corpus. Writes
# "PASS name" / "FAIL name" lines to $RESULTS if set.
#
#   sh scripts/fuzz.sh            build, replay and fuzz every target
#   sh scripts/fuzz.sh --build    only build the targets (make test builds
#                                 them while the gcc suites run)
#   sh scripts/fuzz.sh --one NAME replay and fuzz one built target (fuzz_NAME)
set -u
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-300}
RESULTS=${RESULTS:-/dev/null}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
dir=build-fuzz

build() {
	if [ ! -f "$dir/build.ninja" ]; then
		CC=clang meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
			>"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	# Only the fuzz targets (the daemons are built and tested by the gcc builds).
	targets=""
	for src in fuzz/fuzz_*.c; do targets="$targets fuzz/$(basename "$src" .c)"; done
	# shellcheck disable=SC2086
	ninja -C "$dir" $targets
}

# One target: replay its corpus, then fuzz it. Its output is kept in a file
# and printed whole at the end, so that targets run side by side do not
# interleave their lines; its results are appended in one write each.
one() {
	name=$1
	target=${name#fuzz_}
	exe=$dir/fuzz/$name
	corpus=fuzz/corpus/$target
	dict=fuzz/$target.dict
	out=$dir/$name.out
	rc=0
	: >"$out"
	if [ ! -x "$exe" ]; then
		echo "FAIL $name (not built)" >>"$out"; echo "FAIL $name-build" >>"$RESULTS"
		cat "$out"; return 1
	fi
	if [ ! -d "$corpus" ]; then
		echo "FAIL $name: no corpus in $corpus" >>"$out"; echo "FAIL $name-corpus" >>"$RESULTS"
		cat "$out"; return 1
	fi
	set --
	[ -f "$dict" ] && set -- "-dict=$dict"
	if "$exe" "$@" -runs=0 "$corpus" >"$dir/$name.replay.log" 2>&1; then
		echo "PASS $name-replay" >>"$RESULTS"
		echo "ok: $name replayed $(ls "$corpus" | wc -l) inputs" >>"$out"
	else
		echo "FAIL $name-replay" >>"$RESULTS"
		{ echo "FAIL: $name replay"; tail -n 30 "$dir/$name.replay.log"; } >>"$out"
		rc=1
	fi
	mkdir -p "$dir/corpus/$target" "$dir/artifacts/$target"
	if "$exe" "$@" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/artifacts/$target/" "$dir/corpus/$target" "$corpus" \
		>"$dir/$name.fuzz.log" 2>&1; then
		echo "PASS $name-fuzz" >>"$RESULTS"
		echo "ok: $name fuzzed ${SECS}s: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/$name.fuzz.log" | tail -n1)$(tail -n 1 "$dir/$name.fuzz.log" | grep -o 'Done [0-9]* runs')" >>"$out"
	else
		echo "FAIL $name-fuzz" >>"$RESULTS"
		{ echo "FAIL: $name fuzz"; tail -n 40 "$dir/$name.fuzz.log"; } >>"$out"
		rc=1
	fi
	cat "$out"
	return $rc
}

case "${1:-}" in
--build)
	build
	exit $?
	;;
--one)
	one "$2"
	exit $?
	;;
esac

: >"$RESULTS"
build || { echo "FAIL fuzz-build" >>"$RESULTS"; exit 1; }
status=0
names=""
for src in fuzz/fuzz_*.c; do names="$names $(basename "$src" .c)"; done
# xargs exits non-zero if any target failed.
# shellcheck disable=SC2086
printf '%s\n' $names | FUZZ_SECONDS=$SECS RESULTS=$RESULTS \
	xargs -P "$JOBS" -n 1 sh "$0" --one || status=1
exit $status

#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan), replay each committed
# corpus, then fuzz each target for FUZZ_SECONDS (default 300). New inputs
# go to build-fuzz/corpus/, never into the committed corpus. Writes
# "PASS name" / "FAIL name" lines to $RESULTS if set.
set -u
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-300}
RESULTS=${RESULTS:-/dev/null}
: >"$RESULTS"
dir=build-fuzz
status=0

if [ ! -f "$dir/build.ninja" ]; then
	CC=clang meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		>"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; echo "FAIL fuzz-build" >>"$RESULTS"; exit 1; }
fi
# Only the fuzz targets (the daemons are built and tested by the gcc builds).
targets=""
for src in fuzz/fuzz_*.c; do targets="$targets fuzz/$(basename "$src" .c)"; done
# shellcheck disable=SC2086
ninja -C "$dir" $targets || { echo "FAIL fuzz-build" >>"$RESULTS"; exit 1; }

for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	target=${name#fuzz_}
	exe=$dir/fuzz/$name
	corpus=fuzz/corpus/$target
	dict=fuzz/$target.dict
	[ -x "$exe" ] || { echo "FAIL $name (not built)"; echo "FAIL $name-build" >>"$RESULTS"; status=1; continue; }
	[ -d "$corpus" ] || { echo "FAIL $name: no corpus in $corpus"; echo "FAIL $name-corpus" >>"$RESULTS"; status=1; continue; }
	set -- 
	[ -f "$dict" ] && set -- "-dict=$dict"
	if "$exe" "$@" -runs=0 "$corpus" >"$dir/$name.replay.log" 2>&1; then
		echo "PASS $name-replay" >>"$RESULTS"; echo "ok: $name replayed $(ls "$corpus" | wc -l) inputs"
	else
		echo "FAIL $name-replay" >>"$RESULTS"; tail -n 30 "$dir/$name.replay.log"; status=1
	fi
	mkdir -p "$dir/corpus/$target" "$dir/artifacts/$target"
	if "$exe" "$@" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/artifacts/$target/" "$dir/corpus/$target" "$corpus" \
		>"$dir/$name.fuzz.log" 2>&1; then
		echo "PASS $name-fuzz" >>"$RESULTS"
		echo "ok: $name fuzzed ${SECS}s: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/$name.fuzz.log" | tail -n1)$(tail -n 1 "$dir/$name.fuzz.log" | grep -o 'Done [0-9]* runs')"
	else
		echo "FAIL $name-fuzz" >>"$RESULTS"; tail -n 40 "$dir/$name.fuzz.log"; status=1
	fi
done
exit $status

#!/bin/sh
# bench/run.sh [BUILD]: the cost of one full decision at the door (2-link
# chain plus proof, pt_decide) as a ratio to the three bare Ed25519 checks
# it must make (3 x crypto_sign_verify_detached over the same messages),
# measured in the same run. `make bench` runs `sh bench/run.sh build`.
#
#   instructions  callgrind, N iterations minus 0 iterations (the setup
#                 cancels out), divided by N: the stable figure, and the
#                 one the ratio is taken from
#   wall clock    median ns over BENCH_WALL_N interleaved rounds, not under
#                 valgrind: shared machines drift, compare within one run
#   breakdown     callgrind collecting only inside one function at a time
#                 (--toggle-collect), N minus 0 iterations: inclusive
#                 instructions per decision of each part
#
# Prints markdown tables. Exits non-zero only if something failed to run,
# never on a threshold (the goal, <= 1.15x, is judged in docs/performance.md).
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
N=${BENCH_N:-50}
WALL_N=${BENCH_WALL_N:-5000}
exe=$build/bench/bench_decide

fail() { echo "bench: $*" >&2; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || fail "cannot set up '$build'"
fi
ninja -C "$build" bench/bench_decide >/dev/null 2>"$build/bench.build.log" || {
	# bench/ is configured by Meson: a new build dir may need a reconfigure
	meson setup --reconfigure "$build" >/dev/null 2>&1 &&
		ninja -C "$build" bench/bench_decide >/dev/null 2>"$build/bench.build.log"
} || { cat "$build/bench.build.log" >&2; fail "cannot build bench_decide in '$build'"; }
command -v valgrind >/dev/null || fail "valgrind not found (apt-get install valgrind)"

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM

# ir MODE N [callgrind options]: total instructions of one run
ir() {
	mode=$1 n=$2
	shift 2
	out=$tmp/cg.$mode.$n
	valgrind --tool=callgrind --callgrind-out-file="$out" "$@" "$exe" "$mode" "$n" \
		>"$tmp/log.$mode.$n" 2>&1 || { cat "$tmp/log.$mode.$n" >&2; return 1; }
	sed -n 's/^summary: *//p' "$out" | head -n 1
}

dN=$(ir decide "$N") && d0=$(ir decide 0) || fail "callgrind run of 'decide' failed"
vN=$(ir verify3 "$N") && v0=$(ir verify3 0) || fail "callgrind run of 'verify3' failed"
[ -n "$dN" ] && [ -n "$d0" ] && [ -n "$vN" ] && [ -n "$v0" ] || fail "no callgrind summary"
wall=$("$exe" wall "$WALL_N") || fail "wall-clock run failed"
wd=$(echo "$wall" | sed -n 's/^decide_ns //p')
wv=$(echo "$wall" | sed -n 's/^verify3_ns //p')

echo "| per decision | pt_decide (2 links + proof) | 3 x crypto_sign_verify_detached | ratio |"
echo "|---|---:|---:|---:|"
awk -v dN="$dN" -v d0="$d0" -v vN="$vN" -v v0="$v0" -v n="$N" 'BEGIN {
	d = (dN - d0) / n; v = (vN - v0) / n
	printf "| instructions (callgrind, N=%d) | %.0f | %.0f | %.3f |\n", n, d, v, d / v
}'
awk -v d="$wd" -v v="$wv" -v n="$WALL_N" 'BEGIN {
	printf "| wall clock, median of %d (ns) | %d | %d | %.3f |\n", n, d, v, d / v
}'
awk -v dN="$dN" -v d0="$d0" -v vN="$vN" -v v0="$v0" -v n="$N" 'BEGIN {
	d = (dN - d0) / n; v = (vN - v0) / n
	printf "\noverhead beyond the signature checks: %.0f instructions per decision (%.1f%%)\n",
	    d - v, 100 * (d - v) / v
}'

# Inclusive instructions per decision of each part: callgrind collecting
# only inside that function (--toggle-collect), N minus 0 iterations again.
# Parts nest: pt_chain_verify holds two of the three signature checks.
echo
echo "| part of pt_decide (inclusive, callgrind) | instructions per decision | share |"
echo "|---|---:|---:|"
for fn in crypto_sign_verify_detached pt_chain_decode pt_grant_decode_claims pt_grant_check \
	cbor_stream_decode pt_chain_verify crypto_hash_sha256 \
	pt_kid pt_cose_headers pt_sign1_tbs pt_grant_narrows pt_proof_message \
	pt_grant_time_check pt_tz_local; do
	pN=$(ir decide "$N" --toggle-collect="$fn") && p0=$(ir decide 0 --toggle-collect="$fn") &&
		[ -n "$pN" ] && [ -n "$p0" ] || fail "callgrind run for '$fn' failed"
	awk -v fn="$fn" -v pN="$pN" -v p0="$p0" -v dN="$dN" -v d0="$d0" -v n="$N" 'BEGIN {
		p = (pN - p0) / n; d = (dN - d0) / n
		printf "| %s | %.0f | %.1f%% |\n", fn, p, 100 * p / d
	}'
done
echo
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPU, $(uname -m), valgrind $(valgrind --version | sed 's/valgrind-//')"

# porter-hub (issue 4): unlock exchanges over the local link against their
# unavoidable parts, with the hub's RSS (bench/exchange.sh), and revocation
# fan-out from porterd to 1,000 hubs (bench/fanout.sh). Results:
# docs/performance.md, "porter-hub".
echo
sh bench/exchange.sh "$build" || fail "bench/exchange.sh failed"
echo
bash bench/fanout.sh "$build" || fail "bench/fanout.sh failed"

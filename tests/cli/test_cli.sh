#!/usr/bin/env bash
# The porter CLI driven as a user would, TAP output. Usage: test_cli.sh PORTER
set -u
P=$(realpath "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
n=0 failed=0

ok() { # description, then the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
# expect CODE description cmd...: exit code CODE, never a crash
expect() {
	local want=$1 what=$2; shift 2
	"$@" >out.txt 2>err.txt
	local got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ]; then echo "ok $n - $what (exit $got)"
	else echo "not ok $n - $what: exit $got, want $want"; sed 's/^/# /' out.txt err.txt; failed=$((failed + 1)); fi
}
# bad input: non-zero, below 128 (no signal), exactly one line on stderr
bad_input() {
	local what=$1; shift
	"$@" >out.txt 2>err.txt
	local got=$? lines
	lines=$(wc -l <err.txt)
	n=$((n + 1))
	if [ "$got" -ne 0 ] && [ "$got" -lt 128 ] && [ "$lines" -eq 1 ]; then echo "ok $n - $what: one line, exit $got"
	else echo "not ok $n - $what: exit $got, $lines stderr lines"; sed 's/^/# /' err.txt; failed=$((failed + 1)); fi
}

# usage errors: exit 1, the problem on the first line, at most a hint after it
usage_error() {
	local what=$1; shift
	"$@" >out.txt 2>err.txt
	local got=$? lines
	lines=$(wc -l <err.txt)
	n=$((n + 1))
	if [ "$got" -eq 1 ] && [ "$lines" -le 2 ] && head -n 1 err.txt | grep -q '^porter: '; then echo "ok $n - $what: usage error"
	else echo "not ok $n - $what: exit $got, $lines stderr lines"; sed 's/^/# /' err.txt; failed=$((failed + 1)); fi
}

# Keys
expect 0 "keygen owner" "$P" keygen -o owner.key
[ "$(stat -c %a owner.key)" = 600 ]; ok "secret key file is 0600"
[ "$(cat out.txt)" = "$("$P" pubkey owner.key)" ]; ok "printed key = pubkey of the file"
[ "$("$P" pubkey owner.key.pub)" = "$("$P" pubkey owner.key)" ]; ok "pubkey of .pub = pubkey of secret"
seed=$(cut -d" " -f2 owner.key); [ -n "$seed" ] && ! grep -qF -- "$seed" out.txt; ok "the seed is never printed"
expect 2 "keygen refuses to replace a key" "$P" keygen -o owner.key
expect 0 "keygen --force replaces" "$P" keygen -o spare.key
for k in carrier courier thief other; do "$P" keygen -o $k.key >/dev/null; done
cp carrier.key loose.key && chmod 644 loose.key
# Regression (security review): --force must not write a seed through a hard link.
printf 'precious\n' >victim.txt && ln victim.txt linked.key
expect 0 "keygen --force over a hard link" "$P" keygen -o linked.key --force
[ "$(cat victim.txt)" = precious ]; ok "the hard link's other name keeps its contents"
ln -s owner.key sym.key
bad_input "a symlinked secret key file is refused" "$P" grant --key sym.key --holder courier.key.pub --home h --purpose guest --expires +1d -o x.cred

bad_input "a key file readable by others is refused" "$P" grant --key loose.key --holder courier.key.pub --home h --purpose guest --expires +1d -o x.cred

# A delivery: owner -> carrier -> courier
NBF=2026-12-01T00:00:00Z EXP=2026-12-31T00:00:00Z
expect 0 "root grant to the carrier" "$P" grant --key owner.key --holder carrier.key.pub \
	--home home-7f3a --lock front --purpose delivery --not-before $NBF --expires $EXP \
	--tz Europe/Berlin --weekly "mon-fri 08:00-20:00" --entries 50 --depth 1 --camera \
	--alarm-bypass --door-open-max 90 -o carrier.cred
expect 0 "carrier delegates one entry to the courier" "$P" grant --key carrier.key \
	--parent carrier.cred --holder courier.key.pub --entries 1 \
	--window 2026-12-08T08:00:00Z/2026-12-08T12:00:00Z \
	--not-before 2026-12-08T08:00:00Z --expires 2026-12-08T12:00:00Z \
	--note "dog inside: leave the parcel in the hall" -o courier.cred
size=$(stat -c %s courier.cred)
[ "$size" -lt 600 ]; ok "typical 2-link chain is under 600 bytes ($size)"
expect 0 "inspect" "$P" cred inspect courier.cred
python3 -c 'import json,sys; d=json.load(open("out.txt")); assert len(d["links"])==2 and d["links"][1]["entries"]==1 and d["signatures_verified"] is False' ; ok "inspect prints the chain as JSON"

V=("$P" cred verify courier.cred --trust owner.key.pub --hub hub-01 --lock front)
AT=2026-12-08T09:00:00Z	# Tuesday 10:00 in Berlin, inside the window
expect 0 "grant with proof of possession" "${V[@]}" --at $AT --holder-key courier.key
grep -q "^decision: grant" out.txt && grep -q "note for the holder: dog inside" out.txt; ok "grant output shows the note"
expect 0 "grant without holder key (possession not checked)" "${V[@]}" --at $AT
grep -q "NOT checked" out.txt; ok "says possession was not checked"
expect 12 "copied credential, other device's key: bad-signature" "${V[@]}" --at $AT --holder-key thief.key
expect 16 "untrusted root" "$P" cred verify courier.cred --trust other.key.pub --hub hub-01 --lock front --at $AT
expect 21 "wrong lock" "$P" cred verify courier.cred --trust owner.key.pub --hub hub-01 --lock back --at $AT
expect 21 "wrong home" "${V[@]}" --home home-other --at $AT
expect 17 "not yet valid" "${V[@]}" --at 2026-12-08T07:00:00Z
expect 18 "expired" "${V[@]}" --at 2026-12-08T12:00:00Z
expect 18 "expired (one second before is fine)" "${V[@]}" --at @1796731200
expect 0 "last second of the window" "${V[@]}" --at 2026-12-08T11:59:59Z
expect 19 "outside the weekly schedule (root link, Saturday)" "$P" cred verify carrier.cred \
	--trust owner.key.pub --hub hub-01 --lock front --at 2026-12-12T10:00:00Z
expect 19 "outside the weekly schedule (Tuesday 21:00 Berlin)" "$P" cred verify carrier.cred \
	--trust owner.key.pub --hub hub-01 --lock front --at 2026-12-08T20:00:00Z
expect 0 "weekly schedule follows Berlin time (Tuesday 19:59 Berlin)" "$P" cred verify carrier.cred \
	--trust owner.key.pub --hub hub-01 --lock front --at 2026-12-08T18:59:00Z

# Delegation may only narrow
expect 14 "grant refuses to widen entries" "$P" grant --key carrier.key --parent carrier.cred \
	--holder courier.key.pub --entries 51 -o wide.cred
[ ! -e wide.cred ]; ok "nothing written for a refused grant"
expect 14 "grant refuses a later expiry" "$P" grant --key carrier.key --parent carrier.cred \
	--holder courier.key.pub --expires 2027-01-31T00:00:00Z -o wide.cred
expect 0 "--unchecked signs a widening (to test hubs)" "$P" grant --key carrier.key \
	--parent carrier.cred --holder courier.key.pub --entries 51 --unchecked -o wide.cred
expect 14 "verify refuses the widened link" "$P" cred verify wide.cred --trust owner.key.pub \
	--hub hub-01 --lock front --at $AT
expect 2 "only the holder may delegate" "$P" grant --key thief.key --parent carrier.cred \
	--holder thief.key.pub -o stolen.cred
expect 0 "--unchecked lets a non-holder sign a link" "$P" grant --key thief.key --parent carrier.cred \
	--holder thief.key.pub --unchecked -o stolen.cred
expect 13 "verify: link not signed by the previous holder" "$P" cred verify stolen.cred \
	--trust owner.key.pub --hub hub-01 --lock front --at $AT --holder-key thief.key
expect 14 "courier (depth 0) cannot delegate further" "$P" grant --key courier.key \
	--parent courier.cred --holder other.key.pub -o deeper.cred

# Chains longer than four links
"$P" grant --key owner.key --holder carrier.key.pub --home h --purpose guest --expires $EXP --depth 3 -o c1 >/dev/null
"$P" grant --key carrier.key --parent c1 --holder courier.key.pub --depth 2 -o c2 >/dev/null
"$P" grant --key courier.key --parent c2 --holder other.key.pub --depth 1 -o c3 >/dev/null
expect 0 "a 4-link chain" "$P" grant --key other.key --parent c3 --holder thief.key.pub -o c4
expect 15 "a fifth link: chain-too-long" "$P" grant --key thief.key --parent c4 --holder owner.key.pub --unchecked -o c5
expect 0 "the 4-link chain verifies" "$P" cred verify c4 --trust owner.key.pub --hub hub-01 --lock any --at 2026-12-01T00:00:00Z --holder-key thief.key

# Bad input: one clear line, a non-zero exit, never a crash or a hang
head -c 1000 /dev/urandom >garbage.cred
bad_input "garbage" "$P" cred inspect garbage.cred
: >empty.cred
bad_input "empty file" "$P" cred inspect empty.cred
bad_input "missing file" "$P" cred inspect nosuch.cred
bad_input "a directory" "$P" cred inspect .
head -c 3000 /dev/zero >big.cred
expect 32 "oversized credential: too-large" "$P" cred inspect big.cred
printf '\xa1\x01\x02' >map.cred
bad_input "wrong types (a map, not a chain)" "$P" cred inspect map.cred
crashes=0
for len in $(seq 1 7 $((size - 1))) $((size - 1)); do
	head -c "$len" courier.cred >trunc.cred
	"$P" cred verify trunc.cred --trust owner.key.pub --hub hub-01 --lock front --at $AT >/dev/null 2>err.txt
	rc=$?
	if [ $rc -eq 0 ] || [ $rc -ge 128 ] || [ "$(wc -l <err.txt)" -gt 1 ]; then
		crashes=$((crashes + 1)); echo "# truncated to $len bytes: exit $rc"; sed 's/^/# /' err.txt
	fi
done
[ $crashes -eq 0 ]; ok "every truncation of the chain is refused cleanly"
bad_input "garbage public key" "$P" cred verify courier.cred --trust not-a-key --hub hub-01 --lock front
usage_error "bad time" "$P" cred verify courier.cred --trust owner.key.pub --hub hub-01 --lock front --at yesterday
bad_input "bad weekly spec" "$P" grant --key owner.key --holder carrier.key.pub --home h --purpose guest --expires +1d --tz Europe/Berlin --weekly "someday 25:00-26:00" -o x.cred
bad_input "unsafe time zone name" "$P" grant --key owner.key --holder carrier.key.pub --home h --purpose guest --expires +1d --tz ../../etc/passwd --weekly "mon 09:00-10:00" -o x.cred
bad_input "stranger without expiry" "$P" grant --key owner.key --holder carrier.key.pub --home h --purpose guest -o x.cred
bad_input "terminal escape in a note" "$P" grant --key owner.key --holder carrier.key.pub --home h --purpose guest --expires +1d --note $'\e[2Jhi' -o x.cred
usage_error "unknown command" "$P" frobnicate
for c in keygen pubkey grant cred; do
	expect 0 "$c --help" "$P" $c --help
done
grep -q -- "--holder-key" out.txt; ok "cred --help explains --holder-key"

echo "1..$n"
[ $failed -eq 0 ]

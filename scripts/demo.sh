#!/bin/sh
# make demo: an offline walk through porter's credentials with the porter
# CLI: an owner delegates in-home delivery to a carrier, the carrier gives
# one courier device one entry, and the hub's decision engine judges the
# courier and a row of attacks. Exits 0 only if every row is as expected.
set -u
P=$(realpath "${1:-build/porter}")
dir=${DEMO_DIR:-var/demo}
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
fails=0
rows=""

say() { printf '%s\n' "$*"; }
# row "what" expected-exit expected-code cmd...
row() {
	what=$1 want=$2 code=$3; shift 3
	"$@" >out.txt 2>err.txt
	got=$?
	if [ "$got" -eq "$want" ]; then mark="as expected"; else mark="UNEXPECTED (exit $got)"; fails=$((fails + 1)); fi
	rows="$rows$(printf '| %-52s | %-22s | %s |' "$what" "$code" "$mark")
"
}

say "== keys: each party makes its own; private halves never leave their files (0600)"
for k in owner carrier courier thief server; do
	printf '  %-8s %s\n' "$k" "$("$P" keygen -o $k.key)"
done

say ""
say "== the owner delegates in-home delivery to the carrier: weekdays 08-20 Berlin time,"
say "   camera and alarm required, 50 entries in December, may delegate one level"
"$P" grant --key owner.key --holder carrier.key.pub --home home-7f3a --lock front \
	--purpose delivery --not-before 2026-12-01T00:00:00Z --expires 2026-12-31T00:00:00Z \
	--tz Europe/Berlin --weekly "mon-fri 08:00-20:00" --entries 50 --depth 1 \
	--camera --alarm-bypass --door-open-max 90 -o carrier.cred | sed 's/^/  /'

say ""
say "== just in time, the carrier gives one courier device one entry for a 2-hour window"
"$P" grant --key carrier.key --parent carrier.cred --holder courier.key.pub --entries 1 \
	--not-before 2026-12-08T08:00:00Z --expires 2026-12-08T10:00:00Z \
	--note "dog inside: leave the parcel in the hall" -o courier.cred | sed 's/^/  /'

AT=2026-12-08T09:00:00Z
V="$P cred verify courier.cred --trust owner.key.pub --hub hub-01 --lock front"
say ""
say "== at the door, Tuesday 10:00 Berlin: the courier device proves it holds the key"
$V --at $AT --holder-key courier.key | sed 's/^/  /'

row "courier with the device key, in the window" 0 ok $V --at $AT --holder-key courier.key
row "credential copied to another device (no key)" 12 bad-signature $V --at $AT --holder-key thief.key
row "after the window" 18 expired $V --at 2026-12-08T10:00:00Z --holder-key courier.key
row "Saturday, outside the owner's weekdays" 19 outside-schedule \
	$P cred verify carrier.cred --trust owner.key.pub --hub hub-01 --lock front --at 2026-12-12T10:00:00Z --holder-key carrier.key
row "another lock of the home" 21 wrong-home-or-lock \
	$P cred verify courier.cred --trust owner.key.pub --hub hub-01 --lock garage --at $AT --holder-key courier.key
"$P" grant --key carrier.key --parent carrier.cred --holder courier.key.pub --entries 500 --unchecked -o wide.cred >/dev/null
row "carrier widens its grant (500 entries)" 14 widened-link \
	$P cred verify wide.cred --trust owner.key.pub --hub hub-01 --lock front --at $AT --holder-key courier.key
"$P" grant --key server.key --holder thief.key.pub --home home-7f3a --purpose delivery --entries 1 --expires 2026-12-31T00:00:00Z -o forged.cred >/dev/null
row "server forges a grant with its own key" 16 untrusted-root \
	$P cred verify forged.cred --trust owner.key.pub --hub hub-01 --lock front --at $AT --holder-key thief.key
"$P" grant --key thief.key --parent carrier.cred --holder thief.key.pub --unchecked -o stolen.cred >/dev/null
row "thief appends a link to the carrier's grant" 13 broken-chain \
	$P cred verify stolen.cred --trust owner.key.pub --hub hub-01 --lock front --at $AT --holder-key thief.key
head -c 300 courier.cred >cut.cred
row "truncated credential" 11 malformed \
	$P cred verify cut.cred --trust owner.key.pub --hub hub-01 --lock front --at $AT --holder-key courier.key

say ""
say "| attack or case                                       | reason                 | result |"
say "|------------------------------------------------------|------------------------|--------|"
printf '%s' "$rows"
say ""
if [ $fails -eq 0 ]; then
	say "every row as expected. (Replays, revocations, lockouts and the door, camera and"
	say "alarm checks run in the hub; tests/unit/test_decide.c covers them offline.)"
	exit 0
fi
say "$fails row(s) NOT as expected"
exit 1

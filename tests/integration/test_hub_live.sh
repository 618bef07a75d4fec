#!/usr/bin/env bash
# Live view requests at the hub (docs/live.md, "The hub"; docs/hub.md),
# TAP output, every part real: a private mosquitto on a free loopback port
# (password file, dist/mosquitto-acl), the real porter-hub with sim
# drivers, paired at the door with owner key A by the real `porter`, its
# [camera] marks socket bound by `live_peer recv`, which opens every order
# with pt_live_order_open against the hub's public key. porterd is played
# by mosquitto_pub with porterd's account; live_peer signs what an owner's
# device signs, mqtt_peer the key revocation.
#
#   a good request: one live.start and exactly one order naming its
#   session, viewer key, owner key id and expiry; the same envelope again:
#   replayed, no second order; every bad request (not paired, a stranger's
#   key, a broken signature, stale, expired, longer than 600 s, an all-zero
#   viewer key, another home, another camera, garbage, too large): no
#   order, a live.refused with its reason; a key endorsed by A works, one
#   revoked is refused; refusals are one event a second, the rest counted
#   (dropped); a restart keeps the replay memory; at most 64 sessions; no
#   camera configured: refused.
#
# Usage: test_hub_live.sh PORTER_HUB PORTER LIVE_PEER MQTT_PEER
# KEEP=1 keeps the directory (logs, state, broker files) for a look afterwards.
set -u
HUB=$(realpath "$1")
P=$(realpath "$2")
LP=$(realpath "$3")
MP=$(realpath "$4")
SRC=${PORTER_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0 failed=0

PATH=$PATH:/usr/sbin:/usr/local/sbin
for b in mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd python3; do
	if ! command -v "$b" >/dev/null 2>&1; then
		echo "1..0 # SKIP $b is not installed (scripts/deps.sh)"
		exit 0
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/porter-hub-live.XXXXXX")
umask 077
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
unset NOTIFY_SOCKET

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	[ -n "${TIMING:-}" ] && echo "# t=$SECONDS"
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 20; }
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
until_ok() { # SECONDS CMD...: retry CMD every 0.05 s for at most SECONDS
	local i limit=$(( $1 * 20 )); shift
	for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.05; done
	return 1
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- keys ----
for k in A B R C; do "$P" keygen -o $k.key >/dev/null || exit 1; done
KA=$("$LP" kid A.key.pub); KB=$("$LP" kid B.key.pub); KR=$("$LP" kid R.key.pub)
[[ $KA =~ ^[0-9a-f]{16}$ ]] && [ "$KA" != "$KB" ]
ok "owner keys A, B, R and a stranger's key C (A: $KA)"

# ---- the broker ----
HID=hub-l1
MPORT=$(free_port)
pw() { echo "pw-$1-$MPORT"; }
: >passwd
for u in "$HID" porterd; do mosquitto_passwd -b passwd "$u" "$(pw "$u")" 2>/dev/null; done
cp "$SRC/dist/mosquitto-acl" acl
# docs/live.md: porterd writes porter/v1/hub/<id>/live, the hub reads its
# own. Said here when dist/mosquitto-acl does not grant it yet (the test
# then adds the two lines to its copy).
if ! grep -q '^pattern read porter/v1/hub/%u/live$' acl; then
	echo "# dist/mosquitto-acl lacks 'pattern read porter/v1/hub/%u/live': added to the test's copy"
	sed -i 's|^pattern read porter/v1/hub/%u/owners$|&\npattern read porter/v1/hub/%u/live|' acl
fi
if ! grep -q '^topic write porter/v1/hub/+/live$' acl; then
	echo "# dist/mosquitto-acl lacks 'topic write porter/v1/hub/+/live': added to the test's copy"
	sed -i 's|^topic write porter/v1/hub/+/owners$|&\ntopic write porter/v1/hub/+/live|' acl
fi
mkdir -p mosq
cat >mosquitto.conf <<EOF
per_listener_settings false
allow_anonymous false
password_file $T/passwd
acl_file $T/acl
persistence true
persistence_location $T/mosq/
max_packet_size 65536
listener $MPORT 127.0.0.1
user $(id -un)
log_dest file $T/mosquitto.log
log_type error
log_type warning
log_type notice
EOF
mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.out" 2>&1 &
PIDS+=("$!")
broker_up() { mosquitto_sub -h 127.0.0.1 -p "$MPORT" -u porterd -P "$(pw porterd)" -t probe -E -W 1 >/dev/null 2>&1; }
until_ok 5 broker_up
ok "mosquitto on 127.0.0.1:$MPORT (password file, dist/mosquitto-acl)" ||
	{ show mosquitto.log mosquitto.out; echo "Bail out! no broker"; exit 1; }
mpub() { mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u porterd -P "$(pw porterd)" "$@"; }
live() { mpub -t "porter/v1/hub/$HID/live" -q 1 -f "$1"; }	# porterd relays an envelope
burst() { "$LP" publish "$MPORT" porterd "$(pw porterd)" "porter/v1/hub/$HID/live" "$@"; }	# at once

# ---- the hub ----
CAM=cam-front
MARKS=$T/marks.sock
pw "$HID" >hub.pw
chmod 0600 hub.pw
conf() { # CAMERA_SECTION (yes/no)
	cat >hub.conf <<EOF
[hub]
id = $HID
state_dir = $T/hub
[link]
tcp = 127.0.0.1:0
[server]
revocations_max_age = 0
[mqtt]
broker = 127.0.0.1:$MPORT
password_file = $T/hub.pw
keepalive = 5s
EOF
	[ "$1" = yes ] && printf '[camera]\nid = %s\nmarks = %s\n' "$CAM" "$MARKS" >>hub.conf
}
conf yes
start() {
	rm -f ready
	"$HUB" -f "$T/hub.conf" -d -R "$T/ready" >>"$T/hub.out" 2>>"$T/hub.log" &
	PID=$!
	PIDS+=("$PID")
	until_ok 15 test -s ready && until_ok 15 grep -q 'event=uplink state=connected' hub.log
}
stop() { kill -TERM "$PID"; wait "$PID"; }
evlog() { "$HUB" -f "$T/hub.conf" -E; }
# has_event TYPE PATTERN: the chain has it (waits up to 15 s)
has_event() { until_ok 15 eval "evlog | grep -q '^[0-9]* [^ ]* $1 .*$2'"; }
# The hub records one live.refused a second: wait until a second has passed
# since the last refusal was seen in the chain (it was made before that).
SEEN_MS=0
seen() { SEEN_MS=$(date +%s%3N); }
gap() {
	local left=$(( SEEN_MS + 1050 - $(date +%s%3N) ))
	[ "$left" -gt 0 ] && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
	return 0
}
# the Nth time the hub's subscriptions are all acknowledged (live is the last)
nsub() { [ "$(grep -c 'event=uplink state=subscribed' hub.log)" -ge "$1" ]; }
subscribed() { until_ok 10 nsub "$1"; }

start
ok "porter-hub starts with [camera] marks and connects to the broker" ||
	{ show hub.log; echo "Bail out! no hub"; exit 1; }
subscribed 1
HUBPUB=$T/hub/hub.key.pub
"$LP" recv "$MARKS" "$HUBPUB" >orders.out 2>recv.err &
RPID=$!
PIDS+=("$RPID")
until_ok 15 grep -q '^ready$' orders.out
ok "live_peer binds the camera's marks socket" || show recv.err
norders() { grep -c '^order ' orders.out; }

# ---- before pairing ----
"$LP" request A.key home-1 "$CAM" r0.env >r0.txt && live r0.env
has_event live.refused '"reason":"unpaired"' && seen
ok "a request before the hub is paired: live.refused unpaired" || { show hub.log; evlog | show; }

# ---- pairing at the door with A ----
"$HUB" pair -f hub.conf >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HUBKEY=$(awk '/^hub key:/ {print $3}' pair.out)
"$P" hub pair-local --hub "unix:$T/hub/link.sock" --key A.key --home home-1 --hub-key "$HUBKEY" \
	--code "$CODE" >pl.out 2>&1
has_event pairing.ok ''
ok "the owner pairs the hub with key A (home-1)" || show pl.out

# ---- a good request ----
gap
"$LP" request A.key home-1 "$CAM" g1.env >g1.txt && live g1.env
S1=$(sed -n 's/^session=\([0-9a-f]*\) .*/\1/p' g1.txt)
V1=$(sed -n 's/.* viewer=\([0-9a-f]*\) .*/\1/p' g1.txt)
E1=$(sed -n 's/.* exp=\([0-9]*\)$/\1/p' g1.txt)
has_event live.start "\"camera\":\"$CAM\",\"expires_at\":$E1,\"owner_key_id\":\"$KA\",\"session\":\"$S1\""
ok "a request signed by A: live.start {session, camera, owner_key_id, expires_at}" ||
	{ show hub.log; evlog | tail -n 5 | show; }
SEQ1=$(evlog | awk -v s="$S1" '$3 == "live.start" && index($0, s) {print $1}')
until_ok 15 grep -q "session=$S1" orders.out
grep "session=$S1" orders.out >o1.txt
[ "$(wc -l <o1.txt)" -eq 1 ] &&
	grep -q "^order camera=$CAM session=$S1 seq=$SEQ1 time=[0-9]* expiry=${E1}000 viewer=$V1 owner=$KA$" o1.txt
ok "exactly one order, signed by the hub key: session, live.start's seq ($SEQ1), expiry, viewer key, owner key id" ||
	{ show orders.out; show hub.log; }
T1=$(sed -n 's/.* time=\([0-9]*\) .*/\1/p' o1.txt)
NOW=$(date +%s%3N)
[ -n "$T1" ] && [ $((NOW - T1)) -ge 0 ] && [ $((NOW - T1)) -lt 10000 ]
ok "the order's time is the hub's clock, now" || show o1.txt
! grep -q '^bad-order' orders.out
ok "nothing on the marks socket fails pt_live_order_open" || show orders.out

live g1.env
has_event live.refused "\"owner_key_id\":\"$KA\",\"reason\":\"replayed\",\"session\":\"$S1\"" && seen
ok "the same envelope again: live.refused replayed, with its session" || evlog | tail -n 3 | show
sleep 0.3
[ "$(grep -c "session=$S1" orders.out)" -eq 1 ]
ok "... and no second order" || show orders.out

# ---- bad requests: no order, a live.refused with the reason ----
before=$(norders)
# nevents TYPE PATTERN: how many the chain has; grew TYPE PATTERN N: more than N now
nevents() { evlog | grep -c "^[0-9]* [^ ]* $1 .*$2"; }
grew() { [ "$(nevents "$1" "$2")" -gt "$3" ]; }
refused() { # DESCRIPTION REASON PATTERN FILE: publish FILE, expect a new live.refused REASON
	local had	# (not n: ok counts in n)
	gap
	had=$(nevents live.refused "\"reason\":\"$2\"$3")
	live "$4"
	until_ok 15 grew live.refused "\"reason\":\"$2\"$3" "$had" && seen
	ok "$1: live.refused $2" || { grep 'event=live' hub.log | tail -n 3 | show; evlog | tail -n 3 | show; }
}
"$LP" request C.key home-1 "$CAM" b1.env >/dev/null
refused "signed by a key that is no owner's" untrusted-signer '}' b1.env
cp g1.env b2.env
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[1], "wb").write(b)' b2.env
refused "A's request with one bit of the signature flipped" bad-signature '}' b2.env
"$LP" request A.key home-1 "$CAM" b3.env -300 200 >b3.txt
SS=$(sed -n 's/^session=\([0-9a-f]*\) .*/\1/p' b3.txt)
refused "issued 300 s ago (skew 120 s)" stale ",\"session\":\"$SS\"" b3.env
"$LP" request A.key home-1 "$CAM" b4.env -60 -1 >/dev/null
refused "past its expiry" expired '}' b4.env
"$LP" request A.key home-1 "$CAM" b5.env 0 900 raw >/dev/null
refused "900 s long (made by hand: the library will not sign it)" malformed '}' b5.env
"$LP" request A.key home-1 "$CAM" b6.env 0 120 zero >/dev/null
refused "an all-zero viewer key (made by hand)" malformed '}' b6.env
"$LP" request A.key home-2 "$CAM" b7.env >/dev/null
refused "for another home" wrong-home '}' b7.env
"$LP" request A.key home-1 cam-back b8.env >b8.txt
S8=$(sed -n 's/^session=\([0-9a-f]*\) .*/\1/p' b8.txt)
refused "for another camera" unknown-camera ",\"session\":\"$S8\"" b8.env
printf 'not cbor at all' >b9.env
refused "garbage" malformed '}' b9.env
head -c 600 /dev/urandom >b10.env
refused "600 bytes (more than an envelope's 512)" too-large '}' b10.env
sleep 0.3
[ "$(norders)" -eq "$before" ]
ok "none of them made an order" || show orders.out
"$LP" request A.key home-1 "$CAM" g2.env 0 120 raw >g2.txt && live g2.env
S2=$(sed -n 's/^session=\([0-9a-f]*\) .*/\1/p' g2.txt)
until_ok 15 grep -q "session=$S2 .* owner=$KA$" orders.out
ok "a request made by hand with a 120 s expiry is taken (so the two above failed for what they said)" ||
	{ grep 'event=live' hub.log | tail -n 3 | show; }

# ---- revocations signed by a key that is not an owner yet ----
# (docs/hub.md, "Revocations"): kept pending, verified again when the
# owner keys change. B is endorsed just below.
pend() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM revocations_pending").fetchone()[0])' hub/hub.db; }
XB1=0123456789abcdef0123456789abcdef XB2=00112233445566778899aabbccddeeff
"$MP" revoke B.key home-1 token "$XB1" >pb1.env &&
	"$MP" revoke B.key home-2 token "$XB2" >pb2.env &&
	"$MP" revocations 2 1 pb1.env 2 pb2.env >pb.bin &&
	mpub -t "porter/v1/hub/$HID/revocations" -q 1 -f pb.bin
until_ok 15 grep -q 'event=revocations newest=2 entries=2 added=0 refused=2 version=2' hub.log &&
	[ "$(grep -c 'event=revocation version=[12] result=pending reason=untrusted-signer' hub.log)" -eq 2 ] &&
	[ "$(pend)" = 2 ]
ok "two revocations signed by B, not an owner yet: both kept pending, the version moves to 2" ||
	{ grep 'event=revocation' hub.log | show; pend; }

# ---- endorsed and revoked owner keys ----
"$LP" owner A.key home-1 B.key.pub >B.st && "$LP" owner A.key home-1 R.key.pub >R.st &&
	"$LP" owners B.st R.st >owners.bin &&
	mpub -t "porter/v1/hub/$HID/owners" -q 1 -r -f owners.bin
has_event owner.add "\"key_id\":\"$KR\"" && has_event owner.add "\"key_id\":\"$KB\""
ok "A endorses B and R (owners topic): owner.add for both" || evlog | tail -n 4 | show
"$LP" request B.key home-1 "$CAM" g3.env >g3.txt && live g3.env
S3=$(sed -n 's/^session=\([0-9a-f]*\) .*/\1/p' g3.txt)
until_ok 15 grep -q "session=$S3 .* owner=$KB$" orders.out && has_event live.start "\"owner_key_id\":\"$KB\""
ok "a request signed by the endorsed key B: live.start and the order name B" || show orders.out
has_event revocation.add "\"late\":true,.*\"target\":\"$XB1\"" &&
	grep -q "event=revocation version=1 result=stored kind=token target=$XB1 owner_key_id=$KB pending=yes" hub.log
ok "B an owner now: its pending revocation is verified and stored (revocation.add, late)" ||
	{ grep 'event=revocation' hub.log | show; }
grep -q 'event=revocation version=2 result=refuse reason=wrong-home-or-lock pending=yes' hub.log &&
	[ "$(pend)" = 0 ]
ok "... its revocation for another home is refused then and dropped: nothing left pending" ||
	{ grep 'event=revocation' hub.log | show; pend; }
"$MP" revoke A.key home-1 key "$("$LP" pkhex R.key.pub)" >revR.env &&
	"$MP" revocations 3 3 revR.env >revs.bin &&
	mpub -t "porter/v1/hub/$HID/revocations" -q 1 -r -f revs.bin
has_event owner.drop "\"key_id\":\"$KR\""
ok "A revokes R: owner.drop" || evlog | tail -n 4 | show
before=$(norders)
"$LP" request R.key home-1 "$CAM" b11.env >b11.txt
S11=$(sed -n 's/^session=\([0-9a-f]*\) .*/\1/p' b11.txt)
refused "signed by the revoked key R" revoked ",\"session\":\"$S11\"" b11.env
sleep 0.3
[ "$(norders)" -eq "$before" ]
ok "... no order" || show orders.out

# ---- a flood: one event a second, the rest counted ----
gap
forged() { evlog | grep -c ' live.refused {"reason":"untrusted-signer"'; }
nforged=$(forged)
nlog0=$(grep -c 'event=live result=refuse reason=untrusted-signer' hub.log)
"$LP" requests 6 C.key home-1 "$CAM" f >/dev/null
burst f0 f1 f2 f3 f4 f5
ok "six forged requests published at once (one connection)"
nrec() { [ "$(forged)" -gt "$nforged" ]; }
until_ok 15 nrec && seen
sleep 0.5
nlog=$(( $(grep -c 'event=live result=refuse reason=untrusted-signer' hub.log) - nlog0 ))
[ "$nlog" -eq 1 ]
ok "six forged requests at once: refused, logged once (one line a second, $nlog)" ||
	grep 'event=live' hub.log | tail | show
nflood=$(( $(forged) - nforged ))
[ "$nflood" -eq 1 ]
ok "... recorded once (one event a second)" ||
	evlog | grep live.refused | show
gap
live g1.env
has_event live.refused '"dropped":5,"owner_key_id":"'"$KA"'","reason":"replayed"' && seen
ok "the next refusal recorded says how many were dropped (5)" || evlog | grep live.refused | tail -n 3 | show
grep -q 'event=live result=refuse reason=replayed .* dropped=5$' hub.log
ok "... and its log line too (dropped=5)" || grep 'event=live' hub.log | tail -n 3 | show

# ---- a restart keeps the replay memory ----
stop
ok "porter-hub stops (SIGTERM)"
# As if the hub had stopped between an owner's row and the retry: a
# pending revocation that its owner keys verify now is applied at start.
XA3=fedcba9876543210fedcba9876543210
"$MP" revoke A.key home-1 token "$XA3" >pa3.env &&
	python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO revocations_pending (version, envelope, at) VALUES (0, ?, 0)", (open(sys.argv[2], "rb").read(),)); c.commit()' hub/hub.db pa3.env &&
	[ "$(pend)" = 1 ]
ok "while it is stopped, a revocation signed by A is left pending in hub.db" || pend
start
ok "porter-hub starts again" || show hub.log
has_event revocation.add "\"late\":true,.*\"target\":\"$XA3\"" && [ "$(pend)" = 0 ]
ok "at start it verifies what is pending against its owner keys: stored, nothing left" ||
	{ grep 'event=revocation' hub.log | show; pend; }
# At most 256 kept (HUB_REV_PENDING_MAX): one more makes the oldest
# leave (an event says so), and neither stops the version nor the entries
# after it (review 112: a full table must not block an owner's revocation).
for i in $(seq 1 257); do "$MP" revoke C.key home-1 token "$(printf '%032x' "$i")" >"pc$i.env" || break; done
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=5); c.executemany("INSERT INTO revocations_pending (version, envelope, at) VALUES (3, ?, 0)", [(open("pc%d.env" % i, "rb").read(),) for i in range(1, 257)]); c.commit()' hub/hub.db &&
	[ "$(pend)" = 256 ]
ok "256 revocations by a stranger's key pending (written into hub.db)" || pend
XA5=5555aaaa5555aaaa5555aaaa5555aaaa
"$MP" revoke A.key home-1 token "$XA5" >pa5.env &&
	"$MP" revocations 5 3 revR.env 4 pc257.env 5 pa5.env >full.bin &&
	mpub -t "porter/v1/hub/$HID/revocations" -q 1 -f full.bin
until_ok 15 grep -q 'event=revocations newest=5 entries=3 added=1 refused=1 version=5' hub.log &&
	grep -q 'event=revocation version=3 result=evicted' hub.log &&
	grep -q 'event=revocation version=4 result=pending reason=untrusted-signer' hub.log &&
	[ "$(pend)" = 256 ]
ok "the 257th: kept, the oldest made room (result=evicted), the version moves on to 5" ||
	{ grep 'event=revocation' hub.log | tail -n 5 | show; pend; }
has_event revocation.add "\"target\":\"$XA5\""
ok "... and A's revocation after it in the same message is stored" ||
	{ grep 'event=revocation' hub.log | tail -n 5 | show; }
subscribed 2
before=$(norders)
gap
live g3.env
has_event live.refused "\"owner_key_id\":\"$KB\",\"reason\":\"replayed\",\"session\":\"$S3\"" && seen
ok "after the restart B's request again: replayed (the session ids are in hub.db)" ||
	{ grep 'event=live' hub.log | tail -n 3 | show; }
sleep 0.3
[ "$(norders)" -eq "$before" ]
ok "... no order" || show orders.out

# ---- the camera not listening: the order fails, and says so ----
kill -TERM "$RPID"; wait "$RPID" 2>/dev/null
"$LP" request A.key home-1 "$CAM" g4.env >g4.txt && live g4.env
S4=$(sed -n 's/^session=\([0-9a-f]*\) .*/\1/p' g4.txt)
has_event live.start "\"session\":\"$S4\"" && has_event live.order-failed "\"session\":\"$S4\""
ok "nobody on the marks socket: live.start, then live.order-failed with the error" ||
	{ grep 'event=live' hub.log | tail -n 3 | show; }
"$LP" recv "$MARKS" "$HUBPUB" >>orders.out 2>>recv.err &
RPID=$!
PIDS+=("$RPID")
nready() { [ "$(grep -c '^ready$' orders.out)" -ge 2 ]; }
until_ok 15 nready
ok "live_peer listens again" || show recv.err

# ---- bounded: at most 64 sessions at once ----
held=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM live_sessions").fetchone()[0])' hub/hub.db)
want=$((64 - held))
"$LP" requests "$want" A.key home-1 "$CAM" m >/dev/null &&
	burst $(for ((i = 0; i < want; i++)); do echo m$i; done)
orders_ge() { [ "$(norders)" -ge "$1" ]; }
until_ok 30 orders_ge $((before + want))
ok "$want more requests fill the 64 session slots ($held held): $want more orders" ||
	{ echo "# orders $(norders), want $((before + want))"; grep 'event=live' hub.log | tail -n 3 | show; }
gap
"$LP" request A.key home-1 "$CAM" b12.env >/dev/null
refused "the 65th session while 64 are live" too-many '' b12.env
sleep 0.3
[ "$(norders)" -eq $((before + want)) ]
ok "... no order" || show orders.out

# ---- a counter-revocation waiting for a key revocation ----
# K2, not an owner here, revokes owner B: pending. B revokes K2: stored,
# and since the revoked keys changed, the pending ones are verified again:
# K2's revocation of B is now a counter-revocation (B revoked K2), so both
# end revoked, as at a hub that held both in time (review 112).
"$P" keygen -o K2.key >/dev/null
KK2=$("$LP" kid K2.key.pub) PKB=$("$LP" pkhex B.key.pub)
"$MP" revoke K2.key home-1 key "$PKB" >k2b.env &&
	"$MP" revocations 6 6 k2b.env >k2b.bin && mpub -t "porter/v1/hub/$HID/revocations" -q 1 -f k2b.bin
until_ok 15 grep -q 'event=revocation version=6 result=pending reason=untrusted-signer' hub.log
ok "K2 (not an owner) revokes B: kept pending" || { grep 'event=revocation' hub.log | tail -n 3 | show; }
"$MP" revoke B.key home-1 key "$("$LP" pkhex K2.key.pub)" >bk2.env &&
	"$MP" revocations 7 7 bk2.env >bk2.bin && mpub -t "porter/v1/hub/$HID/revocations" -q 1 -f bk2.bin
until_ok 15 grep -q "event=revocation version=6 result=stored kind=key target=$PKB owner_key_id=$KK2 pending=yes" hub.log &&
	has_event owner.drop "\"key_id\":\"$KB\""
ok "B revokes K2: K2's pending revocation of B is taken then (counter-revocation): owner.drop B" ||
	{ grep 'event=revocation\|event=owner' hub.log | tail -n 5 | show; }

# ---- no camera ----
stop
conf no
start
ok "porter-hub restarted without [camera]" || show hub.log
subscribed 3
gap
"$LP" request A.key home-1 "$CAM" b13.env >/dev/null && live b13.env
has_event live.refused '"reason":"no-camera"' && seen
ok "a request to a hub without a camera: live.refused no-camera" || grep 'event=live' hub.log | tail -n 3 | show

"$HUB" -f hub.conf -V >v.out 2>&1
ok "the event chain verifies (-V)" || show v.out
stop
ok "porter-hub stops"
echo "1..$n"
[ "$failed" -eq 0 ]

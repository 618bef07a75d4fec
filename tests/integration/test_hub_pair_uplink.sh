#!/usr/bin/env bash
# Pairing a hub through porterd (docs/hub.md, "Pairing"; docs/mqtt.md,
# "pair"), TAP output, every part real: a private mosquitto (password
# file, dist/mosquitto-acl), a real porterd, an unpaired porter-hub with
# sim drivers, the real `porter`. pair_peer makes the statements an
# attacker holding porterd (or its broker account) could make.
#
#   `porter hub pair` (the server registration) -> 201, porterd relays the
#   statement on porter/v1/hub/<id>/pair, the hub (showing its code) pairs:
#   pairing.ok via uplink; a grant by that owner key opens the sim lock.
#   Before that, each attack leaves the hub unpaired:
#   (a) a stranger's statement with the genuine nonce (the code's MAC),
#       published on the hub's pair topic with porterd's account: refused;
#   (b) a statement made with a wrong code: refused;
#   (c) 10 refused uplink pairings do not lock the link out (a courier
#       still gets a challenge and a decision);
#   (e) the body's home is not the statement's; the statement names another
#       hub's key; a statement for another home than the hub's hub.home:
#       wrong-home-or-lock;
#   (v1) a statement of the old format (AAD porter/pairing/v1): unsupported
#       (detail old-format); with the raw code as its nonce, over the uplink
#       and at the door (or a v2 one with the raw code): the code is
#       cancelled (detail code-exposed), the genuine statement is refused
#       until a new code is drawn;
#   (f) a flood of refused uplink pairings: the events and the log lines
#       are rate limited (a later one says how many were "suppressed");
#   (p) POST of an old-format statement to porterd: 400 unsupported, nothing
#       stored, nothing relayed (the code it carries still pairs afterwards);
#   (d) after the pairing, the genuine statement again: dropped, owners
#       unchanged, no event.
#
# Usage: test_hub_pair_uplink.sh PORTERD PORTER PORTER_HUB PORTERD_MQTT_PEER PAIR_PEER MOSQUITTO
# KEEP=1 keeps the directory.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
HUBX=$(realpath "$3")
PEER=$(realpath "$4")
PP=$(realpath "$5")
MOSQ=$6
. "$(dirname "$0")/lib.sh"
need mosquitto_passwd mosquitto_pub python3 sqlite3 curl
t_begin hub-pair-uplink
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG

for k in owner stranger courier; do "$P" keygen -o $k.key >/dev/null || exit 1; done
mkdir -m 700 hub
"$P" keygen -o hub/hub.key >/dev/null
HID=$("$PEER" id hub/hub.key)
[[ $HID =~ ^hub-[0-9a-f]{16}$ ]]; ok "the hub's key: $HID"

# ---- the broker, with dist/mosquitto-acl ----
broker_start porterd "$HID"
ok "mosquitto on 127.0.0.1:$MPORT (dist/mosquitto-acl)" || { show mosquitto.log; echo "Bail out! no broker"; exit 1; }
grep -q '^pattern read porter/v1/hub/%u/pair$' acl && grep -q '^topic write porter/v1/hub/+/pair$' acl
ok "dist/mosquitto-acl: each hub reads its own pair topic, porterd writes every hub's"
mpub() { mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u porterd -P "$(pw porterd)" -q 1 "$@"; }

# ---- porterd ----
porterd_start "$D"
wait_for 10 grep -q "event=mqtt_connected" porterd.log; ok "porterd starts and connects to the broker" ||
	show porterd.log

# ---- the owner, the home, the owner key ----
export PORTER_PASSWORD='correct horse battery staple'
OC=(env PORTER_CONFIG="$T/owner.conf")
expect 0 "owner signs up" "${OC[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "owner signs in" "${OC[@]}" "$P" login --email ana@example.org
expect 0 "a home" "${OC[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv 'd["id"]')
expect 0 "the owner key enrolled" "${OC[@]}" "$P" key add --home "$H" --key owner.key.pub

# ---- the hub, unpaired, online ----
cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
home = $H
[link]
tcp = 127.0.0.1:0
[door]
open_timeout = 2s
relock_delay = 100ms
[drivers]
sim_lock_delay = 50ms
[server]
revocations_max_age = 0
[mqtt]
broker = 127.0.0.1:$MPORT
password_file = $T/$HID.pw
keepalive = 5s
EOF
"$HUBX" -f "$T/hub.conf" -d -R "$T/hub.ready" >>"$T/hub.out" 2>>"$T/hub.log" &
HPID=$!
PIDS+=("$HPID")
wait_for 10 test -s hub.ready; ok "porter-hub starts" || { show hub.log; echo "Bail out! no hub"; exit 1; }
LINK="unix:$T/hub/link.sock"
wait_for 10 grep -q 'event=uplink state=subscribed' hub.log
ok "the hub is connected and subscribed (its pair topic among them)" || show hub.log
! grep -q 'event=uplink_subscribe' hub.log; ok "the broker's ACL refuses none of its topics" || show hub.log

# The event log, read after a sim status: the hub answers that in a later turn
# of its loop, so every event of the turn before (written after its DECISION) is in.
evlog() { sim status >/dev/null 2>&1; "$HUBX" -f "$T/hub.conf" -E; }
owners() { sqlite3 "$T/hub/hub.db" 'SELECT count(*) FROM owners' 2>/dev/null; }
refusals() { evlog | grep -c 'pairing.refuse .*"via":"uplink"'; }
refused() { # N REASON: the Nth uplink refusal came, for REASON
	[ "$(refusals)" -ge "$1" ] && evlog | grep 'pairing.refuse .*"via":"uplink"' | sed -n "$1p" |
		grep -q "\"reason\":\"$2\""
}

# A payload published before any code is shown: dropped, no event.
"$PP" -k owner.key -m "$H" -K hub/hub.key.pub -c AAAAAAAAAAAAAAAAAAAAAA -o early.bin
mpub -t "porter/v1/hub/$HID/pair" -f early.bin
wait_for 5 grep -q 'event=pair via=uplink result=dropped note="no code shown"' hub.log
ok "no code shown: an uplink pairing is dropped with one log line" || show hub.log
[ "$(evlog | grep -c pairing)" -eq 0 ]; ok "... and no event" || evlog | show

"$HUBX" pair -f hub.conf -q >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HKEY=$(awk '/^hub key:/ {print $3}' pair.out)
[ ${#CODE} -eq 22 ] && grep -q 'porter hub pair --home.*--code -$' pair.out &&
	grep -qx "porter-pair:v1?hub=$HID&key=$HKEY&code=$CODE" pair.out
ok "porter-hub pair -q: the code, both ways to pair (--code -), the porter-pair:v1 line" ||
	show pair.out
[ "$(owners)" = 0 ]; ok "the hub has no owner yet"

# (a) A breached server holds the genuine statement (its nonce is the
# code's MAC for the owner key) and signs its own with that nonce.
NONCE=$("$PP" -k owner.key -m "$H" -K "$HKEY" -c "$CODE" -o genuine.bin -N)
[[ $NONCE =~ ^[0-9a-f]{32}$ ]]; ok "the genuine statement's nonce: $NONCE"
"$PP" -k stranger.key -m "$H" -K "$HKEY" -n "$NONCE" -o a.bin
mpub -t "porter/v1/hub/$HID/pair" -f a.bin
wait_for 5 refused 1 untrusted-signer
ok "(a) a stranger's statement with the genuine nonce, on the pair topic: untrusted-signer" ||
	{ evlog | tail -n 3 | show; grep 'event=pair' hub.log | show; }
# ... and the genuine statement carried with the stranger's key.
"$PP" -k owner.key -m "$H" -K "$HKEY" -c "$CODE" -O stranger.key.pub -o a2.bin
mpub -t "porter/v1/hub/$HID/pair" -f a2.bin
wait_for 5 refused 2 untrusted-signer
ok "(a) the owner's statement carried with a stranger's key: untrusted-signer" || evlog | tail -n 3 | show
# (b) a wrong code.
"$PP" -k owner.key -m "$H" -K "$HKEY" -c AAAAAAAAAAAAAAAAAAAAAA -o b.bin
mpub -t "porter/v1/hub/$HID/pair" -f b.bin
wait_for 5 refused 3 untrusted-signer
ok "(b) a statement made with a wrong code: untrusted-signer" || evlog | tail -n 3 | show
# (e) the body's home is not the statement's.
"$PP" -k owner.key -m "$H" -B h-0000000000000000 -K "$HKEY" -c "$CODE" -o e1.bin
mpub -t "porter/v1/hub/$HID/pair" -f e1.bin
wait_for 5 refused 4 wrong-home-or-lock
ok "(e) a body whose home is not the statement's: wrong-home-or-lock" || evlog | tail -n 3 | show
# ... a statement naming another hub's key.
"$PP" -k owner.key -m "$H" -K stranger.key.pub -c "$CODE" -o e2.bin
mpub -t "porter/v1/hub/$HID/pair" -f e2.bin
wait_for 5 refused 5 wrong-home-or-lock
ok "(e) a statement naming another hub's key: wrong-home-or-lock" || evlog | tail -n 3 | show
# ... a statement for another home than this hub's hub.home.
"$PP" -k owner.key -m h-0000000000000000 -K "$HKEY" -c "$CODE" -o e3.bin
mpub -t "porter/v1/hub/$HID/pair" -f e3.bin
wait_for 5 refused 6 wrong-home-or-lock
ok "(e) hub.home set: a statement for another home: wrong-home-or-lock" || evlog | tail -n 3 | show
# (v1) the old format with the code's MAC: unsupported, the code kept.
"$PP" -k owner.key -m "$H" -K "$HKEY" -c "$CODE" -1 -o v1mac.bin
mpub -t "porter/v1/hub/$HID/pair" -f v1mac.bin
wait_for 5 refused 7 unsupported
ok "(v1) an old-format statement (AAD porter/pairing/v1), uplink: unsupported" || evlog | tail -n 3 | show
evlog | grep 'pairing.refuse .*"via":"uplink"' | sed -n 7p | grep -q '"detail":"old-format"' &&
	! grep -q 'event=pairing_cancel' hub.log
ok "(v1) ... detail old-format, the code not cancelled (its nonce is no code)" || evlog | tail -n 3 | show
# Not a pair body at all.
printf 'junk' >junk.bin
mpub -t "porter/v1/hub/$HID/pair" -f junk.bin
wait_for 5 refused 8 malformed
ok "a payload that is no pair body: malformed" || evlog | tail -n 3 | show
# (c) 10 refused uplink pairings, then the link.
for i in $(seq 5); do mpub -t "porter/v1/hub/$HID/pair" -f b.bin; mpub -t "porter/v1/hub/$HID/pair" -f a.bin; done
wait_for 10 eval '[ "$(refusals)" -ge 18 ]'
ok "(c) 10 more refused uplink pairings (18 in all)" || evlog | tail -n 3 | show
! grep -q 'event=lockout_start\|event=failure' hub.log && ! evlog | grep -q lockout.start
ok "(c) none of them counted for the lockout" || grep 'event=lockout\|event=failure' hub.log | show
"$P" grant --key owner.key --holder courier.key.pub --home "$H" --purpose delivery --expires +1h \
	--entries 3 -o c1.cbor >/dev/null
"$P" courier unlock --hub "$LINK" --cred c1.cbor --key courier.key >u0.out 2>&1; rc=$?
[ $rc -eq 16 ] && grep -q untrusted-root u0.out
ok "(c) a courier at the door still gets a challenge and a decision (untrusted-root: not paired yet; not locked-out)" ||
	show u0.out
# (v1) at the door: a PAIR whose nonce is the code shown, in clear (signed
# as v2): the code is exposed, so it is cancelled.
door_pair() { # FRAME_FILE: send it on the link, print the answer
python3 - "$T/hub/link.sock" "$1" <<'EOF2'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(open(sys.argv[2], "rb").read())
b = b""
while len(b) < 2 or len(b) < 2 + (b[0] << 8 | b[1]):
    c = s.recv(4096)
    if not c:
        break
    b += c
print("type=%d" % b[3], b[4:].decode("latin-1"))
EOF2
}
"$PP" -k owner.key -m "$H" -K "$HKEY" -r "$CODE" -o raw.frame -f
door_pair raw.frame >raw.out 2>&1
grep -q 'type=4.*untrusted-signer' raw.out
ok "(v1) a PAIR at the door whose nonce is the code: DECISION untrusted-signer" || show raw.out
evlog | grep 'pairing.refuse' | tail -n 1 | grep -q '"detail":"code-exposed"' &&
	grep -q 'event=pairing_cancel reason=code-exposed' hub.log
ok "(v1) ... the code is cancelled: event detail code-exposed, logged" ||
	{ evlog | tail -n 2 | show; grep pairing_cancel hub.log | show; }
"$P" hub pair-local --hub "$LINK" --key owner.key --home "$H" --hub-key "$HKEY" --code - \
	<<<"$CODE" >pl0.out 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q untrusted-signer pl0.out
ok "(v1) the genuine statement at the door afterwards (--code - on stdin): untrusted-signer" ||
	show pl0.out
"$P" hub pair-local --hub "$LINK" --key owner.key --home "$H" --hub-key "$HKEY" --code - \
	<<<"not-a-code-secret" >pl1.out 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q 'the line read is not a pairing code' pl1.out && ! grep -q not-a-code-secret pl1.out
ok "--code - with a line that is no code: refused, the line not echoed" || show pl1.out
"$P" hub pair --home "$H" --hub-key hub/hub.key.pub --code - --key owner.key </dev/null >pl2.out 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q 'no line on stdin' pl2.out
ok "--code - with nothing on stdin: refused" || show pl2.out
[ "$(owners)" = 0 ]; ok "after every attack the hub is still unpaired" || sqlite3 hub/hub.db 'SELECT * FROM owners' | show

# (v1) a new code; an old-format statement carrying it in clear, uplink.
"$HUBX" pair -f hub.conf -q >pair2.out 2>&1
CODE2=$(awk '/^pairing code:/ {print $3}' pair2.out)
[ ${#CODE2} -eq 22 ] && [ "$CODE2" != "$CODE" ]; ok "a new code drawn" || show pair2.out
nref=$(refusals)
"$PP" -k owner.key -m "$H" -K "$HKEY" -r "$CODE2" -1 -o v1raw.bin
mpub -t "porter/v1/hub/$HID/pair" -f v1raw.bin
wait_for 5 eval '[ "$(refusals)" -gt "$nref" ]'
evlog | grep 'pairing.refuse .*"via":"uplink"' | tail -n 1 | grep '"reason":"unsupported"' |
	grep -q '"detail":"code-exposed"'
ok "(v1) an old-format statement with the raw code, uplink: unsupported, code-exposed" ||
	evlog | tail -n 3 | show
"$PP" -k owner.key -m "$H" -K "$HKEY" -c "$CODE2" -o genuine2.bin
nev=$(evlog | grep -c pairing)
# Uplink pairing log lines are rate limited (20 so far): again until one is.
dropped2() { [ "$(grep -c 'event=pair via=uplink result=dropped note="no code shown"' hub.log)" -ge 2 ]; }
for i in $(seq 30); do
	mpub -t "porter/v1/hub/$HID/pair" -f genuine2.bin
	wait_for 1 dropped2 && break
done
dropped2 && [ "$(evlog | grep -c pairing)" -eq "$nev" ]
ok "(v1) ... the genuine statement for that code afterwards: dropped (no code shown)" ||
	grep 'event=pair' hub.log | tail -n 3 | show
[ "$(owners)" = 0 ]; ok "still unpaired" || sqlite3 hub/hub.db 'SELECT * FROM owners' | show

# (f) a third code; a flood of refused uplink pairings.
"$HUBX" pair -f hub.conf -q >pair3.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair3.out)
[ ${#CODE} -eq 22 ]; ok "a third code drawn" || show pair3.out
nref=$(refusals)
nlog=$(grep -c 'event=pair via=uplink result=refuse' hub.log)
for i in $(seq 60); do mpub -t "porter/v1/hub/$HID/pair" -f b.bin; done
sent=60
# A token comes back every few seconds: the next refusal recorded says
# how many were not, and so does the next log line.
for i in $(seq 40); do
	evlog | grep 'pairing.refuse' | grep -q '"suppressed"' &&
		grep -q 'event=pair via=uplink result=refuse.* suppressed=[1-9]' hub.log && break
	mpub -t "porter/v1/hub/$HID/pair" -f b.bin
	sent=$((sent + 1))
	sleep 1
done
evlog | grep 'pairing.refuse' | grep -q '"suppressed":[1-9]'
ok "(f) a refusal event after the flood says how many were suppressed" || evlog | tail -n 3 | show
ev=$(($(refusals) - nref))
[ "$ev" -lt "$sent" ] && [ "$ev" -ge 1 ]
ok "(f) $sent refused uplink pairings made $ev events, not one each" || evlog | tail -n 3 | show
lines=$(($(grep -c 'event=pair via=uplink result=refuse' hub.log) - nlog))
[ "$lines" -lt "$sent" ] && grep -q 'event=pair via=uplink result=refuse.* suppressed=[1-9]' hub.log
ok "(f) ... and $lines log lines, a later one saying how many were not logged" ||
	grep 'event=pair via=uplink' hub.log | tail -n 3 | show

# (p) an older porter's statement (v1, the raw code) POSTed to porterd.
TOK=$(sed -n 's/^token = //p' "$T/owner.conf")
"$PP" -k owner.key -m "$H" -K "$HKEY" -r "$CODE" -1 -s v1.b64 -o v1p.bin
nlog=$(grep -c 'event=pair' hub.log)
code=$(curl -s -o post.json -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' \
	--data "{\"public_key\":\"$HKEY\",\"pairing\":\"$(cat v1.b64)\"}" "$URL/v1/homes/$H/hubs")
[ "$code" = 400 ] && grep -q '"unsupported"' post.json && grep -q 'older porter' post.json
ok "(p) an old-format statement POSTed to porterd: 400 unsupported, update it" ||
	{ echo "# $code"; show post.json; }
curl -s -H "Authorization: Bearer $TOK" "$URL/v1/homes/$H/hubs" >hubs.json
python3 -c 'import json,sys; sys.exit(json.load(open("hubs.json"))["hubs"] != [])'
ok "(p) nothing stored (GET hubs: none)" || show hubs.json
! grep -q 'event=pair_relay' porterd.log && [ "$(grep -c 'event=pair' hub.log)" -eq "$nlog" ]
ok "(p) nothing relayed: porterd published nothing, the hub logged nothing" ||
	{ grep pair_relay porterd.log | show; grep 'event=pair' hub.log | tail -n 2 | show; }

# ---- the genuine pairing through porterd ----
expect 0 "porter hub pair (the server registration, --code - on stdin): 201" "${OC[@]}" "$P" hub pair \
	--home "$H" --hub-key hub/hub.key.pub --code - --key owner.key --label hall --json <<<"$CODE"
[ "$(jv 'd["id"]')" = "$HID" ]; ok "porterd names the hub $HID" || show out.txt
[ "$(jv 'd["relayed"]')" = True ]; ok "the 201 says relayed: true" || show out.txt
wait_for 5 grep -q "event=pair_relay hub=$HID result=published" porterd.log
ok "porterd relays the pairing on the hub's pair topic" || grep pair porterd.log | show
KO=$(kid_of owner.key)
wait_for 5 eval 'evlog | grep -q "pairing.ok .*\"owner_key_id\":\"$KO\".*\"via\":\"uplink\""'
ok "the hub pairs: pairing.ok via uplink, by the owner key" || { evlog | tail -n 3 | show; grep 'event=pair' hub.log | show; }
grep -q "event=paired via=uplink home=$H" hub.log; ok "the hub's log says so" || grep 'event=pair' hub.log | show
[ "$(owners)" = 1 ] && [ "$(sqlite3 hub/hub.db 'SELECT home_id FROM hub')" = "$H" ]
ok "one owner, the home stored" || sqlite3 hub/hub.db 'SELECT * FROM hub' | show
! grep -q -- "$CODE" porterd.log hub.log; ok "the code is in neither log"

sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
"$P" courier unlock --hub "$LINK" --cred c1.cbor --key courier.key >u1.out 2>&1; rc=$?
[ $rc -eq 0 ]; ok "a grant signed by that owner key now opens the door (courier unlock)" || show u1.out
wait_for 5 eval 'sim status 2>/dev/null | grep -q "\"state\":\"unlocked\""'
ok "the sim lock is unlocked" || sim status | show

# (d) the genuine statement again, now that the hub is paired.
nev=$(evlog | grep -c pairing)
# Its log line is rate limited too (the flood drew the bucket): again
# until one is logged.
for i in $(seq 30); do
	mpub -t "porter/v1/hub/$HID/pair" -f genuine.bin
	wait_for 1 grep -q 'event=pair via=uplink result=dropped note="already paired"' hub.log && break
done
grep -q 'event=pair via=uplink result=dropped note="already paired"' hub.log
ok "(d) the genuine statement replayed: dropped (already paired)" || grep 'event=pair' hub.log | show
[ "$(evlog | grep -c pairing)" -eq "$nev" ] && [ "$(owners)" = 1 ]
ok "(d) no event, the owners unchanged" || { evlog | tail -n 3 | show; }
# At the door, the same code once more: replayed.
"$P" hub pair-local --hub "$LINK" --key owner.key --home "$H" --hub-key "$HKEY" --code "$CODE" >pl.out 2>&1; rc=$?
[ $rc -eq 34 ] && grep -q replayed pl.out
ok "pair-local with the used code afterwards: replayed (exit 34)" || show pl.out

alive "$HPID"; ok "the hub is still running"

# (legacy) a hub paired at the door before v2 stored a v1 statement (the
# raw code as its nonce) as its owner's evidence: it keeps its owner.
kill -TERM "$HPID"; wait "$HPID" 2>/dev/null
"$PP" -k owner.key -m "$H" -K "$HKEY" -r "$CODE" -1 -s legacy.b64 -o legacy.bin
HEX=$(python3 -c 'import base64, sys; s = open(sys.argv[1]).read().strip()
print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).hex())' legacy.b64)
sqlite3 hub/hub.db "UPDATE owners SET statement = X'$HEX'" &&
	[ "$(sqlite3 hub/hub.db 'SELECT hex(statement) FROM owners')" = "${HEX^^}" ]
ok "the stored owner's evidence replaced by a v1 statement" || echo "# $HEX"
rm -f hub.ready
"$HUBX" -f "$T/hub.conf" -d -R "$T/hub.ready" >>"$T/hub.out" 2>>"$T/hub.log" &
HPID=$!
PIDS+=("$HPID")
wait_for 10 test -s hub.ready; ok "porter-hub restarts" || show hub.log
"$P" courier unlock --hub "$LINK" --cred c1.cbor --key courier.key >u2.out 2>&1; rc=$?
[ $rc -eq 0 ]; ok "(legacy) the owner is still a root: the grant still opens the door" || show u2.out
alive "$HPID"; ok "the hub is still running"
t_end

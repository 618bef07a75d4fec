#!/usr/bin/env bash
# Owner-key endorsement end to end (docs/web.md, "Endorsing an owner key"),
# TAP output, every part real and in its own process: a private mosquitto
# on a free loopback port (password file, dist/mosquitto-acl), a real
# porterd with [mqtt], a real porter-hub with sim drivers, paired with
# owner key A through the API and at the door by the real `porter`, which
# also endorses keys (`porter key endorse`) and sends remote commands
# (`porter remote unlock`). porterd_mqtt_peer only names keys (hub ids).
#
#   B endorsed by A: porterd stores it with its statement, relays it
#   (retained) to the hub, which trusts B at once: B's remote unlock moves
#   the bolt; C uploaded without a statement: stored by porterd, its
#   remote unlock refused by the hub (untrusted-signer); a statement by a
#   key that is no owner's, or by C: refused by porterd (403
#   untrusted-signer); the same published straight to the broker with
#   porterd's account: refused by the hub (owner.refuse); a chain (B
#   endorses E); a key revoked at the hub is not added; a hub that was
#   offline gets the statements (retained) when it comes back; an endorsed
#   key taken back by a key revocation commands nothing.
#
# Usage: test_endorse.sh PORTERD PORTER PORTER_HUB PORTERD_MQTT_PEER MOSQUITTO
# KEEP=1 keeps the directory (logs, databases) for a look afterwards.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
HUBX=$(realpath "$3")
PEER=$(realpath "$4")
MOSQ=$5
. "$(dirname "$0")/lib.sh"
need mosquitto_passwd mosquitto_pub python3 sqlite3 curl
t_begin endorse
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
b64dec() { # base64url on stdin -> bytes to $1
	python3 -c 'import base64, sys; s = sys.stdin.read().strip(); open(sys.argv[1], "wb").write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))' "$1"
}
# docs/mqtt.md, "owners": a CBOR array of byte strings (statements)
owners_payload() { # OUT FILE...: the files' bytes as one owners payload
	python3 - "$@" <<'EOF'
import sys
out, files = sys.argv[1], sys.argv[2:]
def head(major, n):
    if n < 24: return bytes([major << 5 | n])
    if n < 256: return bytes([major << 5 | 24, n])
    return bytes([major << 5 | 25, n >> 8, n & 0xff])
b = head(4, len(files))
for f in files:
    s = open(f, "rb").read()
    b += head(2, len(s)) + s
open(out, "wb").write(b)
EOF
}

# ---- keys; the hub's key first, so that its broker account exists ----
for k in A B C D E F G X Y Z stranger; do "$P" keygen -o $k.key >/dev/null || exit 1; done
mkdir -m 700 hub hub2
"$P" keygen -o hub/hub.key >/dev/null && "$P" keygen -o hub2/hub.key >/dev/null
HID=$("$PEER" id hub/hub.key)
HID2=$("$PEER" id hub2/hub.key)
[[ $HID =~ ^hub-[0-9a-f]{16}$ ]] && [[ $HID2 =~ ^hub-[0-9a-f]{16}$ ]]; ok "the hubs' keys: $HID, $HID2"
kid() { local i; i=$("$PEER" id "$1") && echo "${i#hub-}"; }	# a key's id (the hub id's digits)
KA=$(kid A.key); KB=$(kid B.key); KC=$(kid C.key); KE=$(kid E.key); KF=$(kid F.key); KG=$(kid G.key)
KX=$(kid X.key); KY=$(kid Y.key); KZ=$(kid Z.key)
pkhex() { # a .pub file's key in hex (as the hub logs a key revocation's target)
	python3 -c 'import base64, sys; s = open(sys.argv[1]).read().split()[1]; print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).hex())' "$1"
}

# ---- the broker ----
MPORT=$(free_port)
for who in porterd "$HID" "$HID2"; do
	python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$who.pw"
	mosquitto_passwd -b passwd "$who" "$(cat "$who.pw")" >/dev/null 2>&1 ||
		mosquitto_passwd -c -b passwd "$who" "$(cat "$who.pw")" >/dev/null 2>&1
done
cp "$SRC/dist/mosquitto-acl" acl
grep -q '^pattern read porter/v1/hub/%u/owners$' acl && grep -q '^topic write porter/v1/hub/+/owners$' acl
ok "dist/mosquitto-acl: the hub reads its owners topic, porterd writes every hub's"
mkdir -p mosq
cat >mosquitto.conf <<EOF
per_listener_settings false
allow_anonymous false
password_file $T/passwd
acl_file $T/acl
persistence true
persistence_location $T/mosq/
autosave_interval 1
max_packet_size 65536
user $(id -un)
log_dest file $T/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
listener $MPORT 127.0.0.1
EOF
"$MOSQ" -c "$T/mosquitto.conf" >>"$T/mosquitto.out" 2>&1 &
PIDS+=("$!")
wait_for 10 port_open "$MPORT"
ok "mosquitto on 127.0.0.1:$MPORT: password file, dist/mosquitto-acl" ||
	{ show mosquitto.log mosquitto.out; echo "Bail out! no broker"; exit 1; }
mpub() { mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u porterd -P "$(cat porterd.pw)" "$@"; }

# ---- porterd ----
mkdir -p db
cp porterd.pw porterd.secret
cat >porterd.conf <<EOF
[server]
listen = 127.0.0.1:0
[store]
path = $T/db/porter.db
sealing_key = $T/db/sealing.key
[mqtt]
broker = 127.0.0.1:$MPORT
username = porterd
password_file = $T/porterd.secret
beacon_interval = 1s
[log]
level = debug
EOF
"$D" -f porterd.conf -d -R ready 2>porterd.log &
PIDS+=("$!")
wait_for 10 test -s ready
if [ ! -s ready ]; then echo "Bail out! porterd did not start"; show porterd.log; exit 1; fi
URL=http://127.0.0.1:$(cat ready)
wait_for 10 grep -q "event=mqtt_connected" porterd.log; ok "porterd starts and connects to the broker"

# ---- the owner, the home, key A ----
export PORTER_PASSWORD='correct horse battery staple'
OC=(env PORTER_CONFIG="$T/owner.conf")
expect() { # exit code, description, command...: output in out.txt, err.txt
	local want=$1 what=$2 got; shift 2
	"$@" >out.txt 2>err.txt; got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ]; then echo "ok $n - $what (exit $got)"
	else echo "not ok $n - $what: exit $got, want $want"; show out.txt err.txt; failed=$((failed + 1)); fi
}
expect 0 "owner signs up" "${OC[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "owner signs in" "${OC[@]}" "$P" login --email ana@example.org
expect 0 "a home" "${OC[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv 'd["id"]')
expect 0 "key A enrolled (the home's first key)" "${OC[@]}" "$P" key add --home "$H" --key A.key.pub --json
[ "$(jv 'd["key_id"]')" = "$KA" ] && [ "$(jv 'd["endorsed_by"]')" = None ]
ok "key A: its key id, endorsed_by null" || show out.txt
TOKEN=$(sed -n 's/^token = //p' owner.conf)
api() { # METHOD PATH [BODY]: the status on stdout, the body in out.txt
	curl -s -o out.txt -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$URL$2"
}

# ---- the hub, paired with key A ----
cp "$HID.pw" hub.pw; chmod 600 hub.pw
cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
[link]
tcp = 127.0.0.1:0
[door]
open_timeout = 2s
relock_delay = 100ms
[drivers]
sim_lock_delay = 50ms
[server]
revocations_max_age = 1h
[mqtt]
broker = 127.0.0.1:$MPORT
password_file = $T/hub.pw
keepalive = 5s
[alarm]
driver = sim
entry_zones = 1
sim_state = disarmed
cannot_bypass = ask
EOF
HPID=
hub_start() {
	local i
	rm -f hub.ready
	"$HUBX" -f "$T/hub.conf" -d -R "$T/hub.ready" >>"$T/hub.out" 2>>"$T/hub.log" &
	HPID=$!
	PIDS+=("$HPID")
	for i in $(seq 100); do
		[ -s hub.ready ] && return 0
		alive "$HPID" || return 1
		sleep 0.05
	done
	return 1
}
hub_stop() { kill -TERM "$HPID"; wait "$HPID"; }
hub_start; ok "porter-hub starts" || { show hub.log; echo "Bail out! no hub"; exit 1; }
LINK="unix:$T/hub/link.sock"
sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
hub_state() { # STATE: wait (5 s at most) for the door machine's state
	wait_for 5 eval "sim status 2>/dev/null | grep -q '\"state\":\"$1\"'"
}
# The event log, read after a sim status: the hub answers that in a later turn
# of its loop, so every event of the turn before (written after its DECISION) is in.
evlog() { sim status >/dev/null 2>&1; "$HUBX" -f "$T/hub.conf" -E; }
hev() { evlog | grep -q -- "$1"; }	# the hub's own event log has it
"$HUBX" pair -f hub.conf -q >hub.pair 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' hub.pair)
HKEY=$(awk '/^hub key:/ {print $3}' hub.pair)
# Through the API: porterd relays the statement to the hub (online, showing
# the code), which pairs over its uplink (docs/hub.md, "Pairing").
wait_for 10 grep -q 'event=uplink state=subscribed' hub.log
"${OC[@]}" "$P" hub pair --home "$H" --hub-key hub/hub.key.pub --code "$CODE" --key A.key \
	--label door --json >out.txt 2>err.txt && [ "$(jv 'd["id"]')" = "$HID" ] &&
	wait_for 5 grep -q "event=paired via=uplink home=$H" hub.log
ok "the hub paired with key A, through the API (relayed to the hub)" || show out.txt err.txt hub.pair hub.log
hub_online() {
	"${OC[@]}" "$P" hub list --home "$H" --json >hl.json 2>/dev/null &&
		python3 -c 'import json,sys; sys.exit(0 if any(h["id"] == sys.argv[1] and h["online"] for h in json.load(open("hl.json"))["hubs"]) else 1)' "$1"
}
wait_for 5 hub_online "$HID"; ok "porterd shows the hub online" || show porterd.log
unlocks() { evlog | grep -c ' lock.unlocking '; }
remote() { # KEY: porter remote unlock signed with KEY, for this hub
	"${OC[@]}" "$P" remote unlock --home "$H" --key "$1" --hub "$HID"
}
expect 0 "key A's remote unlock (the pairing owner)" remote A.key
hub_state unlocked; ok "the bolt moves for A" || sim status | show
hub_state secured

# ---- asking the owner (docs/alarm.md, "Ask the owner"), every part real:
# the hub asks through porterd, the owner answers with porter approval ----
"$P" keygen -o courier.key >/dev/null
"$P" grant --key A.key --holder courier.key.pub --home "$H" --purpose delivery --expires +1h \
	--entries 2 --alarm-bypass -o deliv.cbor >/dev/null
sim alarm arm away >/dev/null && sim alarm bypass-support off >/dev/null
ok "a delivery credential with the alarm condition; the panel armed away, unable to bypass"
expect 45 "at the door: refused owner-asked" "$P" courier unlock --hub "$LINK" --cred deliv.cbor \
	--key courier.key
open_request() { # the open approval-request porter approval list shows
	"${OC[@]}" "$P" approval list --home "$H" >al.out 2>&1 && grep -Eq '[0-9a-f]{32}' al.out
}
wait_for 10 open_request; ok "porter approval list: the hub's request, through porterd" || show al.out
REQ=$(evlog | grep ' alert.approval-request ' | tail -n 1)
RQ=$(sed -n 's/.*"request":"\([0-9a-f]*\)".*/\1/p' <<<"$REQ")
SS=$(sed -n 's/.*"session":"\([0-9a-f]*\)".*/\1/p' <<<"$REQ")
[ -n "$RQ" ] && grep -q "$RQ" al.out && grep -q "$SS" al.out
ok "the list names the hub's request and session" || { show al.out; echo "# $REQ"; }
expect 41 "an approval signed with a key that is not the home's: refused by porterd" \
	"${OC[@]}" "$P" approval approve --home "$H" --request "$RQ" --session "$SS" --key stranger.key
expect 0 "the owner approves with key A" \
	"${OC[@]}" "$P" approval approve --home "$H" --request "$RQ" --session "$SS" --key A.key
wait_for 10 hev "approval.answer {\"answer\":\"approve\",\"owner\":\"$KA\",\"request\":\"$RQ\""
ok "the hub records approval.answer approve by A" || evlog | tail -n 5 | show
expect 0 "at the door again: granted" "$P" courier unlock --hub "$LINK" --cred deliv.cbor --key courier.key
hub_state unlocked && sim alarm status | grep -q '"state":"armed_away"' &&
	sim alarm status | grep -q '"bypassed":\[\]'
ok "the bolt moves; the panel was neither bypassed nor disarmed" || sim alarm status | show
hub_state secured
sim alarm disarm >/dev/null && sim alarm bypass-support on >/dev/null

# ---- B, endorsed by A ----
expect 0 "porter key endorse --key A --public-key B: signed here, uploaded with B" \
	"${OC[@]}" "$P" key endorse --home "$H" --key A.key --public-key B.key.pub --label "Ana's browser" --json
[ "$(jv 'd["key_id"]')" = "$KB" ] && [ "$(jv 'd["endorsed_by"]')" = "$KA" ] &&
	[ "$(jv 'd["label"]')" = "Ana's browser" ]
ok "porterd stores B: endorsed_by is A's key id" || show out.txt
grep -q "key to endorse: key id $KB, as an owner of home $H" err.txt
ok "porter key endorse prints B's key id (computed here) and the home before signing" || show err.txt
sqlite3 "file:$T/db/porter.db?mode=ro" "SELECT length(statement) FROM owner_keys ORDER BY id" >st.txt
[ "$(sed -n 1p st.txt)" = "" ] && [ "$(sed -n 2p st.txt)" -gt 100 ]
ok "in the store: A without a statement, B with its statement" || show st.txt
grep -q "event=mqtt_owners home=$H hub=$HID statements=1" porterd.log
ok "porterd publishes the home's statements to the hub" || grep mqtt_owners porterd.log | show
wait_for 5 hev "owner.add {\"by\":\"$KA\",\"key_id\":\"$KB\"}"
ok "the hub verifies the statement: owner.add {key_id B, by A}" || { grep 'event=owner' hub.log | show; evlog | tail -n 5 | show; }
grep -q "event=owner result=added key_id=$KB by=$KA owners=2" hub.log
ok "the hub logs it: two owner keys now" || grep 'event=owner' hub.log | show
u0=$(unlocks)
expect 0 "key B's remote unlock" remote B.key
hub_state unlocked; ok "the bolt moves for B: the hub trusts B at once" ||
	{ sim status | show; evlog | tail -n 5 | show; }
hub_state secured
[ "$(unlocks)" -gt "$u0" ]; ok "a lock.unlocking event for it"
pevents() { sqlite3 "file:$T/db/porter.db?mode=ro" \
	"SELECT data FROM events WHERE source = 'hub:$HID' AND type = '$1' ORDER BY id" 2>/dev/null; }
wait_for 10 eval 'pevents owner.add | grep -q "\"key_id\":\"$KB\""'
ok "the hub's owner.add reaches porterd's timeline" || pevents owner.add | show

# ---- C, without a statement ----
expect 0 "key C uploaded without a statement" "${OC[@]}" "$P" key add --home "$H" --key C.key.pub --json
[ "$(jv 'd["endorsed_by"]')" = None ]; ok "stored by porterd, endorsed_by null" || show out.txt
u0=$(unlocks)
untrusted() { evlog | grep -c 'command.refuse {"nonce":null,"op":"unknown","reason":"untrusted-signer"}'; }
c0=$(untrusted)
expect 0 "key C's remote unlock: porterd relays it (C is an owner key there)" remote C.key
wait_for 10 eval '[ "$(untrusted)" -gt "$c0" ]'
ok "the hub refuses C's command: command.refuse untrusted-signer" ||
	{ evlog | tail -n 5 | show; grep 'event=command' hub.log | show; }
sleep 0.3
sim status | grep -q '"state":"secured"' && [ "$(unlocks)" -eq "$u0" ]
ok "C's command never moved the bolt" || sim status | show

# ---- statements porterd refuses ----
expect 41 "a statement signed by a key that is no owner's: porterd refuses (403 untrusted-signer)" \
	"${OC[@]}" "$P" key endorse --home "$H" --key stranger.key --public-key D.key.pub
grep -q "untrusted-signer" out.txt err.txt; ok "says untrusted-signer" || show out.txt err.txt
expect 41 "a statement signed by C (stored without one, so no signer): refused too" \
	"${OC[@]}" "$P" key endorse --home "$H" --key C.key --public-key D.key.pub
S=$("$P" key endorse --home "$H" --key A.key --public-key D.key.pub --print)
PE=$(awk '{print $2}' E.key.pub)
[ "$(api POST "/v1/homes/$H/owner-keys" "{\"public_key\":\"$PE\",\"statement\":\"$S\"}")" = 400 ]
ok "A's statement naming D, uploaded with key E: 400" || show out.txt
[ "$(jv 'd["error"]["field"]')" = statement ] && [ "$(jv 'd["error"]["code"]')" = invalid-field ]
ok "... invalid-field statement" || show out.txt
expect 0 "the key list: D was not stored" "${OC[@]}" "$P" key list --home "$H" --json
python3 -c 'import json,sys; ks = json.load(open("out.txt"))["keys"]
by = {k["key_id"]: k["endorsed_by"] for k in ks}
sys.exit(0 if by == {sys.argv[1]: None, sys.argv[2]: sys.argv[1], sys.argv[3]: None} else 1)' "$KA" "$KB" "$KC"
ok "the list: A (null), B (endorsed by A), C (null), nothing else" || show out.txt

# ---- published straight to the broker with porterd's account ----
# A breached porterd (or anyone with its broker account) could publish
# what it likes: the hub is the judge.
"$P" key endorse --home "$H" --key stranger.key --public-key D.key.pub --print | b64dec forged.env
"$P" key endorse --home "$H" --key C.key --public-key D.key.pub --print | b64dec forged2.env
owners_payload forged.bin forged.env forged2.env
r0=$(evlog | grep -c 'owner.refuse')
mpub -t "porter/v1/hub/$HID/owners" -q 1 -f forged.bin
wait_for 5 eval '[ "$(evlog | grep -c "owner.refuse {\"reason\":\"untrusted-signer\"}")" -ge 2 ]'
ok "statements by a stranger and by C, published to the hub directly: owner.refuse untrusted-signer, each" ||
	{ grep 'event=owner' hub.log | show; evlog | tail -n 5 | show; }
printf '\x81\x43abc\x00' >junk.bin
mpub -t "porter/v1/hub/$HID/owners" -q 1 -f junk.bin
wait_for 5 hev 'owner.refuse {"reason":"malformed"}'
ok "an owners payload that is not one (a byte after the array): owner.refuse malformed" ||
	grep 'event=owners' hub.log | show
! hev "\"key_id\":\"$(kid D.key)\""; ok "D was never added"
u0=$(unlocks)
expect 0 "key C's remote unlock again" remote C.key
sleep 1
sim status | grep -q '"state":"secured"' && [ "$(unlocks)" -eq "$u0" ]
ok "C is still not trusted: the bolt did not move" || sim status | show

# ---- chains, a revoked key, a hub that was away ----
expect 0 "B endorses E (B is endorsed itself)" "${OC[@]}" "$P" key endorse --home "$H" --key B.key --public-key E.key.pub --json
[ "$(jv 'd["endorsed_by"]')" = "$KB" ]; ok "E: endorsed_by B" || show out.txt
wait_for 5 hev "owner.add {\"by\":\"$KB\",\"key_id\":\"$KE\"}"
ok "the hub follows the chain A -> B -> E: owner.add {E, by B}" || grep 'event=owner' hub.log | show
expect 0 "key E's remote unlock" remote E.key
hub_state unlocked; ok "the bolt moves for E" || evlog | tail -n 5 | show
hub_state secured

expect 0 "A revokes key G at the hub (porter revoke --key)" \
	"${OC[@]}" "$P" revoke --home "$H" --signer A.key --key G.key.pub
wait_for 5 eval 'grep -q "event=revocation version=.*result=stored kind=key" hub.log'
ok "the hub holds G's revocation" || grep revocation hub.log | show
expect 0 "A endorses G anyway: porterd stores it (the revocation is the hub's to apply)" \
	"${OC[@]}" "$P" key endorse --home "$H" --key A.key --public-key G.key.pub
wait_for 5 hev 'owner.refuse {"reason":"revoked"}'
ok "the hub refuses to add a revoked key: owner.refuse revoked" || grep 'event=owner' hub.log | show
! hev "\"key_id\":\"$KG\""; ok "G was never added"

hub_stop; ok "the hub stops (offline)"
expect 0 "A endorses F while the hub is away" "${OC[@]}" "$P" key endorse --home "$H" --key A.key --public-key F.key.pub
hub_start; ok "the hub starts again" || show hub.log
wait_for 10 hev "owner.add {\"by\":\"$KA\",\"key_id\":\"$KF\"}"
ok "back online, it gets the statements (retained) and adds F" || grep 'event=owner' hub.log | show
[ "$(evlog | grep -c "owner.add {\"by\":\"$KA\",\"key_id\":\"$KB\"}")" -eq 1 ]
ok "statements it had already taken add nothing again (B added once)"
sqlite3 "$T/hub/hub.db" 'SELECT count(*) FROM owners' >no.txt 2>&1
[ "$(cat no.txt)" = 4 ]; ok "the hub trusts four owner keys: A, B, E, F" || show no.txt
wait_for 5 hub_online "$HID"
expect 0 "key F's remote unlock" remote F.key
hub_state unlocked; ok "the bolt moves for F" || evlog | tail -n 5 | show
hub_state secured

# ---- B revokes a credential it issued, before hub 2 knows B ----
# Hub 2 (below) gets the revocation tail before the owners message that
# makes B one of its owners: B's revocation arrives signed by a key it
# does not know yet. It must keep it and apply it once B is an owner
# (docs/hub.md, "Revocations": pending), not skip it for good.
"$P" keygen -o courier2.key >/dev/null
"$P" grant --key B.key --holder courier2.key.pub --home "$H" --purpose delivery --expires +1h \
	--entries 3 -o byb.cbor >/dev/null
CTIB=$("$P" cred inspect byb.cbor | sed -n 's/.*"token_id": "\([0-9a-f]*\)".*/\1/p' | tail -n 1)
expect 0 "B revokes the credential it issued (porter revoke --token)" \
	"${OC[@]}" "$P" revoke --home "$H" --signer B.key --token "$CTIB"
wait_for 5 hev "revocation.add .*\"target\":\"$CTIB\""
ok "hub 1 (which trusts B) holds it" || grep 'event=revocation' hub.log | show

# ---- a second hub, paired when the home has statements already ----
# Through the API: porterd sends a hub nothing of the home's but the
# pairing until the hub's own key has named the home (docs/mqtt.md,
# "home"); then the revocation tail, then the statements.
cp "$HID2.pw" hub2.pw; chmod 600 hub2.pw
sed -e "s|$T/hub\b|$T/hub2|" -e "s|$T/hub.pw|$T/hub2.pw|" hub.conf >hub2.conf
"$HUBX" -f "$T/hub2.conf" -d -R "$T/hub2.ready" >>"$T/hub2.out" 2>>"$T/hub2.log" &
H2PID=$!
PIDS+=("$H2PID")
wait_for 5 test -s hub2.ready; ok "a second porter-hub starts" || show hub2.log
wait_for 5 grep -q 'event=uplink state=subscribed' hub2.log
"$HUBX" pair -f hub2.conf -q >hub2.pair 2>&1
CODE2=$(awk '/^pairing code:/ {print $3}' hub2.pair)
HKEY2=$(awk '/^hub key:/ {print $3}' hub2.pair)
"${OC[@]}" "$P" hub pair --home "$H" --hub-key hub2/hub.key.pub --code "$CODE2" --key A.key \
	--label back --json >out.txt 2>err.txt && [ "$(jv 'd["id"]')" = "$HID2" ]
ok "hub 2 paired through the API" || show out.txt err.txt
# The statement itself: hub 2 shows the code, so it pairs over its uplink.
wait_for 5 grep -q "event=paired via=uplink home=$H" hub2.log
ok "hub 2 paired with key A through porterd's relay (uplink)" || grep 'event=pair' hub2.log | show
! grep -q 'event=owners result=held' hub2.log &&
	! grep -q "event=mqtt_owners home=$H hub=$HID2 .*" <(sed -n "1,/event=mqtt_home hub=$HID2 home=$H result=confirmed/p" porterd.log)
ok "before hub 2 named the home, porterd sent it no owner statements (it held none)" ||
	{ grep 'event=owners' hub2.log | show; grep "mqtt_owners\|mqtt_home" porterd.log | show; }
wait_for 5 grep -q "event=mqtt_home hub=$HID2 home=$H result=confirmed" porterd.log
ok "hub 2 named the home with its key: porterd confirms it" || grep mqtt_home porterd.log | show
ev2() { "$HUBX" -f "$T/hub2.conf" -E | grep -q -- "$1"; }
wait_for 5 ev2 "owner.add {\"by\":\"$KA\",\"key_id\":\"$KF\"}"
ok "then porterd sends the statements: owner.add {F, by A}" ||
	{ grep 'event=owner' hub2.log | show; }
sed -n "/event=mqtt_home hub=$HID2 home=$H result=confirmed/,\$p" porterd.log |
	grep -o "event=mqtt_revocations_tail home=$H hub=$HID2\|event=mqtt_owners home=$H hub=$HID2" |
	head -n 2 | tr '\n' ' ' >order.txt
[ "$(cat order.txt)" = "event=mqtt_revocations_tail home=$H hub=$HID2 event=mqtt_owners home=$H hub=$HID2 " ]
ok "at the confirmation: the revocation tail first, then the owner statements" || show order.txt
# Revocations first: G, revoked before hub 2 was paired, never becomes a
# root there.
! ev2 "\"key_id\":\"$KG\""
ok "hub 2 applies the revocations before the owners: G is never added" ||
	{ grep 'event=owner\|event=revocation' hub2.log | show; }
grep -q "event=revocation version=[0-9]* result=pending reason=untrusted-signer" hub2.log
ok "hub 2 keeps B's revocation, signed by a key not yet its owner, as pending" ||
	grep 'event=revocation' hub2.log | show
wait_for 5 ev2 "revocation.add .*\"late\":true.*\"target\":\"$CTIB\""
ok "once B is an owner of hub 2, the pending revocation is applied (revocation.add, late)" ||
	{ grep 'event=owner\|event=revocation' hub2.log | show; }
expect 23 "at hub 2's door: B's revoked credential is refused (revoked)" \
	"$P" courier unlock --hub "unix:$T/hub2/link.sock" --cred byb.cbor --key courier2.key
grep -q "revoked" out.txt err.txt 2>/dev/null; ok "...naming the reason" || show out.txt err.txt
[ "$(sqlite3 "file:$T/hub2/hub.db?mode=ro" 'SELECT count(*) FROM revocations_pending' 2>&1)" = 0 ]
ok "nothing is left pending at hub 2" ||
	sqlite3 "file:$T/hub2/hub.db?mode=ro" 'SELECT version, length(envelope) FROM revocations_pending' | show
wait_for 5 hub_online "$HID2"
"${OC[@]}" "$P" remote unlock --home "$H" --key F.key --hub "$HID2" >out.txt 2>err.txt
ok "key F's remote unlock at hub 2" || show out.txt err.txt
wait_for 5 eval '"$P" sim --hub-control "$T/hub2/sim.sock" status 2>/dev/null | grep -q "\"state\":\"unlocked\""'
ok "hub 2's bolt moves for F" || "$HUBX" -f "$T/hub2.conf" -E | tail -n 5 | show

# ---- taking a key back: a key revocation ----
expect 0 "A revokes key B (porter revoke --key)" \
	"${OC[@]}" "$P" revoke --home "$H" --signer A.key --key B.key.pub
wait_for 5 eval '[ "$(grep -c "event=revocation version=.*result=stored kind=key" hub.log)" -ge 2 ]'
ok "the hub holds B's revocation" || grep revocation hub.log | show
u0=$(unlocks)
expect 0 "key B's remote unlock: porterd relays it (B is still an owner key there)" remote B.key
NB=$(sed -n 's/.*(nonce \([0-9a-f]\{32\}\)).*/\1/p' out.txt)
wait_for 10 eval 'evlog | grep "command.refuse" | grep "\"nonce\":\"$NB\"" | grep -q "\"reason\":\"revoked\""'
ok "the hub refuses the revoked owner key's command: revoked" ||
	{ evlog | tail -n 5 | show; grep 'event=command' hub.log | show; }
sleep 0.3
sim status | grep -q '"state":"secured"' && [ "$(unlocks)" -eq "$u0" ]
ok "B's command did not move the bolt" || sim status | show
# A revoked (perhaps stolen) owner key cannot go on to take the others away.
nref=$(grep -c 'event=revocation version=.*result=refuse reason=revoked' hub.log)
expect 0 "key B, revoked, revokes key F: porterd stores it (B is still an owner key there)" \
	"${OC[@]}" "$P" revoke --home "$H" --signer B.key --key F.key.pub
wait_for 5 eval '[ "$(grep -c "event=revocation version=.*result=refuse reason=revoked" hub.log)" -gt "$nref" ]'
ok "the hub refuses a revocation signed by a revoked owner key: revoked" ||
	grep 'event=revocation' hub.log | tail -n 3 | show
u0=$(unlocks)
expect 0 "key F's remote unlock after B's revocation of F" remote F.key
wait_for 5 eval '[ "$(unlocks)" -gt "$u0" ]'
ok "F still opens: B's revocation took nothing away" || evlog | tail -n 5 | show

# ---- revoking a key ends what it endorsed (the roots are computed) ----
hev "owner.drop {\"key_id\":\"$KB\",\"reason\":\"revoked\"}" &&
	hev "owner.drop {\"key_id\":\"$KE\",\"reason\":\"endorser-revoked\"}"
ok "B's revocation drops B and E (endorsed by B) from the roots: owner.drop, each" ||
	evlog | grep owner | show
hub_state secured
u0=$(unlocks)
c0=$(untrusted)
expect 0 "key E's remote unlock (E's endorser B is revoked)" remote E.key
wait_for 10 eval '[ "$(untrusted)" -gt "$c0" ]'
ok "the hub refuses E's command: untrusted-signer" || { evlog | tail -n 5 | show; }
sleep 0.3
sim status | grep -q '"state":"secured"' && [ "$(unlocks)" -eq "$u0" ]
ok "E's command did not move the bolt" || sim status | show
expect 0 "B, revoked, endorses X: porterd stores it (B is still an owner key there)" \
	"${OC[@]}" "$P" key endorse --home "$H" --key B.key --public-key X.key.pub
wait_for 5 eval 'grep -q "event=owners statements=5 .*refused=[1-9]" hub.log'
! hev "\"key_id\":\"$KX\""; ok "the hub does not take B's endorsement of X" ||
	grep 'event=owner' hub.log | show

# ---- mutual revocation: both orders end with both keys revoked ----
expect 0 "A endorses Y" "${OC[@]}" "$P" key endorse --home "$H" --key A.key --public-key Y.key.pub
expect 0 "A endorses Z" "${OC[@]}" "$P" key endorse --home "$H" --key A.key --public-key Z.key.pub
wait_for 5 hev "owner.add {\"by\":\"$KA\",\"key_id\":\"$KY\"}" &&
	wait_for 5 hev "owner.add {\"by\":\"$KA\",\"key_id\":\"$KZ\"}"
ok "Y and Z are owners" || grep 'event=owner' hub.log | show
stored() { grep -q "event=revocation version=.*result=stored kind=key target=$(pkhex "$1") owner_key_id=$2" hub.log; }
expect 0 "Z revokes Y" "${OC[@]}" "$P" revoke --home "$H" --signer Z.key --key Y.key.pub
wait_for 5 stored Y.key.pub "$KZ"; ok "the hub stores Z's revocation of Y" || grep revocation hub.log | show
expect 0 "Y, revoked, revokes Z back" "${OC[@]}" "$P" revoke --home "$H" --signer Y.key --key Z.key.pub
wait_for 5 stored Z.key.pub "$KY"
ok "the hub takes Y's counter-revocation of Z: both revoked" || grep revocation hub.log | show
refused_revoked() { evlog | grep 'command.refuse' | grep -q "\"owner_key_id\":\"$1\",\"reason\":\"revoked\""; }
expect 0 "key Z's remote unlock" remote Z.key
wait_for 10 refused_revoked "$KZ"; ok "Z's command: revoked" || evlog | tail -n 3 | show
expect 0 "key Y's remote unlock" remote Y.key
wait_for 10 refused_revoked "$KY"; ok "Y's command: revoked" || evlog | tail -n 3 | show
nref=$(grep -c 'event=revocation version=.*result=refuse reason=revoked' hub.log)
expect 0 "Y, revoked, revokes F (uninvolved)" "${OC[@]}" "$P" revoke --home "$H" --signer Y.key --key F.key.pub
wait_for 5 eval '[ "$(grep -c "event=revocation version=.*result=refuse reason=revoked" hub.log)" -gt "$nref" ]'
ok "refused: a revoked key takes no uninvolved owner away" || grep revocation hub.log | tail -n 3 | show
# The other order, the thief first: F revokes A, then A revokes F. (A is
# the door-paired key: every root goes with it; last, then.)
expect 0 "F (a thief) revokes A first" "${OC[@]}" "$P" revoke --home "$H" --signer F.key --key A.key.pub
wait_for 5 stored A.key.pub "$KF"; ok "the hub stores F's revocation of A" || grep revocation hub.log | show
hev "owner.drop {\"key_id\":\"$KF\",\"reason\":\"endorser-revoked\"}"
ok "F, endorsed by A, leaves the roots with A" || evlog | grep owner | show
expect 0 "A, revoked, revokes F back" "${OC[@]}" "$P" revoke --home "$H" --signer A.key --key F.key.pub
wait_for 5 stored F.key.pub "$KA"
ok "the hub takes A's counter-revocation of F: both revoked" || grep revocation hub.log | tail -n 3 | show
expect 0 "key F's remote unlock" remote F.key
wait_for 10 refused_revoked "$KF"; ok "F's command: revoked" || evlog | tail -n 3 | show

alive "$HPID"; ok "the hub is still running"
t_end

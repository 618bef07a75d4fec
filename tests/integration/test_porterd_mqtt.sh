#!/usr/bin/env bash
# porterd's side of MQTT (daemons/porterd/mqtt.c, docs/mqtt.md), TAP output:
# a private mosquitto on a free loopback port (its own config, a password
# file made with mosquitto_passwd, the ACL of dist/mosquitto-acl), a real
# porterd connected to it as account "porterd", and porterd_mqtt_peer
# playing a hub paired through the real API with an owner-signed pairing
# statement: signed event batches, state, the last will; what porterd
# sends down (acks, revocations, commands, beacons) is recorded by the
# peer's listener and checked byte for byte. The checkpoints porterd keeps
# and the hub's chain it serves for evidence bundles (GET .../chain) are
# checked with libporter by the peer (chain-check).
# Usage: test_porterd_mqtt.sh PORTERD PORTER PEER MOSQUITTO
# KEEP=1 keeps the directory (logs, database) for a look afterwards.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
PEER=$(realpath "$3")
MOSQ=$4
SRC=${PORTER_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d)
umask 077
PID= BPID= LPID= HPID=
cleanup() {
	local p
	for p in $LPID $PID $BPID $HPID; do kill "$p" 2>/dev/null; done
	for p in $LPID $PID $BPID $HPID; do wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
cd "$T" || exit 1
unset NOTIFY_SOCKET
n=0 failed=0

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
run() { "$@" >out.txt 2>err.txt; }
expect() { # exit code, description, command...
	local want=$1 what=$2; shift 2
	run "$@"
	local got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ]; then echo "ok $n - $what (exit $got)"
	else echo "not ok $n - $what: exit $got, want $want"; sed 's/^/# /' out.txt err.txt | tail -n 20; failed=$((failed + 1)); fi
}
json_ok() { # python condition on d, the JSON in out.txt; description
	python3 -c "import json,sys; d=json.load(open('out.txt')); assert $1, d" 2>py.txt
	local rc=$?
	[ $rc -eq 0 ] || tail -n 1 py.txt | cut -c 1-1500 | sed 's/^/# /'
	(exit $rc); ok "$2"
}
jv() { python3 -c "import json; d=json.load(open('out.txt')); print($1)" 2>/dev/null; }
# wait_for SECONDS command...: until the command succeeds
wait_for() {
	local secs=$1 i; shift
	for i in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
	return 1
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_open() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}
log_has() { grep -q -- "$1" "$2" 2>/dev/null; }
count_of() { grep -c -- "$1" "$2" 2>/dev/null; }
at_least() { [ "$(count_of "$2" "$3")" -ge "$1" ]; }	# N PATTERN FILE
last_of() { grep -- "$1" "$2" | tail -n 1; }
# what a hub that connects now gets from the broker's retained messages
retained() { # DIR: a listener of 2 s
	rm -rf "$1"; mkdir -p "$1"
	"$PEER" listen "${COMMON[@]}" --out "$1" --seconds 2 2>/dev/null
}
# The hub's event overrides so far: every batch recomputes the chain from 1,
# so each is passed again (else the chain the peer signs is another: a fork).
EVS=()
batch() { "$PEER" batch "${COMMON[@]}" --key hub.key "${EVS[@]}" "$@"; }
b64dec() { # base64url (no padding) on stdin -> bytes to $1
	python3 -c 'import base64, sys; s = sys.stdin.read().strip(); open(sys.argv[1], "wb").write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))' "$1"
}

if ! command -v mosquitto_passwd >/dev/null 2>&1; then
	echo "1..0 # SKIP mosquitto_passwd is not installed (scripts/deps.sh)"
	exit 0
fi

# ---- keys, and the hub's id ----
for k in owner stranger hub ghost hubx ownera ownerb; do "$P" keygen -o $k.key >/dev/null || exit 1; done
HUB=$("$PEER" id hub.key)
GHOST=$("$PEER" id ghost.key)	# a hub with a broker account that nobody paired
XHUB=$("$PEER" id hubx.key)	# a hub paired with ana's second home, that ben registers
[[ $HUB =~ ^hub-[0-9a-f]{16}$ ]]; ok "the peer's hub id is hub- and its key id ($HUB)"

# ---- the broker: a private mosquitto, a password per account, dist/'s ACL ----
MPORT=$(free_port)
for who in porterd "$HUB" "$GHOST" "$XHUB"; do
	python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$who.pw"
done
mosquitto_passwd -c -b passwd porterd "$(cat porterd.pw)" >/dev/null 2>&1 &&
	mosquitto_passwd -b passwd "$HUB" "$(cat "$HUB.pw")" >/dev/null 2>&1 &&
	mosquitto_passwd -b passwd "$GHOST" "$(cat "$GHOST.pw")" >/dev/null 2>&1 &&
	mosquitto_passwd -b passwd "$XHUB" "$(cat "$XHUB.pw")" >/dev/null 2>&1
ok "a password file made with mosquitto_passwd"
cp "$SRC/dist/mosquitto-acl" acl
cat >mosquitto.conf <<EOF
per_listener_settings false
allow_anonymous false
password_file $T/passwd
acl_file $T/acl
persistence false
max_packet_size 65536
user $(id -un)
log_dest stderr
log_type error
log_type warning
log_type notice
listener $MPORT 127.0.0.1
EOF
broker_start() {
	"$MOSQ" -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	BPID=$!
	wait_for 10 port_open "$MPORT"
}
broker_start; ok "mosquitto listens on 127.0.0.1:$MPORT"
if ! port_open "$MPORT"; then echo "Bail out! mosquitto did not start"; sed 's/^/# /' mosquitto.log; exit 1; fi
COMMON=(--broker "127.0.0.1:$MPORT" --user "$HUB" --pass-file "$HUB.pw" --id "$HUB")

# ---- porterd, connected to it ----
mkdir -p db
cp porterd.pw porterd.secret && chmod 600 porterd.secret
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
beacon_interval = 2s
[log]
level = debug
EOF
chmod 644 porterd.secret
"$D" -n -f porterd.conf >out.txt 2>err.txt
[ $? -eq 1 ] && grep -q "mode 0600" err.txt; ok "porterd -n refuses a password file others can read"
chmod 600 porterd.secret
"$D" -n -v -f porterd.conf >out.txt 2>err.txt &&
	grep -q "^mqtt.broker = 127.0.0.1:$MPORT" out.txt && grep -q "^mqtt.share_group = porterd" out.txt
ok "porterd -n -v shows the [mqtt] keys"
"$D" -f porterd.conf -d -R ready 2>porterd.log &
PID=$!
wait_for 10 test -s ready
if [ ! -s ready ]; then echo "Bail out! porterd did not start"; sed 's/^/# /' porterd.log; exit 1; fi
URL=http://127.0.0.1:$(cat ready)
wait_for 10 log_has "event=mqtt_connected" porterd.log; ok "porterd connects to the broker as porterd"
grep -q 'subscribe="\$share/porterd/porter/v1/hub/+/state \$share/porterd/porter/v1/hub/+/events porter/v1/hub/+/home"' porterd.log
ok "with shared subscriptions to every hub's state and events, a plain one to their home statements"

# ---- an owner, a home, the hub paired through the API ----
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
export PORTER_PASSWORD='correct horse battery'
A=(env PORTER_CONFIG="$T/ana.conf")
expect 0 "owner signs up" "${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "owner signs in" "${A[@]}" "$P" login --email ana@example.org
expect 0 "a home with a location" "${A[@]}" "$P" home create --name Flat --tz Europe/Berlin \
	--lat 52.52 --lon 13.405 --in-home-delivery --json
H=$(jv 'd["id"]')
expect 0 "owner key add" "${A[@]}" "$P" key add --home "$H" --key owner.key.pub
CODE=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
expect 0 "hub pair (an owner-signed pairing statement)" "${A[@]}" "$P" hub pair --home "$H" \
	--hub-key hub.key.pub --code "$CODE" --key owner.key --label hall --json
json_ok 'd["id"] == "'"$HUB"'" and d["online"] is False and d["last_seen"] is None and d["confirmed"] is False' \
	"porterd names it as the peer does; offline, never seen, not confirmed"
TOKEN=$(sed -n 's/^token = //p' ana.conf)
api() { # METHOD PATH [BODY]: the answer's status on stdout, its body in out.txt
	curl -s -o out.txt -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$URL$2"
}
hub_events() { # how many events of source hub:$HUB the home has
	"${A[@]}" "$P" events --home "$H" --limit 200 --json >ev.json 2>/dev/null &&
		python3 -c 'import json,sys; d=json.load(open("ev.json")); print(sum(1 for e in d["events"] if e["source"] == "hub:" + sys.argv[1]))' "$HUB"
}
alerts_of() { # TYPE: how many alerts of that type
	"${A[@]}" "$P" alerts --home "$H" --limit 200 --json >al.json 2>/dev/null &&
		python3 -c 'import json,sys; d=json.load(open("al.json")); print(sum(1 for a in d["alerts"] if a["type"] == sys.argv[1]))' "$1"
}
events_are() { [ "$(hub_events)" = "$1" ]; }
alerts_are() { [ "$(alerts_of "$1")" = "$2" ]; }

# ---- the hub's listener: what porterd sends down ----
mkdir -p down
"$PEER" listen "${COMMON[@]}" --out down --seconds 300 2>listen.err &
LPID=$!
wait_for 10 log_has listening down/log; ok "the hub subscribes to its ack, revocations, commands and time"

# ---- home: nothing the hub sends is stored until its key names this home ----
hub_is() { # python condition on h, the home's first hub as GET .../hubs gives it
	"${A[@]}" "$P" hub list --home "$H" --json >hl.json 2>/dev/null &&
		python3 -c 'import json,sys; h=json.load(open("hl.json"))["hubs"][0]; sys.exit(0 if '"$1"' else 1)'; }
db_count() { sqlite3 db/porter.db "$1"; }
expect 0 "the hub says it is online before it confirmed its home" "$PEER" state "${COMMON[@]}" --online --rev 0
wait_for 10 log_has "event=mqtt_state hub=$HUB result=kept error=\"hub has not confirmed this home\"" porterd.log
ok "porterd keeps that state, unapplied"
hub_is 'h["online"] is False and h["state"] is None and h["confirmed"] is False'; ok "the hub is still offline, without state"
expect 0 "a signed batch 1..3 before it confirmed" batch --from 1 --to 3
wait_for 10 log_has "event=mqtt_events hub=$HUB result=dropped error=\"hub has not confirmed this home\"" porterd.log
ok "porterd drops it: the hub has not confirmed this home"
events_are 0; ok "nothing of it stored"
expect 0 "the hub's statement naming this home, its signature broken" "$PEER" home "${COMMON[@]}" --key hub.key --home "$H" --bad-sig
wait_for 10 at_least 1 "event=mqtt_home hub=$HUB result=ignored" porterd.log; ok "ignored"
expect 0 "a statement naming this home signed by the owner's key, not the hub's" "$PEER" home "${COMMON[@]}" --key owner.key --home "$H"
wait_for 10 at_least 2 "event=mqtt_home hub=$HUB result=ignored" porterd.log; ok "ignored"
expect 0 "the hub's key names another home" "$PEER" home "${COMMON[@]}" --key hub.key --home h-0000000000000000
wait_for 10 log_has "event=mqtt_home hub=$HUB home=$H result=another-home changed=no" porterd.log; ok "porterd hears it: another home"
hub_is 'h["confirmed"] is False and h["online"] is False'; ok "none of the three confirmed it"
! grep -q "^ack " down/log; ok "no ack went down"
[ "$(db_count "SELECT count(*) FROM events WHERE type IN ('hub.confirmed', 'hub.disowned')")" = 0 ]; ok "no hub.confirmed or hub.disowned event"
expect 0 "the hub's key names this home (as porter-hub does on connecting)" "$PEER" home "${COMMON[@]}" --key hub.key --home "$H" --owner-key owner.key
wait_for 10 hub_is 'h["confirmed"] is True'; ok "confirmed"
wait_for 10 hub_is 'h["online"] is True and h["state"] is not None'; ok "online at once: the state it kept is applied"
[ "$(db_count "SELECT count(*) FROM events WHERE type = 'hub.confirmed' AND data LIKE '%$HUB%'")" = 1 ]; ok "an event hub.confirmed in the home"
events_are 0; ok "the batch it dropped is not stored (the hub sends it again)"

# ---- state: online, last_seen, beacons ----
BEFORE=$(date +%s)
expect 0 "the hub says it is online (retained state, rev 0)" "$PEER" state "${COMMON[@]}" --online --rev 0
hub_online() { "${A[@]}" "$P" hub list --home "$H" --json >hl.json 2>/dev/null &&
	python3 -c 'import json,sys; h=json.load(open("hl.json"))["hubs"][0]; sys.exit(0 if h["online"] is (sys.argv[1] == "1") else 1)' "$1"; }
wait_for 10 hub_online 1; ok "GET /v1/homes/{id}/hubs: online true"
# it was online already: wait for this state, not the one applied at confirming
wait_for 10 hub_is 'h["last_seen"] >= '"$BEFORE"
"${A[@]}" "$P" hub list --home "$H" --json >out.txt
json_ok 'd["hubs"][0]["last_seen"] >= '"$BEFORE"' and d["hubs"][0]["last_seen"] <= '"$(($(date +%s) + 1))" \
	"and last_seen is porterd's time of the state"
wait_for 10 log_has "^time .* rev=0" down/log; ok "time beacons reach the online hub (rev 0)"
grep "^time " down/log | head -n 1 | python3 -c 'import sys, time; ms = int(sys.stdin.read().split("now_ms=")[1].split()[0]); sys.exit(0 if abs(ms / 1000 - time.time()) < 10 else 1)'
ok "the beacon carries porterd's clock in milliseconds"
grep -q "^time .*retained=0" down/log; ok "beacons are not retained"

# ---- events: a signed batch stored, acked ----
expect 0 "a batch of events 1..3" batch --from 1 --to 3
H3=$(sed -n 's/.*last_hash=//p' out.txt)
wait_for 10 events_are 3; ok "three events stored"
"${A[@]}" "$P" events --home "$H" --limit 200 --json >out.txt
json_ok '[(e["type"], e["data"]) for e in d["events"] if e["source"] == "hub:'"$HUB"'"] == [("door.open", {"n": 1}), ("door.open", {"n": 2}), ("door.open", {"n": 3})]' \
	"GET /v1/homes/{id}/events lists them, source hub:<id>, in order, with the hub's data"
json_ok '[e["at"] for e in d["events"] if e["source"] == "hub:'"$HUB"'"] == [1781085601, 1781085602, 1781085603]' \
	"at as the hub recorded it"
wait_for 10 log_has "^ack .* seq=3 hash=$H3" down/log; ok "the ack: seq 3 and its hash"
retained chk
grep -q "^ack 1 retained=1 seq=3 hash=$H3" chk/log; ok "retained: a hub that connects gets it from the broker"

# ---- a resend is idempotent ----
expect 0 "the same batch again (no ack seen by the hub)" batch --from 1 --to 3
wait_for 10 at_least 2 '^ack .* seq=3 ' down/log; ok "acked again at seq 3"
events_are 3; ok "nothing stored twice"

# ---- refused batches: a bad signature, an unknown hub ----
expect 0 "events 4..5 with a bad checkpoint signature" batch --from 4 --to 5 --bad-sig
wait_for 10 log_has "event=mqtt_events hub=$HUB result=dropped error=\"bad-signature\"\|event=mqtt_events hub=$HUB result=dropped error=\"[a-z ]*signature" porterd.log
ok "porterd drops it"
events_are 3; ok "nothing of it stored"
wait_for 10 alerts_are event-unverified 1; ok "an event-unverified alert"
! grep -q "^ack .* seq=5 " down/log; ok "no ack for it"
GCOMMON=(--broker "127.0.0.1:$MPORT" --user "$GHOST" --pass-file "$GHOST.pw" --id "$GHOST")
expect 0 "a hub nobody paired sends a signed batch" "$PEER" batch "${GCOMMON[@]}" --key ghost.key --from 1 --to 2
wait_for 10 log_has "event=mqtt_events hub=$GHOST result=dropped error=\"unknown hub\"" porterd.log
ok "dropped: unknown hub"
"${A[@]}" "$P" events --home "$H" --limit 200 --json >out.txt
json_ok 'not any(e["source"] == "hub:'"$GHOST"'" for e in d["events"])' "nothing stored for it"
expect 0 "the hub's key signs a batch for another hub's topic (the ghost's account)" \
	"$PEER" batch "${GCOMMON[@]}" --key hub.key --from 1 --to 1
wait_for 10 log_has "event=mqtt_events hub=$GHOST result=dropped" porterd.log; ok "dropped too"

# ---- alerts raised by the hub, a gap, a fork ----
EVS+=(--event '5:alert.door-held-open:{"session":"00112233445566778899aabbccddeeff"}')
expect 0 "events 4..6: 5 is the hub's alert.door-held-open" batch --from 4 --to 6
wait_for 10 events_are 6; ok "stored: 6 events"
wait_for 10 alerts_are door-held-open 1; ok "a door-held-open alert"
"${A[@]}" "$P" alerts --home "$H" --json >out.txt
json_ok '[a for a in d["alerts"] if a["type"] == "door-held-open"][0]["data"] == {"session": "00112233445566778899aabbccddeeff"}' \
	"with the hub's data, and the event it came from"
wait_for 10 log_has "^ack .* seq=6 " down/log; ok "acked at 6"
expect 0 "events 9..10: 7 and 8 never came" batch --from 9 --to 10
wait_for 10 alerts_are event-gap 1; ok "an event-gap alert"
"${A[@]}" "$P" alerts --home "$H" --json >out.txt
json_ok '[a for a in d["alerts"] if a["type"] == "event-gap"][0]["data"] == {"hub_id": "'"$HUB"'", "from": 7, "to": 8}' \
	"naming what is missing (7..8)"
wait_for 10 events_are 8; ok "9 and 10 stored after recording the gap"
wait_for 10 log_has "^ack .* seq=10 " down/log; ok "acked at 10: the gap is accounted for (docs/mqtt.md)"
expect 0 "a forked chain from 10 on (another event 10)" batch \
	--from 10 --to 11 --fork-from 10
wait_for 10 alerts_are event-fork 1; ok "an event-fork alert"
events_are 8; ok "nothing of the fork stored"
sleep 0.5
! grep -q "^ack .* seq=11 " down/log; ok "and no ack"

# ---- the delivery entered: the hub's grant names the credential ----
K=(env PORTER_CONFIG="$T/carla.conf")
B=(env PORTER_CONFIG="$T/ben.conf")
"$P" keygen -o device.key >/dev/null
expect 0 "carrier admin signs up" "${K[@]}" "$P" signup --server "$URL" --email carla@example.org --name Carla --role carrier-admin
expect 0 "carrier admin signs in" "${K[@]}" "$P" login --email carla@example.org
expect 0 "courier signs up" "${B[@]}" "$P" signup --server "$URL" --email ben@example.org --name Ben --role courier --json
BEN=$(jv 'd["id"]')
expect 0 "courier signs in" "${B[@]}" "$P" login --email ben@example.org
expect 0 "a hosted carrier" "${K[@]}" "$P" carrier create --name Parcelo --hosted --json
C=$(jv 'd["id"]')
CPK=$(jv 'd["public_key"]')
expect 0 "the courier enrolled" "${K[@]}" "$P" courier enrol --carrier "$C" --email ben@example.org --name "Ben K." --level id-checked
expect 0 "the courier's device" "${B[@]}" "$P" device add --key device.key.pub --label phone
expect 0 "the home accepts the carrier, standing approval" "${A[@]}" "$P" home update "$H" --carrier "$C" --approval standing
expect 0 "the owner delegates to the carrier" "$P" grant --key owner.key --holder "$CPK" \
	--home "$H" --purpose delivery --window "-1h/+1d" --expires +1d --entries 10 --depth 1 --camera --alarm-bypass -o deleg.cred
expect 0 "uploaded" "${A[@]}" "$P" grant upload deleg.cred --label Parcelo
expect 0 "a delivery" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" \
	--package PKG-1 --from -5m --until +4h --in-home --json
DL=$(jv 'd["id"]')
expect 0 "dispatched" "${K[@]}" "$P" delivery dispatch "$DL" --courier "$BEN"
expect 0 "at the door: a credential" "${B[@]}" "$P" delivery arrive "$DL" --device-key device.key.pub \
	--lat 52.5201 --lon 13.4049 --package PKG-1 --out door.cred
grep -q "^no credential issued" out.txt && sed 's/^/# /' out.txt
expect 0 "credential-issued, with its token id" "${A[@]}" "$P" delivery show "$DL" --json
CTI=$(jv 'd["token_id"]')
json_ok 'd["state"] == "credential-issued" and len(d["token_id"]) == 32' "credential-issued"
EVS+=(--event '11:decision.grant:{"conn":1,"lock":"front","reason":"ok","token":"00000000000000000000000000000000"}')
expect 0 "the hub's grant decision for another token: 11" batch --from 11 --to 11
wait_for 10 events_are 9; ok "stored"
"${A[@]}" "$P" delivery show "$DL" --json >out.txt
json_ok 'd["state"] == "credential-issued"' "the delivery does not move"
EVS+=(--event "12:decision.grant:{\"conn\":2,\"lock\":\"front\",\"purpose\":\"delivery\",\"reason\":\"ok\",\"token\":\"$CTI\"}")
expect 0 "the hub's grant decision for the delivery's token: 12" batch --from 12 --to 12
delivery_entered() { "${A[@]}" "$P" delivery show "$DL" --json >dl.json 2>/dev/null &&
	python3 -c 'import json,sys; sys.exit(0 if json.load(open("dl.json"))["state"] == "entered" else 1)'; }
wait_for 10 delivery_entered; ok "credential-issued -> entered"
"${A[@]}" "$P" delivery show "$DL" --json >out.txt
json_ok 'd["history"][-1]["state"] == "entered" and d["history"][-1]["actor"] in (0, None)' "a step by the system (actor 0, shown as null)"
"${A[@]}" "$P" events --home "$H" --limit 200 --json >out.txt
json_ok 'any(e["type"] == "delivery.entered" and e["source"] == "server" and e["data"]["delivery_id"] == "'"$DL"'" and e["data"]["hub_seq"] == 12 for e in d["events"])' \
	"an event delivery.entered naming the hub's event"
sqlite3 db/porter.db "SELECT actor, action, detail FROM audit WHERE action = 'delivery.enter'" >out.txt 2>&1
grep -q "^0|delivery.enter|.*\"delivery_id\":\"$DL\"" out.txt; ok "an audit row delivery.enter by actor 0"
expect 0 "the same grant again (resent)" batch --from 12 --to 12
sleep 0.5
[ "$(sqlite3 db/porter.db "SELECT count(*) FROM audit WHERE action = 'delivery.enter'")" = 1 ]; ok "moves it once"
expect 0 "the courier completes it" "${B[@]}" "$P" delivery complete "$DL"

# ---- the hub's chain for evidence bundles (GET .../hubs/{hub_id}/chain) ----
# Stored so far: 1..6 and 9..12 (7 and 8 never came); the batches stored
# end at 3 (sent twice), 6, 10, 11 and 12 (sent twice); the bad-signature
# and forked batches stored nothing.
[ "$(sqlite3 db/porter.db "SELECT group_concat(seq) FROM (SELECT seq FROM hub_checkpoints ORDER BY seq)")" = "3,6,10,11,12" ]
ok "porterd keeps each stored batch's checkpoint, once (3, 6, 10, 11, 12)"
chain_lines() { # out.txt (a chain answer) -> what chain-check reads
	python3 -c '
import base64, json
def h(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).hex()
d = json.load(open("out.txt"))
print("key", h(d["hub_key"]))
print("prev", h(d["prev"]))
for e in d["events"]: print("event", e["seq"], e["at"], e["type"], e["data"].encode().hex(), h(e["hash"]))
for c in d["checkpoints"]: print("cp", c["seq"], h(c["sig"]))'
}
chain_check() { chain_lines | "$PEER" chain-check --key hub.key --id "$HUB" >chk.txt 2>&1; }
CH="/v1/homes/$H/hubs/$HUB/chain"
[ "$(api GET "$CH?from=1&to=2")" = 200 ]; ok "GET .../chain?from=1&to=2: 200"
json_ok 'd["hub"] == "'"$HUB"'" and [e["seq"] for e in d["events"]] == [1, 2, 3] and [c["seq"] for c in d["checkpoints"]] == [3] and d["prev"] == "A" * 43' \
	"events 1..3, through the first checkpoint at or after 2 (3); prev: 32 zero bytes"
json_ok '[(e["at"], e["type"], e["data"]) for e in d["events"]] == [(1781085601 + i, "door.open", "{\"n\":%d}" % (i + 1)) for i in range(3)]' \
	"each event as the hub recorded it, data the text it hashed"
chain_check; ok "the hashes recompute from prev, the checkpoint verifies by the hub's key (libporter)"
python3 -c 'import json; d = json.load(open("out.txt")); d["events"][1]["data"] = "{\"n\":7}"; json.dump(d, open("out.txt", "w"))'
! chain_check && grep -q "event 2: its hash does not recompute" chk.txt; ok "and the check fails on a changed event"
[ "$(api GET "$CH?from=2&to=4")" = 200 ]; ok "from=2&to=4: 200"
json_ok '[e["seq"] for e in d["events"]] == [2, 3, 4, 5, 6] and [c["seq"] for c in d["checkpoints"]] == [3, 6] and d["events"][3]["type"] == "alert.door-held-open"' \
	"events 2..6, checkpoints 3 and 6"
chain_check; ok "prev is event 1's hash: it all verifies"
[ "$(api GET "$CH?from=11&to=12")" = 200 ] && chain_check; ok "from=11&to=12: one checkpoint per batch (11, 12), verifies"
json_ok '[c["seq"] for c in d["checkpoints"]] == [11, 12]' "checkpoints 11 and 12"
[ "$(api GET "$CH?from=5&to=9")" = 409 ]; ok "from=5&to=9 (7 and 8 never came): 409"
json_ok 'd["error"]["code"] == "no-chain" and "event 7 " in d["error"]["message"]' "no-chain, naming event 7"
[ "$(api GET "$CH?from=9&to=10")" = 409 ]; ok "from=9&to=10 (the hash before 9 is unknown): 409"
json_ok 'd["error"]["code"] == "no-chain" and "event 8," in d["error"]["message"]' "no-chain, naming event 8"
[ "$(api GET "$CH?from=12&to=13")" = 409 ]; ok "from=12&to=13 (past the last checkpoint): 409"
json_ok 'd["error"]["code"] == "no-chain" and "covers event 13" in d["error"]["message"]' "no-chain: no checkpoint covers 13 yet"
for q in "from=0&to=1:from" "from=x&to=1:from" "to=3:from" "from=3&to=2:to" "from=1&to=1025:to" "from=1:to" "from=1&to=-1:to"; do
	[ "$(api GET "$CH?${q%:*}")" = 400 ] &&
		python3 -c 'import json,sys; e=json.load(open("out.txt"))["error"]; sys.exit(0 if e["code"] == "invalid-field" and e["field"] == sys.argv[1] else 1)' "${q##*:}"
	ok "?${q%:*}: 400 invalid-field ${q##*:}"
done
[ "$(api GET "$CH?from=1&to=1024")" = 409 ]; ok "from=1&to=1024 is a valid range (409: no checkpoint covers 1024 yet)"
[ "$(api POST "$CH?from=1&to=2" '{}')" = 405 ]; ok "POST: 405"
[ "$(api GET "/v1/homes/$H/hubs/hub-0000000000000000/chain?from=1&to=2")" = 404 ]; ok "an unknown hub: 404"
expect 0 "a second home of the owner's" "${A[@]}" "$P" home create --name Attic --tz Europe/Berlin --json
H2=$(jv 'd["id"]')
[ "$(api GET "/v1/homes/$H2/hubs/$HUB/chain?from=1&to=2")" = 404 ]; ok "the hub through another home: 404"
json_ok 'd["error"]["code"] == "not-found"' "not-found"
CTOKEN=$(sed -n 's/^token = //p' carla.conf)
[ "$(curl -s -o out.txt -w '%{http_code}' -H "Authorization: Bearer $CTOKEN" "$URL$CH?from=1&to=2")" = 404 ]
ok "not a member of the home (the carrier admin): 404"

# ---- revocations: pushed to the hub as the owner signed them ----
R0=$(count_of '^revocations' down/log)
expect 0 "the owner revokes the credential" "${A[@]}" "$P" revoke --home "$H" --signer owner.key --token "$CTI"
wait_for 10 at_least $((R0 + 1)) '^revocations' down/log
last_of '^revocations' down/log | grep -q "newest=1 versions=1$"; ok "the tail reaches the hub at once: newest 1, version 1"
retained chk
grep -q "^revocations 1 retained=1 newest=1 versions=1$" chk/log; ok "retained, for a hub that connects later"
expect 0 "the stored envelope" "${A[@]}" "$P" revocations --home "$H" --json
jv 'd["revocations"][0]["revocation"]' | b64dec posted.env
cmp -s posted.env down/rev-1.env; ok "the hub got the same owner-signed bytes"
expect 0 "a second revocation (the stranger's key)" "${A[@]}" "$P" revoke --home "$H" --signer owner.key --key stranger.key.pub
wait_for 10 at_least $((R0 + 2)) '^revocations' down/log
last_of '^revocations' down/log | grep -q "newest=2 versions=1,2$"; ok "the tail now holds versions 1 and 2"
wait_for 10 log_has "^time .* rev=2" down/log; ok "beacons carry the home's newest version"
expect 0 "the hub says it holds rev 1" "$PEER" state "${COMMON[@]}" --online --rev 1
wait_for 10 at_least $((R0 + 3)) '^revocations' down/log
last_of '^revocations' down/log | grep -q "newest=2 versions=2$"; ok "a page: version 2"
retained chk
grep -q "^revocations 1 retained=1 newest=2 versions=1,2$" chk/log; ok "pages are not retained: the tail stays"
expect 0 "the hub says it holds rev 5 (ahead: a restored porterd)" "$PEER" state "${COMMON[@]}" --online --rev 5
wait_for 10 at_least $((R0 + 4)) '^revocations' down/log
last_of '^revocations' down/log | grep -q "newest=2 versions=1,2$"; ok "a page from 0"
N_REV=$(count_of '^revocations' down/log)
expect 0 "the hub says it holds rev 2" "$PEER" state "${COMMON[@]}" --online --rev 2
sleep 1
[ "$(grep -c "^revocations" down/log)" = "$N_REV" ]; ok "up to date: no page"

# ---- remote commands ----
CMD=$("$PEER" sign-command --key owner.key --home "$H" --op unlock --lock front)
printf '%s' "$CMD" | b64dec signed.env
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$CMD\"}")" = 202 ]; ok "POST /v1/homes/{id}/commands: 202"
json_ok 'd["relayed_to"] == ["'"$HUB"'"] and d["op"] == "unlock" and len(d["nonce"]) == 32' "relayed_to the home's hub, with the nonce"
NONCE=$(jv 'd["nonce"]')
# the peer writes command-N.env, then its log line
wait_for 10 log_has "^commands 1 " down/log && test -s down/command-1.env; ok "the command reaches the hub's commands topic"
cmp -s signed.env down/command-1.env; ok "byte for byte as the owner signed it"
grep -q "^commands 1 retained=0" down/log; ok "not retained"
"${A[@]}" "$P" events --home "$H" --limit 200 --json >out.txt
json_ok 'any(e["type"] == "command.relayed" and e["data"]["nonce"] == "'"$NONCE"'" and e["data"]["hub_ids"] == ["'"$HUB"'"] and e["data"]["op"] == "unlock" for e in d["events"])' \
	"an event command.relayed"
sqlite3 db/porter.db "SELECT action FROM audit WHERE action = 'command.relay'" | grep -q command.relay; ok "an audit row command.relay"
FORGED=$("$PEER" sign-command --key stranger.key --home "$H" --op unlock)
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$FORGED\"}")" = 403 ]; ok "a command signed by a key that is not an owner's: 403"
json_ok 'd["error"]["code"] == "untrusted-signer" and d["error"]["field"] == "command"' "untrusted-signer"
STALE=$("$PEER" sign-command --key owner.key --home "$H" --op unlock --age 900)
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$STALE\"}")" = 403 ]; ok "a stale command: 403"
json_ok 'd["error"]["code"] == "stale"' "stale"
OTHER=$("$PEER" sign-command --key owner.key --home h-0000000000000000 --op unlock)
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$OTHER\"}")" = 403 ]; ok "a command for another home: 403"
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$CMD\",\"x\":1}")" = 400 ]; ok "an unknown field: 400"
json_ok 'd["error"]["code"] == "unknown-field"' "unknown-field"
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$CMD\",\"hub_id\":\"hub-0000000000000000\"}")" = 404 ]; ok "a hub_id not of the home: 404"
[ "$(api POST "/v1/homes/$H/commands" '{"command":"!!"}')" = 400 ]; ok "not base64url: 400"
[ "$(api GET "/v1/homes/$H/commands")" = 405 ]; ok "GET: 405"
sleep 0.5
[ ! -e down/command-2.env ]; ok "none of those was published"
expect 0 "porter remote unlock (signed here, posted)" "${A[@]}" "$P" remote unlock --home "$H" --key owner.key --hub "$HUB"
grep -q "^relayed unlock to $HUB (nonce [0-9a-f]\{32\})" out.txt; ok "says where it went"
wait_for 10 test -s down/command-2.env; ok "it reaches the hub"
expect 41 "porter remote lock with a stranger's key: untrusted-signer" "${A[@]}" "$P" remote lock --home "$H" --key stranger.key
grep -q "(untrusted-signer)" err.txt; ok "says so"
sleep 0.5
[ ! -e down/command-3.env ]; ok "nothing published"
M=(env PORTER_CONFIG="$T/mia.conf")
expect 0 "a member signs up" "${M[@]}" "$P" signup --server "$URL" --email mia@example.org --name Mia
expect 0 "and signs in" "${M[@]}" "$P" login --email mia@example.org
expect 0 "made a member of the home" "${A[@]}" "$P" home member add "$H" --email mia@example.org --role member
expect 2 "a member cannot relay even an owner-signed command" "${M[@]}" "$P" remote unlock --home "$H" --key owner.key
grep -q "(forbidden)" err.txt; ok "forbidden"

# ---- the last will: hub-offline, once per transition ----
expect 0 "the hub connects with its will, then vanishes" "$PEER" will "${COMMON[@]}" --rev 2
wait_for 10 hub_online 0; ok "the will marks it offline in GET /v1/homes/{id}/hubs"
wait_for 10 alerts_are hub-offline 1; ok "a hub-offline alert"
expect 0 "the offline state again" "$PEER" state "${COMMON[@]}" --offline
sleep 1
alerts_are hub-offline 1; ok "still one: once per transition"
expect 0 "back online" "$PEER" state "${COMMON[@]}" --online --rev 2
wait_for 10 hub_online 1; ok "online again"
"${A[@]}" "$P" events --home "$H" --limit 200 --json >out.txt
json_ok '[e["type"] for e in d["events"] if e["type"] in ("hub.online", "hub.offline")] == ["hub.online", "hub.offline", "hub.online"]' \
	"events hub.online, hub.offline, hub.online"

# ---- the broker goes away: HTTP keeps working; porterd reconnects ----
kill "$BPID"; wait "$BPID" 2>/dev/null; BPID=
wait_for 10 log_has "event=mqtt_disconnected" porterd.log; ok "porterd sees the broker gone"
expect 0 "HTTP still answers (hub list)" "${A[@]}" "$P" hub list --home "$H"
expect 0 "and takes writes (a revocation)" "${A[@]}" "$P" revoke --home "$H" --signer owner.key --token 0123456789abcdef0123456789abcdef
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$("$PEER" sign-command --key owner.key --home "$H" --op lock)\"}")" = 503 ]
ok "a command while the broker is away: 503"
json_ok 'd["error"]["code"] == "mqtt-unavailable"' "mqtt-unavailable"
CONNECTS=$(count_of "event=mqtt_connected" porterd.log)
broker_start; ok "the broker is back"
wait_for 40 at_least $((CONNECTS + 1)) "event=mqtt_connected" porterd.log; ok "porterd reconnects"
kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
mkdir -p down2
"$PEER" listen "${COMMON[@]}" --out down2 --seconds 120 2>listen2.err &
LPID=$!
wait_for 10 log_has listening down2/log; ok "the hub's listener is back too"
expect 0 "the hub says its home again, as porter-hub does on connecting (the broker kept nothing)" \
	"$PEER" home "${COMMON[@]}" --key hub.key --home "$H" --owner-key owner.key
wait_for 10 log_has "event=mqtt_home hub=$HUB home=$H result=confirmed changed=no" porterd.log; ok "still confirmed, nothing changed"
EVS+=(--event '14:uplink.fork:{"ours":"aa","seq":3,"theirs":"bb"}')
expect 0 "events 13..14 after the restart (14: the hub's uplink.fork)" batch --from 13 --to 14
wait_for 10 events_are 12; ok "stored"
wait_for 10 alerts_are uplink-fork 1; ok "uplink.fork raises uplink-fork"
wait_for 10 log_has "^ack .* seq=14 " down2/log; ok "and acked"
expect 0 "event 15, recorded at 0 (a hub that does not know the time)" batch --from 15 --to 15 --at0 15
wait_for 10 events_are 13; ok "stored"
[ "$(api GET "$CH?from=14&to=15")" = 200 ] && chain_check; ok "GET .../chain?from=14&to=15: 200, verifies"
json_ok '[e["at"] for e in d["events"]] == [1781085614, 0] and [c["seq"] for c in d["checkpoints"]] == [14, 15]' \
	"at 0 as the hub recorded (and hashed) it; checkpoints 14 and 15"
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$("$PEER" sign-command --key owner.key --home "$H" --op lock)\"}")" = 202 ]
ok "commands are relayed again"
wait_for 10 test -s down2/command-1.env; ok "and reach the hub"

# ---- the chain of a removed hub, a re-paired hub, bad ranges, the limit ----
# (docs/api.md, "Hubs": a removed hub's chain is served to the home's
# owners; chain reads are limited per account, 10 a minute. Ana has read
# 8 counted chains above, perhaps all in one minute: she reads one more.)
MTOKEN=$(sed -n 's/^token = //p' mia.conf)
mapi() { # METHOD PATH as mia (a member): the status; body in out.txt, headers in hdr.txt
	curl -s -D hdr.txt -o out.txt -w '%{http_code}' -X "$1" -H "Authorization: Bearer $MTOKEN" "$URL$2"
}
audit_rows() { sqlite3 db/porter.db "SELECT count(*) FROM audit"; }
[ "$(mapi GET "$CH?from=14&to=15")" = 200 ]; ok "a member reads a paired hub's chain: 200"
AUD=$(audit_rows)
bad=0
for q in "from=&to=1:from" "from=1&to=:to" "from=+1&to=2:from" "from=1%00&to=2:from" \
	"from=9223372036854775808&to=1:from" "from=0x1&to=2:from" "from=1&to=2x:to" \
	"from=2&to=1:to" "from=1&to=1024.0:to" "from=%20%31&to=2:from" "from=1&to=1&to=1025:to" \
	"from=%31%30&to=-1:to"; do
	[ "$(mapi GET "$CH?${q%:*}")" = 400 ] &&
		python3 -c 'import json,sys; e=json.load(open("out.txt"))["error"]; sys.exit(0 if e["code"] == "invalid-field" and e["field"] == sys.argv[1] else 1)' "${q##*:}" ||
		{ bad=$((bad + 1)); echo "# ?${q%:*}: $(cat out.txt)"; }
done
[ $bad -eq 0 ]; ok "12 more bad ranges (empty, signed, NUL, 2^63, hex, a repeated to, ...): 400 invalid-field, the field named"
[ "$(audit_rows)" = "$AUD" ]; ok "they left no audit row"
[ "$(mapi GET "$CH?from=9223372036854775807&to=9223372036854775807")" = 409 ]
ok "from=to=2^63-1 is a valid range (409 no-chain: no checkpoint there)"
[ "$(mapi GET "$CH?from=14&to=15")" = 200 ]; ok "the 400s were not counted against mia's chain reads: 200"
cp out.txt chain-before.json
[ "$(api DELETE "/v1/homes/$H/hubs/$HUB")" = 204 ]; ok "the owner removes the hub: 204"
"${A[@]}" "$P" hub list --home "$H" --json >out.txt
json_ok 'd["hubs"] == []' "no longer listed"
[ "$(sqlite3 db/porter.db "SELECT count(*) FROM hubs WHERE public_id = '$HUB'")|$(sqlite3 db/porter.db "SELECT count(*) FROM hubs_removed WHERE public_id = '$HUB'")" = "0|1" ]
ok "its row left hubs; its copy is in hubs_removed"
"${A[@]}" "$P" events --home "$H" --limit 200 --json >out.txt
json_ok 'd["events"][-1]["type"] == "hub.removed" and d["events"][-1]["data"]["hub_id"] == "'"$HUB"'"' "an event hub.removed"
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$("$PEER" sign-command --key owner.key --home "$H" --op lock)\"}")" = 409 ]
json_ok 'd["error"]["code"] == "no-hub"' "a command to the home now: 409 no-hub (nothing to relay to)"
EVS+=(--event '16:door.close:{"n":16}')
expect 0 "the removed hub sends event 16" batch --from 16 --to 16 --at0 15
wait_for 10 log_has "event=mqtt_events hub=$HUB result=dropped error=\"unknown hub\"" porterd.log
ok "porterd drops it: unknown hub"
events_are 13; ok "nothing of it stored"
! grep -q "^ack .* seq=16 " down2/log; ok "no ack"
ONL=$(sqlite3 db/porter.db "SELECT count(*) FROM events WHERE type = 'hub.online'")
expect 0 "the removed hub says it is online" "$PEER" state "${COMMON[@]}" --online --rev 2
wait_for 10 log_has "event=mqtt_state hub=$HUB result=dropped error=\"unknown hub\"" porterd.log
ok "its state is dropped: unknown hub"
[ "$(sqlite3 db/porter.db "SELECT count(*) FROM events WHERE type = 'hub.online'")" = "$ONL" ]
ok "no hub.online event"
"${A[@]}" "$P" hub list --home "$H" --json >out.txt
json_ok 'd["hubs"] == []' "and it is not listed"
[ "$(api GET "$CH?from=14&to=15")" = 200 ]; ok "the owner reads the removed hub's chain: 200"
chain_check; ok "it verifies by the hub's key (libporter)"
python3 -c 'import json; a=json.load(open("out.txt")); b=json.load(open("chain-before.json")); assert a == b' 2>/dev/null
ok "the same answer as before the removal"
[ "$(mapi GET "$CH?from=14&to=15")" = 403 ]; ok "a member: 403"
json_ok 'd["error"]["code"] == "forbidden" and "owners" in d["error"]["message"]' "forbidden, saying owners get it"
[ "$(curl -s -o out.txt -w '%{http_code}' -H "Authorization: Bearer $CTOKEN" "$URL$CH?from=14&to=15")" = 404 ]
ok "not a member (the carrier admin): 404"
[ "$(api GET "/v1/homes/$H2/hubs/$HUB/chain?from=1&to=2")" = 404 ]; ok "through another home of the owner's: 404"
[ "$(api DELETE "/v1/homes/$H/hubs/$HUB")" = 404 ]; ok "removing it again: 404"
[ "$(api GET "$CH?from=0&to=1")" = 400 ]; ok "a bad range for the removed hub: 400"
CODE2=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
expect 0 "the owner pairs the same hub key again" "${A[@]}" "$P" hub pair --home "$H" \
	--hub-key hub.key.pub --code "$CODE2" --key owner.key --label hall --json
json_ok 'd["id"] == "'"$HUB"'"' "the same id"
[ "$(sqlite3 db/porter.db "SELECT count(*) FROM hubs WHERE public_id = '$HUB'")" = 1 ]; ok "a row of hubs again"
wait_for 10 hub_is 'h["confirmed"] is True'
ok "confirmed without the hub reconnecting: porterd asked the broker for its retained statement again"
log_has "event=mqtt_subscribe hub=$HUB reason=paired" porterd.log; ok "(its exact home topic, logged)"
expect 0 "the hub sends event 16 again" batch --from 16 --to 16 --at0 15
wait_for 10 events_are 14; ok "stored now"
wait_for 10 log_has "^ack .* seq=16 " down2/log; ok "and acked: its chain goes on from 15"
[ "$(mapi GET "$CH?from=15&to=16")" = 200 ] && chain_check; ok "a member reads the re-paired hub's chain, 15..16: 200, verifies"
json_ok '[e["seq"] for e in d["events"]] == [15, 16] and [c["seq"] for c in d["checkpoints"]] == [15, 16]' "events 15 and 16, checkpoints 15 and 16"
# mia read 4 counted chains (the 400s, the 403 are not counted); the
# window began at her first: at most 10 in it, then 429.
got429=0 ok_before=0
for i in $(seq 11); do
	st=$(mapi GET "$CH?from=15&to=16")
	if [ "$st" = 429 ]; then got429=1; break; fi
	[ "$st" = 200 ] && ok_before=$((ok_before + 1))
done
[ $got429 -eq 1 ] && [ $ok_before -le 10 ]; ok "mia's chain reads: 429 after at most 10 a minute ($ok_before more read)"
json_ok 'd["error"]["code"] == "rate-limited" and "minute" in d["error"]["message"]' "rate-limited, saying why"
grep -qi '^retry-after: [1-9][0-9]*' hdr.txt; ok "with Retry-After"
AUD=$(audit_rows)
[ "$(mapi GET "$CH?from=15&to=16")" = 429 ] && [ "$(audit_rows)" = "$AUD" ]; ok "still 429, nothing recorded"
[ "$(mapi GET "$CH?from=0&to=16")" = 400 ]; ok "a bad range is 400 before the limit"
O=(env PORTER_CONFIG="$T/olga.conf")
expect 0 "another member signs up" "${O[@]}" "$P" signup --server "$URL" --email olga@example.org --name Olga
expect 0 "and signs in" "${O[@]}" "$P" login --email olga@example.org
expect 0 "made a member of the home" "${A[@]}" "$P" home member add "$H" --email olga@example.org --role member
OTOKEN=$(sed -n 's/^token = //p' olga.conf)
[ "$(curl -s -o out.txt -w '%{http_code}' -H "Authorization: Bearer $OTOKEN" "$URL$CH?from=15&to=16")" = 200 ]
ok "another account reads it meanwhile: the limit is per account"

# ---- a hub that is not theirs (docs/threat-model.md) ----
XCOMMON=(--broker "127.0.0.1:$MPORT" --user "$XHUB" --pass-file "$XHUB.pw" --id "$XHUB")
BO=(env PORTER_CONFIG="$T/bo.conf")
expect 0 "bo signs up" "${BO[@]}" "$P" signup --server "$URL" --email bo@example.org --name Bo
expect 0 "bo signs in" "${BO[@]}" "$P" login --email bo@example.org
expect 0 "bo's home" "${BO[@]}" "$P" home create --name Bens --tz Europe/Berlin --json
HB=$(jv 'd["id"]')
expect 0 "bo's owner key" "${BO[@]}" "$P" key add --home "$HB" --key ownerb.key.pub
expect 0 "ana's second home" "${A[@]}" "$P" home create --name Annex --tz Europe/Berlin --json
HA=$(jv 'd["id"]')
expect 0 "ana's owner key there" "${A[@]}" "$P" key add --home "$HA" --key ownera.key.pub
newcode() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))'; }
hubs_of() { # CLI HOME: the JSON of GET .../hubs in out.txt
	local -n cli=$1; "${cli[@]}" "$P" hub list --home "$2" --json >out.txt 2>/dev/null; }
src_events() { # CLI HOME: how many events of source hub:$XHUB the home has
	local -n cli=$1; "${cli[@]}" "$P" events --home "$2" --limit 200 --json >xev.json 2>/dev/null &&
		python3 -c 'import json,sys; d=json.load(open("xev.json")); print(sum(1 for e in d["events"] if e["source"] == "hub:" + sys.argv[1]))' "$XHUB"; }
x_is() { # python condition on h, hub X as ana's second home lists it
	"${A[@]}" "$P" hub list --home "$HA" --json >xl.json 2>/dev/null &&
		python3 -c 'import json,sys; h=[x for x in json.load(open("xl.json"))["hubs"] if x["id"] == sys.argv[1]]; sys.exit(0 if h and '"$1"' else 1)' "$XHUB"; }
expect 0 "hub X, paired at the door with ana's second home, says so (retained)" \
	"$PEER" home "${XCOMMON[@]}" --key hubx.key --home "$HA" --owner-key ownera.key
expect 0 "X says it is online" "$PEER" state "${XCOMMON[@]}" --online --rev 0
expect 0 "bo registers X's public key with his own valid pairing statement" "${BO[@]}" "$P" hub pair \
	--home "$HB" --hub-key hubx.key.pub --code "$(newcode)" --key ownerb.key --label stolen --json
json_ok 'd["id"] == "'"$XHUB"'" and d["confirmed"] is False' "201: registered, not confirmed"
wait_for 10 log_has "event=mqtt_home hub=$XHUB home=$HB result=another-home" porterd.log
ok "porterd got X's retained statement at once: it names another home"
expect 0 "X sends events 1..2, 2 an alert" "$PEER" batch "${XCOMMON[@]}" --key hubx.key --from 1 --to 2 \
	--event '2:alert.intrusion:{"zone":"hall"}'
wait_for 10 log_has "event=mqtt_events hub=$XHUB result=dropped error=\"hub has not confirmed this home\"" porterd.log
ok "porterd drops them"
hubs_of BO "$HB"; json_ok 'len(d["hubs"]) == 1 and d["hubs"][0]["confirmed"] is False and d["hubs"][0]["online"] is False and d["hubs"][0]["state"] is None' \
	"bo sees X unconfirmed, offline, without state"
[ "$(src_events BO "$HB")" = 0 ]; ok "bo's home has none of X's events"
"${BO[@]}" "$P" alerts --home "$HB" --limit 200 --json >out.txt; json_ok 'd["alerts"] == []' "nor any alert"
# Nothing of bo's home goes down to X (review 107, H1: another home's
# revocation pages would move X's revocation version past the real home's).
expect 0 "bo revokes a token of his home" "${BO[@]}" "$P" revoke --home "$HB" --signer ownerb.key \
	--token 00112233445566778899aabbccddeeff
expect 0 "X says it is online again, rev 0 (a page would follow for a confirmed hub)" \
	"$PEER" state "${XCOMMON[@]}" --online --rev 0
sleep 1
! grep -q "event=mqtt_revocations_tail home=$HB hub=$XHUB\|event=mqtt_revocations_page hub=$XHUB\|event=mqtt_owners home=$HB hub=$XHUB" porterd.log
ok "porterd sends X no revocation tail, page nor owners message of bo's home" ||
	grep "hub=$XHUB" porterd.log | tail -n 10 | sed 's/^/# /'
"${BO[@]}" "$P" remote unlock --home "$HB" --key ownerb.key --hub "$XHUB" >out.txt 2>err.txt
[ $? -ne 0 ] && grep -q "hub-unconfirmed" out.txt err.txt
ok "nor bo's remote unlock: 409 hub-unconfirmed, not relayed" || { sed 's/^/# /' out.txt err.txt; }
expect 0 "ana registers X at her home: bo's unconfirmed row gives way (201, not 409)" "${A[@]}" "$P" hub pair \
	--home "$HA" --hub-key hubx.key.pub --code "$(newcode)" --key ownera.key --label annex --json
json_ok 'd["id"] == "'"$XHUB"'"' "the same hub id"
wait_for 10 x_is 'h[0]["confirmed"] is True'; ok "confirmed by X's retained statement, X not reconnecting"
wait_for 10 x_is 'h[0]["online"] is True'; ok "and online: its state, kept, is applied"
hubs_of BO "$HB"; json_ok 'd["hubs"] == []' "bo's home no longer lists X"
"${BO[@]}" "$P" events --home "$HB" --limit 200 --json >out.txt
json_ok 'any(e["type"] == "hub.replaced" and e["data"]["hub_id"] == "'"$XHUB"'" for e in d["events"])' "an event hub.replaced in bo's home"
[ "$(db_count "SELECT count(*) FROM audit WHERE action = 'hub.replace' AND target = 'home:$HB'")" = 1 ]; ok "and an audit row hub.replace"
expect 0 "X sends events 1..2 again" "$PEER" batch "${XCOMMON[@]}" --key hubx.key --from 1 --to 2 \
	--event '2:alert.intrusion:{"zone":"hall"}'
wait_for 10 eval '[ "$(src_events A "$HA")" = 2 ]'; ok "stored under ana's home"
"${A[@]}" "$P" alerts --home "$HA" --limit 200 --json >out.txt; json_ok '[a["type"] for a in d["alerts"]] == ["intrusion"]' "with the intrusion alert, in ana's home"
[ "$(src_events BO "$HB")" = 0 ]; ok "never under bo's"
"${BO[@]}" "$P" alerts --home "$HB" --limit 200 --json >out.txt; json_ok '[a["type"] for a in d["alerts"]] == ["hub-replaced"]' "and no alert for bo but hub-replaced (its row gave way)"
N=$(count_of "event=mqtt_home hub=$XHUB result=ignored" porterd.log)
expect 0 "X's statement naming bo's home, its signature broken" "$PEER" home "${XCOMMON[@]}" --key hubx.key --home "$HB" --bad-sig
wait_for 10 at_least $((N + 1)) "event=mqtt_home hub=$XHUB result=ignored" porterd.log; ok "ignored"
expect 0 "a statement on X's topic naming ana's other home, signed by bo's key" "$PEER" home "${XCOMMON[@]}" --key ownerb.key --home "$H"
wait_for 10 at_least $((N + 2)) "event=mqtt_home hub=$XHUB result=ignored" porterd.log; ok "ignored"
x_is 'h[0]["confirmed"] is True'; ok "X is still confirmed for ana"
"${BO[@]}" "$P" hub pair --home "$HB" --hub-key hubx.key.pub --code "$(newcode)" --key ownerb.key --label stolen --json >out.txt 2>err.txt
[ $? -ne 0 ] && grep -q "paired already" out.txt err.txt; ok "a row X confirmed is not replaceable: refused, paired already (409)"
x_is 'h[0]["confirmed"] is True'; ok "ana's row as it was"
expect 0 "X, reset and paired at the door with a third home, says so" "$PEER" home "${XCOMMON[@]}" --key hubx.key --home h-000000000000000c
wait_for 10 x_is 'h[0]["confirmed"] is False'; ok "X is no longer confirmed for ana"
"${A[@]}" "$P" events --home "$HA" --limit 200 --json >out.txt
json_ok '[e["type"] for e in d["events"]].count("hub.disowned") == 1' "an event hub.disowned in ana's home"
"${A[@]}" "$P" alerts --home "$HA" --limit 200 --json >out.txt
json_ok '[a["type"] for a in d["alerts"]].count("hub-disowned") == 1' "and an alert hub-disowned"
expect 0 "X sends event 3" "$PEER" batch "${XCOMMON[@]}" --key hubx.key --from 3 --to 3 \
	--event '2:alert.intrusion:{"zone":"hall"}'
wait_for 10 at_least 2 "event=mqtt_events hub=$XHUB result=dropped error=\"hub has not confirmed this home\"" porterd.log
ok "dropped: ana stops receiving X's events"
[ "$(src_events A "$HA")" = 2 ]; ok "still 2 under ana's home"
expect 0 "X says ana's home again" "$PEER" home "${XCOMMON[@]}" --key hubx.key --home "$HA"
wait_for 10 x_is 'h[0]["confirmed"] is True'; ok "confirmed for ana again"
# A reset hub, unpaired, clears its statement: an empty retained message
# on its own topic (only its broker account may publish there).
mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u "$XHUB" -P "$(cat "$XHUB.pw")" -i "$XHUB" \
	-t "porter/v1/hub/$XHUB/home" -q 1 -r -n >pub.out 2>&1
ok "X, reset, publishes an empty home (retained)" || sed "s/^/# /" pub.out
wait_for 10 x_is 'h[0]["confirmed"] is False'; ok "X is no longer confirmed for ana: it says it has no home"
"${A[@]}" "$P" events --home "$HA" --limit 200 --json >out.txt
json_ok '[e["type"] for e in d["events"]].count("hub.disowned") == 2' "a second hub.disowned in ana's home"

# ---- porterd stops cleanly ----
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ]; ok "SIGTERM: porterd exits 0 with MQTT running"
grep -q "event=stopped" porterd.log; ok "and says so"

# ---- a broker name whose first address does not answer ----
# Debian's /etc/hosts lists localhost as ::1 and 127.0.0.1 (::1 first);
# the broker listens on 127.0.0.1 alone. porterd, in a mount namespace
# that sees such a hosts file: libmosquitto's non-blocking connect stops
# at ::1; after that attempt fails porterd binds to 0.0.0.0 (IPv4 only).
{ printf '::1 localhost\n127.0.0.1 localhost\n'; grep -v localhost /etc/hosts; } >hosts6
# start6 LOG: porterd in such a namespace, its stderr to LOG ($! is porterd
# itself: unshare and sh exec it).
start6() {
	rm -f ready
	unshare -m --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' \
		"$T/hosts6" "$D" -f porterd.conf -d -R ready 2>"$1" &
	PID=$!
}
if unshare -m --propagation private sh -c 'mount --bind "$0" /etc/hosts' hosts6 2>/dev/null; then
	sed -i "s|^broker = .*|broker = localhost:$MPORT|" porterd.conf
	start6 porterd6.log
	wait_for 15 log_has "event=mqtt_connected broker=localhost:$MPORT via=0.0.0.0" porterd6.log
	ok "localhost as ::1 then 127.0.0.1, the broker on IPv4 only: connected, bound to 0.0.0.0" ||
		grep mqtt porterd6.log | sed 's/^/# /'
	kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
	[ $rc -eq 0 ]; ok "... and exits 0 on SIGTERM"
else
	for d in "::1 then IPv4: connected" "exit"; do
		n=$((n + 1)); echo "ok $n - $d # SKIP no mount namespace (unshare -m) here"
	done
fi

# ---- a broker name whose first address never answers ----
# As above, but [::1]:port drops SYNs instead of refusing them (a
# black-holed IPv6 route, a firewall that drops): a listener there with
# listen(0) whose one place in the accept queue a connection it never
# accepts holds, so Linux drops every further SYN (blackhole6.py). Only
# porterd's connect deadline (PT_NET_CONNECT_WAIT_MS, 10 s, porter/net.h)
# ends that first attempt: without it libmosquitto's keepalive (30 s) would, and porterd
# would connect after 31 s at the soonest. With it: 10 s, a backoff of
# 1 s, and margin for a loaded machine (25 s).
rm -f bh.ready
if unshare -m --propagation private sh -c 'mount --bind "$0" /etc/hosts' hosts6 2>/dev/null; then
	python3 "$SRC/tests/integration/blackhole6.py" hold "$MPORT" bh.ready 2>bh.err &
	HPID=$!
	wait_for 5 test -s bh.ready
fi
# (the probe: a connect to the black hole must time out, not be refused)
if [ -s bh.ready ] && python3 "$SRC/tests/integration/blackhole6.py" probe "$MPORT"; then
	ok "(the black hole: a connect to [::1]:$MPORT times out, nothing refuses it)"
	t0=$SECONDS
	start6 porterdbh.log
	wait_for 25 log_has "event=mqtt_connected broker=localhost:$MPORT via=0.0.0.0" porterdbh.log
	ok "localhost as ::1 (black-holed) then 127.0.0.1: connected, bound to 0.0.0.0, within 25 s (took $((SECONDS - t0)) s)" ||
		grep mqtt porterdbh.log | sed 's/^/# /'
	log_has "event=mqtt_connect broker=localhost:$MPORT via=any result=failed error=\"timed out\" wait_ms=10000" porterdbh.log
	ok "... after the first attempt (every address, ::1 first) timed out" ||
		grep mqtt porterdbh.log | sed 's/^/# /'
	kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
	[ $rc -eq 0 ]; ok "... and exits 0 on SIGTERM"
else
	for d in "black hole drops" "::1 black-holed then IPv4: connected" "after a timed-out attempt" "exit"; do
		n=$((n + 1))
		echo "ok $n - $d # SKIP no mount namespace (unshare -m), or no [::1] listener that drops SYNs here"
	done
fi
[ -n "$HPID" ] && { kill "$HPID"; wait "$HPID"; HPID=; } 2>/dev/null
if [ $failed -ne 0 ]; then
	echo "# porterd.log (tail):"; tail -n 40 porterd.log | sed 's/^/# /'
	echo "# down/log:"; sed 's/^/# /' down/log | tail -n 30
fi
echo "1..$n"
[ $failed -eq 0 ]

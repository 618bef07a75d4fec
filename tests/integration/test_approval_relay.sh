#!/usr/bin/env bash
# porterd's relay of owners' approvals (docs/alarm.md, "Ask the owner";
# docs/api.md, "Approvals"; docs/mqtt.md, "approval"), TAP output: a
# private mosquitto with dist/mosquitto-acl on a free loopback port, a real
# porterd with its SQLite file, the real `porter approval`, mosquitto_sub
# as the paired hub's own MQTT account on its approval topic, and
# porterd_mqtt_peer playing that hub when it raises alert.approval-request.
# approval_peer signs what the CLI would not (an old approval, one for
# another home) and checks what reached the hub. A delivery taken to
# credential-issued lets `porter approval list` name the delivery whose
# credential a request is about.
# Usage: test_approval_relay.sh PORTERD PORTER PEER APPROVAL_PEER MOSQUITTO
# KEEP=1 keeps the directory for a look afterwards.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
PEER=$(realpath "$3")
AP=$(realpath "$4")
MOSQ=$5
. "$(dirname "$0")/lib.sh"
need mosquitto_passwd mosquitto_sub curl stdbuf
t_begin approval-relay
SHOW_LINES=30
hex16() { python3 -c 'import os; print(os.urandom(16).hex())'; }
b64hex() { python3 -c 'import base64,sys; s=sys.argv[1]; print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).hex())' "$1"; }

for k in ana eve mia hub; do "$P" keygen -o $k.key >/dev/null || exit 1; done
HUB=$("$PEER" id hub.key)
broker_start porterd "$HUB"; ok "mosquitto listens on 127.0.0.1:$MPORT (dist/mosquitto-acl)"
COMMON=(--broker "127.0.0.1:$MPORT" --user "$HUB" --pass-file "$HUB.pw" --id "$HUB")
porterd_start "$D" || { echo "Bail out! porterd did not start"; show porterd.log; exit 1; }
ok "porterd connects to the broker"

# ---- Ana (owner, her key enrolled), Mia (member); a hub; a second home ----
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
export PORTER_PASSWORD='correct horse battery'
A=(env PORTER_CONFIG="$T/ana.conf") M=(env PORTER_CONFIG="$T/mia.conf")
expect 0 "Ana signs up" "${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "Mia signs up" "${M[@]}" "$P" signup --server "$URL" --email mia@example.org --name Mia
expect 0 "Ana signs in" "${A[@]}" "$P" login --email ana@example.org
expect 0 "Mia signs in" "${M[@]}" "$P" login --email mia@example.org
expect 0 "a home" "${A[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv 'd["id"]')
expect 0 "a second home" "${A[@]}" "$P" home create --name Cabin --tz Europe/Berlin --json
H2=$(jv 'd["id"]')
expect 0 "Mia is a member of the first" "${A[@]}" "$P" home member add "$H" --email mia@example.org --role member
expect 0 "Ana enrols her key in both" "${A[@]}" "$P" key add --home "$H" --key ana.key.pub
expect 0 "(the second)" "${A[@]}" "$P" key add --home "$H2" --key ana.key.pub
CODE=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
expect 0 "the hub paired to the first home" "${A[@]}" "$P" hub pair --home "$H" \
	--hub-key hub.key.pub --code "$CODE" --key ana.key --label hall
expect 0 "the hub names its home with its own key (PT_ENV_HUB_HOME, as porter-hub does)" \
	"$PEER" home "${COMMON[@]}" --key hub.key --home "$H"
wait_for 10 log_has "event=mqtt_home hub=$HUB home=$H result=confirmed" porterd.log; ok "porterd: the hub confirmed its home"
TOK=$(sed -n 's/^token = //p' "$T/ana.conf")
MTOK=$(sed -n 's/^token = //p' "$T/mia.conf")
ANA_KID=$(kid_of ana.key.pub)

# The hub's side: its own MQTT account on its approval topic (the ACL's
# pattern line), each message as one line of hex (line-buffered: the
# SUBACK line says it is subscribed).
stdbuf -oL mosquitto_sub -d -h 127.0.0.1 -p "$MPORT" -u "$HUB" -P "$(cat "$HUB.pw")" -q 1 \
	-t "porter/v1/hub/$HUB/approval" -F '%x' >sub.log 2>&1 &
SPID=$!
PIDS+=("$SPID")
wait_for 10 log_has "SUBACK" sub.log; ok "the hub's account subscribes to porter/v1/hub/$HUB/approval"
got() { grep -E '^[0-9a-f]+$' sub.log; }
nmsg() { got | wc -l; }
has_n() { [ "$(nmsg)" -ge "$1" ]; }
line() { got | sed -n "${1}p"; }

post() { # TOKEN BODY [CONTENT-TYPE]: the HTTP status; the answer in post.json
	curl -s -o post.json -w '%{http_code}' -X POST -H "Authorization: Bearer $1" \
		-H "Content-Type: ${3:-application/json}" --data-binary "$2" "$URL/v1/homes/$H/approvals"
}
code_is() { python3 -c 'import json,sys; sys.exit(0 if json.load(open("post.json"))["error"]["code"] == sys.argv[1] else 1)' "$1"; }

# ---- an approval by `porter approval approve` reaches the hub ----
R1=$(hex16) S1=$(hex16)
expect 0 "porter approval approve: relayed" "${A[@]}" "$P" approval approve --home "$H" \
	--request "$R1" --session "$S1" --key ana.key
grep -q "relayed approve of request $R1 (session $S1) to 1 hub" out.txt; ok "it says so" || show out.txt
wait_for 10 has_n 1; ok "one message on the hub's approval topic" || show sub.log
[ "$(line 1 | "$AP" show --pub ana.key.pub --home "$H")" = "approve $R1 $S1" ]
ok "it is Ana's signed approval of that request and session" || { line 1 | "$AP" show --pub ana.key.pub --home "$H"; }

# ---- byte for byte: what porterd was given is what the hub gets ----
R2=$(hex16) S2=$(hex16)
E2=$("$AP" sign --key ana.key --home "$H" --request "$R2" --session "$S2" --op deny)
[ "$(post "$TOK" "{\"approval\":\"$E2\"}")" = 202 ] &&
	python3 -c 'import json,sys; sys.exit(0 if json.load(open("post.json")) == {"hubs": 1} else 1)'
ok "POST .../approvals: 202 {\"hubs\": 1}" || cat post.json
wait_for 10 has_n 2 && [ "$(line 2)" = "$(b64hex "$E2")" ]
ok "the hub received the envelope byte for byte" || show sub.log

# ---- a deny by the CLI ----
R3=$(hex16) S3=$(hex16)
expect 0 "porter approval deny: relayed" "${A[@]}" "$P" approval deny --home "$H" \
	--request "$R3" --session "$S3" --key ana.key --json
python3 -c 'import json,sys; sys.exit(0 if json.load(open("out.txt")) == {"hubs": 1} else 1)'
ok "--json prints porterd's answer" || show out.txt
wait_for 10 has_n 3 && [ "$(line 3 | "$AP" show --pub ana.key.pub --home "$H")" = "deny $R3 $S3" ]
ok "the hub received the deny" || show sub.log

# ---- refusals: nothing reaches the hub ----
RX=$(hex16) SX=$(hex16)
expect 2 "a member: refused" "${M[@]}" "$P" approval approve --home "$H" --request "$RX" \
	--session "$SX" --key mia.key
grep -q "(forbidden)" err.txt; ok "403 forbidden" || show err.txt
expect 41 "a key that is not an owner key of the home: untrusted-signer" "${A[@]}" "$P" \
	approval approve --home "$H" --request "$RX" --session "$SX" --key eve.key
E=$("$AP" sign --key ana.key --home "$H2" --request "$RX" --session "$SX" --op approve)
[ "$(post "$TOK" "{\"approval\":\"$E\"}")" = 403 ] && code_is wrong-home-or-lock
ok "an approval for another home: 403 wrong-home-or-lock" || cat post.json
E=$("$AP" sign --key ana.key --home "$H" --request "$RX" --session "$SX" --op approve --age 3600)
[ "$(post "$TOK" "{\"approval\":\"$E\"}")" = 403 ] && code_is stale
ok "one signed an hour ago: 403 stale" || cat post.json
E=$("$AP" sign --key ana.key --home "$H" --request "$RX" --session "$SX" --op approve --age -3600)
[ "$(post "$TOK" "{\"approval\":\"$E\"}")" = 403 ] && code_is stale
ok "one dated an hour ahead: 403 stale" || cat post.json
E=$("$AP" sign --key ana.key --home "$H" --request "$RX" --session "$SX" --op approve)
[ "$(post "$MTOK" "{\"approval\":\"$E\"}")" = 403 ] && code_is forbidden
ok "a valid approval POSTed by a member: 403 forbidden" || cat post.json
E=$("$AP" sign --key ana.key --home "$H" --request "$RX" --session "$SX" --op approve)
python3 -c 'import base64,sys; s=sys.argv[1]; b=bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))); b[-1] ^= 1; print(base64.urlsafe_b64encode(bytes(b)).decode().rstrip("="))' "$E" >bad.b64
[ "$(post "$TOK" "{\"approval\":\"$(cat bad.b64)\"}")" = 403 ] && code_is bad-signature
ok "a signature altered: 403 bad-signature" || cat post.json
[ "$(post "$TOK" 'garbage')" = 400 ]; ok "garbage body: 400" || cat post.json
[ "$(post "$TOK" '{"approval":"!!not base64!!"}')" = 400 ]; ok "not base64url: 400" || cat post.json
[ "$(post "$TOK" '{"approval":"AAECAwQF"}')" = 400 ] && code_is malformed
ok "bytes that are no envelope: 400 malformed" || cat post.json
[ "$(post "$TOK" "{\"approval\":\"$E\",\"hub_id\":\"$HUB\"}")" = 400 ] && code_is unknown-field
ok "an unknown field: 400 unknown-field" || cat post.json
[ "$(post "$TOK" '{}')" = 400 ] && code_is missing-field; ok "no approval: 400 missing-field" || cat post.json
BIG=$(python3 -c 'import base64; print(base64.urlsafe_b64encode(bytes(600)).decode().rstrip("="))')
[ "$(post "$TOK" "{\"approval\":\"$BIG\"}")" = 413 ]; ok "an envelope over 512 bytes: 413" || cat post.json
[ "$(post "$TOK" "{\"approval\":\"$E\"}" text/plain)" = 415 ]; ok "not JSON: 415" || cat post.json
[ "$(curl -s -o post.json -w '%{http_code}' -H "Authorization: Bearer $TOK" "$URL/v1/homes/$H/approvals")" = 405 ]
ok "GET: 405" || cat post.json
expect 1 "porter approval approve: --request must be 32 hex digits" "${A[@]}" "$P" approval \
	approve --home "$H" --request abc --session "$SX" --key ana.key
expect 1 "porter approval: --key is required to answer" "${A[@]}" "$P" approval deny --home "$H" \
	--request "$RX" --session "$SX"
expect 2 "the second home has no hub: 409 no-hub" "${A[@]}" "$P" approval approve --home "$H2" \
	--request "$RX" --session "$SX" --key ana.key
grep -q "(no-hub)" err.txt; ok "it says no-hub" || show err.txt
R4=$(hex16) S4=$(hex16)
expect 0 "then a valid one" "${A[@]}" "$P" approval approve --home "$H" --request "$R4" \
	--session "$S4" --key ana.key
wait_for 10 has_n 4 && [ "$(line 4 | "$AP" show --pub ana.key.pub --home "$H")" = "approve $R4 $S4" ]
ok "it is the fourth message: none of the refused ones reached the hub" || show sub.log
sleep 0.5
[ "$(nmsg)" = 4 ]; ok "and no more" || show sub.log

# ---- recorded: an event and an audit row for each relayed answer, nothing else ----
expect 0 "the home's events" "${A[@]}" "$P" events --home "$H" --limit 200 --json
python3 - "$R1" "$S1" "$ANA_KID" >chk.txt 2>&1 <<'EOF'
import json, sys
r1, s1, kid = sys.argv[1:4]
ev = [e for e in json.load(open("out.txt"))["events"] if e["type"] == "approval.relayed"]
assert len(ev) == 4, ev
d = ev[0]["data"]
assert d["request"] == r1 and d["session"] == s1 and d["answer"] == "approve", d
assert d["owner_key_id"] == kid and isinstance(d["by"], int) and d["by"] >= 1, d
assert [e["data"]["answer"] for e in ev] == ["approve", "deny", "deny", "approve"], ev
EOF
ok "4 approval.relayed events: request, session, answer, by, owner_key_id" || show chk.txt out.txt
python3 - "$T/db/porter.db" >chk.txt 2>&1 <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = [json.loads(d) for (d,) in db.execute("SELECT detail FROM audit WHERE action = 'approval.relay' ORDER BY seq")]
assert len(rows) == 4, rows
assert all(r["hubs"] == 1 and len(r["request"]) == 32 and len(r["session"]) == 32 for r in rows), rows
EOF
ok "4 audit rows approval.relay" || show chk.txt
expect 0 "the audit trail still verifies" "$P" audit verify --db "$T/db/porter.db"

# ---- a delivery whose credential a request may name ----
K=(env PORTER_CONFIG="$T/carla.conf") B=(env PORTER_CONFIG="$T/ben.conf")
expect 0 "a carrier admin signs up" "${K[@]}" "$P" signup --server "$URL" --email carla@example.org \
	--name Carla --role carrier-admin
expect 0 "(signs in)" "${K[@]}" "$P" login --email carla@example.org
expect 0 "a courier signs up" "${B[@]}" "$P" signup --server "$URL" --email ben@example.org --name Ben \
	--role courier --json
BEN=$(jv 'd["id"]')
expect 0 "(signs in)" "${B[@]}" "$P" login --email ben@example.org
expect 0 "a hosted carrier" "${K[@]}" "$P" carrier create --name Parcelo --hosted --json
C=$(jv 'd["id"]') CPK=$(jv 'd["public_key"]')
expect 0 "Ben enrolled" "${K[@]}" "$P" courier enrol --carrier "$C" --email ben@example.org --name Ben \
	--level id-checked
"$P" keygen -o device.key >/dev/null
expect 0 "Ben's device" "${B[@]}" "$P" device add --key device.key.pub --label phone
expect 0 "the home takes in-home deliveries from the carrier, standing approval" "${A[@]}" "$P" \
	home update "$H" --lat 52.52 --lon 13.405 --in-home-delivery --carrier "$C" --approval standing
expect 0 "Ana delegates to the carrier's key" "$P" grant --key ana.key --holder "$CPK" --home "$H" \
	--purpose delivery --window "-1h/+1d" --expires +1d --entries 10 --depth 1 --camera --alarm-bypass \
	-o deleg.cred
expect 0 "(uploaded)" "${A[@]}" "$P" grant upload deleg.cred --label Parcelo
expect 0 "a delivery" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" --package PKG-7 \
	--from -5m --until +4h --in-home --json
DL=$(jv 'd["id"]')
expect 0 "dispatched" "${K[@]}" "$P" delivery dispatch "$DL" --courier "$BEN"
expect 0 "Ben at the door: a credential" "${B[@]}" "$P" delivery arrive "$DL" --device-key device.key.pub \
	--lat 52.5201 --lon 13.4049 --package PKG-7 --out door.cred
[ -s door.cred ]; ok "(written)" || show out.txt err.txt
expect 0 "its token id" "${A[@]}" "$P" delivery show "$DL" --json
SQ=$(jv 'd["token_id"]')
[ ${#SQ} -eq 32 ]; ok "credential-issued, token id $SQ"

# ---- porter approval list: the hub's approval-request alert ----
expect 0 "porter approval list, nothing asked yet" "${M[@]}" "$P" approval list --home "$H"
grep -q "no open approval requests" out.txt; ok "it says so" || show out.txt
RQ=$(hex16) EXP=$(($(date +%s) + 300))
expect 0 "the hub raises alert.approval-request (porterd_mqtt_peer as the hub)" \
	"$PEER" batch "${COMMON[@]}" --key hub.key --from 1 --to 2 \
	--event "1:alert.approval-request:{\"alarm\":\"armed_away\",\"expires\":$EXP,\"lock\":\"front\",\"purpose\":\"delivery\",\"request\":\"$RQ\",\"session\":\"$SQ\",\"token\":\"$SQ\"}"
listed() { "${M[@]}" "$P" approval list --home "$H" >list.txt 2>&1 && grep -q "$RQ" list.txt; }
wait_for 10 listed; ok "porter approval list shows the request (a member may list)" || show list.txt
grep -q "session *$SQ" list.txt && grep -q "lock *front" list.txt && grep -q "purpose *delivery" list.txt &&
	grep -q "alarm *armed_away" list.txt && grep -q "expires .*(in " list.txt &&
	grep -q -- "--request $RQ --session $SQ" list.txt
ok "with its session, lock, purpose, the panel's state, expiry and how to answer" || show list.txt
grep -q "delivery *$DL (package PKG-7)" list.txt
ok "and the delivery whose credential it is" || show list.txt
expect 0 "--json" "${A[@]}" "$P" approval list --home "$H" --json
python3 -c 'import json,sys; a=json.load(open("out.txt"))["approvals"]; sys.exit(0 if len(a) == 1 and a[0]["type"] == "approval-request" and a[0]["data"]["request"] == sys.argv[1] else 1)' "$RQ"
ok "--json: the one approval-request alert, as porterd gives it" || show out.txt
expect 0 "answered from the list" "${A[@]}" "$P" approval approve --home "$H" --request "$RQ" \
	--session "$SQ" --key ana.key
wait_for 10 has_n 5 && [ "$(line 5 | "$AP" show --pub ana.key.pub --home "$H")" = "approve $RQ $SQ" ]
ok "the hub got the approval of that request" || show sub.log
"${A[@]}" "$P" approval list --home "$H" --json >l.json 2>&1
AL=$(python3 -c 'import json; print(json.load(open("l.json"))["approvals"][0]["id"])')
expect 0 "the alert acknowledged" "${A[@]}" "$P" alert ack --home "$H" "$AL"
expect 0 "porter approval list after" "${A[@]}" "$P" approval list --home "$H"
grep -q "no open approval requests" out.txt; ok "no longer listed" || show out.txt

# ---- the broker gone: 503, nothing recorded ----
kill "$BPID"; wait "$BPID" 2>/dev/null; BPID=
wait_for 10 log_has "event=mqtt_disconnected" porterd.log
ok "porterd sees the broker go"
E=$("$AP" sign --key ana.key --home "$H" --request "$RX" --session "$SX" --op approve)
[ "$(post "$TOK" "{\"approval\":\"$E\"}")" = 503 ] && code_is mqtt-unavailable
ok "503 mqtt-unavailable" || cat post.json
expect 0 "the home's events" "${A[@]}" "$P" events --home "$H" --limit 200 --json
[ "$(python3 -c 'import json; print(sum(1 for e in json.load(open("out.txt"))["events"] if e["type"] == "approval.relayed"))')" = 5 ]
ok "nothing recorded for it (5 relayed in all)" || show out.txt

kill "$PID"; wait "$PID" 2>/dev/null; PID=
! grep -q 'Sanitizer\|runtime error' porterd.log
ok "no sanitizer report (ASan/UBSan builds)" || grep -A5 'Sanitizer\|runtime error' porterd.log | sed 's/^/# /'
t_end

#!/usr/bin/env bash
# Duress alerts at porterd (docs/alarm.md, "Duress"; docs/api.md), TAP
# output: a private mosquitto with dist/mosquitto-acl, a real porterd,
# porterd_mqtt_peer playing a paired hub that sends the event
# alert.duress (as porter-hub does when an owner's duress credential
# opens the door). Two owners (Ana, Bob), each with a key of their own,
# and a member (Mia): a duress alert naming Ana's key is shown to Bob and
# Mia and hidden from Ana in GET events, GET alerts and the live stream;
# the other way round for Bob's key.
# Usage: test_duress.sh PORTERD PORTER PEER MOSQUITTO
# KEEP=1 keeps the directory for a look afterwards.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
PEER=$(realpath "$3")
MOSQ=$4
. "$(dirname "$0")/lib.sh"
need mosquitto_passwd
t_begin duress

for k in ana bob hub; do "$P" keygen -o $k.key >/dev/null || exit 1; done
HUB=$("$PEER" id hub.key)
broker_start porterd "$HUB"; ok "mosquitto listens on 127.0.0.1:$MPORT"
COMMON=(--broker "127.0.0.1:$MPORT" --user "$HUB" --pass-file "$HUB.pw" --id "$HUB")
porterd_start "$D" || { echo "Bail out! porterd did not start"; show porterd.log; exit 1; }
ok "porterd connects to the broker"

# ---- Ana (owner), Bob (owner), Mia (member); each owner enrols a key ----
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
export PORTER_PASSWORD='correct horse battery'
A=(env PORTER_CONFIG="$T/ana.conf") B=(env PORTER_CONFIG="$T/bob.conf") M=(env PORTER_CONFIG="$T/mia.conf")
expect 0 "Ana signs up" "${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "Bob signs up" "${B[@]}" "$P" signup --server "$URL" --email bob@example.org --name Bob
expect 0 "Mia signs up" "${M[@]}" "$P" signup --server "$URL" --email mia@example.org --name Mia
expect 0 "Ana signs in" "${A[@]}" "$P" login --email ana@example.org
expect 0 "Bob signs in" "${B[@]}" "$P" login --email bob@example.org
expect 0 "Mia signs in" "${M[@]}" "$P" login --email mia@example.org
expect 0 "a home" "${A[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv 'd["id"]')
expect 0 "Bob is an owner" "${A[@]}" "$P" home member add "$H" --email bob@example.org --role owner
expect 0 "Mia is a member" "${A[@]}" "$P" home member add "$H" --email mia@example.org --role member
expect 0 "Ana enrols her key" "${A[@]}" "$P" key add --home "$H" --key ana.key.pub
expect 0 "Bob enrols his key" "${B[@]}" "$P" key add --home "$H" --key bob.key.pub
CODE=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
expect 0 "the hub paired" "${A[@]}" "$P" hub pair --home "$H" --hub-key hub.key.pub --code "$CODE" \
	--key ana.key --label hall
expect 0 "the hub names its home with its own key (PT_ENV_HUB_HOME, as porter-hub does)" \
	"$PEER" home "${COMMON[@]}" --key hub.key --home "$H"
wait_for 10 log_has "event=mqtt_home hub=$HUB home=$H result=confirmed" porterd.log; ok "porterd: the hub confirmed its home"
ANA_KID=$(kid_of ana.key.pub) BOB_KID=$(kid_of bob.key.pub)

# ---- the hub raises two duress alerts: one for each owner's key ----
S1=00112233445566778899aabbccddeeff S2=ffeeddccbbaa99887766554433221100
expect 0 "a batch: 1 alert.duress (Ana's key), 2 alert.duress (Bob's key), 3 door.open" \
	"$PEER" batch "${COMMON[@]}" --key hub.key --from 1 --to 3 \
	--event "1:alert.duress:{\"conn\":4,\"owner\":\"$ANA_KID\",\"session\":\"$S1\"}" \
	--event "2:alert.duress:{\"conn\":5,\"owner\":\"$BOB_KID\",\"session\":\"$S2\"}"
count() { # WHO KIND(events|alerts) TYPE OWNER: how many such items WHO sees
	local who=$1 kind=$2 type=$3 owner=$4 c
	eval "c=(\"\${$who[@]}\")"
	"${c[@]}" "$P" "$kind" --home "$H" --limit 200 --json >"$who.$kind.json" 2>/dev/null &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for e in d[sys.argv[2]] if e["type"] == sys.argv[3] and e["data"].get("owner") == sys.argv[4]))' \
			"$who.$kind.json" "$kind" "$type" "$owner"
}
stored() { [ "$(count M events alert.duress "$ANA_KID")" = 1 ] && [ "$(count M events alert.duress "$BOB_KID")" = 1 ]; }
wait_for 10 stored; ok "stored: Mia (a member) sees both duress events"
[ "$(count M alerts duress "$ANA_KID")" = 1 ] && [ "$(count M alerts duress "$BOB_KID")" = 1 ]
ok "and both duress alerts"
[ "$(count A events alert.duress "$ANA_KID")" = 0 ] && [ "$(count A events alert.duress "$BOB_KID")" = 1 ]
ok "GET events: Ana does not see the one naming her key, sees Bob's" || sed 's/^/# /' A.events.json
[ "$(count A alerts duress "$ANA_KID")" = 0 ] && [ "$(count A alerts duress "$BOB_KID")" = 1 ]
ok "GET alerts: the same for Ana" || sed 's/^/# /' A.alerts.json
[ "$(count B events alert.duress "$BOB_KID")" = 0 ] && [ "$(count B events alert.duress "$ANA_KID")" = 1 ] &&
	[ "$(count B alerts duress "$BOB_KID")" = 0 ] && [ "$(count B alerts duress "$ANA_KID")" = 1 ]
ok "Bob: sees Ana's, not the one naming his own key" || sed 's/^/# /' B.events.json
python3 -c 'import json,sys; d=json.load(open("A.events.json")); sys.exit(0 if any(e["type"] == "door.open" for e in d["events"]) else 1)'
ok "the other events are all there for Ana"

# ---- the hub's chain (evidence bundles): a slice with a hidden duress
# event is withheld from that account, with a missing event's answer ----
chain() { # WHO FROM TO: the HTTP status of GET .../hubs/HUB/chain, body in chain.WHO.json
	local tok
	tok=$(sed -n 's/^token = //p' "$T/$1.conf")
	curl -s -o "chain.$1.json" -w '%{http_code}' -H "Authorization: Bearer $tok" \
		"$URL/v1/homes/$H/hubs/$HUB/chain?from=$2&to=$3"
}
[ "$(chain mia 1 1)" = 200 ] && grep -q -F "$ANA_KID" chain.mia.json &&
	grep -q -F "$BOB_KID" chain.mia.json && [ "$(grep -o alert.duress chain.mia.json | wc -l)" = 2 ]
ok "chain 1..3: Mia gets both duress events" || cat chain.mia.json
[ "$(chain ana 1 1)" = 409 ] && grep -q '"no-chain"' chain.ana.json && ! grep -qi 'duress' chain.ana.json
ok "Ana: the slice holding the one naming her key is withheld (409 no-chain, no word of duress)" ||
	cat chain.ana.json
[ "$(chain bob 2 2)" = 409 ] && [ "$(chain bob 1 1)" = 409 ]
ok "Bob: the same for every slice holding his" || cat chain.bob.json
[ "$(chain ana 3 3)" = 200 ] && grep -q '"door.open"' chain.ana.json && ! grep -q 'alert.duress' chain.ana.json
ok "a slice after it (only its hash as prev) is Ana's to read" || cat chain.ana.json

# ---- acknowledging: a hidden alert is not there for its account ----
AL_ANA=$(python3 -c 'import json,sys; d=json.load(open("M.alerts.json")); print([a["id"] for a in d["alerts"] if a["type"] == "duress" and a["data"]["owner"] == sys.argv[1]][0])' "$ANA_KID")
ack() { # WHO ID: the HTTP status of POST .../alerts/ID/ack
	local tok
	tok=$(sed -n 's/^token = //p' "$T/$1.conf")
	curl -s -o "ack.$1.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
		"$URL/v1/homes/$H/alerts/$2/ack"
}
[ "$(ack ana "$AL_ANA")" = 404 ]
ok "Ana acknowledging the alert naming her key: 404, as for no alert" || cat ack.ana.json
[ "$(count M alerts duress "$ANA_KID")" = 1 ] &&
	python3 -c 'import json,sys; d=json.load(open("M.alerts.json")); sys.exit(0 if all(a["acked_by"] is None for a in d["alerts"] if a["type"] == "duress") else 1)'
ok "and it was not acknowledged" || sed 's/^/# /' M.alerts.json
[ "$(ack bob "$AL_ANA")" = 200 ] && grep -q '"type":"duress"' ack.bob.json
ok "Bob acknowledges it: 200" || cat ack.bob.json

# ---- the live stream ----
stream() { # WHO: 3 s of the home's stream, from the first event
	local tok
	tok=$(sed -n 's/^token = //p' "$T/$1.conf")
	curl -s -N --max-time 3 -H "Authorization: Bearer $tok" -H "Last-Event-ID: 0" \
		"$URL/v1/homes/$H/stream" >"$1.sse" 2>/dev/null
	grep -q '"door.open"' "$1.sse"
}
stream ana; ok "Ana's stream carries the home's events" || sed 's/^/# /' ana.sse | head
! grep -q "\"owner\":\"$ANA_KID\"" ana.sse && grep -q "\"owner\":\"$BOB_KID\"" ana.sse
ok "Ana's stream: not the duress event naming her key; Bob's is there" || grep duress ana.sse | sed 's/^/# /'
stream bob
! grep -q "\"owner\":\"$BOB_KID\"" bob.sse && grep -q "\"owner\":\"$ANA_KID\"" bob.sse
ok "Bob's stream: the same the other way round" || grep duress bob.sse | sed 's/^/# /'
stream mia
grep -q "\"owner\":\"$BOB_KID\"" mia.sse && grep -q "\"owner\":\"$ANA_KID\"" mia.sse
ok "Mia's stream: both" || grep duress mia.sse | sed 's/^/# /'

kill "$PID"; wait "$PID" 2>/dev/null; PID=
! grep -q 'Sanitizer\|runtime error' porterd.log
ok "no sanitizer report (ASan/UBSan builds)" || grep -A5 'Sanitizer\|runtime error' porterd.log | sed 's/^/# /'
t_end

#!/usr/bin/env bash
# porter end to end (issue 4, "Tests"), TAP output: every part real and in
# its own process. A private mosquitto on a free loopback port (password
# file, the ACL of dist/mosquitto-acl, persistence in the temporary
# directory), a real porterd with [mqtt], two real porter-hub processes
# with sim drivers, paired to one home through the real API and at the door
# with the real `porter` client, which also plays the owner (login, home,
# owner key, grants, revocations, remote commands) and the courier (`porter
# courier unlock`). e2e_link.py is the man in the middle on the local link
# (replayed proof, a proof for the other hub); porterd_mqtt_peer only signs
# commands with chosen ages (what an owner's device with a wrong clock would
# send) and gives a key's hub id.
#
#   granted and denied paths; a replayed proof, a proof for the other hub, a
#   credential copied to a device without its key: denied with the right
#   reason (docs/reasons.md) and exit code
#   revoke through the API: the next attempt at the hub is denied within 1 s
#   remote unlock relayed by porterd: an owner-signed one opens; a forged, a
#   replayed, a stale one: refused, the bolt never moves, an event says why
#   the hub offline (broker down), events at the door, back: every event
#   reaches porterd once and in order, the chain verifies; the broker
#   restarted while events stream: nothing lost
#   kill -9 after the entry is persisted, before the bolt has moved: no
#   extra entry, and the entry's event is not duplicated at porterd
#
# Usage: test_e2e.sh PORTERD PORTER PORTER_HUB PORTERD_MQTT_PEER MOSQUITTO
# KEEP=1 keeps the directory (logs, databases) for a look afterwards.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
HUBX=$(realpath "$3")
PEER=$(realpath "$4")
MOSQ=$5
. "$(dirname "$0")/lib.sh"
LINKPY=$SRC/tests/integration/e2e_link.py
need mosquitto_passwd mosquitto_pub python3 sqlite3 curl
t_begin e2e
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
ms() { echo $(( $(date +%s%N) / 1000000 )); }
b64dec() { # base64url on stdin -> bytes to $1
	python3 -c 'import base64, sys; s = sys.stdin.read().strip(); open(sys.argv[1], "wb").write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))' "$1"
}

# ---- keys; the hubs' keys made first, so their broker accounts exist ----
for k in owner stranger courier other; do "$P" keygen -o $k.key >/dev/null || exit 1; done
mkdir -m 700 hubA hubB
"$P" keygen -o hubA/hub.key >/dev/null && "$P" keygen -o hubB/hub.key >/dev/null
HA=$("$PEER" id hubA/hub.key)
HB=$("$PEER" id hubB/hub.key)
[[ $HA =~ ^hub-[0-9a-f]{16}$ ]] && [[ $HB =~ ^hub-[0-9a-f]{16}$ ]] && [ "$HA" != "$HB" ]
ok "two hub keys: $HA and $HB"

# ---- the broker ----
MPORT=$(free_port)
for who in porterd "$HA" "$HB"; do
	python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$who.pw"
	mosquitto_passwd -b passwd "$who" "$(cat "$who.pw")" >/dev/null 2>&1 ||
		mosquitto_passwd -c -b passwd "$who" "$(cat "$who.pw")" >/dev/null 2>&1
done
cp "$SRC/dist/mosquitto-acl" acl
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
max_queued_messages 10000
user $(id -un)
log_dest file $T/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
listener $MPORT 127.0.0.1
EOF
BPID=
broker_start() {
	"$MOSQ" -c "$T/mosquitto.conf" >>"$T/mosquitto.out" 2>&1 &
	BPID=$!
	PIDS+=("$BPID")
	wait_for 10 port_open "$MPORT"
}
broker_stop() { kill -TERM "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; BPID=; }
broker_start
ok "mosquitto on 127.0.0.1:$MPORT: password file, dist/mosquitto-acl, persistence" ||
	{ show mosquitto.log mosquitto.out; echo "Bail out! no broker"; exit 1; }

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
DPID=$!
PIDS+=("$DPID")
wait_for 10 test -s ready
if [ ! -s ready ]; then echo "Bail out! porterd did not start"; show porterd.log; exit 1; fi
URL=http://127.0.0.1:$(cat ready)
wait_for 10 grep -q "event=mqtt_connected" porterd.log; ok "porterd starts and connects to the broker"

# ---- the owner, the home ----
export PORTER_PASSWORD='correct horse battery staple'
A=(env PORTER_CONFIG="$T/owner.conf")
expect() { # exit code, description, command...: output in out.txt, err.txt
	local want=$1 what=$2 got; shift 2
	"$@" >out.txt 2>err.txt; got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ]; then echo "ok $n - $what (exit $got)"
	else echo "not ok $n - $what: exit $got, want $want"; show out.txt err.txt; failed=$((failed + 1)); fi
}
expect 0 "owner signs up" "${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "owner signs in" "${A[@]}" "$P" login --email ana@example.org
expect 0 "a home" "${A[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv 'd["id"]')
expect 0 "the owner's key enrolled at porterd" "${A[@]}" "$P" key add --home "$H" --key owner.key.pub
TOKEN=$(sed -n 's/^token = //p' owner.conf)
api() { # METHOD PATH [BODY]: the status on stdout, the body in out.txt
	curl -s -o out.txt -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$URL$2"
}

# ---- the hubs ----
conf() { # NAME [extra lines at the end of [drivers]]
	local name=$1 id; shift
	[ "$name" = hubA ] && id=$HA || id=$HB
	cp "$id.pw" "$name.pw"; chmod 600 "$name.pw"
	cat >"$name.conf" <<EOF
[hub]
state_dir = $T/$name
checkpoint_every = 8
[link]
tcp = 127.0.0.1:0
challenge_ttl = 2s
lockout_failures = 1000
[door]
open_timeout = 2s
relock_delay = 100ms
[drivers]
$(printf '%s\n' "${@:-sim_lock_delay = 50ms}")
[server]
revocations_max_age = 1h
[mqtt]
broker = 127.0.0.1:$MPORT
password_file = $T/$name.pw
keepalive = 5s
EOF
}
declare -A HPID
hub_start() { # NAME
	local i
	rm -f "$1.ready"
	"$HUBX" -f "$T/$1.conf" -d -R "$T/$1.ready" >>"$T/$1.out" 2>>"$T/$1.log" &
	HPID[$1]=$!
	PIDS+=("${HPID[$1]}")
	for i in $(seq 100); do
		[ -s "$1.ready" ] && return 0
		alive "${HPID[$1]}" || return 1
		sleep 0.05
	done
	return 1
}
hub_stop() { kill -TERM "${HPID[$1]}"; wait "${HPID[$1]}"; }
conf hubA; conf hubB
hub_start hubA && hub_start hubB; ok "two porter-hub processes start" ||
	{ show hubA.log hubB.log; echo "Bail out! no hubs"; exit 1; }
LA="unix:$T/hubA/link.sock"
LB="unix:$T/hubB/link.sock"
sim() { local h=$1; shift; "$P" sim --hub-control "$T/$h/sim.sock" "$@"; }
hub_state() { # NAME STATE: wait (5 s at most) for the door machine's state
	wait_for 5 eval "sim $1 status 2>/dev/null | grep -q '\"state\":\"$2\"'"
}
# The event log, read after a sim status: the hub answers that in a later turn
# of its loop, so every event of the turn before (written after its DECISION) is in.
evlog() { sim "$1" status >/dev/null 2>&1; "$HUBX" -f "$T/$1.conf" -E; }
unlock() { local hub=$1; shift; "$P" courier unlock --hub "$hub" "$@"; }

# Pairing: the hub shows a code; the owner's device signs its MAC for
# porterd (`porter hub pair`), which relays it to the hub (online, showing
# the code): the hub pairs through its uplink (docs/hub.md, "Pairing"); the
# same code at the door afterwards is replayed.
pair() { # NAME ID LINK
	wait_for 10 grep -q 'event=uplink state=subscribed' "$1.log" || return 1
	"$HUBX" pair -f "$1.conf" -q >"$1.pair" 2>&1 || return 1
	local code key
	code=$(awk '/^pairing code:/ {print $3}' "$1.pair")
	key=$(awk '/^hub key:/ {print $3}' "$1.pair")
	"${A[@]}" "$P" hub pair --home "$H" --hub-key "$1/hub.key.pub" --code "$code" --key owner.key \
		--label "$1" --json >out.txt 2>err.txt || return 1
	[ "$(jv 'd["id"]')" = "$2" ] || return 1
	wait_for 5 eval "evlog $1 | grep -q 'pairing.ok .*\"via\":\"uplink\"'" || return 1
	"$P" hub pair-local --hub "$3" --key owner.key --home "$H" --hub-key "$key" --code "$code" \
		>"$1.pl" 2>&1
	[ $? -eq 34 ] && grep -q replayed "$1.pl"
}
pair hubA "$HA" "$LA"; ok "hub A paired: through the API (id $HA, as the hub names itself), relayed to it; the door says replayed after" ||
	show out.txt err.txt hubA.pair hubA.pl
pair hubB "$HB" "$LB"; ok "hub B paired the same way" || show out.txt err.txt hubB.pair hubB.pl

hub_online() { # ID: porterd's API says online
	"${A[@]}" "$P" hub list --home "$H" --json >hl.json 2>/dev/null &&
		python3 -c 'import json,sys; sys.exit(0 if any(h["id"] == sys.argv[1] and h["online"] for h in json.load(open("hl.json"))["hubs"]) else 1)' "$1"
}
refreshed() { # NAME: the hub holds a revocation refresh from porterd
	[ "$(sqlite3 "$T/$1/hub.db" 'SELECT revocations_refreshed_at FROM hub' 2>/dev/null)" -gt 0 ] 2>/dev/null
}
# The hubs connected (and published their retained state) before porterd
# knew them: porterd keeps that state and applies it at the pairing, so
# both show online at once, without a restart or a resend.
wait_for 10 hub_online "$HA" && wait_for 10 hub_online "$HB"
ok "porterd shows both hubs online right after pairing (their state from before it)" ||
	{ show porterd.log; grep -i state hubA.log | show; }
wait_for 10 refreshed hubA && wait_for 10 refreshed hubB
ok "porterd's beacons refresh both hubs' revocation data (max age 1 h)" || show hubA.log

# ---- grants, and the door ----
grant() { # FILE ENTRIES [options]: signed here, uploaded to porterd
	local f=$1 e=$2; shift 2
	"${A[@]}" "$P" grant create --key owner.key --holder courier.key.pub --home "$H" \
		--purpose delivery --expires +1h --entries "$e" --note "dog inside" --upload --label courier \
		"$@" -o "$f" >/dev/null 2>grant.err
}
cti() { "$P" cred inspect "$1" | sed -n 's/.*"token_id": "\([0-9a-f]*\)".*/\1/p' | tail -n 1; }
grant c1.cbor 5; ok "porter grant create --upload: the owner grants the courier's device 5 entries" ||
	show grant.err
unlock "$LA" --cred c1.cbor --key courier.key >u.out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "^decision: granted (ok)" u.out && grep -q "^note: dog inside" u.out
ok "courier unlock at hub A: granted, the note shown" || show u.out
# one status: a second one could come after the relock (open_timeout)
wait_for 5 eval "sim hubA status 2>/dev/null | grep '\"state\":\"unlocked\"' | grep -q '\"lock\":\"unlocked\"'"
ok "the bolt moved (porter sim status: unlocked)"
hub_state hubA secured; ok "not opened: relocked"
"$P" grant --key stranger.key --holder courier.key.pub --home "$H" --purpose delivery \
	--expires +1h --entries 1 -o cs.cbor >/dev/null
expect 16 "a credential from a key no hub trusts: untrusted-root" unlock "$LA" --cred cs.cbor --key courier.key
grep -q "untrusted-root" out.txt err.txt; ok "says untrusted-root"
expect 12 "the credential copied to another device, without its key: bad-signature" \
	unlock "$LA" --cred c1.cbor --key other.key
grep -q "bad-signature" out.txt err.txt; ok "says bad-signature"
"${A[@]}" "$P" grant create --key owner.key --holder courier.key.pub --home h-0000000000000000 \
	--purpose delivery --expires +1h --entries 1 -o ch.cbor >/dev/null 2>&1 ||
	"$P" grant --key owner.key --holder courier.key.pub --home h-0000000000000000 \
		--purpose delivery --expires +1h --entries 1 -o ch.cbor >/dev/null
expect 21 "a credential for another home: wrong-home-or-lock" unlock "$LA" --cred ch.cbor --key courier.key
hub_state hubA secured && sim hubA status | grep -q '"lock":"locked"'
ok "none of those moved the bolt"

python3 "$LINKPY" replay "$T/px.sock" "$LA" >px.out 2>px.err &
pp=$!
wait_for 3 test -S px.sock
unlock "unix:$T/px.sock" --cred c1.cbor --key courier.key >pxu.out 2>&1; rc=$?
wait $pp
[ $rc -eq 0 ] && grep -q "^first: decision:ok" px.out
ok "through a recording relay: the genuine exchange is granted" || show px.out px.err pxu.out
grep -q "^same-connection: decision:nonce-reused" px.out
ok "the recorded PROOF sent again: nonce-reused" || show px.out
grep -q "^new-connection: decision:nonce-reused" px.out
ok "the recorded PROOF on a fresh challenge: nonce-reused" || show px.out
hub_state hubA secured
python3 "$LINKPY" otherhub "$T/px2.sock" "$LA" "$LB" >px2.out 2>px2.err &
pp=$!
wait_for 3 test -S px2.sock
unlock "unix:$T/px2.sock" --cred c1.cbor --key courier.key >pxo.out 2>&1; rc=$?
wait $pp
[ $rc -eq 12 ] && grep -q "^hub-a-answer: decision:bad-signature" px2.out && grep -q "^hub: $HB" pxo.out
ok "a proof made for hub B (its real challenge), sent to hub A: bad-signature (exit 12)" ||
	show px2.out px2.err pxo.out
hub_state hubA secured && sim hubA status | grep -q '"lock":"locked"'
ok "hub A's bolt did not move"
unlock "$LB" --cred c1.cbor --key courier.key >ub.out 2>&1; rc=$?
[ $rc -eq 0 ]; ok "the same credential opens hub B itself (the home's other door)" || show ub.out
hub_state hubB secured

# ---- revoke through the API: the next attempt is denied within 1 s ----
CTI1=$(cti c1.cbor)
revs() { grep -c "event=revocation version=[0-9]* result=stored .*target=$CTI1" "$T/$1.log" 2>/dev/null; }
"${A[@]}" "$P" revoke --home "$H" --signer owner.key --token "$CTI1" >rv.out 2>&1; rc=$?
t0=$(ms)
[ $rc -eq 0 ]; ok "porter revoke: the owner revokes the courier's credential at porterd" || show rv.out
wait_for 2 eval '[ "$(revs hubA)" -ge 1 ]'
unlock "$LA" --cred c1.cbor --key courier.key >ur.out 2>&1; rc=$?
t1=$(ms)
[ $rc -eq 23 ] && grep -q "revoked" ur.out
ok "the next attempt at hub A (online): revoked (exit 23)" || { show ur.out; grep revocation hubA.log | show; }
[ $((t1 - t0)) -lt 1000 ]
ok "from the revoke's answer to the denial: $((t1 - t0)) ms < 1000 ms" || grep revocation hubA.log | show
grep -q "level=info event=revocation version=.*kind=token target=$CTI1" hubA.log
ok "hub A logged the verified revocation" || grep revocation hubA.log | show
wait_for 2 eval '[ "$(revs hubB)" -ge 1 ]'
unlock "$LB" --cred c1.cbor --key courier.key >urb.out 2>&1; [ $? -eq 23 ]
ok "and hub B refuses it too (fan-out to every hub of the home)" || show urb.out

# ---- remote commands relayed by porterd ----
all_events() { # every event of the home, oldest first, paged through the API, to pe.json
	local after="" next
	echo '[]' >pe.json
	while :; do
		"${A[@]}" "$P" events --home "$H" --limit 200 ${after:+--after "$after"} --json \
			>page.json 2>/dev/null || return 1
		next=$(python3 -c 'import json
p = json.load(open("page.json")); a = json.load(open("pe.json"))
json.dump(a + p["events"], open("pe.json", "w"))
print(p["next"] or "")') || return 1
		[ -n "$next" ] || return 0
		after=$next
	done
}
pevents() { # TYPE: the data of porterd's stored events of hub A of that type
	# (read-only from its database: cheap enough to poll; the API's view of
	# the same events is checked below, api_in_order)
	sqlite3 "file:$T/db/porter.db?mode=ro" \
		"SELECT data FROM events WHERE source = 'hub:$HA' AND type = '$1' ORDER BY id" 2>/dev/null
}
pevent_has() { pevents "$1" | grep -q -- "$2"; }
unlocks() { evlog hubA | grep -c ' lock.unlocking '; }
hub_state hubA secured
u0=$(unlocks)
expect 0 "porter remote unlock (signed by the owner's key here, relayed by porterd)" \
	"${A[@]}" "$P" remote unlock --home "$H" --key owner.key --hub "$HA"
NONCE=$(sed -n 's/.*(nonce \([0-9a-f]\{32\}\)).*/\1/p' out.txt)
hub_state hubA unlocked; ok "the bolt moves (porter sim status: unlocked)" || sim hubA status | show
wait_for 10 pevent_has command.ok "\"nonce\":\"$NONCE\""
ok "porterd has the hub's command.ok with the command's nonce" || pevents command.ok | show
hub_state hubA secured; ok "relocked"
u0=$(unlocks)
expect 41 "a remote unlock signed by a key that is not an owner's: porterd refuses, untrusted-signer" \
	"${A[@]}" "$P" remote unlock --home "$H" --key stranger.key --hub "$HA"
# porterd would not relay it; a compromised porterd (or anyone with its
# broker account) could publish it all the same: the hub is the judge.
FORGED=$("$PEER" sign-command --key stranger.key --home "$H" --op unlock)
printf '%s' "$FORGED" | b64dec forged.env
# docs/mqtt.md, "commands": {1: the envelope}
python3 -c 'import sys; e = open(sys.argv[1], "rb").read(); assert 24 <= len(e) < 256
open(sys.argv[2], "wb").write(bytes([0xa1, 0x01, 0x58, len(e)]) + e)' forged.env forged.bin
mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u porterd -P "$(cat porterd.pw)" \
	-t "porter/v1/hub/$HA/commands" -q 1 -f forged.bin
wait_for 10 pevent_has command.refuse '"reason":"untrusted-signer"'
ok "the forged command published straight to the hub: refused, the event (untrusted-signer) reaches porterd" ||
	{ pevents command.refuse | show; grep 'event=command' hubA.log | show; }
CMD=$("$PEER" sign-command --key owner.key --home "$H" --op unlock)
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$CMD\",\"hub_id\":\"$HA\"}")" = 202 ]
ok "an owner-signed command posted to POST /v1/homes/{id}/commands: 202" || show out.txt
N2=$(jv 'd["nonce"]')
hub_state hubA unlocked || wait_for 5 eval 'evlog hubA | grep -q "session.start {\"session\":\"$N2\"}"'
ok "it opens (a session named by its nonce)" || { sim hubA status | show; evlog hubA | tail -n 5 | show; }
hub_state hubA secured
u0=$(unlocks)
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$CMD\",\"hub_id\":\"$HA\"}")" = 202 ]
ok "the same bytes posted again: porterd relays them (the hub keeps the nonces)" || show out.txt
wait_for 10 pevent_has command.refuse "\"nonce\":\"$N2\",.*\"reason\":\"replayed\""
ok "the replay: refused by the hub, the event (replayed, its nonce) reaches porterd" ||
	pevents command.refuse | show
STALE=$("$PEER" sign-command --key owner.key --home "$H" --op unlock --age 200)
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$STALE\",\"hub_id\":\"$HA\"}")" = 202 ]
ok "a command issued 200 s ago: porterd (skew 300 s) relays it" || show out.txt
N3=$(jv 'd["nonce"]')
wait_for 10 pevent_has command.refuse "\"nonce\":\"$N3\",.*\"reason\":\"stale\""
ok "the hub (skew 120 s) refuses it: stale, the event reaches porterd" || pevents command.refuse | show
STALE2=$("$PEER" sign-command --key owner.key --home "$H" --op unlock --age 900)
[ "$(api POST "/v1/homes/$H/commands" "{\"command\":\"$STALE2\"}")" = 403 ] && [ "$(jv 'd["error"]["code"]')" = stale ]
ok "a command issued 15 minutes ago: porterd refuses it itself (403 stale)" || show out.txt
sleep 0.3
sim hubA status | grep -q '"state":"secured"' && [ "$(unlocks)" -eq "$u0" ]
ok "the forged, replayed and stale commands never moved the bolt (no lock.unlocking since)" ||
	{ sim hubA status | show; evlog hubA | tail -n 8 | show; }

# ---- porterd's copy of a hub's chain ----
hub_chain() { sqlite3 "$T/$1/hub.db" "SELECT seq || ' ' || hex(hash) FROM events ORDER BY seq"; }
porterd_chain() { # ID: in the order porterd stored them
	sqlite3 "file:$T/db/porter.db?mode=ro" \
		"SELECT hub_seq || ' ' || hex(hash) FROM events WHERE source = 'hub:$1' ORDER BY id"
}
in_sync() { # NAME ID: porterd holds exactly the hub's chain, in order, each once
	hub_chain "$1" >"$1.chain" && porterd_chain "$2" >"$1.pchain" && [ -s "$1.chain" ] &&
		cmp -s "$1.chain" "$1.pchain"
}
api_in_order() { # NAME ID: GET /v1/homes/{id}/events shows the hub's events once, in order
	evlog "$1" | awk '{print $1, $3}' >"$1.types" &&
		all_events && python3 -c 'import json,sys
ev = [e["type"] for e in json.load(open("pe.json")) if e["source"] == "hub:" + sys.argv[1]]
hub = [l.split()[1] for l in open(sys.argv[2])]
sys.exit(0 if ev == hub else 1)' "$2" "$1.types"
}
wait_for 20 in_sync hubA "$HA"; ok "porterd holds hub A's chain so far: every seq once, in order, same hashes" ||
	{ diff hubA.chain hubA.pchain | show; }

# ---- hub offline: events at the door, then back ----
s0=$(hub_chain hubA | wc -l)
broker_stop
wait_for 10 grep -q 'event=uplink state=disconnected\|event=uplink state=lost\|event=uplink state=connection-lost' hubA.log ||
	sleep 1
grant c2.cbor 2
unlock "$LA" --cred c2.cbor --key courier.key >uo.out 2>&1; rc=$?
[ $rc -eq 0 ]; ok "the broker is down: the courier still gets in at hub A (decided offline)" || show uo.out
sim hubA door open >/dev/null && sim hubA door close >/dev/null && hub_state hubA secured
sim hubA motion hall >/dev/null 2>&1
s1=$(hub_chain hubA | wc -l)
[ "$s1" -gt $((s0 + 5)) ]; ok "events made at the door while offline ($((s1 - s0)) of them)"
broker_start; ok "the broker is back (its persistence kept the hubs' sessions)"
wait_for 40 in_sync hubA "$HA"
ok "every event reached porterd, once, in order, with the hub's hashes ($(wc -l <hubA.chain) events)" ||
	{ diff hubA.chain hubA.pchain | show; tail -n 20 hubA.log | show; }
api_in_order hubA "$HA"; ok "GET /v1/homes/{id}/events: the hub's events in the hub's order, none twice" ||
	show hubA.types
"$HUBX" -f hubA.conf -V >v.out 2>&1 && grep -q "^chain: ok" v.out
ok "porter-hub -V: hub A's chain and checkpoint verify" || show v.out

# ---- the broker restarted while events stream ----
s0=$(hub_chain hubA | wc -l)
( for i in $(seq 12); do
	sim hubA door open >/dev/null 2>&1; sleep 0.1; sim hubA door close >/dev/null 2>&1; sleep 0.15
  done ) &
GPID=$!
PIDS+=("$GPID")
sleep 1
broker_stop
sleep 0.7
broker_start
wait "$GPID"
s1=$(hub_chain hubA | wc -l)
[ "$s1" -gt $((s0 + 30)) ]; ok "events streamed while the broker restarted ($((s1 - s0)) of them)"
wait_for 60 in_sync hubA "$HA"
ok "nothing lost, nothing twice: porterd holds all $(wc -l <hubA.chain) of hub A's events in order" ||
	{ diff hubA.chain hubA.pchain | head -n 20 | show; tail -n 20 hubA.log | show; }
api_in_order hubA "$HA"; ok "and the API lists them in the hub's order" || show hubA.types
wait_for 20 in_sync hubB "$HB"; ok "hub B's chain at porterd too" || diff hubB.chain hubB.pchain | show

# ---- kill -9 after the entry is persisted, before the bolt has moved ----
# test_hub.sh ("kill -9 right after a grant") checks the entry at the link
# level; here the sim lock takes 1.5 s to move, so a SIGKILL right after the
# DECISION lands after the charge (fsync'd before the answer) and before
# lock.unlocked. Then: no second entry, and porterd has at most one
# decision.grant for the token (the event may be lost, never doubled).
hub_stop hubA
conf hubA 'sim_lock_delay = 1500ms'
hub_start hubA; ok "hub A restarted with a slow lock (1.5 s)" || show hubA.log
wait_for 20 hub_online "$HA"
grant c3.cbor 1
CTI3=$(cti c3.cbor)
lu0=$(evlog hubA | grep -c ' lock.unlocked ')
unlock "$LA" --cred c3.cbor --key courier.key >k1.out 2>&1; rc=$?
kill -KILL "${HPID[hubA]}"; wait "${HPID[hubA]}" 2>/dev/null
[ $rc -eq 0 ]; ok "granted; the hub is killed with SIGKILL at once" || show k1.out
[ "$(evlog hubA | grep -c ' lock.unlocked ')" -eq "$lu0" ]
ok "the bolt had not finished moving (no lock.unlocked since)" || evlog hubA | tail -n 5 | show
conf hubA
hub_start hubA; ok "hub A restarts on the same state" || show hubA.log
unlock "$LA" --cred c3.cbor --key courier.key >k2.out 2>&1; rc=$?
[ $rc -eq 22 ] && grep -q "no-entries-left" k2.out
ok "the one-entry credential again: no-entries-left (no extra entry)" || show k2.out
wait_for 40 in_sync hubA "$HA"; ok "after the crash porterd holds hub A's chain exactly" ||
	{ diff hubA.chain hubA.pchain | show; }
g=$(pevents decision.grant | grep -c "\"token\":\"$CTI3\"")
[ "$g" -le 1 ]; ok "porterd has $g decision.grant for that token: never two" || pevents decision.grant | show
[ "$(evlog hubA | grep -c "decision.grant .*\"token\":\"$CTI3\"")" -eq "$g" ]
ok "the same as the hub's chain"

# ---- the end ----
"$HUBX" -f hubA.conf -V >v.out 2>&1 && grep -q "^chain: ok" v.out &&
	"$HUBX" -f hubB.conf -V >v2.out 2>&1 && grep -q "^chain: ok" v2.out
ok "porter-hub -V on both hubs" || show v.out v2.out
"$P" audit verify --db "$T/db/porter.db" >av.out 2>&1
ok "porter audit verify: porterd's audit trail" || show av.out
hub_stop hubA && hub_stop hubB; ok "SIGTERM: both hubs exit 0"
kill -TERM "$DPID"; wait "$DPID"; ok "SIGTERM: porterd exits 0"
! grep -q -e "level=error" -e "Sanitizer" -e "runtime error" hubA.log hubB.log porterd.log
ok "no errors in the logs (nor sanitizer reports)" ||
	grep -e "level=error" -e "Sanitizer" -e "runtime error" hubA.log hubB.log porterd.log | sed 's/^/# /'
t_end

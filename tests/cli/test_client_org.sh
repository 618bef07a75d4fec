#!/usr/bin/env bash
# porter's delivery verbs (carrier, courier, device, delivery, hub, events,
# alerts) against a real porterd, driven as the owner, the carrier's admin
# and the courier would; TAP output.
# Usage: test_client_org.sh PORTER PORTERD
set -u
P=$(realpath "$1")
D=$(realpath "$2")
T=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1
n=0 failed=0

ok() { # description, then the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
run() { "$@" >out.txt 2>err.txt; }
# expect CODE description cmd...: exit code CODE, and on failure exactly one line on stderr
expect() {
	local want=$1 what=$2; shift 2
	run "$@"
	local got=$? lines
	lines=$(wc -l <err.txt)
	n=$((n + 1))
	if [ "$got" -eq "$want" ] && { [ "$want" -eq 0 ] || [ "$lines" -eq 1 ]; }; then
		echo "ok $n - $what (exit $got)"
	else
		echo "not ok $n - $what: exit $got, want $want; $lines stderr lines"
		sed 's/^/# /' out.txt err.txt; failed=$((failed + 1))
	fi
}
usage_error() {
	local what=$1; shift
	run "$@"
	local got=$? lines
	lines=$(wc -l <err.txt)
	n=$((n + 1))
	if [ "$got" -eq 1 ] && [ "$lines" -le 2 ] && head -n 1 err.txt | grep -q '^porter: '; then echo "ok $n - $what: usage error"
	else echo "not ok $n - $what: exit $got, $lines stderr lines"; sed 's/^/# /' err.txt; failed=$((failed + 1)); fi
}
says() { grep -q -- "$1" err.txt; ok "$2"; }
shows() { grep -q -- "$1" out.txt; ok "$2"; }
json_ok() { # python condition on d, the JSON in out.txt; description
	python3 -c "import json,sys; d=json.load(open('out.txt')); assert $1, d" 2>py.txt
	local rc=$?
	[ $rc -eq 0 ] || tail -n 1 py.txt | cut -c 1-2000 | sed 's/^/# /'
	(exit $rc); ok "$2"
}
jv() { python3 -c "import json; d=json.load(open('out.txt')); print($1)" 2>/dev/null; }

# ---- porterd on a free loopback port, a fresh state directory ----
mkdir -p db
cat >porterd.conf <<EOF
[server]
listen = 127.0.0.1:0
[store]
path = $T/db/porter.db
sealing_key = $T/db/sealing.key
EOF
"$D" -f porterd.conf -d -R ready 2>porterd.log &
PID=$!
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.1; done
if [ ! -s ready ]; then echo "Bail out! porterd did not start"; sed 's/^/# /' porterd.log; exit 1; fi
URL=http://127.0.0.1:$(cat ready)

unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
export PORTER_PASSWORD='correct horse battery'
A=(env PORTER_CONFIG="$T/ana.conf")	# the home's owner
K=(env PORTER_CONFIG="$T/carla.conf")	# the carriers' admin
B=(env PORTER_CONFIG="$T/ben.conf")	# a courier of the hosted carrier
E=(env PORTER_CONFIG="$T/eve.conf")	# a courier of the self-keyed carrier

# ---- accounts ----
expect 0 "owner signs up" "${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "owner signs in" "${A[@]}" "$P" login --email ana@example.org
expect 0 "carrier admin signs up" "${K[@]}" "$P" signup --server "$URL" --email carla@example.org --name Carla --role carrier-admin
expect 0 "carrier admin signs in" "${K[@]}" "$P" login --email carla@example.org
expect 0 "signup --role courier" "${B[@]}" "$P" signup --server "$URL" --email ben@example.org --name Ben --role courier --json
json_ok 'd["role"] == "courier"' "a courier account"
BEN=$(jv 'd["id"]')
expect 0 "courier signs in" "${B[@]}" "$P" login --email ben@example.org
usage_error "signup --role janitor" "${B[@]}" "$P" signup --email x@example.org --name X --role janitor
for who in dan eve zed; do
	expect 0 "courier $who signs up" env PORTER_CONFIG="$T/$who.conf" "$P" signup --server "$URL" --email $who@example.org --name $who --role courier --json
	eval "ID_$who=$(jv 'd["id"]')"
done
expect 0 "eve signs in" "${E[@]}" "$P" login --email eve@example.org

# ---- the home, with a location ----
expect 0 "home create --lat --lon" "${A[@]}" "$P" home create --name Flat --tz Europe/Berlin \
	--lat 52.52 --lon 13.405 --in-home-delivery --json
json_ok 'abs(d["location"]["lat"] - 52.52) < 1e-9 and abs(d["location"]["lon"] - 13.405) < 1e-9' "the location is stored"
H=$(jv 'd["id"]')
expect 0 "home show" "${A[@]}" "$P" home show "$H"
shows "^location *52.520000, 13.405000" "home show shows the location"
usage_error "home create: --lat without --lon" "${A[@]}" "$P" home create --name X --tz Europe/Berlin --lat 1
expect 2 "home create: --lat out of range" "${A[@]}" "$P" home create --name X --tz Europe/Berlin --lat 91 --lon 0
expect 0 "a second home, no location" "${A[@]}" "$P" home create --name Cabin --tz Europe/Berlin --in-home-delivery --json
H2=$(jv 'd["id"]')
expect 0 "home update --no-location" "${A[@]}" "$P" home update "$H2" --no-location
shows "^location *not set" "the location is cleared"
for k in owner other device device2 carrier2 hub hub2 stranger; do "$P" keygen -o $k.key >/dev/null; done
expect 0 "owner key add" "${A[@]}" "$P" key add --home "$H" --key owner.key.pub

# ---- carriers ----
expect 0 "carrier create --hosted" "${K[@]}" "$P" carrier create --name Parcelo --hosted --json
json_ok 'd["hosted"] is True and d["id"].startswith("c-") and len(d["public_key"]) == 43' "carrier create --json parses"
C=$(jv 'd["id"]')
CPK=$(jv 'd["public_key"]')
expect 0 "carrier create --key (own key)" "${K[@]}" "$P" carrier create --name Selfco --key carrier2.key
shows "^hosted *no" "carrier create prints the carrier"
C2=$(sed -n 's/^id *//p' out.txt)
[ "$(sed -n 's/^public key *//p' out.txt)" = "$("$P" pubkey carrier2.key)" ]; ok "only the public half was sent, and stored"
expect 2 "carrier create: the same key twice" "${K[@]}" "$P" carrier create --name Again --key carrier2.key.pub
says "(exists)" "exists"
[ ! -s out.txt ]; ok "nothing on stdout when refused"
expect 2 "an owner cannot create a carrier" "${A[@]}" "$P" carrier create --name Mine --hosted
says "(forbidden)" "forbidden"
usage_error "carrier create: neither --hosted nor --key" "${K[@]}" "$P" carrier create --name X
usage_error "carrier create: both --hosted and --key" "${K[@]}" "$P" carrier create --name X --hosted --key carrier2.key.pub
expect 0 "carrier list (an owner)" "${A[@]}" "$P" carrier list
grep -q "^ID  *NAME  *HOSTED" out.txt && grep -q "^$C  *Parcelo  *yes" out.txt && grep -q "^$C2  *Selfco  *no" out.txt; ok "carrier list is a table"
expect 0 "carrier list --limit 1 --json" "${A[@]}" "$P" carrier list --limit 1 --json
json_ok 'len(d["carriers"]) == 1 and d["next"] is not None' "the first page, and a cursor"
NEXT=$(jv 'd["next"]')
expect 0 "carrier list --after" "${A[@]}" "$P" carrier list --limit 1 --after "$NEXT" --json
json_ok 'len(d["carriers"]) == 1 and d["carriers"][0]["name"] == "Selfco"' "the next page"
usage_error "carrier list --limit 0" "${A[@]}" "$P" carrier list --limit 0
usage_error "carrier list --after x" "${A[@]}" "$P" carrier list --after x
expect 0 "carrier show" "${A[@]}" "$P" carrier show "$C"
shows "^public key *$CPK" "carrier show shows the key"
expect 2 "carrier show: no such carrier" "${A[@]}" "$P" carrier show c-0000000000000000
says "(not-found)" "not-found"
expect 2 "carrier show: not an id" "${A[@]}" "$P" carrier show ../me

# ---- couriers ----
expect 0 "courier enrol (hosted: porterd attests)" "${K[@]}" "$P" courier enrol --carrier "$C" \
	--email ben@example.org --name "Ben K." --level id-checked
grep -q "^name *Ben K." out.txt && grep -q "^attested *yes" out.txt && grep -q "^level *id-checked" out.txt; ok "courier enrol prints the courier, attested"
expect 2 "enrolled twice: exists" "${K[@]}" "$P" courier enrol --carrier "$C" --email ben@example.org --name Ben --level basic
says "(exists)" "exists"
expect 2 "enrol an owner's account: not found" "${K[@]}" "$P" courier enrol --carrier "$C" --email ana@example.org --name Ana --level basic
usage_error "courier enrol --level bogus" "${K[@]}" "$P" courier enrol --carrier "$C" --email zed@example.org --name Z --level bogus
usage_error "courier enrol --key without --courier-id" "${K[@]}" "$P" courier enrol --carrier "$C2" --email dan@example.org --name Dan --level basic --key carrier2.key
expect 0 "courier enrol --key --courier-id (signed here)" "${K[@]}" "$P" courier enrol --carrier "$C2" \
	--email dan@example.org --name "Dan D." --level basic --key carrier2.key --courier-id "$ID_dan" --json
json_ok 'd["account_id"] == '"$ID_dan"' and d["level"] == "basic" and d["attestation"]' "courier enrol --json parses"
expect 0 "carrier attest (offline)" "$P" carrier attest --key carrier2.key --carrier "$C2" \
	--courier "$ID_eve" --name "Eve E." --level background-checked
ATT=$(cat out.txt)
[ "$(wc -l <out.txt)" -eq 1 ] && [ ${#ATT} -gt 100 ]; ok "prints one base64url envelope"
expect 0 "carrier attest --json" "$P" carrier attest --key carrier2.key --carrier "$C2" --courier 5 --name X --level basic --json
json_ok 'len(d["attestation"]) > 100' "carrier attest --json parses"
usage_error "carrier attest: --level missing" "$P" carrier attest --key carrier2.key --carrier "$C2" --courier 5 --name X
expect 2 "carrier attest: a key file that is not there" "$P" carrier attest --key nosuch.key --carrier "$C2" --courier 5 --name X --level basic
expect 0 "courier enrol --attestation" "${K[@]}" "$P" courier enrol --carrier "$C2" \
	--email eve@example.org --name "Eve E." --level background-checked --attestation "$ATT"
expect 2 "an attestation naming another name: invalid-field" "${K[@]}" "$P" courier enrol --carrier "$C2" \
	--email zed@example.org --name "Zed" --level basic --key carrier2.key --courier-id "$ID_eve"
says "(invalid-field)" "invalid-field"
expect 41 "an attestation signed by another key: untrusted-signer" "${K[@]}" "$P" courier enrol --carrier "$C2" \
	--email zed@example.org --name "Zed" --level basic --key other.key --courier-id "$ID_zed"
says "(untrusted-signer)" "untrusted-signer"
expect 0 "courier list" "${K[@]}" "$P" courier list --carrier "$C"
grep -q "^ACCOUNT  *NAME  *LEVEL" out.txt && grep -q "^$BEN  *Ben K\.  *id-checked  *yes" out.txt; ok "courier list is a table"
expect 0 "courier list --json" "${K[@]}" "$P" courier list --carrier "$C2" --json
json_ok 'sorted(c["name"] for c in d["couriers"]) == ["Dan D.", "Eve E."] and d["next"] is None' "courier list --json parses"
expect 2 "a courier cannot list the carrier's couriers" "${B[@]}" "$P" courier list --carrier "$C"
usage_error "courier list without --carrier" "${K[@]}" "$P" courier list

# ---- devices ----
expect 0 "device add" "${B[@]}" "$P" device add --key device.key.pub --label phone
grep -q "^label *phone" out.txt; ok "device add prints the device"
expect 2 "device add: the same key twice" "${B[@]}" "$P" device add --key device.key
says "(exists)" "exists"
expect 2 "an owner cannot add a device" "${A[@]}" "$P" device add --key device2.key.pub
says "(forbidden)" "forbidden"
expect 2 "device add: not a key" "${B[@]}" "$P" device add --key nonsense
expect 0 "a second device (--json)" "${B[@]}" "$P" device add --key device2.key.pub --json
DEV2=$(jv 'd["id"]')
expect 0 "device list" "${B[@]}" "$P" device list
grep -q "^ID  *KEY ID  *PUBLIC KEY" out.txt && grep -qF -- "$("$P" pubkey device.key)" out.txt; ok "device list is a table" ||
	{ sed 's/^/# out: /' out.txt; sed 's/^/# err: /' err.txt; "$P" pubkey device.key | sed 's/^/# key: /'; } 2>/dev/null
expect 0 "device remove" "${B[@]}" "$P" device remove "$DEV2"
shows "removed device $DEV2" "device remove says so"
expect 0 "device list --json" "${B[@]}" "$P" device list --json
json_ok 'len(d["devices"]) == 1' "device list --json parses: one left"
expect 2 "device remove: another's or none" "${E[@]}" "$P" device remove "$DEV2"
usage_error "device remove: not a number" "${B[@]}" "$P" device remove x

# ---- the owner accepts the carrier and delegates to its key ----
expect 0 "policy: accept the carrier" "${A[@]}" "$P" home update "$H" --carrier "$C" --approval per-delivery
expect 0 "delegate in-home delivery to the carrier's key" "$P" grant --key owner.key --holder "$CPK" \
	--home "$H" --purpose delivery --window "-1h/+1d" --expires +1d --entries 10 --depth 1 --camera --alarm-bypass -o deleg.cred
expect 0 "upload the delegation" "${A[@]}" "$P" grant upload deleg.cred --label Parcelo

# ---- a delivery, issued at the door ----
expect 2 "delivery create: a home that does not accept the carrier" "${K[@]}" "$P" delivery create --carrier "$C2" \
	--home "$H" --package PKG-9 --from now --until +4h
says "(not-found)" "not-found: carriers cannot probe for homes"
usage_error "delivery create: --from not a time" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" --package P --from soon --until +4h
usage_error "delivery create: --until before --from" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" --package P --from +2h --until +1h
expect 0 "delivery create --in-home" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" \
	--package PKG-1 --from -5m --until +4h --in-home --json
json_ok 'd["state"] == "scheduled" and d["in_home"] is True and d["approval"] == "pending" and d["courier"] is None' "delivery create --json parses"
D1=$(jv 'd["id"]')
expect 0 "owner sees it, no courier yet" "${A[@]}" "$P" delivery show "$D1"
shows "^courier *not dispatched yet" "not dispatched yet"
expect 0 "delivery dispatch" "${K[@]}" "$P" delivery dispatch "$D1" --courier "$BEN"
shows "^state *out-for-delivery" "out for delivery"
expect 0 "the owner sees who is coming" "${A[@]}" "$P" delivery show "$D1"
grep -q "^courier *Ben K\. (account $BEN)" out.txt && grep -q "^verification *id-checked, attested" out.txt &&
	grep -q "^carrier *Parcelo ($C)" out.txt; ok "delivery show: courier name, verification level and carrier"
grep -q "^history:" out.txt && grep -q "out-for-delivery" out.txt; ok "delivery show: the history"
expect 0 "delivery list (courier)" "${B[@]}" "$P" delivery list
grep -q "^ID  *STATE" out.txt && grep -q "^$D1  *out-for-delivery  *$H  *Parcelo  *PKG-1" out.txt; ok "delivery list is a table"
expect 0 "delivery list --home --state --json (owner)" "${A[@]}" "$P" delivery list --home "$H" --state out-for-delivery --json
json_ok '[x["id"] for x in d["deliveries"]] == ["'"$D1"'"]' "delivery list --json parses"
usage_error "delivery list --state bogus" "${A[@]}" "$P" delivery list --state bogus
expect 2 "another courier does not see it" "${E[@]}" "$P" delivery show "$D1"
says "(not-found)" "not-found"
expect 0 "delivery approve (owner)" "${A[@]}" "$P" delivery approve "$D1" --json
json_ok 'd["approval"] == "approved"' "approved"
expect 2 "approve twice: wrong-state" "${A[@]}" "$P" delivery approve "$D1"
says "(wrong-state)" "wrong-state"
DEVPK=$("$P" pubkey device.key)
expect 2 "arrive too far: refused" "${B[@]}" "$P" delivery arrive "$D1" --device-key device.key.pub \
	--lat 48.137 --lon 11.575 --package PKG-1 --out far.cred
says "(too-far)" "too-far"
[ ! -e far.cred ]; ok "no credential written"
expect 0 "nothing changed" "${B[@]}" "$P" delivery show "$D1" --json
json_ok 'd["state"] == "out-for-delivery" and d["token_id"] is None' "still out for delivery"
expect 2 "arrive with the wrong package: refused" "${B[@]}" "$P" delivery arrive "$D1" --device-key device.key.pub \
	--lat 52.5201 --lon 13.4049 --package PKG-2
says "(package-mismatch)" "package-mismatch"
expect 2 "arrive with a device not enrolled: refused" "${B[@]}" "$P" delivery arrive "$D1" --device-key stranger.key.pub \
	--lat 52.5201 --lon 13.4049 --package PKG-1
says "device_key" "names the device key"
usage_error "arrive: --lat out of range" "${B[@]}" "$P" delivery arrive "$D1" --device-key device.key.pub --lat 100 --lon 0 --package PKG-1
expect 0 "nothing changed" "${B[@]}" "$P" delivery show "$D1" --json
json_ok 'd["state"] == "out-for-delivery"' "still out for delivery"
expect 0 "arrive at the door: a credential" "${B[@]}" "$P" delivery arrive "$D1" --device-key device.key.pub \
	--lat 52.5201 --lon 13.4049 --package PKG-1 --out door.cred
shows "^wrote door.cred: credential for this device, 2 links" "says what it wrote"
[ "$(stat -c %a door.cred)" = 600 ]; ok "the credential file is 0600"
expect 0 "cred inspect the issued credential" "$P" cred inspect door.cred
json_ok 'len(d["links"]) == 2 and d["links"][-1]["holder"] == "'"$DEVPK"'" and d["links"][-1]["entries"] == 1 and d["links"][0]["holder"] == "'"$CPK"'"' "holder = the device key, 1 entry, issued by the carrier's key"
CTI=$(jv 'd["links"][-1]["token_id"]')
expect 0 "cred verify with the device's key: grant" "$P" cred verify door.cred --trust owner.key.pub \
	--hub hub-1 --lock front --holder-key device.key
shows "^decision: grant" "the hub would open"
run "$P" cred verify door.cred --trust owner.key.pub --hub hub-1 --lock front --holder-key device2.key
[ $? -eq 12 ] && grep -q "^reason: bad-signature" out.txt; ok "cred verify with another device's key: bad-signature (exit 12)"
expect 0 "the delivery has the credential's token id" "${A[@]}" "$P" delivery show "$D1" --json
json_ok 'd["state"] == "credential-issued" and d["token_id"] == "'"$CTI"'"' "credential-issued, with its token id"
expect 2 "refuse after the credential is issued: wrong-state" "${A[@]}" "$P" delivery refuse "$D1" --reason late
says "(wrong-state)" "wrong-state"
expect 2 "credential again: wrong-state" "${B[@]}" "$P" delivery credential "$D1" --device-key device.key.pub --out again.cred
says "(wrong-state)" "issued once"
[ ! -e again.cred ]; ok "nothing written"
expect 0 "delivery complete (courier)" "${B[@]}" "$P" delivery complete "$D1"
shows "^state *completed" "completed"

# ---- approval after arrival: 'delivery credential' ----
expect 0 "a second delivery" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" \
	--package PKG-2 --from now --until +2h --in-home --json
D2=$(jv 'd["id"]')
expect 0 "dispatched" "${K[@]}" "$P" delivery dispatch "$D2" --courier "$BEN"
expect 0 "arrive before approval: recorded, no credential" "${B[@]}" "$P" delivery arrive "$D2" \
	--device-key device.key.pub --lat 52.5201 --lon 13.4049 --package PKG-2 -o d2.cred
grep -q "^state *at-the-door" out.txt && grep -q "^no credential issued: .*(approval-pending)" out.txt; ok "says why: approval-pending"
[ ! -e d2.cred ]; ok "no file"
expect 2 "delivery credential before approval: exit 2" "${B[@]}" "$P" delivery credential "$D2" --device-key device.key.pub --out d2.cred
says "(approval-pending)" "approval-pending on stderr"
[ ! -e d2.cred ] && grep -q "^state *at-the-door" out.txt; ok "no file; the delivery on stdout"
expect 0 "owner approves" "${A[@]}" "$P" delivery approve "$D2"
expect 0 "delivery credential, without --out" "${B[@]}" "$P" delivery credential "$D2" --device-key device.key.pub
grep -q "^credential issued (token id [0-9a-f]*, valid until .*), not saved" out.txt; ok "says it was not saved"
tail -n 1 out.txt | python3 -c 'import base64, sys; s = sys.stdin.read().strip(); open("d2.cred", "wb").write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))'
ok "the base64url copy decodes"
expect 0 "that copy is the credential" "$P" cred inspect d2.cred
json_ok 'd["links"][-1]["holder"] == "'"$DEVPK"'" and d["links"][-1]["entries"] == 1' "for the device, one entry"
expect 0 "the courier fails it" "${B[@]}" "$P" delivery fail "$D2" --reason "door blocked"
grep -q "^state *failed" out.txt && grep -q "^reason *door blocked" out.txt; ok "failed, with the reason"

# ---- arrive --json ----
expect 0 "another in-home delivery" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" \
	--package PKG-6 --from now --until +2h --in-home --json
D6=$(jv 'd["id"]')
expect 0 "dispatched" "${K[@]}" "$P" delivery dispatch "$D6" --courier "$BEN"
expect 0 "approved" "${A[@]}" "$P" delivery approve "$D6"
expect 0 "delivery arrive --json --out" "${B[@]}" "$P" delivery arrive "$D6" --device-key "$DEVPK" \
	--lat 52.5201 --lon 13.4049 --package PKG-6 --out d6.cred --json
json_ok 'd["state"] == "credential-issued" and d["credential"] and d["issue"] is None if "issue" in d else d["credential"]' "delivery arrive --json parses"
[ "$(stat -c %a d6.cred)" = 600 ]; ok "written, 0600"
expect 0 "left at the door: complete" "${B[@]}" "$P" delivery complete "$D6"

# ---- other refusals at the door ----
expect 0 "the second home accepts the carrier, not in-home" "${A[@]}" "$P" home update "$H2" --carrier "$C" --no-in-home-delivery
expect 2 "in-home to a home that does not accept it: not-accepted" "${K[@]}" "$P" delivery create --carrier "$C" \
	--home "$H2" --package PKG-7 --from now --until +2h --in-home
says "(not-accepted)" "not-accepted"
expect 0 "a delivery to the door of a home without a location" "${K[@]}" "$P" delivery create --carrier "$C" \
	--home "$H2" --package PKG-7 --from now --until +2h --json
D7=$(jv 'd["id"]')
expect 0 "dispatched" "${K[@]}" "$P" delivery dispatch "$D7" --courier "$BEN"
expect 2 "arrive at a home without a location: no-location" "${B[@]}" "$P" delivery arrive "$D7" \
	--device-key device.key --lat 52.5201 --lon 13.4049 --package PKG-7
says "(no-location)" "no-location"
expect 0 "a delivery that starts later" "${K[@]}" "$P" delivery create --carrier "$C" \
	--home "$H" --package PKG-8 --from +1h --until +3h --json
D8=$(jv 'd["id"]')
expect 0 "dispatched" "${K[@]}" "$P" delivery dispatch "$D8" --courier "$BEN"
expect 2 "arrive before the window: outside-window" "${B[@]}" "$P" delivery arrive "$D8" \
	--device-key device.key --lat 52.5201 --lon 13.4049 --package PKG-8
says "(outside-window)" "outside-window"
expect 2 "arrive at a delivery not out for delivery: wrong-state" "${B[@]}" "$P" delivery arrive "$D1" \
	--device-key device.key --lat 52.5201 --lon 13.4049 --package PKG-1
says "(wrong-state)" "wrong-state"

# ---- panic, refuse, cancel ----
expect 0 "a third delivery" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" \
	--package PKG-3 --from now --until +2h --json
D3=$(jv 'd["id"]')
expect 0 "dispatched" "${K[@]}" "$P" delivery dispatch "$D3" --courier "$BEN"
expect 0 "delivery panic" "${B[@]}" "$P" delivery panic "$D3" --reason "dog loose"
shows "^raised alert [0-9]* (courier-panic)" "says which alert"
ALERT=$(sed -n 's/^raised alert \([0-9]*\) .*/\1/p' out.txt)
expect 0 "the state did not change" "${A[@]}" "$P" delivery show "$D3" --json
json_ok 'd["state"] == "out-for-delivery"' "still out for delivery"
expect 0 "alerts --open" "${A[@]}" "$P" alerts --home "$H" --open
grep -q "^ID  *AT  *TYPE  *ACKNOWLEDGED" out.txt && grep -q "^$ALERT  .*courier-panic  *OPEN" out.txt; ok "the panic is an open alert"
expect 0 "alerts --open --json" "${A[@]}" "$P" alerts --home "$H" --open --json
json_ok '[a["id"] for a in d["alerts"]] == ['"$ALERT"'] and d["alerts"][0]["acked_by"] is None' "alerts --json parses"
expect 0 "alert ack" "${A[@]}" "$P" alert ack --home "$H" "$ALERT"
grep -q "^acknowledged *by " out.txt; ok "acknowledged"
expect 0 "alert ack again: changes nothing" "${A[@]}" "$P" alert ack --home "$H" "$ALERT" --json
json_ok 'd["acked_by"] is not None' "still acknowledged"
expect 0 "alerts --open: none left" "${A[@]}" "$P" alerts --home "$H" --open
shows "^no alerts" "no open alerts"
expect 0 "alerts: all" "${A[@]}" "$P" alerts --home "$H"
shows "courier-panic" "the acknowledged alert is still listed"
expect 2 "alerts of a home not yours" "${B[@]}" "$P" alerts --home "$H"
says "(not-found)" "not-found"
expect 0 "owner refuses it" "${A[@]}" "$P" delivery refuse "$D3" --reason "not today"
grep -q "^state *refused" out.txt && grep -q "^reason *not today" out.txt; ok "refused, with the reason"
expect 0 "a fourth delivery" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" \
	--package PKG-4 --from now --until +2h --json
D4=$(jv 'd["id"]')
expect 2 "a courier cannot cancel" "${B[@]}" "$P" delivery cancel "$D4"
expect 0 "the carrier cancels" "${K[@]}" "$P" delivery cancel "$D4" --reason "address unknown" --json
json_ok 'd["state"] == "cancelled" and d["reason"] == "address unknown"' "cancelled"

# ---- hubs ----
CODE=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
expect 0 "hub pair" "${A[@]}" "$P" hub pair --home "$H" --hub-key hub.key.pub --code "$CODE" --key owner.key --label hall --json
json_ok 'd["id"].startswith("hub-") and d["label"] == "hall" and d["public_key"] == "'"$("$P" pubkey hub.key)"'"' "hub pair --json parses"
HUB=$(jv 'd["id"]')
expect 2 "the same hub twice: exists" "${A[@]}" "$P" hub pair --home "$H" --hub-key hub.key.pub --code "$CODE" --key owner.key
says "(exists)" "exists"
expect 41 "signed by a key not enrolled: untrusted-signer" "${A[@]}" "$P" hub pair --home "$H" --hub-key hub2.key.pub --code "$CODE" --key other.key
says "(untrusted-signer)" "untrusted-signer"
[ ! -s out.txt ]; ok "nothing on stdout when refused"
expect 2 "a code that is not 22 base64url characters" "${A[@]}" "$P" hub pair --home "$H" --hub-key hub2.key.pub --code 12345 --key owner.key
says "pairing code" "says what a code is"
expect 2 "a member-less account cannot pair" "${B[@]}" "$P" hub pair --home "$H" --hub-key hub2.key.pub --code "$CODE" --key owner.key
expect 0 "hub list" "${A[@]}" "$P" hub list --home "$H"
grep -q "^ID  *KEY ID  *PAIRED  *LAST SEEN  *CONFIRMED  *LABEL" out.txt && grep -q "^$HUB  .* no  *hall" out.txt; ok "hub list is a table (CONFIRMED no: no hub said so)"
expect 0 "hub list --json" "${A[@]}" "$P" hub list --home "$H" --json
json_ok 'len(d["hubs"]) == 1' "hub list --json parses"
expect 0 "hub remove" "${A[@]}" "$P" hub remove --home "$H" "$HUB"
shows "removed hub $HUB" "hub remove says so"
expect 0 "hub list: none" "${A[@]}" "$P" hub list --home "$H"
shows "^no hubs" "no hubs left"

# ---- events ----
expect 0 "events" "${A[@]}" "$P" events --home "$H"
grep -q "^ID  *AT  *SOURCE  *TYPE  *DATA" out.txt && grep -q "delivery.credential-issued" out.txt &&
	grep -q "$D1" out.txt; ok "events is a table, with the delivery's states"
expect 0 "events --json" "${A[@]}" "$P" events --home "$H" --limit 200 --json
json_ok 'all(t in [e["type"] for e in d["events"]] for t in ["delivery.scheduled", "delivery.out-for-delivery", "delivery.at-the-door", "delivery.credential-issued", "delivery.completed", "delivery.failed", "delivery.refused", "delivery.cancelled", "hub.paired", "hub.removed"])' "every state change and the hub's pairing are events"
json_ok '[e["type"] for e in d["events"] if e["data"].get("delivery_id") == "'"$D1"'" and e["type"] in ("delivery.scheduled", "delivery.out-for-delivery", "delivery.at-the-door", "delivery.credential-issued", "delivery.completed")] == ["delivery.scheduled", "delivery.out-for-delivery", "delivery.at-the-door", "delivery.credential-issued", "delivery.completed"]' "the first delivery's states, in order, oldest first"
expect 0 "events --limit 2" "${A[@]}" "$P" events --home "$H" --limit 2 --json
json_ok 'len(d["events"]) == 2 and d["next"] is not None' "a page of 2 and a cursor"
FIRST=$(jv 'd["events"][-1]["id"]')
NEXT=$(jv 'd["next"]')
expect 0 "events --after" "${A[@]}" "$P" events --home "$H" --limit 2 --after "$NEXT" --json
json_ok 'len(d["events"]) == 2 and d["events"][0]["id"] > '"$FIRST" "the next page follows"
expect 0 "events --limit 2 (table)" "${A[@]}" "$P" events --home "$H" --limit 2
shows "(more: add --after " "says there is more"
usage_error "events without --home" "${A[@]}" "$P" events
usage_error "events --limit 201" "${A[@]}" "$P" events --home "$H" --limit 201

# ---- deactivating a courier ----
expect 0 "courier remove" "${K[@]}" "$P" courier remove --carrier "$C" "$BEN"
shows "deactivated courier $BEN" "says so"
expect 0 "courier list: inactive" "${K[@]}" "$P" courier list --carrier "$C" --json
json_ok 'd["couriers"][0]["active"] is False' "active false"
expect 0 "a fifth delivery" "${K[@]}" "$P" delivery create --carrier "$C" --home "$H" \
	--package PKG-5 --from now --until +2h --json
D5=$(jv 'd["id"]')
expect 2 "no dispatch to a deactivated courier" "${K[@]}" "$P" delivery dispatch "$D5" --courier "$BEN"
says "(invalid-field)" "invalid-field"

# ---- help and usage ----
for c in carrier "carrier create" "carrier list" "carrier show" "carrier attest" courier "courier enrol" \
	"courier list" "courier remove" device "device add" "device list" "device remove" delivery \
	"delivery create" "delivery list" "delivery show" "delivery dispatch" "delivery approve" \
	"delivery refuse" "delivery cancel" "delivery fail" "delivery complete" "delivery panic" \
	"delivery arrive" "delivery credential" hub "hub pair" "hub list" "hub remove" events alerts \
	alert "alert ack"; do
	# shellcheck disable=SC2086
	run "$P" $c --help
	rc=$?
	case "$c" in
	*" "*|events|alerts) [ $rc -eq 0 ] && grep -q "^usage: porter $c" out.txt && grep -q "^Example: porter $c" out.txt ;;
	*) [ $rc -eq 0 ] && grep -q "^usage: porter $c" out.txt ;;
	esac
	ok "$c --help: usage and an example"
done
run "$P" --help
grep -q "delivery create|list" out.txt && grep -q "hub pair" out.txt && grep -q "alerts --home" out.txt; ok "porter --help lists the delivery verbs"
run "$P" hub pair --help
grep -q "22" out.txt && grep -q "base64url" out.txt; ok "hub pair --help says what a code is"
run "$P" courier enrol --help
grep -q -- "--courier-id" out.txt; ok "courier enrol --help explains --courier-id"
usage_error "unknown delivery command" "$P" delivery frobnicate
usage_error "delivery without a command" "$P" delivery
usage_error "unknown option" "$P" carrier list --bogus
usage_error "delivery show without an id" "$P" delivery show
usage_error "delivery show with two ids" "$P" delivery show d-1 d-2

echo "1..$n"
[ $failed -eq 0 ]

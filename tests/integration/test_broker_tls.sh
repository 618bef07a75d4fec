#!/usr/bin/env bash
# The production broker configuration (dist/mosquitto/porter.conf), TAP
# output: a real mosquitto started with that file, only its paths and ports
# rewritten into a temporary directory; certificates made here with openssl
# (a CA, the broker's for "localhost", a client certificate per account, and
# a stranger CA's certificate with a hub's name). Then porterd and a real
# porter-hub connect through its TLS listener with client certificates, the
# hub is paired through the API, and a remote unlock goes porterd -> broker
# -> hub and its event comes back, all over TLS.
# Usage: test_broker_tls.sh PORTERD PORTER PORTER_HUB PORTERD_MQTT_PEER MOSQUITTO
# KEEP=1 keeps the directory.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
HUBX=$(realpath "$3")
PEER=$(realpath "$4")
MOSQ=$5
SRC=${PORTER_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CONF=$SRC/dist/mosquitto/porter.conf
n=0 failed=0

for b in openssl mosquitto_sub mosquitto_passwd python3 curl; do
	if ! command -v "$b" >/dev/null 2>&1; then
		echo "1..0 # SKIP $b is not installed (scripts/deps.sh)"
		exit 0
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/porter-tls.XXXXXX")
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
unset NOTIFY_SOCKET PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG

ok() {
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 25; }
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
wait_for() { # SECONDS command...: until it succeeds, by the clock
	local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	while :; do
		"$@" && return 0
		[ $(( $(date +%s%N) / 1000000 )) -lt $end ] || return 1
		sleep 0.05
	done
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_open() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}
jv() { python3 -c "import json; d=json.load(open('out.txt')); print($1)" 2>/dev/null; }

# ---- the file itself says what production needs ----
for line in 'per_listener_settings false' 'allow_anonymous false' 'persistence true' \
	'listener 8883' 'tls_version tlsv1.2' 'require_certificate true' \
	'use_identity_as_username true' 'listener 1883 127.0.0.1' 'max_packet_size 65536'; do
	grep -q "^$line\$" "$CONF" || { echo "# missing: $line"; false; } || break
done
ok "dist/mosquitto/porter.conf: no anonymous, persistence, TLS >= 1.2 with client certificates on 8883, plain only on loopback"
grep -q '^password_file /etc/mosquitto/porter.passwd$' "$CONF" && grep -q '^acl_file /etc/mosquitto/porter-acl$' "$CONF" &&
	grep -q '^cafile ' "$CONF" && grep -q '^certfile ' "$CONF" && grep -q '^keyfile ' "$CONF"
ok "password_file, acl_file (dist/mosquitto-acl), cafile, certfile, keyfile"

# ---- keys and certificates ----
"$P" keygen -o owner.key >/dev/null || exit 1
mkdir -m 700 hub
"$P" keygen -o hub/hub.key >/dev/null || exit 1
HID=$("$PEER" id hub/hub.key)
mkdir tls
(
	cd tls || exit 1
	ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@"; }
	ec -x509 -keyout ca.key -out ca.crt -days 2 -subj "/CN=porter test CA" &&
		ec -x509 -keyout evil-ca.key -out evil-ca.crt -days 2 -subj "/CN=someone else" &&
		ec -keyout broker.key -out broker.csr -subj "/CN=localhost" &&
		printf 'subjectAltName=DNS:localhost\n' >broker.ext &&
		openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out broker.crt -days 2 -extfile broker.ext || exit 1
	for who in "$HID" porterd; do
		ec -keyout "$who.key" -out "$who.csr" -subj "/CN=$who" &&
			openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out "$who.crt" -days 2 || exit 1
	done
	ec -keyout evil.key -out evil.csr -subj "/CN=$HID" &&
		openssl x509 -req -in evil.csr -CA evil-ca.crt -CAkey evil-ca.key -CAcreateserial \
			-out evil.crt -days 2
) >openssl.out 2>&1
ok "openssl: a CA, the broker's certificate (localhost), client certificates for $HID and porterd" ||
	{ show openssl.out; echo "Bail out! no certificates"; exit 1; }

# ---- the broker, with dist's file ----
TPORT=$(free_port)
MPORT=$(free_port)
while [ "$MPORT" = "$TPORT" ]; do MPORT=$(free_port); done
python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >porterd.pw
mosquitto_passwd -c -b passwd porterd "$(cat porterd.pw)" >/dev/null 2>&1
cp "$SRC/dist/mosquitto-acl" acl
mkdir mosq
# Paths and ports into $T; the TLS listener on loopback too (a test); logs
# to a file; run as this user.
sed -e "s|/etc/mosquitto/porter.passwd|$T/passwd|" -e "s|/etc/mosquitto/porter-acl|$T/acl|" \
	-e "s|/etc/mosquitto/certs/|$T/tls/|" -e "s|/var/lib/mosquitto/|$T/mosq/|" \
	-e "s|^listener 8883\$|listener $TPORT 127.0.0.1|" -e "s|^listener 1883 127.0.0.1\$|listener $MPORT 127.0.0.1|" \
	-e "s|^log_dest syslog\$|log_dest file $T/mosquitto.log|" "$CONF" >mosquitto.conf
printf 'user %s\n' "$(id -un)" >>mosquitto.conf
[ "$(grep -v '^#' mosquitto.conf | grep -c "$T")" -eq 7 ] && ! grep -v '^#' mosquitto.conf | grep -q '/etc/\|/var/lib'

ok "every path and port rewritten, nothing else" || show mosquitto.conf
"$MOSQ" -c "$T/mosquitto.conf" >mosquitto.out 2>&1 &
BPID=$!
PIDS+=("$BPID")
wait_for 10 port_open "$TPORT" && wait_for 5 port_open "$MPORT"
ok "mosquitto starts with it (TLS on $TPORT, loopback on $MPORT)" ||
	{ show mosquitto.out mosquitto.log; echo "Bail out! no broker"; exit 1; }

# What a client with each kind of credentials gets (mosquitto_sub, 2 s).
try() { # ARGS...: 0 if it connected and subscribed
	timeout 5 mosquitto_sub -h localhost -t "porter/v1/hub/$HID/ack" -W 1 "$@" >try.out 2>&1
	local rc=$?
	# -W 1 ends a connected client with "Timed out" (exit 27)
	[ $rc -eq 27 ] || grep -q "Timed out" try.out
}
TLSOPT=(-p "$TPORT" --cafile tls/ca.crt)
try "${TLSOPT[@]}" --cert "tls/$HID.crt" --key "tls/$HID.key"
ok "TLS with the hub's client certificate: connected" || show try.out
! try -p "$TPORT"
ok "plain MQTT on the TLS port: refused"
! try "${TLSOPT[@]}" -u "$HID" -P wrong
ok "TLS without a client certificate: refused"
! try "${TLSOPT[@]}" --cert tls/evil.crt --key tls/evil.key
ok "a certificate with the hub's name from another CA: refused"
sclient() { # VERSION: openssl s_client with that version only (the client's own
	# floor lowered, so a refusal is the broker's)
	echo | timeout 5 openssl s_client -connect "127.0.0.1:$TPORT" "-$1" -cipher 'DEFAULT:@SECLEVEL=0' \
		-CAfile tls/ca.crt -cert "tls/$HID.crt" -key "tls/$HID.key" >"sc.$1" 2>&1
}
sclient tls1_2 && grep -q "Protocol *: TLSv1.2" sc.tls1_2 && ! sclient tls1_1 && grep -q "alert protocol version" sc.tls1_1
ok "TLS 1.2: accepted; TLS 1.1: refused by the broker (protocol version alert)" || show sc.tls1_2 sc.tls1_1
! try -p "$MPORT"
ok "loopback listener, anonymous: refused"
try -p "$MPORT" -u porterd -P "$(cat porterd.pw)" -t porter/v1/hub/+/events
ok "loopback listener, porterd's password: connected"

# ---- porterd over TLS with its certificate ----
mkdir db
cat >porterd.conf <<EOF
[server]
listen = 127.0.0.1:0
[store]
path = $T/db/porter.db
sealing_key = $T/db/sealing.key
[mqtt]
broker = localhost:$TPORT
username = porterd
tls_ca = $T/tls/ca.crt
tls_cert = $T/tls/porterd.crt
tls_key = $T/tls/porterd.key
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
wait_for 10 grep -q "event=mqtt_connected" porterd.log
ok "porterd connects over TLS with its client certificate (CN porterd)" || show porterd.log mosquitto.log
grep -q "as porterd-[0-9a-f]* .*u'porterd'" mosquitto.log
ok "the broker names it porterd, from the certificate" || show mosquitto.log

export PORTER_PASSWORD='correct horse battery staple'
A=(env PORTER_CONFIG="$T/owner.conf")
"${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana >/dev/null 2>&1 &&
	"${A[@]}" "$P" login --email ana@example.org >/dev/null 2>&1 &&
	"${A[@]}" "$P" home create --name Flat --tz Europe/Berlin --json >out.txt 2>&1
H=$(jv 'd["id"]')
"${A[@]}" "$P" key add --home "$H" --key owner.key.pub >/dev/null 2>&1
ok "an owner, a home ($H), the owner's key" || show out.txt

# ---- the hub over TLS with its certificate ----
hubconf() { # CERT
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
broker = localhost:$TPORT
tls_ca = $T/tls/ca.crt
tls_cert = $T/tls/$1.crt
tls_key = $T/tls/$1.key
keepalive = 5s
EOF
}
hub_start() {
	rm -f hub.ready
	"$HUBX" -f "$T/hub.conf" -d -R "$T/hub.ready" >>hub.out 2>>hub.log &
	HPID=$!
	PIDS+=("$HPID")
	wait_for 5 test -s hub.ready
}
hub_stop() { kill -TERM "$HPID"; wait "$HPID"; }
hubconf "$HID"
hub_start; ok "porter-hub starts ($HID)" || show hub.log
wait_for 10 grep -q "event=uplink state=connected broker=localhost:$TPORT tls=yes" hub.log
ok "the hub connects over TLS with its client certificate" || show hub.log
"$HUBX" pair -f hub.conf -q >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HKEY=$(awk '/^hub key:/ {print $3}' pair.out)
# `porter hub pair` registers it; porterd relays the statement to the hub,
# online and showing the code, which pairs over its uplink (docs/hub.md).
wait_for 10 grep -q 'event=uplink state=subscribed' hub.log
"${A[@]}" "$P" hub pair --home "$H" --hub-key hub/hub.key.pub --code "$CODE" --key owner.key --json \
	>out.txt 2>&1 && [ "$(jv 'd["id"]')" = "$HID" ] &&
	wait_for 5 eval '"$HUBX" -f "$T/hub.conf" -E | grep -q "pairing.ok .*\"via\":\"uplink\""'
ok "paired through the API, relayed to the hub over TLS" || { show out.txt; grep 'event=pair' hub.log | show; }
hub_stop && hub_start
hub_online() {
	"${A[@]}" "$P" hub list --home "$H" --json >hl.json 2>/dev/null &&
		python3 -c 'import json,sys; sys.exit(0 if json.load(open("hl.json"))["hubs"][0]["online"] else 1)'
}
wait_for 15 hub_online; ok "porterd sees it online (its state, over TLS both ways)" || show porterd.log
hub_events() {
	sqlite3 "file:$T/db/porter.db?mode=ro" "SELECT count(*) FROM events WHERE source = 'hub:$HID'" 2>/dev/null
}
wait_for 15 eval '[ "$(hub_events)" -ge 3 ]'; ok "its signed event batches are stored by porterd ($(hub_events))" ||
	show porterd.log
"${A[@]}" "$P" remote unlock --home "$H" --key owner.key >ru.out 2>&1
NONCE=$(sed -n 's/.*(nonce \([0-9a-f]\{32\}\)).*/\1/p' ru.out)
unlocked() { "$P" sim --hub-control "$T/hub/sim.sock" status 2>/dev/null | grep -q '"lock":"unlocked"'; }
wait_for 5 unlocked || "$HUBX" -f hub.conf -E | grep -q "session.start {\"session\":\"$NONCE\"}"
ok "porter remote unlock: relayed over TLS, the bolt moves" || show ru.out hub.log
cmd_ok() { sqlite3 "file:$T/db/porter.db?mode=ro" \
	"SELECT count(*) FROM events WHERE source = 'hub:$HID' AND type = 'command.ok' AND data LIKE '%$NONCE%'" 2>/dev/null; }
wait_for 15 eval '[ "$(cmd_ok)" = 1 ]'; ok "the hub's command.ok comes back to porterd" || show porterd.log

# ---- a hub with a certificate from another CA ----
hub_stop
hubconf evil
c0=$(grep -c "event=uplink state=connected" hub.log)
hub_start; ok "the hub starts with a stranger CA's certificate for its name"
sleep 2
[ "$(grep -c "event=uplink state=connected" hub.log)" -eq "$c0" ]
ok "... the broker does not let it in" || show hub.log
hub_stop; ok "SIGTERM: the hub exits 0"
kill -TERM "$DPID"; wait "$DPID"; ok "SIGTERM: porterd exits 0"
! grep -q -e "level=error" -e "Sanitizer" -e "runtime error" porterd.log hub.log
ok "no errors in the logs" || grep -e "level=error" -e "Sanitizer" -e "runtime error" porterd.log hub.log | show
echo "1..$n"
[ $failed -eq 0 ]

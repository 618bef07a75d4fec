#!/usr/bin/env bash
# The alarm panel drivers (docs/alarm-panels.md) end to end, TAP output:
#   - envisalink: the real driver (alarm_drv_peer, which links
#     daemons/hub/alarm_tpi.c and the hub's config.c) against tpi_panel.py,
#     a DSC panel behind an EnvisaLink at the TPI level, over loopback TCP;
#   - mqtt: the real driver against a private mosquitto on a free loopback
#     port, where mosquitto_pub / mosquitto_sub play Alarmo and a Home
#     Assistant MQTT alarm panel, and Zigbee2MQTT's sensors.
#   - envisalink through the real porter-hub (with PORTER_HUB and PORTER):
#     a delivery that needs the bypass while the DSC panel is armed is
#     refused, granted once it is disarmed; zones and reconnects as events.
# Usage: test_alarm_panels.sh ALARM_DRV_PEER TPI_PANEL_PY [PORTER_HUB PORTER]
# KEEP=1 keeps the directory (logs, configs) for a look afterwards.
set -u
PEER=$(realpath "$1")
SIM=$(realpath "$2")
HUB=${3:+$(realpath "$3")}
P=${4:+$(realpath "$4")}
n=0 failed=0
PATH=$PATH:/usr/sbin:/usr/local/sbin

T=$(mktemp -d)
umask 022
PIDS=()
cleanup() {
	local p
	exec 5>&- 2>/dev/null
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
cd "$T" || exit 1

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 30; }
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the peer: commands on a FIFO, reports in a file ----
SEEN=0
peer_start() { # config
	rm -f peer.in peer.out
	mkfifo peer.in
	: >peer.out
	"$PEER" "$1" <peer.in >peer.out 2>>peer.log &
	PEER_PID=$!
	PIDS+=("$PEER_PID")
	exec 5>peer.in
	SEEN=0
}
peer_stop() {
	echo quit >&5 2>/dev/null
	exec 5>&-
	wait "$PEER_PID" 2>/dev/null
}
say() { echo "$*" >&5; }
# expect SECONDS ERE: the next report line (after those already matched)
# that matches; the lines before it are passed over.
expect() {
	local limit=$(( $1 * 20 )) i m
	for ((i = 0; i < limit; i++)); do
		m=$(tail -n +$((SEEN + 1)) peer.out | grep -n -m1 -E -- "$2")
		if [ -n "$m" ]; then
			SEEN=$((SEEN + ${m%%:*}))
			return 0
		fi
		sleep 0.05
	done
	echo "# expected /$2/ within $1 s; after line $SEEN:"
	tail -n +$((SEEN + 1)) peer.out | sed 's/^/#   /' | tail -n 10
	return 1
}
# none SECONDS ERE: no new report matches during that time.
none() {
	sleep "$1"
	! tail -n +$((SEEN + 1)) peer.out | grep -q -E -- "$2"
}
# is ANSWER CMD...: send a command, its answer ("ok ...") must be ANSWER.
# (Not in a $(...) subshell: SEEN must move on in this shell.)
is() {
	local want=$1 got
	shift
	say "$@"
	expect 5 '^(ok|error) ' || return 1
	got=$(sed -n "${SEEN}p" peer.out)
	[ "$got" = "$want" ] || { echo "# $*: got '$got', want '$want'"; return 1; }
}

secret() { # file content
	printf '%s\n' "$2" >"$1" && chmod 600 "$1"
}

# ============ envisalink: the DSC panel simulator ============

ctl() { # a line to the simulator's control port; prints the answer
	local r
	exec 6<>"/dev/tcp/127.0.0.1/$CPORT" || return 1
	echo "$*" >&6
	read -r r <&6
	exec 6>&-
	echo "$r"
}
sim_start() { # extra flags...
	rm -f ports
	python3 "$SIM" --ports-file ports --password pw1234 --code 4321 --zones 8 \
		--delay-zones 1,2 --no-bypass 7 --exit-delay 300 --entry-delay 400 \
		--log sim.log "$@" 2>>sim.err &
	SIM_PID=$!
	PIDS+=("$SIM_PID")
	for _ in $(seq 100); do [ -s ports ] && break; sleep 0.05; done
	read -r TPORT CPORT <ports
}
sim_stop() {
	ctl quit >/dev/null 2>&1
	wait "$SIM_PID" 2>/dev/null
}

secret tpi.pw pw1234
secret tpi.code 4321
tpi_conf() { # file password_file
	cat >"$1" <<EOF
[hub]
state_dir = $T/state
[alarm]
driver = envisalink
entry_zones = 1
interior_zones = 5
envisalink_address = 127.0.0.1:$TPORT
envisalink_password_file = $T/$2
envisalink_code_file = $T/tpi.code
envisalink_keepalive = 1s
envisalink_timeout = 2s
EOF
}

sim_start
tpi_conf tpi.conf tpi.pw
peer_start tpi.conf
expect 5 '^opened envisalink$'; ok "envisalink: the driver opens with its [alarm] rows"
expect 5 '^state disarmed$'; ok "envisalink: logs in (505 3, 005, 505 1), status report: disarmed"
is "ok yes" ready; ok "envisalink: ready once the partition reported"
is "ok yes" can_bypass; ok "envisalink: can bypass while disarmed"
grep -q '^rx 005(secret)' sim.log && grep -q '^rx 001' sim.log; ok "envisalink: login then 001 status report"

ctl open 3 >/dev/null; expect 3 '^zone 3 1$'; ok "envisalink: zone open (609) reported as faulted"
ctl close 3 >/dev/null; expect 3 '^zone 3 0$'; ok "envisalink: zone restored (610)"

is "ok ok" bypass 1 on; ok "envisalink: bypass zone 1 accepted"
expect 5 '^bypassed 1 1$'; ok "envisalink: the panel's bitfield (616) confirms zone 1 bypassed"
ctl status | grep -q '"bypassed": \[1\]'; ok "envisalink: the simulated panel has zone 1 bypassed"
grep -q '^rx 0711\*1[0-9A-F][0-9A-F]$' sim.log && grep -q '^rx 0711#[0-9A-F][0-9A-F]$' sim.log &&
	grep -q '^rx 071101#' sim.log
ok "envisalink: keystrokes *1 then # (the dump), then *1 and 01# (toggle zone 1)"
is "ok ok" bypass 1 on; expect 3 '^bypassed 1 1$'
ok "envisalink: a bypass already in place is confirmed without a keystroke"
[ "$(grep -c '^rx 071101#' sim.log)" = 1 ]; ok "envisalink: no second toggle (it would undo the bypass)"
is "ok ok" bypass 1 off; expect 5 '^bypassed 1 0$'; ok "envisalink: unbypass confirmed"
ctl status | grep -q '"bypassed": \[\]'; ok "envisalink: the panel has no zone bypassed"
is "ok ok" bypass 7 on; expect 5 '^failed bypass zone 7 on: the panel did not change it'
ok "envisalink: a zone the panel will not bypass: failed (the bitfield did not move)"

is "ok ok" arm away; expect 3 '^state arming$'; ok "envisalink: arm away: exit delay (656)"
expect 3 '^state armed_away$'; ok "envisalink: armed away (652 10)"
is "ok no" can_bypass; ok "envisalink: armed: cannot bypass (DSC bypasses only while disarmed)"
is "ok unsupported" bypass 1 on; ok "envisalink: armed: bypass refused at once"
ctl open 1 >/dev/null; expect 3 '^zone 1 1$' && expect 3 '^state pending$'
ok "envisalink: armed, the entry zone opens: entry delay (657)"
expect 3 '^state triggered$'; ok "envisalink: entry delay runs out: alarm (654)"
is "ok ok" disarm; expect 3 '^state disarmed$'; ok "envisalink: disarm with the code (040): disarmed (655)"
ctl close 1 >/dev/null; expect 3 '^zone 1 0$'

is "ok ok" bypass 2 on; expect 5 '^bypassed 2 1$'; ok "envisalink: bypass zone 2 before arming"
is "ok ok" arm away; expect 3 '^state armed_away$'
ctl open 2 >/dev/null; expect 3 '^zone 2 1$'
none 1 '^state (pending|triggered)$'; ok "envisalink: armed, the bypassed zone opens: no entry delay, no alarm"
ctl close 2 >/dev/null
ctl open 5 >/dev/null; expect 3 '^state triggered$'; ok "envisalink: armed, an interior zone opens: alarm at once"
is "ok ok" disarm; expect 3 '^state disarmed$'
expect 5 '^bypassed 2 0$'; ok "envisalink: disarm clears the bypass (as DSC does): reported"
ctl status | grep -q '"bypassed": \[\]'; ok "envisalink: the panel agrees"
ctl close 5 >/dev/null

is "ok ok" arm home; expect 3 '^state armed_home$'; ok "envisalink: arm stay (031): armed_home (652 11)"
is "ok ok" trigger; expect 3 '^state triggered$'; ok "envisalink: trigger: panic (060 3), P key alarm (625)"
grep -q '^rx 0603' sim.log; ok "envisalink: 060 3 went to the panel"
is "ok ok" disarm; expect 3 '^state disarmed$'; ok "envisalink: disarmed after the panic"

is "ok ok" arm away; expect 3 '^state armed_away$'
secret tpi.code 9999
is "ok ok" disarm; expect 3 '^failed the panel says the access code is invalid'
ok "envisalink: a wrong code: invalid access code (670) reported as failed"
secret tpi.code 4321
is "ok ok" disarm; expect 3 '^state disarmed$'

# The panel refuses connections for 4 s: the retries 1 s and 3 s after the
# drop fail, the one 7 s after gets in, so the checks below meet it disconnected.
ctl refuse 4 >/dev/null
ctl drop >/dev/null; expect 3 '^state unknown$'; ok "envisalink: the panel drops the connection: state unknown"
is "ok no" ready; ok "envisalink: not ready while disconnected"
is "ok io-error" bypass 1 on; ok "envisalink: a bypass while disconnected is refused"
expect 15 '^state disarmed$'; ok "envisalink: reconnects (backoff) and logs in again"
ctl mute >/dev/null; expect 6 '^state unknown$'; ok "envisalink: a silent panel (no answer to polls): state unknown"
ctl unmute >/dev/null; expect 15 '^state disarmed$'; ok "envisalink: back once the panel answers again"
peer_stop
! grep -q -e pw1234 -e 4321 peer.log; ok "envisalink: neither the password nor the code is in the driver's log"
sim_stop

# A panel that wants the code to bypass and to arm (900, answered with 200).
sim_start --bypass-code --arm-code
tpi_conf tpi2.conf tpi.pw
peer_start tpi2.conf
expect 5 '^state disarmed$'
is "ok ok" bypass 3 on; expect 5 '^bypassed 3 1$'
ok "envisalink: code required for bypass: *1, 900, 200 code, then 03#"
grep -q '^rx 200(secret)' sim.log && grep -q '^rx 071103#' sim.log; ok "envisalink: the code went with 200, the zone after it"
is "ok ok" arm away; expect 5 '^state armed_away$'; ok "envisalink: code required for arming: answered"
peer_stop
sim_stop

# A wrong password: refused, never ready; a password file anyone can read:
# the driver does not start.
sim_start
secret bad.pw nope12
tpi_conf tpi3.conf bad.pw
peer_start tpi3.conf
expect 3 '^opened envisalink$'
none 2 '^state '; ok "envisalink: a wrong password: no state"
grep -q 'state=login-refused' peer.log; ok "envisalink: the refused login is logged"
peer_stop
chmod 644 bad.pw
tpi_conf tpi4.conf bad.pw
"$PEER" tpi4.conf </dev/null >peer4.out 2>&1
grep -q 'it must be 0600' peer4.out; ok "envisalink: a password file of mode 0644 is refused at open"
sim_stop

# ============ envisalink through the real porter-hub ============

if [ -n "${HUB:-}" ] && [ -n "${P:-}" ]; then
	sim_start
	cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
[link]
tcp = 127.0.0.1:0
[door]
open_timeout = 1s
relock_delay = 100ms
[drivers]
sim_lock_delay = 50ms
[server]
revocations_max_age = 0
[alarm]
driver = envisalink
entry_zones = 1
interior_zones = 5
envisalink_address = 127.0.0.1:$TPORT
envisalink_password_file = $T/tpi.pw
envisalink_code_file = $T/tpi.code
envisalink_keepalive = 1s
envisalink_timeout = 2s
EOF
	"$HUB" -f hub.conf -n >hn.out 2>&1; ok "porter-hub -n takes the envisalink rows" || show hn.out
	"$HUB" -f hub.conf -d -R "$T/hub.port" >hub.out 2>hub.log &
	HUB_PID=$!
	PIDS+=("$HUB_PID")
	for _ in $(seq 100); do [ -s hub.port ] && break; sleep 0.05; done
	[ -s hub.port ]; ok "porter-hub starts with driver = envisalink" || show hub.log
	hub_events() { "$HUB" -f hub.conf -E 2>/dev/null; }
	wait_event() { # ERE
		for _ in $(seq 100); do hub_events | grep -q -E -- "$1" && return 0; sleep 0.05; done
		return 1
	}
	wait_event 'alarm.state .*"state":"disarmed"'; ok "porter-hub: the panel's state is an event (alarm.state disarmed)"
	"$P" keygen -o owner.key >/dev/null && "$P" keygen -o courier.key >/dev/null
	"$HUB" pair -f hub.conf -q >pair.out 2>&1
	CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
	HUBKEY=$(awk '/^hub key:/ {print $3}' pair.out)
	"$P" hub pair-local --key owner.key --home home-1 --hub-key "$HUBKEY" --hub "unix:$T/hub/link.sock" \
		--code "$CODE" >pr.out 2>&1
	ok "porter-hub: paired" || show pr.out
	"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
		--expires +1h --entries 2 --alarm-bypass -o c.cbor >/dev/null
	ctl arm away >/dev/null
	wait_event 'alarm.state .*"state":"armed_away"'; ok "porter-hub: the keypad arms the panel: armed_away"
	"$P" courier unlock --hub "unix:$T/hub/link.sock" --cred c.cbor --key courier.key >u1.out 2>&1
	grep -q "alarm-cannot-bypass" u1.out
	ok "porter-hub: DSC armed away cannot bypass the entry zone: the delivery is refused" || show u1.out
	ctl status | grep -q '"state": "armed"' && ctl status | grep -q '"bypassed": \[\]'
	ok "porter-hub: the panel stays armed, nothing bypassed, nothing disarmed"
	ctl disarm >/dev/null
	wait_event 'alarm.state .*"prev":"armed_away","state":"disarmed"'
	"$P" courier unlock --hub "unix:$T/hub/link.sock" --cred c.cbor --key courier.key >u2.out 2>&1; rc=$?
	[ $rc -eq 0 ] && grep -q "^decision: granted" u2.out
	ok "porter-hub: panel disarmed (someone home): the same credential is granted" || show u2.out
	ctl open 1 >/dev/null
	wait_event 'alarm.zone .*"zone":1'; ok "porter-hub: the panel's zone 1 (entry) is an event"
	ctl close 1 >/dev/null
	ctl drop >/dev/null
	wait_event 'alarm.state .*"state":"unknown"'; ok "porter-hub: the panel drops: alarm.state unknown"
	wait_event 'alarm.state .*"prev":"unknown","state":"disarmed"'; ok "porter-hub: the driver reconnects"
	kill -TERM "$HUB_PID"; wait "$HUB_PID" 2>/dev/null
	! grep -q -e pw1234 -e 4321 hub.log; ok "porter-hub: no TPI password or access code in its log"
	sim_stop
fi

# ============ mqtt: Alarmo and Home Assistant over a private broker ============

if ! command -v mosquitto >/dev/null 2>&1 || ! command -v mosquitto_pub >/dev/null 2>&1; then
	echo "# mosquitto or mosquitto-clients missing (scripts/deps.sh installs them)"
	n=$((n + 1)); echo "not ok $n - mqtt: mosquitto is installed"
	echo "1..$n"; exit 1
fi
MPORT=$(free_port)
broker_start() {
	printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$MPORT" >mosq.conf
	mosquitto -c mosq.conf >>mosq.log 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	for _ in $(seq 100); do
		mosquitto_pub -p "$MPORT" -h 127.0.0.1 -t porter/test/ping -m x 2>/dev/null && break
		sleep 0.05
	done
}
pub() { mosquitto_pub -p "$MPORT" -h 127.0.0.1 "$@"; }
broker_start
# (-d, line-buffered: the SUBACK line says it is subscribed)
stdbuf -oL mosquitto_sub -d -p "$MPORT" -h 127.0.0.1 -v -t alarmo/command -t home/alarm/set >cmds.log 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do grep -q SUBACK cmds.log && break; sleep 0.05; done
pub -r -t alarmo/state -m disarmed

secret amq.code 4321
cat >amq.conf <<EOF
[hub]
state_dir = $T/state
[alarm]
driver = mqtt
entry_zones = 1
interior_zones = 5
mqtt_broker = 127.0.0.1:$MPORT
mqtt_flavor = alarmo
mqtt_code_file = $T/amq.code
mqtt_keepalive = 5s
mqtt_zone_prefix = zigbee2mqtt/
mqtt_zones = 1=front door,5=hall_pir
EOF
: >peer.log
peer_start amq.conf
expect 5 '^opened mqtt$'; ok "mqtt: the driver opens with its [alarm] rows (alarmo)"
expect 5 '^state disarmed$'; ok "mqtt: Alarmo's retained state (alarmo/state): disarmed"
is "ok yes" ready; ok "mqtt: ready"
is "ok no" can_bypass; ok "mqtt: cannot bypass one zone (neither protocol has it)"
is "ok unsupported" bypass 1 on; ok "mqtt: bypass refused"
is "ok ok" arm away
for _ in $(seq 300); do grep -q '^alarmo/command {"command":"ARM_AWAY","code":"4321"}$' cmds.log && break; sleep 0.05; done
grep -q '^alarmo/command {"command":"ARM_AWAY","code":"4321"}$' cmds.log
ok "mqtt: arm away: Alarmo's JSON command with the code on alarmo/command"
pub -r -t alarmo/state -m arming; expect 3 '^state arming$'; ok "mqtt: arming"
pub -r -t alarmo/state -m armed_away; expect 3 '^state armed_away$'; ok "mqtt: armed_away"
pub -t 'zigbee2mqtt/front door' -m '{"contact":false,"battery":97}'; expect 3 '^zone 1 1$'
ok "mqtt: a Zigbee2MQTT contact sensor opens: zone 1 faulted"
pub -t 'zigbee2mqtt/front door' -m '{"contact":true}'; expect 3 '^zone 1 0$'; ok "mqtt: and shuts"
pub -t zigbee2mqtt/hall_pir -m '{"occupancy":true}'; expect 3 '^zone 5 1$'; ok "mqtt: occupancy: zone 5"
pub -t zigbee2mqtt/hall_pir -m '{"battery":50}'; pub -t zigbee2mqtt/hall_pir -m '{"occupancy":"x"}'
pub -t zigbee2mqtt/hall_pir -m '{"occupancy":false}'; expect 3 '^zone 5 0$'
[ "$(grep -c '^zone 5 ' peer.out)" = 2 ]; ok "mqtt: sensor payloads without news or malformed change nothing"
grep -q 'topic=zone zone=5 result=refuse reason=malformed' peer.log; ok "mqtt: the malformed one is logged as refused"
is "ok unsupported" trigger; ok "mqtt: Alarmo has no TRIGGER command"
pub -t alarmo/event -m '{"event":"INVALID_CODE_PROVIDED"}'; expect 3 '^failed the panel says the code is wrong$'
ok "mqtt: Alarmo's INVALID_CODE_PROVIDED event: failed"
pub -t alarmo/event -m '{"event":"FAILED_TO_ARM","sensors":[{"entity_id":"binary_sensor.door","name":"Door"}]}'
expect 3 '^failed the panel failed to arm: 1 sensor'; ok "mqtt: FAILED_TO_ARM: failed, with the open sensors counted"
pub -r -t alarmo/state -m bogus; pub -r -t alarmo/state -m triggered; expect 3 '^state triggered$'
grep -q 'topic=state result=refuse' peer.log; ok "mqtt: an unknown state word is refused, the next one taken"
is "ok ok" disarm
for _ in $(seq 300); do grep -q '"DISARM"' cmds.log && break; sleep 0.05; done
grep -q '^alarmo/command {"command":"DISARM","code":"4321"}$' cmds.log; ok "mqtt: disarm command"
pub -r -t alarmo/state -m disarmed; expect 3 '^state disarmed$'
kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null
expect 5 '^state unknown$'; ok "mqtt: the broker goes away: state unknown"
broker_start
pub -r -t alarmo/state -m armed_home
expect 10 '^state armed_home$'; ok "mqtt: reconnects and resubscribes (a new retained state)"
peer_stop
! grep -q 4321 peer.log; ok "mqtt: the code is not in the driver's log"

# TLS and a broker account: the broker's certificate is for "localhost" and
# checked against the CA (the name is resolved in the background first); a
# wrong CA gets nowhere; the password comes from a 0600 file.
if command -v openssl >/dev/null 2>&1 && command -v mosquitto_passwd >/dev/null 2>&1; then
	mkdir -p tls && (
		cd tls &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
			-out ca.crt -days 2 -subj "/CN=porter alarm test CA" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
			-out other.crt -days 2 -subj "/CN=another CA" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker.key \
			-out broker.csr -subj "/CN=localhost" &&
		printf 'subjectAltName=DNS:localhost\n' >ext &&
		openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out broker.crt -days 2 -extfile ext
	) >tls.out 2>&1
	SPORT=$(free_port)
	: >spasswd
	mosquitto_passwd -b spasswd porter-hub "pw-$SPORT" 2>/dev/null
	mosquitto_passwd -b spasswd alarmo "pw2-$SPORT" 2>/dev/null
	chmod 600 spasswd
	cat >smosq.conf <<EOF
per_listener_settings false
allow_anonymous false
user $(id -un)
password_file $T/spasswd
persistence false
listener $SPORT 127.0.0.1
cafile $T/tls/ca.crt
certfile $T/tls/broker.crt
keyfile $T/tls/broker.key
tls_version tlsv1.2
EOF
	mosquitto -c smosq.conf >>smosq.log 2>&1 &
	PIDS+=($!)
	spub() { mosquitto_pub -h localhost -p "$SPORT" --cafile tls/ca.crt -u alarmo -P "pw2-$SPORT" "$@"; }
	for _ in $(seq 100); do spub -t probe -m x 2>/dev/null && break; sleep 0.05; done
	spub -r -t alarmo/state -m armed_home
	secret amq.pw "pw-$SPORT"
	cat >tls.conf <<EOF
[alarm]
driver = mqtt
mqtt_broker = localhost:$SPORT
mqtt_flavor = alarmo
mqtt_username = porter-hub
mqtt_password_file = $T/amq.pw
mqtt_tls_ca = $T/tls/ca.crt
EOF
	peer_start tls.conf
	expect 8 '^state armed_home$'; ok "mqtt: TLS to localhost, the broker checked against the CA, a password account"
	peer_stop
	sed -i "s|tls/ca.crt|tls/other.crt|" tls.conf
	peer_start tls.conf
	expect 3 '^opened mqtt$'
	none 3 '^state '; ok "mqtt: a broker whose certificate the CA did not sign: nothing read"
	peer_stop
	sed -i "s|tls/other.crt|tls/ca.crt|" tls.conf
	secret amq.pw wrong
	peer_start tls.conf
	expect 3 '^opened mqtt$'
	none 3 '^state '; ok "mqtt: a wrong broker password: nothing read"
	grep -q 'state=refused' peer.log; ok "mqtt: the broker's refusal is logged"
	peer_stop
	! grep -q -e "pw-$SPORT" -e wrong peer.log; ok "mqtt: the broker password is not in the log"
else
	echo "# openssl or mosquitto_passwd missing: no TLS checks"
fi

# Home Assistant's MQTT alarm control panel: plain words without a code.
cat >ha.conf <<EOF
[hub]
state_dir = $T/state
[alarm]
driver = mqtt
mqtt_broker = localhost:$MPORT
mqtt_flavor = homeassistant
mqtt_command_topic = home/alarm/set
mqtt_state_topic = home/alarm/state
EOF
stdbuf -oL mosquitto_sub -d -p "$MPORT" -h 127.0.0.1 -v -t home/alarm/set >cmds2.log 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do grep -q SUBACK cmds2.log && break; sleep 0.05; done
pub -r -t home/alarm/state -m 'armed_away'
peer_start ha.conf
expect 5 '^state armed_away$'; ok "mqtt (homeassistant): a broker by name (resolved in the background), retained state read"
is "ok ok" trigger
for _ in $(seq 300); do grep -q '^home/alarm/set TRIGGER$' cmds2.log && break; sleep 0.05; done
grep -q '^home/alarm/set TRIGGER$' cmds2.log; ok "mqtt (homeassistant): trigger: the plain word TRIGGER"
pub -r -t home/alarm/state -m triggered; expect 3 '^state triggered$'; ok "mqtt (homeassistant): triggered"
peer_stop
grep -q 'not a topic\|neither' peer.log; [ $? -ne 0 ]; ok "mqtt: no configuration complaint"

echo "1..$n"
[ $failed -eq 0 ]

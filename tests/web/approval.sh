#!/usr/bin/env bash
# web-approval: an owner answers a hub's request in the web app
# (docs/alarm.md "Ask the owner", docs/web.md). A private mosquitto (the
# ACL of dist/mosquitto-acl), a real porterd serving the app built here
# (scripts/web.sh), porterd_mqtt_peer playing a paired hub that reports
# alert.approval-request events (as porter-hub does with [alarm]
# cannot_bypass = ask), and Debian's chromium (tests/web/approval.mjs):
# the request shown in words, Approve and Deny signed in the page with a
# browser key endorsed by the owner's key, porterd relaying each answer
# on the hub's approval topic (read there with mosquitto_sub, as the hub),
# the bytes checked; a member (Mia) sees the request and cannot answer. TAP output; screenshots in ARTIFACTS.
# Usage: approval.sh BUILD PEER MOSQUITTO ARTIFACTS
#   (BUILD holds porter and porterd.) KEEP=1 keeps the directory.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "$1")
PEER=$(realpath "$2")
MOSQ=$3
ART=$4
D=$BUILD/porterd
P=$BUILD/porter
T=$(mktemp -d /tmp/porter-web-approval-XXXXXX)
umask 077
PID= BPID=
cleanup() {
	local p
	for p in $PID $BPID; do kill "$p" 2>/dev/null; done
	for p in $PID $BPID; do wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
unset NOTIFY_SOCKET PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG

for c in mosquitto_passwd mosquitto_sub; do
	command -v "$c" >/dev/null 2>&1 || { echo "1..0 # SKIP $c is not installed (scripts/deps.sh)"; exit 0; }
done
# node or chromium missing: a failure, unless PORTER_WEB_OPTIONAL=1
# shellcheck source=need.sh
. "$SRC/tests/web/need.sh"
web_need
sh "$SRC/scripts/web.sh" "$T/web" >&2 || { echo "Bail out! scripts/web.sh failed"; exit 1; }
cd "$T" || exit 1

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
setup() { # description, command...: the set-up steps are not counted
	local what=$1; shift
	if ! "$@" >out.txt 2>err.txt; then
		echo "Bail out! set-up: $what failed"
		sed 's/^/# /' out.txt err.txt | tail -n 20
		exit 1
	fi
}

"$P" keygen -o owner.key >/dev/null && "$P" keygen -o hub.key >/dev/null || exit 1
HUB=$("$PEER" id hub.key)
MPORT=$(free_port)
for who in porterd "$HUB"; do
	python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$who.pw"
done
mosquitto_passwd -c -b passwd porterd "$(cat porterd.pw)" >/dev/null 2>&1 &&
	mosquitto_passwd -b passwd "$HUB" "$(cat "$HUB.pw")" >/dev/null 2>&1 || { echo "Bail out! mosquitto_passwd"; exit 1; }
cp "$SRC/dist/mosquitto-acl" acl
cat >mosquitto.conf <<EOF
per_listener_settings false
allow_anonymous false
password_file $T/passwd
acl_file $T/acl
persistence false
user $(id -un)
log_dest stderr
log_type error
listener $MPORT 127.0.0.1
EOF
"$MOSQ" -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
BPID=$!
wait_for 10 port_open "$MPORT" || { echo "Bail out! mosquitto did not start"; exit 1; }

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
[web]
dir = $T/web
[log]
level = debug
EOF
"$D" -f porterd.conf -d -R ready 2>porterd.log &
PID=$!
wait_for 10 test -s ready
if [ ! -s ready ]; then echo "Bail out! porterd did not start"; sed 's/^/# /' porterd.log; exit 1; fi
URL=http://127.0.0.1:$(cat ready)
wait_for 10 log_has "event=mqtt_connected" porterd.log || { echo "Bail out! porterd did not reach the broker"; exit 1; }

# Ana: the owner, with a key of her own (the CLI's) that pairs the hub.
export PORTER_PASSWORD='approval e2e password'
A=(env PORTER_CONFIG="$T/ana.conf")
setup "Ana signs up" "${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
setup "Ana signs in" "${A[@]}" "$P" login --email ana@example.org
setup "a home" "${A[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(python3 -c "import json; print(json.load(open('out.txt'))['id'])")
setup "Mia signs up" env PORTER_CONFIG="$T/mia.conf" "$P" signup --server "$URL" --email mia@example.org --name Mia
setup "Mia is a member" "${A[@]}" "$P" home member add "$H" --email mia@example.org --role member
setup "Ana enrols her key" "${A[@]}" "$P" key add --home "$H" --key owner.key.pub
CODE=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
setup "the hub paired" "${A[@]}" "$P" hub pair --home "$H" --hub-key hub.key.pub --code "$CODE" \
	--key owner.key --label hall
setup "the hub names its home (PT_ENV_HUB_HOME)" "$PEER" home --broker "127.0.0.1:$MPORT" --user "$HUB" \
	--pass-file "$HUB.pw" --id "$HUB" --key hub.key --home "$H"
wait_for 10 log_has "event=mqtt_home hub=$HUB home=$H result=confirmed" porterd.log ||
	{ echo "Bail out! set-up: the hub did not confirm its home"; exit 1; }
setup "the hub says it is online" "$PEER" state --broker "127.0.0.1:$MPORT" --user "$HUB" \
	--pass-file "$HUB.pw" --id "$HUB" --online --rev 1

mkdir -p "$ART"
PORTER_BIN=$P PORTER_PEER=$PEER PORTER_URL=$URL PORTER_HOME=$H PORTER_HUB=$HUB PORTER_T=$T \
	PORTER_MPORT=$MPORT PORTER_EMAIL=ana@example.org PORTER_MEMBER=mia@example.org PORTER_PASS=$PORTER_PASSWORD \
	node "$SRC/tests/web/approval.mjs" "$ART"
rc=$?
kill "$PID"; wait "$PID" 2>/dev/null; PID=
if grep -q 'Sanitizer\|runtime error' porterd.log; then
	echo "# porterd reported a sanitizer error:"; grep -A5 'Sanitizer\|runtime error' porterd.log | sed 's/^/# /'
	rc=1
fi
cp porterd.log "$ART/porterd.log" 2>/dev/null
exit $rc

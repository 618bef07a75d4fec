#!/usr/bin/env bash
# make run (scripts/run.sh, docs/run.md) end to end, TAP output: the real
# script with the binaries already built (PORTER_BUILD: no packages, no
# build), a temporary PORTER_VAR and free loopback ports. It must bring up
# the whole home, provision it once, print a guest credential that opens
# the door, stop everything on Ctrl-C (SIGINT to its process group, as a
# terminal sends it) and on SIGTERM with exit 0 and no process left,
# start again where it stopped, and stop everything with a non-zero exit
# when a component dies.
# Usage: test_run.sh PORTER PORTERD PORTER_HUB   (porter-cam beside porter)
# KEEP=1 keeps the directory (var/, the outputs) for a look afterwards.
set -u
P=$(realpath "$1")
BUILD=$(dirname "$P")
SRC=${PORTER_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0 failed=0

PATH=$PATH:/usr/sbin:/usr/local/sbin
for b in "$2" "$3" "$BUILD/porter-cam"; do
	if [ ! -x "$b" ]; then
		echo "1..0 # SKIP $(basename "$b") is not built"
		exit 0
	fi
done
for b in mosquitto mosquitto_passwd curl python3 setsid flock; do
	if ! command -v "$b" >/dev/null 2>&1; then
		echo "1..0 # SKIP $b is not installed (scripts/deps.sh)"
		exit 0
	fi
done

T=$(mktemp -d)
chmod 0711 "$T"	# as a checkout is: the camera's user (nobody, as root) passes through
V=$T/var
RPID=
cleanup() {
	local p
	if [ -n "$RPID" ] && kill -0 "$RPID" 2>/dev/null; then
		kill -KILL -- "-$RPID" 2>/dev/null
		wait "$RPID" 2>/dev/null
	fi
	for p in $(cat "$V"/run/*.pid 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
cd "$T" || exit 1
unset NOTIFY_SOCKET PORTER_CONFIG XDG_CONFIG_HOME
# Job control: run.sh in a process group of its own (whose SIGINT is not
# ignored, as it would be for a plain background job), so the test can send
# SIGINT to the group as a terminal does on Ctrl-C.
set -m

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 40; }
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
until_ok() { # SECONDS CMD...: retry CMD every 0.2 s
	local i limit=$(( $1 * 5 )); shift
	for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.2; done
	return 1
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
HTTP=$(free_port)
MQTT=$(free_port)
while [ "$MQTT" = "$HTTP" ]; do MQTT=$(free_port); done
LINK=$(free_port)
while [ "$LINK" = "$HTTP" ] || [ "$LINK" = "$MQTT" ]; do LINK=$(free_port); done

# run OUT: start scripts/run.sh in the background, its output in OUT. A
# shell cannot trap a signal ignored when it started, and this test may
# itself have been started with SIGINT ignored (a background job of a
# script): python3 gives run.sh the default SIGINT, as a terminal would.
run() {
	PORTER_VAR=$V PORTER_BUILD=$BUILD PORTER_HTTP_PORT=$HTTP PORTER_MQTT_PORT=$MQTT \
		PORTER_LINK_PORT=$LINK PORTER_STOP_WAIT=5 python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' sh "$SRC/scripts/run.sh" >"$T/$1" 2>&1 &
	RPID=$!
}
ready() { grep -q '^run *| ready$' "$T/$1" || ! kill -0 "$RPID" 2>/dev/null; }
is_ready() { grep -q '^run *| ready$' "$T/$1"; }
children() { cat "$V"/run/*.pid 2>/dev/null | tr '\n' ' '; }
# none_left PIDS...: not one of them runs, nor anything naming $T.
none_left() {
	local p
	for p in "$@"; do alive "$p" && return 1; done
	# (the bracket keeps grep from finding its own command line)
	! grep -lsa -- "[${T:0:1}]${T:1}/" /proc/[0-9]*/cmdline >/dev/null 2>&1
}
# ended SECONDS: run.sh exits within SECONDS; its status in $rc.
ended() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		alive "$RPID" || break
		sleep 0.1
	done
	alive "$RPID" && return 1
	wait "$RPID"; rc=$?
	RPID=
	return 0
}
export PORTER_CONFIG=$V/demo/client.conf
hub_online() {
	"$P" hub list --home "$HOME_ID" --json >hubs.json 2>/dev/null &&
		python3 -c 'import json,sys; h=json.load(open("hubs.json"))["hubs"]; sys.exit(0 if len(h) == 1 and h[0]["online"] is True and h[0]["id"] == sys.argv[1] else 1)' "$1"
}
bolt_is() { "$P" sim --hub-control "$V/hub/sim.sock" status 2>/dev/null | grep -q "\"lock\":\"$1\""; }

# ---- the first start: everything up, provisioned ----

t0=$(date +%s)
run out1
until_ok 60 ready out1
is_ready out1
ok "scripts/run.sh: ready in $(( $(date +%s) - t0 )) s (mosquitto, porterd, porter-hub, porter-cam)" ||
	{ show out1; echo "Bail out! run.sh did not get ready"; exit 1; }
for c in mosquitto porterd hub cam; do grep -q "^$c *| " out1 || break; done
ok "each component's lines are in the foreground, prefixed with its name" || show out1
grep -q '^run *| first start: a demo owner account' out1 && grep -q '^run *| first start: pairing the hub' out1
ok "first start: an account, a home, the hub paired" || show out1
PIDS1=$(children)
[ "$(echo $PIDS1 | wc -w)" -eq 4 ]
ok "four children with pid files ($PIDS1)" || ls -la "$V/run" | show
curl -fs "http://127.0.0.1:$HTTP/v1/health" >health.out
ok "porterd answers on 127.0.0.1:$HTTP (GET /v1/health)" || show health.out
HOME_ID=$(cat "$V/demo/home.id" 2>/dev/null)
HUB_ID=$(sed -n 's/.*porter-hub \(hub-[0-9a-f]*\) .*/\1/p' out1 | head -n 1)
[[ $HOME_ID =~ ^h-[0-9a-f]+$ ]] && grep -q "home  *$HOME_ID" out1
ok "the banner names the home ($HOME_ID)" || show out1
[ "$(stat -c %a "$V/demo/owner.password")" = 600 ] && [ "$(stat -c %a "$V/demo/owner.key")" = 600 ] &&
	[ "$(stat -c %a "$V/demo/guest.key")" = 600 ] && grep -q "owner.password" out1
ok "the owner's password and keys are 0600 under var/demo, and the banner says where" ||
	ls -la "$V/demo" | show
hub_online "$HUB_ID"
ok "GET /v1/homes/{id}/hubs: the hub $HUB_ID is online" || show hubs.json
UNLOCK=$(grep -o "[^ ]*/porter courier unlock .*" out1 | head -n 1)
[ -n "$UNLOCK" ] && bolt_is locked
ok "the banner prints the guest's unlock command; the bolt is thrown" || show out1
# as the user would type it, in the checkout where `make run` was started
(cd "$SRC" && $UNLOCK) >u1.out 2>&1
ok "that command, as printed: granted" || show u1.out
until_ok 3 bolt_is unlocked
ok "porter sim status: the bolt moved (unlocked)" ||
	"$P" sim --hub-control "$V/hub/sim.sock" status | show
# The camera's health as the hub sees it: porter sim status's "camera".
sim_status() { "$P" sim --hub-control "$V/hub/sim.sock" status 2>&1; }
if grep -q '^\[camera\]' "$V/etc/porter-hub.conf" && sim_status | grep -q '"camera":'; then
	until_ok 10 eval 'sim_status | grep -q "\"camera\":\"healthy\""'
	ok "the camera's signed health reaches the hub: healthy" ||
		{ sim_status | show; grep camera "$V/log/hub.log" | show; }
else
	n=$((n + 1)); echo "ok $n - the camera's health reaches the hub # SKIP porter-hub does not watch a camera yet"
fi
PORTER_VAR=$V PORTER_BUILD=$BUILD PORTER_HTTP_PORT=$((HTTP + 1)) sh "$SRC/scripts/run.sh" >twice.out 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "another make run uses $V" twice.out
ok "a second run.sh on the same state directory is refused (exit $rc)" || show twice.out

# ---- Ctrl-C ----

kill -INT -- "-$RPID"
ended 30
ok "Ctrl-C (SIGINT to the process group): run.sh ends" || show out1
[ "${rc:-x}" = 0 ]
ok "... with exit 0" || { echo "# exit $rc"; show out1; }
until_ok 2 none_left $PIDS1
ok "... and every child is gone ($PIDS1), nothing left running in $T" ||
	for p in $PIDS1; do alive "$p" && echo "# left: $p $(tr '\0' ' ' <"/proc/$p/cmdline")"; done
grep -q '^hub *| .*event=uplink state=offline-published result=acknowledged' out1 &&
	grep -q '^run *| mosquitto stopped' out1 &&
	[ "$(grep -n '^run *| hub stopped' out1 | cut -d: -f1)" -lt "$(grep -n '^run *| mosquitto stopped' out1 | cut -d: -f1)" ]
ok "in order: the hub said goodbye to the broker before the broker stopped" || show out1

# ---- the second start: where the first stopped ----

run out2
until_ok 40 ready out2
is_ready out2
ok "started again: ready" || { show out2; echo "Bail out! the second start did not get ready"; exit 1; }
! grep -q 'first start' out2 && ! grep -q 'POST path="/v1/accounts"' out2 &&
	! grep -q 'POST path="/v1/homes" ' out2 && ! grep -q '^run *| a guest credential' out2
ok "no second provisioning (no account, no home, no new credential)" ||
	grep 'first start\|POST\|guest credential' out2 | show
[ "$(cat "$V/demo/home.id")" = "$HOME_ID" ] && grep -q "home  *$HOME_ID" out2 &&
	grep -q "porter-hub $HUB_ID " out2
ok "the same home and the same hub" || show out2
until_ok 10 hub_online "$HUB_ID"
ok "the hub is online again in the API" || show hubs.json
(cd "$SRC" && $UNLOCK) >u2.out 2>&1 && grep -q 'decision: granted' u2.out && grep -q '20 entries' u2.out
ok "the same guest credential still opens the door" || show u2.out
PIDS2=$(children)
kill -TERM "$RPID"
ended 30 && [ "$rc" = 0 ]
ok "SIGTERM: run.sh stops everything, exit 0" || { echo "# exit ${rc:-}"; show out2; }
until_ok 2 none_left $PIDS2
ok "... every child gone ($PIDS2)"

# ---- a component that dies ----

run out3
until_ok 40 ready out3
is_ready out3
ok "a third start: ready" || show out3
PIDS3=$(children)
HUBPID=$(cat "$V/run/hub.pid")
kill -KILL "$HUBPID"
ended 30
ok "the hub killed: run.sh ends" || show out3
[ "${rc:-0}" -ne 0 ] && grep -q "^run *| error: hub (pid $HUBPID) was killed by SIGKILL" out3 && grep -q 'the last lines of' out3
ok "... with exit $rc, a line naming the hub, and its last log lines" || show out3
until_ok 2 none_left $PIDS3
ok "... and the others stopped ($PIDS3)"

echo "1..$n"
[ $failed -eq 0 ]

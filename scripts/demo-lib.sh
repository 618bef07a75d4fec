# shellcheck shell=sh
# make demo's helpers, sourced by scripts/demo.sh after run-lib.sh,
# run-config.sh and run-provision.sh (whose functions it reuses to start
# and provision the same stack as make run): quieter children, the
# demo's extra configuration, reading porterd's events and alerts back,
# and the rows of the table. POSIX sh; python3 for JSON.

# python3 for JSON: the system's when there is one (a version manager's
# shim costs seconds per call on a busy machine).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# ---- output ----

# say TEXT: the demo's own lines (also what run-provision.sh says).
say() { printf '   %s\n' "$*" 2>/dev/null || :; }
# step_title TEXT: a heading.
title() { printf '\n== %s\n' "$*"; }
# die TEXT: stop the demo (the EXIT trap stops every process).
die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}

# ---- the children, quietly ----

# start NAME CMD...: run-lib.sh's start, without the terminal: the
# child's lines go to $VAR/log/NAME.log only (the demo prints its own).
start() {
	_name=$1
	shift
	_log=$VAR/log/$_name.log
	[ -f "$_log" ] && mv -f "$_log" "$_log.1"
	setsid "$@" >"$_log" 2>&1 </dev/null &
	_pid=$!
	CHILDREN="$CHILDREN$_name $_pid
"
	echo "$_pid" >"$VAR/run/$_name.pid"
}

# Helpers the demo starts itself (a relay, a stand-in server): killed on exit.
HELPERS=""
helper_started() { HELPERS="$HELPERS $1"; }
stop_helpers() {
	for _h in $HELPERS; do kill -TERM "$_h" 2>/dev/null || :; done
	for _h in $HELPERS; do wait "$_h" 2>/dev/null || :; done
	HELPERS=""
}

# free_port: a TCP port nobody listens on, on 127.0.0.1.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# port_open PORT: something listens there.
port_open() {
	"$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
		"$1" 2>/dev/null
}

# ---- the demo's configuration, on top of make run's ----

# demo_config: run-config.sh's files, then the demo's additions (inih
# takes a section again further down): the attacks must not lock the door
# out for the genuine rows that follow, the bypass ends after 3 s of quiet
# instead of 30, the camera's clips are short and a still picture counts
# as frozen after 2 s.
demo_config() {
	config_secrets
	config_cam
	config_mosquitto
	config_porterd
	config_hub
	cat >>"$VAR/etc/porter-hub.conf" <<EOF
# make demo's additions (scripts/demo-lib.sh)
[link]
lockout_failures = 1000
[door]
relock_delay = 1s
bypass_quiet = 3s
[camera]
max_age = 2s
EOF
	if [ -n "$CAM_BIN" ]; then
		cat >>"$CAM_CONF" <<EOF
# make demo's additions (scripts/demo-lib.sh)
[health]
frozen = 2s
EOF
		if [ -n "$CLIPS_SOCKET" ]; then
			printf '[clips]\npreroll = 2s\npostroll = 2s\nsegment = 1s\n' >>"$CAM_CONF"
		fi
	fi
}

# cam_input INPUT: porter-cam's source, in its configuration.
cam_input() {
	sed -i "s|^input = .*|input = $1|" "$CAM_CONF"
}

# ---- porterd's view: events and alerts (python3 reads the JSON) ----

# fetch_events: every event of the home, oldest first, to $VAR/run/events.json.
fetch_events() {
	"$PY" - "$BUILD/porter" "$HOME_ID" "$VAR/demo/client.conf" "$VAR/run/events.json" <<'EOF'
import json, os, subprocess, sys
porter, home, conf, out = sys.argv[1:]
env = dict(os.environ, PORTER_CONFIG=conf)
evs, after = [], None
while True:
    cmd = [porter, "events", "--home", home, "--limit", "200", "--json"]
    if after:
        cmd += ["--after", after]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(1)
    page = json.loads(p.stdout)
    evs += page["events"]
    after = page.get("next")
    if not after:
        break
json.dump(evs, open(out, "w"))
EOF
}

# last_event_id: the id of the home's newest event at porterd (0: none).
last_event_id() {
	fetch_events || { echo 0; return; }
	"$PY" -c 'import json, sys; e = json.load(open(sys.argv[1])); print(e[-1]["id"] if e else 0)' \
		"$VAR/run/events.json"
}

# event_seen SINCE TYPE [KEY=VALUE...]: porterd has an event of TYPE with
# an id above SINCE whose data has those values (VALUE may be a prefix
# ending in '*'); prints it as "type {data}".
event_seen() {
	fetch_events || return 1
	"$PY" - "$VAR/run/events.json" "$@" <<'EOF'
import json, sys
path, since, typ = sys.argv[1], int(sys.argv[2]), sys.argv[3]
want = [a.split("=", 1) for a in sys.argv[4:]]
def match(d, k, v):
    x = d.get(k)
    if x is None:
        return False
    x = str(x).lower() if isinstance(x, bool) else str(x)
    return x.startswith(v[:-1]) if v.endswith("*") else x == v
for e in json.load(open(path)):
    d = e.get("data") or {}
    if e["id"] > since and e["type"] == typ and all(match(d, k, v) for k, v in want):
        print(e["type"], json.dumps(d, separators=(",", ":")))
        sys.exit(0)
sys.exit(1)
EOF
}

# alert_seen SINCE_ALERT_ID TYPE: porterd raised an alert of TYPE (id above
# SINCE); prints "id type".
alert_seen() {
	PORTER_CONFIG=$VAR/demo/client.conf "$BUILD/porter" alerts --home "$HOME_ID" --limit 200 --json \
		>"$VAR/run/alerts.json" 2>/dev/null || return 1
	"$PY" - "$VAR/run/alerts.json" "$1" "$2" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["alerts"]
for x in a:
    if x["id"] > int(sys.argv[2]) and x["type"] == sys.argv[3]:
        print(x["id"], x["type"])
        sys.exit(0)
sys.exit(1)
EOF
}
last_alert_id() {
	PORTER_CONFIG=$VAR/demo/client.conf "$BUILD/porter" alerts --home "$HOME_ID" --limit 200 --json \
		>"$VAR/run/alerts.json" 2>/dev/null || { echo 0; return; }
	"$PY" -c 'import json, sys; a = json.load(open(sys.argv[1]))["alerts"]; print(a[-1]["id"] if a else 0)' \
		"$VAR/run/alerts.json"
}

# jget FILE EXPR: a value from a JSON file (d is the document).
jget() {
	"$PY" -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}

# timeline: the home's events at porterd, in the order porterd stored
# them (a hub's events carry the hub's time), one line each in plain
# words with the facts that matter from its data. $VAR/run/deliveries
# names the deliveries ("id label" lines).
timeline() {
	fetch_events || { say "(porterd's events could not be read)"; return 1; }
	"$PY" - "$VAR/run/events.json" "$HUB_ID" "$VAR/run/deliveries" <<'EOF'
import json, sys, time
evs = json.load(open(sys.argv[1]))
hub = sys.argv[2]
names = {}
try:
    for l in open(sys.argv[3]):
        k, v = l.split(" ", 1)
        names[k] = v.strip()
except OSError:
    pass
words = {
    "hub.paired": "the owner paired the hub",
    "hub.online": "porterd sees the hub online",
    "hub.offline": "porterd sees the hub offline",
    "camera.added": "the owner enrolled the camera's key",
    "delivery.scheduled": "the carrier scheduled a delivery",
    "delivery.out-for-delivery": "the carrier dispatched the courier",
    "delivery.approved": "the owner approved it",
    "delivery.at-the-door": "the courier is at the door",
    "delivery.credential-issued": "porterd issued a one-entry credential for the courier's phone",
    "delivery.entered": "the hub reported the courier's entry",
    "delivery.completed": "the courier finished",
    "delivery.failed": "the delivery failed",
    "command.relayed": "porterd relayed a remote command",
    "clip.stored": "porterd stored the camera's sealed clip",
    "hub.start": "the hub started",
    "door.start": "the hub's door machine starts",
    "pairing.open": "the hub shows a one-time pairing code",
    "pairing.ok": "the hub trusts the owner key (paired at the door, or relayed by porterd)",
    "revocation.add": "the hub took the owner's revocation",
    "session.start": "an entry session starts",
    "session.end": "the entry session ends",
    "decision.grant": "the hub GRANTED entry",
    "decision.refuse": "the hub REFUSED entry",
    "lock.unlocking": "the hub draws the bolt",
    "lock.unlocked": "the bolt is drawn",
    "lock.locking": "the hub throws the bolt",
    "lock.locked": "the bolt is thrown",
    "door.opened": "the door opened",
    "door.closed": "the door shut",
    "door.held-open": "the door stood open past its limit",
    "door.second-opening": "the door opened a second time in one session",
    "door.forced": "the door was forced",
    "intrusion": "INTRUSION",
    "alarm.bypass-request": "the hub asks the panel to bypass the entry zone",
    "alarm.bypass-end": "the entry zone may be re-armed",
    "alarm.trigger": "the hub sounds the alarm",
    "alarm.state": "the alarm panel",
    "camera.healthy": "the camera is healthy",
    "camera.unhealthy": "the camera is NOT healthy",
    "command.ok": "the hub carried out a remote command",
    "command.refuse": "the hub REFUSED a remote command",
}
keys = ("reason", "why", "state", "prev", "status", "op", "token", "clip", "segments", "ms",
        "kind", "target", "version", "session")
def short(k, v):
    if isinstance(v, str) and len(v) > 16 and k in ("token", "nonce", "clip", "session", "target"):
        return v[:8]
    if isinstance(v, list):
        return ",".join(map(str, v))
    return v
for e in evs:
    d = e.get("data") or {}
    t = e["type"]
    src = "porterd" if e["source"] == "server" else ("hub" if e["source"] == "hub:" + hub else e["source"])
    at = e["at"] // 1000 if e["at"] > 10**11 else e["at"]
    if t == "alarm.bypass":
        text = "the panel: zone %s %s" % (d.get("zone"), "bypassed" if d.get("on") else "back in service")
        facts = []
    elif t == "alarm.zone":
        text = "the panel: zone %s %s" % (d.get("zone"), "faulted (open)" if d.get("faulted") else "restored")
        facts = []
    else:
        text = "ALERT " + t[6:] if t.startswith("alert.") else words.get(t, t)
        facts = ["%s %s" % (k, short(k, d[k])) for k in keys if d.get(k) not in (None, "", [], "ok")]
    if "delivery_id" in d:
        i = d["delivery_id"]
        facts.insert(0, i + (" (" + names[i] + ")" if i in names else ""))
    print("   %s  %-7s  %s%s" % (time.strftime("%H:%M:%S", time.gmtime(at)), src, text,
          ": " + ", ".join(map(str, facts)) if facts else ""))
print("   (%d events)" % len(evs))
EOF
}

# ---- the rows ----

ROWS=""
STEPS=""
FAILS=0
NROWS=0
NSTEPS=0
# row ATTACK EXPECTED OBSERVED STATUS: one attack of the table; STATUS 0
# is "as expected", anything else counts as a failure (and says what was
# expected).
row() {
	NROWS=$((NROWS + 1))
	if [ "$4" -eq 0 ]; then
		_mark=ok
	else
		_mark=FAIL
		FAILS=$((FAILS + 1))
		printf '   !! NOT AS EXPECTED: %s: expected %s, got %s\n' "$1" "$2" "$3"
	fi
	ROWS="$ROWS$1	$3	$_mark	$2
"
	printf '   %-4s %s: %s\n' "$_mark" "$1" "$3"
}

# check STEP EXPECTED OBSERVED CMD...: one step of the delivery, as
# expected when CMD succeeds.
check() {
	_what=$1 _exp=$2 _obs=$3
	shift 3
	NSTEPS=$((NSTEPS + 1))
	if "$@"; then
		_mark=ok
	else
		_mark=FAIL
		FAILS=$((FAILS + 1))
		printf '   !! NOT AS EXPECTED: %s: expected %s, got %s\n' "$_what" "$_exp" "$_obs"
	fi
	STEPS="$STEPS$_what	$_obs	$_mark	$_exp
"
	printf '   %-4s %s: %s\n' "$_mark" "$_what" "$_obs"
}

# print_rows: the rows on stdin ("what<TAB>observed<TAB>mark<TAB>expected"),
# as a table; a failed row also says what was expected.
print_rows() {
	"$PY" -c '
import sys
rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
for r in rows:
    if r[2] != "ok":
        r[1] += "  [expected: " + r[3] + "]"
w0 = max([len("what")] + [len(r[0]) for r in rows])
w1 = max([len("what porter did")] + [len(r[1]) for r in rows])
line = "+-" + "-" * w0 + "-+-" + "-" * w1 + "-+------+"
print(line)
print("| %-*s | %-*s | %-4s |" % (w0, sys.argv[1], w1, "what porter did", "row"))
print(line)
for r in rows:
    print("| %-*s | %-*s | %-4s |" % (w0, r[0], w1, r[1], r[2]))
print(line)' "$1"
}

# demo_dirs: the layout of make run's state directory, and the camera's
# files where its user reaches them (as run.sh does it: porter-cam runs as
# nobody when started as root).
CAM_ALT=""
demo_dirs() {
	chmod 0711 "$VAR"
	for _d in etc log run porterd demo sock; do mkdir -p "$VAR/$_d"; done
	chmod 0755 "$VAR/etc"
	chmod 0700 "$VAR/log" "$VAR/porterd" "$VAR/demo" "$VAR/run"
	CAM_CONF=$VAR/etc/porter-cam.conf
	CAM_STATE=$VAR/cam
	CAM_SOCKDIR=$VAR/sock
	if [ "$(id -u)" -eq 0 ]; then
		_gid=$(id -g "$CAM_USER" 2>/dev/null) || die "no user '$CAM_USER' for the camera (PORTER_CAM_USER)"
		if ! reaches "$CAM_USER" "$VAR/etc"; then
			CAM_ALT=/run/porter-run/demo-$(printf '%s' "$VAR" | sha256sum | cut -c 1-12)
			rm -rf "$CAM_ALT"
			mkdir -p "$CAM_ALT/sock"
			chmod 0711 /run/porter-run "$CAM_ALT"
			CAM_CONF=$CAM_ALT/porter-cam.conf
			CAM_STATE=$CAM_ALT/cam
			CAM_SOCKDIR=$CAM_ALT/sock
		fi
		chgrp "$_gid" "$CAM_SOCKDIR"
		chmod 2770 "$CAM_SOCKDIR"
	else
		chmod 0700 "$CAM_SOCKDIR"
	fi
}

# ---- the forged remote unlock ----

# forged_command KEY OUT: an unlock command for the home signed with KEY,
# as porterd would publish it on MQTT ({1: the envelope}, docs/mqtt.md).
# The porter CLI signs it ('porter remote unlock') and hands it to a
# stand-in for porterd on a free loopback port that keeps the request.
forged_command() {
	_port=$(free_port) || return 1
	rm -f "$VAR/run/fake.ready" "$VAR/run/fake.body"
	"$PY" -c '
import http.server, json, sys
port, out, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        open(out, "wb").write(body)
        r = json.dumps({"relayed_to": [], "nonce": json.loads(body).get("nonce", "0" * 32), "op": "unlock"}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(r)))
        self.end_headers()
        self.wfile.write(r)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", port), H)
s.timeout = 10
open(ready, "w").close()
s.handle_request()' "$_port" "$VAR/run/fake.body" "$VAR/run/fake.ready" &
	_fake=$!
	helper_started "$_fake"
	wait_for 5 test -e "$VAR/run/fake.ready" || return 1
	# the owner's session, pointed at the stand-in (it never reaches porterd)
	(umask 077 && sed "s|^server = .*|server = http://127.0.0.1:$_port|" "$VAR/demo/client.conf" >"$VAR/run/fake.conf")
	PORTER_CONFIG=$VAR/run/fake.conf "$BUILD/porter" remote unlock --home "$HOME_ID" --key "$1" \
		>"$VAR/run/fake.out" 2>&1
	[ -s "$VAR/run/fake.body" ] || kill "$_fake" 2>/dev/null
	wait "$_fake" 2>/dev/null
	[ -s "$VAR/run/fake.body" ] || return 1
	"$PY" -c '
import base64, json, sys
s = json.load(open(sys.argv[1]))["command"]
e = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
n = len(e)
head = bytes([0x40 + n]) if n < 24 else (bytes([0x58, n]) if n < 256 else bytes([0x59]) + n.to_bytes(2, "big"))
open(sys.argv[2], "wb").write(bytes([0xa1, 0x01]) + head + e)' "$VAR/run/fake.body" "$2"
}

# forged_live KEY OUT: what a live view request signed by KEY would be,
# caught by a stand-in for porterd (the real one refuses to relay it): the
# envelope's bytes, as porterd would publish them on the hub's live topic.
forged_live() {
	_port=$(free_port) || return 1
	rm -f "$VAR/run/fakelive.ready" "$VAR/run/fakelive.body"
	"$PY" -c '
import http.server, json, sys
port, out, ready, cam, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
done = []
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, obj):
        r = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(r)))
        self.end_headers()
        self.wfile.write(r)
    def do_GET(self):
        self.reply(200, {"cameras": [{"id": cam, "name": cam, "public_key": key}]})
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        open(out, "wb").write(body)
        done.append(1)
        self.reply(503, {"error": {"code": "unavailable", "message": "a stand-in"}})
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", port), H)
s.timeout = 10
open(ready, "w").close()
for _ in range(4):
    s.handle_request()
    if done:
        break' "$_port" "$VAR/run/fakelive.body" "$VAR/run/fakelive.ready" "$CAM_ID" "$CAM_KEY" &
	_fake=$!
	helper_started "$_fake"
	wait_for 5 test -e "$VAR/run/fakelive.ready" || return 1
	(umask 077 && sed "s|^server = .*|server = http://127.0.0.1:$_port|" "$VAR/demo/client.conf" >"$VAR/run/fakelive.conf")
	rm -f "$VAR/run/fakelive.mp4"
	PORTER_CONFIG=$VAR/run/fakelive.conf "$BUILD/porter" live --home "$HOME_ID" --key "$1" \
		--camera "$CAM_ID" --camera-key "$CAM_KEY" --seconds 2 --out "$VAR/run/fakelive.mp4" \
		>"$VAR/run/fakelive.out" 2>&1
	[ -s "$VAR/run/fakelive.body" ] || kill "$_fake" 2>/dev/null
	wait "$_fake" 2>/dev/null
	[ -s "$VAR/run/fakelive.body" ] || return 1
	"$PY" -c '
import base64, json, sys
s = json.load(open(sys.argv[1]))["request"]
open(sys.argv[2], "wb").write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))' "$VAR/run/fakelive.body" "$2"
}

# publish_as_porterd TOPIC FILE: FILE on TOPIC with porterd's broker
# account (QoS 1); its password goes in mosquitto_pub's options file,
# never on a command line.
publish_as_porterd() {
	mkdir -p "$VAR/run/xdg"
	chmod 0700 "$VAR/run/xdg"
	(umask 077 && printf -- '-u porterd\n-P %s\n' "$(cat "$VAR/porterd/mqtt.pw")" >"$VAR/run/xdg/mosquitto_pub")
	XDG_CONFIG_HOME=$VAR/run/xdg mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$1" -f "$2"
}

# door_try WANT_EXIT CMD...: run a `porter courier unlock`; sets TRY_RC
# and TRY_SAID ("granted" or "refused <code> (exit N)"), from its output.
door_try() {
	_want=$1
	shift
	"$@" >"$VAR/run/try.out" 2>&1
	TRY_RC=$?
	_code=$(sed -n 's/^decision: refused: .*(\([a-z-]*\)).*/\1/p' "$VAR/run/try.out" | head -n 1)
	if [ "$TRY_RC" -eq 0 ] && grep -q '^decision: granted' "$VAR/run/try.out"; then
		TRY_SAID="granted (exit 0)"
	elif [ -n "$_code" ]; then
		TRY_SAID="refused $_code (exit $TRY_RC)"
	else
		TRY_SAID="exit $TRY_RC: $(tail -n 1 "$VAR/run/try.out" | cut -c 1-60)"
	fi
	[ "$TRY_RC" -eq "$_want" ]
}

# said_alert "ID TYPE": how a row says an alert porterd raised (or not).
said_alert() {
	if [ -n "$1" ]; then echo "alert ${1#* } at porterd"; else echo "no alert at porterd"; fi
}

# sim ARGS...: the hub's simulated devices.
sim() { "$BUILD/porter" sim --hub-control "$VAR/hub/sim.sock" "$@"; }
# door_state STATE: the door machine is in STATE.
door_state() { sim status 2>/dev/null | grep -q "\"state\":\"$1\""; }

#!/usr/bin/env bash
# A clip porterd refuses for good reaches the owner (docs/cam.md, "Refused
# clips reach the owner"), TAP output, every part real and in its own
# process: a private mosquitto (dist/mosquitto-acl), a real porterd whose
# [clips] max_segment (4096) is below the camera's segments, a real
# porter-hub with sim drivers paired with owner key A through the API and
# a [camera] socket, the real porter-cam on a lavfi source (health to the
# hub, clips to porterd), the real `porter`. porterd_mqtt_peer only names
# the hub's key.
#
#   Before any refusal: no camera.clip-refused event, no clip-refused
#   alert. A clip marked by hand: porterd answers 413 to its segment,
#   porter-cam moves it to spool/refused and says so in its health
#   message; the hub records one camera.clip-refused event (the clip, 413,
#   1 refused, the time, no key material), porterd stores it and raises
#   one clip-refused alert with the same data (porter events / porter
#   alerts, GET .../alerts). Still one of each seconds later (every health
#   message carries the refusal) and after a restart of the hub and of
#   porter-cam (the hub keeps what it announced in its state). A second
#   clip refused: a second event and alert naming it, refused 2.
#
# Usage: test_cam_refused.sh PORTERD PORTER PORTER_HUB PORTER_CAM PORTERD_MQTT_PEER MOSQUITTO
# KEEP=1 keeps the directory.
set -u
D=$(realpath "$1")
P=$(realpath "$2")
HUBX=$(realpath "$3")
CAMX=$(realpath "$4")
PEER=$(realpath "$5")
MOSQ=$6
. "$(dirname "$0")/lib.sh"
PATH=$PATH:/usr/sbin:/usr/local/sbin
need mosquitto_passwd mosquitto_pub python3 sqlite3 curl
t_begin cam-refused
umask 022
chmod 755 "$T"	# porter-cam (nobody, when we are root) reads its config here
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
USERLINE=""
[ "$(id -u)" -eq 0 ] && USERLINE="user = nobody"

# ---- keys; the hub's first, so that its broker account exists ----
for k in A; do "$P" keygen -o $k.key >/dev/null || exit 1; done
chmod 644 ./*.key.pub
mkdir -m 700 hub
"$P" keygen -o hub/hub.key >/dev/null
HID=$("$PEER" id hub/hub.key)
[[ $HID =~ ^hub-[0-9a-f]{16}$ ]]
ok "keys: owner A, the hub's ($HID)"

broker_start porterd "$HID"
ok "mosquitto on 127.0.0.1:$MPORT" || { show mosquitto.log mosquitto.out; echo "Bail out! no broker"; exit 1; }
PORTERD_EXTRA="[clips]
dir = $T/clips
max_segment = 4096" porterd_start "$D"
ok "porterd starts (clips.max_segment 4096) and connects to the broker" ||
	{ show porterd.log; echo "Bail out! no porterd"; exit 1; }

export PORTER_PASSWORD='correct horse battery staple'
OC=(env PORTER_CONFIG="$T/owner.conf")
expect 0 "owner signs up" "${OC[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "owner signs in" "${OC[@]}" "$P" login --email ana@example.org
expect 0 "a home" "${OC[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv 'd["id"]')
expect 0 "key A enrolled (the home's first key)" "${OC[@]}" "$P" key add --home "$H" --key A.key.pub

# ---- porter-cam and the hub ----
mkdir -m 777 run
cat >cam.conf <<EOF
[cam]
id = cam-1
$USERLINE
input = lavfi:testsrc2=size=320x240:rate=25
state_dir = $T/camstate
hub_socket = $T/run/cam.sock
[input]
backoff_min = 300ms
backoff_max = 1s
open_timeout = 3s
io_timeout = 2s
[health]
stall = 2s
[clips]
marks = $T/run/marks.sock
owners = $T/A.key.pub
preroll = 1s
postroll = 1s
segment = 1s
server = $URL
EOF
"$CAMX" key -f cam.conf >camkey.out 2>&1 && [ -s camstate/cam.key.pub ]
ok "porter-cam key: the camera's key" || show camkey.out
cp "$HID.pw" hub.pw && chmod 600 hub.pw
cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
[link]
tcp = 127.0.0.1:0
[drivers]
sim_lock_delay = 50ms
[server]
revocations_max_age = 0
[mqtt]
broker = 127.0.0.1:$MPORT
password_file = $T/hub.pw
keepalive = 5s
[log]
level = debug
[camera]
socket = $T/run/cam.sock
id = cam-1
key = $T/camstate/cam.key.pub
max_age = 3s
EOF
hub_start() {
	rm -f hub.ready
	"$HUBX" -f "$T/hub.conf" -d -R "$T/hub.ready" >>hub.out 2>>hub.log &
	HPID=$!
	PIDS+=("$HPID")
	wait_for 10 test -s hub.ready || return 1
	[ "$(id -u)" -eq 0 ] && chgrp nogroup run/cam.sock 2>/dev/null
	return 0
}
stop() { # PID: TERM, then KILL after 10 s
	kill -TERM "$1" 2>/dev/null
	wait_for 10 eval '! alive "$1"' || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
hub_start
ok "porter-hub starts" || { show hub.log; echo "Bail out! no hub"; exit 1; }
sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
camera() { sim status 2>/dev/null | grep -q "\"camera\":\"$1\""; }
"$HUBX" pair -f hub.conf -q >hub.pair 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' hub.pair)
wait_for 10 grep -q 'event=uplink state=subscribed' hub.log
"${OC[@]}" "$P" hub pair --home "$H" --hub-key hub/hub.key.pub --code "$CODE" --key A.key \
	--label door >hp.out 2>&1 &&
	wait_for 5 grep -q "event=paired via=uplink home=$H" hub.log
ok "the hub paired with key A, through the API (relayed to the hub)" || show hp.out hub.pair hub.log
expect 0 "A enrols the camera" "${OC[@]}" "$P" camera add --home "$H" \
	--id cam-1 --camera-key camstate/cam.key.pub --key A.key --name Door

"$CAMX" -d -f cam.conf 2>cam.log &
CAMPID=$!
PIDS+=("$CAMPID")
wait_for 20 camera healthy
ok "porter-cam's health: the hub sees the camera healthy" || { show cam.log; show hub.log; }

# count KIND(events|alerts) TYPE [CLIP]: how many such items porterd lists
count() {
	"${OC[@]}" "$P" "$1" --home "$H" --limit 200 --json >"$1.json" 2>/dev/null &&
		python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))[sys.argv[2]]
print(sum(1 for e in d if e["type"] == sys.argv[3] and (len(sys.argv) < 5 or e["data"].get("clip") == sys.argv[4])))' \
			"$1.json" "$@"
}
# the hub's events reach porterd (its camera.healthy, as a marker that batches flow)
wait_for 20 eval '[ "$(count events camera.healthy)" -ge 1 ]'
ok "the hub's events reach porterd" || { show events.json; grep -i uplink hub.log | tail -n 5 | show; }
[ "$(count events camera.clip-refused)" = 0 ] && [ "$(count alerts clip-refused)" = 0 ]
ok "before any refusal: no camera.clip-refused event, no clip-refused alert" || show events.json alerts.json
grep -q 'refused=0' cam.log
ok "the uploader's start line: refused=0" || grep upload_started cam.log | show

# ---- a clip porterd refuses for good (413: its segments exceed max_segment) ----
record() { # a clip of about 2 s, by hand (the marks the hub would send)
	"$P" cam mark --socket "$T/run/marks.sock" start >mark.out 2>&1 || return 1
	sleep 2
	"$P" cam mark --socket "$T/run/marks.sock" end --clip "$(cat mark.out)" >/dev/null 2>&1
}
wait_for 10 test -S run/marks.sock && record
C1=$(cat mark.out)
[[ $C1 =~ ^[0-9a-f]{32}$ ]]; ok "clip 1 marked: $C1" || show mark.out
wait_for 30 test -d "camstate/spool/refused/$C1"
ok "porterd refuses it (413) and porter-cam keeps it in spool/refused" ||
	{ grep -E "upload|$C1" cam.log | tail -n 8 | show; grep "$C1" porterd.log | tail -n 4 | show; ls -R camstate | show; }
grep -q "event=upload_refused clip=$C1 status=413" cam.log &&
	grep -q "path=\"/v1/clips/$C1/segments/[0-9]*\" status=413" porterd.log
ok "... porterd answered 413 to a segment" || { grep "$C1" cam.log porterd.log | show; }
"$CAMX" refused -f cam.conf >refused.out 2>&1 && grep -q "^$C1 status=413 " refused.out
ok "porter-cam refused lists it" || show refused.out

wait_for 15 grep -q "event=camera_clip_refused clip=$C1 status=413 refused=1" hub.log
ok "the hub hears it in the health message: camera_clip_refused clip, status 413, refused=1" ||
	{ grep -i refused hub.log | tail -n 5 | show; grep "event=health" cam.log | show; }
wait_for 20 eval '[ "$(count events camera.clip-refused "$C1")" = 1 ]'
ok "porterd stores one camera.clip-refused event for the clip" || show events.json
python3 - "$C1" events.json <<'EOF'
import json, sys, time
clip = sys.argv[1]
ev = [e for e in json.load(open(sys.argv[2]))["events"] if e["type"] == "camera.clip-refused"]
d = ev[0]["data"]
assert set(d) == {"clip", "status", "refused", "refused_at"}, d
assert d["clip"] == clip and d["status"] == 413 and d["refused"] == 1, d
assert abs(d["refused_at"] - time.time()) < 600, d
EOF
ok "... its data: the clip, status 413, refused 1, the time of the refusal; nothing else" || show events.json
wait_for 10 eval '[ "$(count alerts clip-refused "$C1")" = 1 ]'
ok "porterd raises one clip-refused alert for the owner" || show alerts.json
python3 - "$C1" alerts.json <<'EOF'
import json, sys
a = [x for x in json.load(open(sys.argv[2]))["alerts"] if x["type"] == "clip-refused"][0]
assert a["data"]["clip"] == sys.argv[1] and a["data"]["status"] == 413, a
assert a["acked_at"] is None and a["event_id"], a
EOF
ok "... open, naming the clip and 413, tied to the event" || show alerts.json
tok=$(sed -n 's/^token = //p' owner.conf)
code=$(curl -s -o galerts.json -w '%{http_code}' -H "Authorization: Bearer $tok" \
	"$URL/v1/homes/$H/alerts?open=true")
[ "$code" = 200 ] && grep -q '"clip-refused"' galerts.json && grep -q "$C1" galerts.json
ok "GET /v1/homes/{id}/alerts?open=true lists it" || { echo "# $code"; show galerts.json; }

# every health message carries it: still one, seconds later and after restarts
sleep 3
[ "$(count events camera.clip-refused)" = 1 ] && [ "$(count alerts clip-refused)" = 1 ]
ok "3 s later (3 more health messages): still one event and one alert" || show events.json alerts.json
stop "$HPID"
hub_start && wait_for 15 camera healthy
ok "the hub restarted: the camera healthy again" || show hub.log
sleep 3
[ "$(grep -c "event=camera_clip_refused clip=$C1" hub.log)" = 1 ] &&
	[ "$(count events camera.clip-refused)" = 1 ] && [ "$(count alerts clip-refused)" = 1 ]
ok "... the same refusal is not announced again (kept in the hub's state)" ||
	{ grep camera_clip_refused hub.log | show; show events.json; }
stop "$CAMPID"
"$CAMX" -d -f cam.conf 2>>cam.log &
CAMPID=$!
PIDS+=("$CAMPID")
wait_for 20 eval 'grep -q "refused=1 " cam.log'
ok "porter-cam restarted: its uploader counts refused=1" || grep upload_started cam.log | show
wait_for 20 camera healthy && sleep 3
[ "$(grep -c "event=camera_clip_refused clip=$C1" hub.log)" = 1 ] && [ "$(count events camera.clip-refused)" = 1 ]
ok "... and the hub still announced it once" || grep camera_clip_refused hub.log | show

# ---- a second refused clip: a second event and alert ----
wait_for 10 test -S run/marks.sock && record
C2=$(cat mark.out)
[[ $C2 =~ ^[0-9a-f]{32}$ ]] && [ "$C2" != "$C1" ]; ok "clip 2 marked: $C2" || show mark.out
wait_for 30 grep -q "event=camera_clip_refused clip=$C2 status=413 refused=2" hub.log
ok "the hub hears of the second: refused=2" || grep -i refused hub.log | tail -n 5 | show
T2=$SECONDS
wait_for 20 eval '[ "$(count alerts clip-refused "$C2")" = 1 ]'
ok "a second clip-refused alert, naming clip 2" || show alerts.json
[ "$(count events camera.clip-refused)" = 2 ] && [ "$(count alerts clip-refused)" = 2 ]
ok "two events, two alerts in all" || show events.json alerts.json
# A requeue of clip 2 makes clip 1 the newest refused again for a moment,
# and porterd refuses clip 2 again: neither is announced within a minute
# of the last announcement (review 114: an older clip is never announced
# again, and one event a minute at most).
"$CAMX" requeue -f cam.conf "$C2" >rq.out 2>&1
ok "porter-cam requeue clip 2" || show rq.out
wait_for 30 eval '[ "$(grep -c "event=upload_refused clip=$C2 " cam.log)" -ge 2 ]'
ok "... porterd refuses it again (413)" || grep "$C2" cam.log | show
sleep 3
[ "$(grep -c "event=camera_clip_refused clip=$C1" hub.log)" = 1 ]
ok "... clip 1, the newest refused again for a moment, is not announced again" ||
	grep camera_clip_refused hub.log | show
# Clip 2's second refusal may be announced once a minute has passed since
# its first (a slow machine): only before that must there be none.
el=$((SECONDS - T2))
[ "$el" -ge 55 ] || [ "$(grep -c "event=camera_clip_refused clip=$C2" hub.log)" = 1 ]
ok "... nor clip 2's second refusal within the minute (${el} s since the first)" ||
	grep camera_clip_refused hub.log | show
! grep -rqiE '"(key|secret|seed|clip_key)"' events.json alerts.json
ok "no key material in the events or alerts" || show events.json

alive "$PID" && alive "$HPID" && alive "$CAMPID"; ok "porterd, the hub and porter-cam still run" ||
	{ show porterd.log; show hub.log; show cam.log; }
! grep -q "ERROR: AddressSanitizer\|runtime error:" porterd.log hub.log cam.log
ok "no sanitizer report" || grep -h "Sanitizer\|runtime error" porterd.log hub.log cam.log | show
! grep -q "SIGSYS\|signal 31" cam.log hub.log; ok "no SIGSYS" || grep -h "SIGSYS\|signal 31" cam.log hub.log | show
kill -TERM "$HPID" 2>/dev/null
wait_for 10 eval '! alive "$HPID"' || kill -KILL "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null
t_end

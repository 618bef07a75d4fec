#!/usr/bin/env bash
# The hub hands its trusted owner keys to the camera (docs/cam.md, "Owner
# keys from the hub"; docs/hub.md, "The camera"; porter/cam_owners.h), TAP
# output, every part real: a private mosquitto on a free loopback port
# (password file, dist/mosquitto-acl), the real porter-hub with sim drivers
# and [camera] marks, paired at the door with owner key A by the real
# `porter`; the real porter-cam on a lavfi source with live.hub_key = the
# hub's key and clips.owners = O only. porterd is played by mosquitto_pub;
# live_peer signs the owner statements, mqtt_peer the key revocation;
# clips are opened by cam_clip_open with each owner's key; cam_owners_peer
# signs the forged messages and reads the camera's kept one.
#
#   the camera started after the pairing gets A (the hub sends again);
#   a clip before B is endorsed: O and A open it, B cannot; B and R
#   endorsed by A at the hub: the camera takes them, the next clip opens
#   with B and R, the first still not with B; R revoked at the hub: the
#   next clip is not sealed to R (cannot open), B still can; a message
#   signed by another key, for another camera, with a flipped signature
#   byte, or an older one replayed: refused with its reason, the set
#   unchanged; after a restart the camera loads its kept message and still
#   refuses the old one, takes the current one again silently; 8 keys from
#   the hub: O and the first 7 sealed to, the 8th left out; the hub
#   restarted sends its set under a new serial; no SIGSYS, no sanitizer
#   report.
#
# Usage: test_hub_cam_owners.sh PORTER_HUB PORTER PORTER_CAM LIVE_PEER MQTT_PEER
#        CAM_CLIP_OPEN CAM_OWNERS_PEER
# KEEP=1 keeps the directory.
set -u
HUB=$(realpath "$1")
P=$(realpath "$2")
CAMB=$(realpath "$3")
LP=$(realpath "$4")
MP=$(realpath "$5")
OPEN=$(realpath "$6")
CO=$(realpath "$7")
SRC=${PORTER_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0 failed=0

PATH=$PATH:/usr/sbin:/usr/local/sbin
for b in mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd python3; do
	if ! command -v "$b" >/dev/null 2>&1; then
		echo "1..0 # SKIP $b is not installed (scripts/deps.sh)"
		exit 0
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/porter-hub-cam-owners.XXXXXX")
umask 022
chmod 755 "$T"
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
unset NOTIFY_SOCKET

ok() {
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 20; }
until_ok() { # SECONDS CMD...: retry CMD every 0.1 s for at most SECONDS
	local i limit=$(( $1 * 10 )); shift
	for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
# count PATTERN FILE
count() { grep -c -- "$1" "$2" 2>/dev/null || true; }

USERLINE=""
[ "$(id -u)" -eq 0 ] && USERLINE="user = nobody"

# ---- keys ----
for k in A B R O S; do "$P" keygen -o $k.key >/dev/null || exit 1; done
chmod 644 ./*.key.pub
KA=$("$CO" kid A.key.pub); KB=$("$CO" kid B.key.pub); KR=$("$CO" kid R.key.pub)
KO=$("$CO" kid O.key.pub)
[[ $KA =~ ^[0-9a-f]{16}$ ]] && [ "$KA" != "$KB" ]
ok "owner keys A, B, R, the camera's configured owner O, a stranger's hub key S"

# ---- the broker ----
HID=hub-o1
MPORT=$(free_port)
pw() { echo "pw-$1-$MPORT"; }
: >passwd
for u in "$HID" porterd; do mosquitto_passwd -b passwd "$u" "$(pw "$u")" 2>/dev/null; done
cp "$SRC/dist/mosquitto-acl" acl
mkdir -p mosq
cat >mosquitto.conf <<EOF
per_listener_settings false
allow_anonymous false
password_file $T/passwd
acl_file $T/acl
persistence true
persistence_location $T/mosq/
listener $MPORT 127.0.0.1
user $(id -un)
log_dest file $T/mosquitto.log
log_type error
log_type warning
EOF
mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.out" 2>&1 &
PIDS+=("$!")
broker_up() { mosquitto_sub -h 127.0.0.1 -p "$MPORT" -u porterd -P "$(pw porterd)" -t probe -E -W 1 >/dev/null 2>&1; }
until_ok 5 broker_up
ok "mosquitto on 127.0.0.1:$MPORT" || { show mosquitto.log mosquitto.out; echo "Bail out! no broker"; exit 1; }
mpub() { mosquitto_pub -h 127.0.0.1 -p "$MPORT" -u porterd -P "$(pw porterd)" "$@"; }

# ---- the hub ----
CAMID=cam-1
mkdir -p run && chmod 777 run	# porter-cam (nobody when run as root) binds its marks socket here
MARKS=$T/run/marks.sock
pw "$HID" >hub.pw
chmod 0600 hub.pw
cat >hub.conf <<EOF
[hub]
id = $HID
state_dir = $T/hub
[link]
tcp = 127.0.0.1:0
[server]
revocations_max_age = 0
[mqtt]
broker = 127.0.0.1:$MPORT
password_file = $T/hub.pw
keepalive = 5s
[camera]
id = $CAMID
marks = $MARKS
EOF
HPID=""
hub_start() {
	rm -f ready
	"$HUB" -f "$T/hub.conf" -d -R "$T/ready" >>"$T/hub.out" 2>>"$T/hub.log" &
	HPID=$!
	PIDS+=("$HPID")
	until_ok 5 test -s ready && until_ok 10 grep -q 'event=uplink state=subscribed' hub.log
}
evlog() { "$HUB" -f "$T/hub.conf" -E; }
has_event() { until_ok 5 eval "evlog | grep -q '^[0-9]* [^ ]* $1 .*$2'"; }
hub_start
ok "porter-hub starts with [camera] id and marks" || { show hub.log; echo "Bail out! no hub"; exit 1; }
HUBPK=$(cut -d' ' -f2 hub/hub.key.pub)
[ -n "$HUBPK" ]
ok "the hub's public key" || ls -la hub

"$HUB" pair -f hub.conf >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HUBKEY=$(awk '/^hub key:/ {print $3}' pair.out)
"$P" hub pair-local --hub "unix:$T/hub/link.sock" --key A.key --home home-1 --hub-key "$HUBKEY" \
	--code "$CODE" >pl.out 2>&1
has_event pairing.ok ''
ok "the owner pairs the hub with key A" || show pl.out
until_ok 5 grep -q 'event=camera_owners result=failed' hub.log
ok "no camera yet: the hub's owners message fails, to be sent again" || show hub.log

# ---- the camera ----
cat >cam.conf <<EOF
[cam]
id = $CAMID
$USERLINE
input = lavfi:testsrc2=size=320x240:rate=25
state_dir = $T/cs
hub_socket = $T/run/health.sock
[clips]
marks = $MARKS
owners = $T/O.key.pub
server = http://127.0.0.1:9
preroll = 1s
postroll = 1s
segment = 1s
[live]
hub_key = $HUBPK
[log]
level = debug
EOF
CPID=""
cam_start() { "$CAMB" -d -f "$T/cam.conf" 2>>"$T/cam.log" & CPID=$!; PIDS+=("$CPID"); }
cam_stop() { kill -TERM "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; }
"$CAMB" -n -f cam.conf >n.out 2>&1
ok "porter-cam -n: live.hub_key with clips.owners" || show n.out
cam_start
until_ok 15 grep -q "event=hub_owners result=accepted hub=$HID .* keys=$KA sealing_to=2" cam.log
ok "the camera started after the pairing gets A from the hub (sent again): seals to O and A" ||
	{ show cam.log; grep camera_owners hub.log | show; }
"$CO" open "$HUBPK" cs/hub-owners >kept1.txt && grep -q "camera=$CAMID keys=$KA$" kept1.txt
ok "the camera keeps the hub's message in state_dir/hub-owners" || show kept1.txt
cp cs/hub-owners old1.msg
S1=$(field serial "$(cat kept1.txt)")

mark() { "$P" cam mark --socket "$MARKS" "$@"; }
SEQ=100
# clip NAME: START, 1.5 s, END; the clip's spool directory in $NAME.dir
clip() {
	local c
	SEQ=$((SEQ + 2))
	c=$(mark start --seq "$SEQ") || return 1
	sleep 1.5
	mark end --clip "$c" --seq $((SEQ + 1)) >/dev/null || return 1
	until_ok 15 grep -q "event=clip_closed clip=$c" cam.log || return 1
	echo "$T/cs/spool/$c" >"$1.dir"
}
# opens NAME KEY: the owner's key opens the clip
opens() { "$OPEN" "$(cat "$1.dir")" "$T/cs/cam.key.pub" "$2" "$1.$2.mp4" >"$1.$2.out" 2>&1; }
# refuses NAME KEY: exit 3, the key is no recipient
refuses() { "$OPEN" "$(cat "$1.dir")" "$T/cs/cam.key.pub" "$2" "$1.$2.mp4" >"$1.$2.out" 2>&1; [ $? -eq 3 ]; }

sleep 1.5	# the pre-roll
clip c1
ok "clip 1 recorded" || show cam.log
opens c1 O.key && opens c1 A.key && [ "$(field keys "$(cat c1.A.key.out)")" = 2 ]
ok "clip 1 opens with O (clips.owners) and A (from the hub): two keys" || show c1.A.key.out c1.O.key.out
refuses c1 B.key
ok "clip 1 does not open with B (not endorsed yet)" || show c1.B.key.out

# ---- B and R endorsed by A at the hub ----
"$LP" owner A.key home-1 B.key.pub >B.st && "$LP" owner A.key home-1 R.key.pub >R.st &&
	"$LP" owners B.st R.st >owners.bin &&
	mpub -t "porter/v1/hub/$HID/owners" -q 1 -r -f owners.bin
has_event owner.add "\"key_id\":\"$KB\"" && has_event owner.add "\"key_id\":\"$KR\""
ok "A endorses B and R (owners topic): owner.add for both" || evlog | tail -n 4 | show
until_ok 10 grep -Eq "event=hub_owners result=accepted .* keys=$KA,($KB,$KR|$KR,$KB) sealing_to=4" cam.log
ok "the hub sends A, B, R at once; the camera takes them: seals to O, A, B, R" ||
	{ grep hub_owners cam.log | show; grep camera_owners hub.log | show; }
"$CO" open "$HUBPK" cs/hub-owners >kept2.txt
S2=$(field serial "$(cat kept2.txt)")
[ -n "$S1" ] && [ -n "$S2" ] && [ "$S2" -gt "$S1" ]
ok "the new message's serial is larger ($S2 > $S1)" || show kept1.txt kept2.txt
cp cs/hub-owners old2.msg
clip c2
opens c2 B.key && opens c2 R.key && opens c2 A.key && opens c2 O.key &&
	[ "$(field keys "$(cat c2.B.key.out)")" = 4 ] && cmp -s c2.B.key.mp4 c2.O.key.mp4
ok "clip 2 opens with B and R (endorsed), A and O, to the same bytes" || show c2.B.key.out c2.R.key.out
refuses c1 B.key
ok "clip 1, recorded before, still does not open with B" || show c1.B.key.out

# ---- R revoked at the hub ----
"$MP" revoke A.key home-1 key "$("$LP" pkhex R.key.pub)" >revR.env &&
	"$MP" revocations 1 1 revR.env >revs.bin &&
	mpub -t "porter/v1/hub/$HID/revocations" -q 1 -r -f revs.bin
has_event owner.drop "\"key_id\":\"$KR\""
ok "A revokes R: owner.drop" || evlog | tail -n 4 | show
until_ok 10 grep -q "event=hub_owners result=accepted .* keys=$KA,$KB sealing_to=3" cam.log
ok "the camera takes A, B: seals to O, A, B" || grep hub_owners cam.log | show
clip c3
opens c3 B.key && refuses c3 R.key && [ "$(field keys "$(cat c3.B.key.out)")" = 3 ]
ok "clip 3 opens with B, not with the revoked R" || show c3.B.key.out c3.R.key.out
cp cs/hub-owners kept3.msg
S3=$(field serial "$("$CO" open "$HUBPK" kept3.msg)")

# ---- forged and replayed messages ----
acc=$(count 'event=hub_owners result=accepted' cam.log)
# refused FILE REASON: sent to the camera's marks socket, refused for REASON
refused() {
	sleep 1.1	# one refusal line a second
	"$CO" send "$MARKS" "$1" && until_ok 5 grep -q "event=hub_owners result=refused reason=$2 " cam.log
}
"$CO" sign S.key "$HID" "$CAMID" 99999999999999 S.key.pub >f1.msg
refused f1.msg other-hub
ok "a message signed by another key (S): refused other-hub" || grep hub_owners cam.log | show
"$CO" sign hub/hub.key "$HID" cam-2 99999999999999 S.key.pub >f2.msg
refused f2.msg other-camera
ok "signed by the hub key for another camera: refused other-camera" || grep hub_owners cam.log | show
"$CO" sign hub/hub.key "$HID" "$CAMID" 99999999999999 S.key.pub >f3.msg
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-20] ^= 1; open(sys.argv[1], "wb").write(b)' f3.msg
refused f3.msg bad-signature
ok "a flipped byte in the signature: refused bad-signature" || grep hub_owners cam.log | show
refused old2.msg replayed
ok "the hub's earlier message (A, B, R) replayed: refused replayed" || grep hub_owners cam.log | show
[ "$(count 'event=hub_owners result=accepted' cam.log)" = "$acc" ] && cmp -s cs/hub-owners kept3.msg
ok "none of them changed the set or the kept message" || grep hub_owners cam.log | show

# ---- a restart of the camera ----
cam_stop
cam_start
until_ok 10 grep -q "event=hub_owners result=loaded hub=$HID .* keys=$KA,$KB sealing_to=3" cam.log
ok "restarted, the camera loads the kept message (A, B)" || grep hub_owners cam.log | show
before=$(count 'reason=replayed' cam.log)
sleep 1.1
"$CO" send "$MARKS" old1.msg
until_ok 5 eval '[ "$(count "reason=replayed" cam.log)" -gt "$before" ]'
ok "after the restart the first message (A only) replayed: still refused" || grep hub_owners cam.log | show
"$CO" send "$MARKS" cs/hub-owners
until_ok 5 grep -q "event=hub_owners result=unchanged serial=$S3" cam.log
ok "the hub's current message again (its minutely resend): taken silently, unchanged" ||
	grep hub_owners cam.log | show

# ---- more keys than a clip holds: clips.owners first ----
for i in 1 2 3 4 5 6 7 8; do "$P" keygen -o K$i.key >/dev/null; done
chmod 644 ./K*.key.pub
K8=$("$CO" kid K8.key.pub)
"$CO" sign hub/hub.key "$HID" "$CAMID" $((S3 + 1)) K1.key.pub K2.key.pub K3.key.pub K4.key.pub \
	K5.key.pub K6.key.pub K7.key.pub K8.key.pub >k8.msg
"$CO" send "$MARKS" k8.msg
until_ok 5 grep -q "event=hub_owners result=accepted .* owners=8 .* sealing_to=8" cam.log &&
	grep -q "left_out=$K8" cam.log
ok "8 keys signed by the hub: O and the first 7 sealed to, the 8th left out (logged)" ||
	grep hub_owners cam.log | show
clip c4
opens c4 O.key && opens c4 K1.key && opens c4 K7.key && refuses c4 K8.key && refuses c4 B.key &&
	[ "$(field keys "$(cat c4.O.key.out)")" = 8 ]
ok "clip 4: eight keys, O and K1..K7 open it, K8 and B (no longer sent) do not" ||
	show c4.O.key.out c4.K8.key.out

# ---- the hub restarted: it sends its set again, under a new serial ----
kill -TERM "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null
acc=$(count 'event=hub_owners result=accepted' cam.log)
hub_start
until_ok 10 eval '[ "$(count "event=hub_owners result=accepted" cam.log)" -gt "$acc" ]' &&
	tail -n 50 cam.log | grep -q "event=hub_owners result=accepted .* keys=$KA,$KB sealing_to=3"
ok "the hub restarted sends A, B at start, with a larger serial: the camera takes them" ||
	{ grep hub_owners cam.log | show; grep camera_owners hub.log | show; }

! grep -q 'signal=31' cam.log
ok "no SIGSYS" || grep signal cam.log | show
cam_stop
kill -TERM "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null
! grep -q 'Sanitizer\|runtime error' cam.log hub.log
ok "no sanitizer report (ASan/UBSan builds)" || grep -h -A5 'Sanitizer\|runtime error' cam.log hub.log | show

echo "1..$n"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Camera revocation and viewers that read key revocations (docs/cam.md,
# "Who a viewer believes"), TAP output, every part real and in its own
# process: a private mosquitto (dist/mosquitto-acl), a real porterd, a real
# porter-hub with sim drivers paired with owner key A (through the API and
# at the door) and a [camera] socket, the real porter-cam on a lavfi
# source sending its health to the hub and its clips to porterd, the real
# `porter` for everything the owner does. porterd_mqtt_peer only names the
# hub's key.
#
#   B endorsed by A enrols the camera: a viewer anchored at A (--key A)
#   believes it through the endorsement; C, an owner key at porterd that
#   nobody endorsed, revokes A: the viewer ignores it (and says so), the
#   hub refuses it; the revocations unreadable at porterd: refused (exit
#   3), --camera-key still pins; A revokes B: the camera B enrolled is
#   refused (exit 3, naming B and A), and so is B's own key as an anchor;
#   the camera enrolled again by A opens, exports evidence (a clip marked
#   by hand: the clip's part only, saying why); the hub marks an entry:
#   the bundle carries its events and checkpoints (porterd's chain route),
#   verifies with the hub's key pinned, fails with another key and with
#   a byte of an event's data flipped (named); porterd's copy of an event
#   altered: 409 no-chain, the clip's part only; a checkpoint signature
#   altered: export says FAILED and writes nothing; the bundle verified
#   from A's public key alone (its owner's part: A's camera and pairing
#   statements), refused from C and from D (endorsed by A: never up), with
#   the camera statement altered or removed, the owner's part or the
#   pairing statement removed, another hub's pairing statement in its
#   place; the camera enrolled by D: the bundle carries A's endorsement of
#   D, verifies from A, not from D, nor with the endorsement taken out;
#   A revokes the
#   camera's key (porter camera revoke): GET cameras says revoked, clip
#   decrypt, live and evidence export refuse (exit 3, naming the key, its
#   revoker, the version), a pinned --camera-key opens with a WARNING,
#   porterd refuses the camera's uploads (key record, a segment and a
#   manifest re-sent with their real signatures: 403 revoked, nothing
#   stored), the hub refuses its health messages (camera-key-revoked):
#   unhealthy, a camera-required credential refused camera-unhealthy.
#
# Usage: test_cam_revoke.sh PORTERD PORTER PORTER_HUB PORTER_CAM PORTERD_MQTT_PEER MOSQUITTO
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
t_begin cam-revoke
umask 022
chmod 755 "$T"	# porter-cam (nobody, when we are root) reads its config here
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG
USERLINE=""
[ "$(id -u)" -eq 0 ] && USERLINE="user = nobody"

# ---- keys; the hub's first, so that its broker account exists ----
for k in A B C courier; do "$P" keygen -o $k.key >/dev/null || exit 1; done
chmod 644 ./*.key.pub
mkdir -m 700 hub
"$P" keygen -o hub/hub.key >/dev/null
HID=$("$PEER" id hub/hub.key)
kid() { local i; i=$("$PEER" id "$1") && echo "${i#hub-}"; }
KA=$(kid A.key); KB=$(kid B.key); KC=$(kid C.key)
[[ $HID =~ ^hub-[0-9a-f]{16}$ ]] && [[ $KA =~ ^[0-9a-f]{16}$ ]]
ok "keys: owners A, B, C, the courier's, the hub's ($HID)"

broker_start porterd "$HID"
ok "mosquitto on 127.0.0.1:$MPORT" || { show mosquitto.log mosquitto.out; echo "Bail out! no broker"; exit 1; }
PORTERD_EXTRA="[clips]
dir = $T/clips" porterd_start "$D"
ok "porterd starts and connects to the broker" || { show porterd.log; echo "Bail out! no porterd"; exit 1; }

# ---- the owner, the home; A first, B endorsed by A, C without a statement ----
export PORTER_PASSWORD='correct horse battery staple'
OC=(env PORTER_CONFIG="$T/owner.conf")
expect 0 "owner signs up" "${OC[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
expect 0 "owner signs in" "${OC[@]}" "$P" login --email ana@example.org
expect 0 "a home" "${OC[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv 'd["id"]')
expect 0 "key A enrolled (the home's first key)" "${OC[@]}" "$P" key add --home "$H" --key A.key.pub
expect 0 "key B endorsed by A" "${OC[@]}" "$P" key endorse --home "$H" --key A.key --public-key B.key.pub
expect 0 "key C added without a statement (an owner key at porterd only)" \
	"${OC[@]}" "$P" key add --home "$H" --key C.key.pub

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
owners = $T/A.key.pub, $T/B.key.pub
preroll = 1s
postroll = 1s
segment = 1s
server = $URL
EOF
"$CAMX" key -f cam.conf >camkey.out 2>&1 && [ -s camstate/cam.key.pub ]
ok "porter-cam key: the camera's key" || show camkey.out
KCAM=$(kid_of camstate/cam.key.pub)
cp "$HID.pw" hub.pw && chmod 600 hub.pw
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
rm -f hub.ready
"$HUBX" -f "$T/hub.conf" -d -R "$T/hub.ready" >>hub.out 2>>hub.log &
HPID=$!
PIDS+=("$HPID")
wait_for 10 test -s hub.ready
ok "porter-hub starts" || { show hub.log; echo "Bail out! no hub"; exit 1; }
[ "$(id -u)" -eq 0 ] && chgrp nogroup run/cam.sock 2>/dev/null
LINK="unix:$T/hub/link.sock"
sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
camera() { sim status 2>/dev/null | grep -q "\"camera\":\"$1\""; }
hub_state() { wait_for 5 eval "sim status 2>/dev/null | grep -q '\"state\":\"$1\"'"; }
"$HUBX" pair -f hub.conf -q >hub.pair 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' hub.pair)
HKEY=$(awk '/^hub key:/ {print $3}' hub.pair)
# Through the API: porterd relays the statement to the hub (online, showing
# the code), which pairs over its uplink (docs/hub.md, "Pairing").
wait_for 10 grep -q 'event=uplink state=subscribed' hub.log
"${OC[@]}" "$P" hub pair --home "$H" --hub-key hub/hub.key.pub --code "$CODE" --key A.key \
	--label door >hp.out 2>&1 &&
	wait_for 5 grep -q "event=paired via=uplink home=$H" hub.log
ok "the hub paired with key A, through the API (relayed to the hub)" || show hp.out hub.pair hub.log

"$CAMX" -d -f cam.conf 2>cam.log &
CAMPID=$!
PIDS+=("$CAMPID")
wait_for 20 camera healthy
ok "porter-cam's health: the hub sees the camera healthy" || { show cam.log; show hub.log; }
"$P" grant --key A.key --holder courier.key.pub --home "$H" --purpose delivery --expires +1h \
	--entries 20 --camera -o cam.cbor >/dev/null
expect 0 "healthy: a camera-required credential opens" \
	"$P" courier unlock --hub "$LINK" --cred cam.cbor --key courier.key
hub_state unlocked && sim door open >/dev/null && sim door close >/dev/null && hub_state secured
ok "in and out: secured" || sim status | show

# ---- the camera enrolled by B; a clip ----
expect 0 "B enrols the camera (porter camera add --key B)" "${OC[@]}" "$P" camera add --home "$H" \
	--id cam-1 --camera-key camstate/cam.key.pub --key B.key --name Door
clips_done() { # N: porterd has N clips with their manifest
	"${OC[@]}" "$P" clip list --home "$H" --json >cl.json 2>/dev/null &&
		python3 -c 'import json, sys; c = json.load(open("cl.json"))["clips"]; sys.exit(0 if len(c) == int(sys.argv[1]) else 1)' "$1"
}
record() { # a clip of about 2 s, by hand (the marks the hub would send)
	"$P" cam mark --socket "$T/run/marks.sock" start >mark.out 2>&1 || return 1
	sleep 2
	"$P" cam mark --socket "$T/run/marks.sock" end --clip "$(cat mark.out)" >/dev/null 2>&1
}
wait_for 10 test -S run/marks.sock && record
C1=$(cat mark.out)
manifest_in() { "${OC[@]}" "$P" clip get --home "$H" "$1" --json >cg.json 2>/dev/null &&
	python3 -c 'import json, sys; sys.exit(0 if isinstance(json.load(open("cg.json")).get("manifest"), dict) else 1)'; }
wait_for 30 manifest_in "$C1"
ok "clip 1 ($C1) at porterd with its manifest" || { show cam.log; grep clip porterd.log | show; }
decrypt() { # OUT KEY [options]
	local out=$1 key=$2
	shift 2
	rm -f "$out"
	"${OC[@]}" "$P" clip decrypt --home "$H" "$C1" --key "$key" --out "$out" "$@"
}
expect 0 "a viewer anchored at A believes the camera B enrolled (A endorsed B)" decrypt v1.mp4 A.key
grep -q "key enrolled by owner key $KB" err.txt && grep -q "through the home's owner endorsements" err.txt &&
	[ -s v1.mp4 ]
ok "... says so: enrolled by B ($KB), trusted through the endorsements" || show err.txt

# ---- a revocation by a key nobody endorsed: ignored ----
expect 0 "C (no statement: porterd's word only) revokes A at porterd" \
	"${OC[@]}" "$P" revoke --home "$H" --signer C.key --key A.key.pub
expect 0 "the viewer anchored at A ignores C's revocation of A" decrypt v2.mp4 A.key
grep -q "1 key revocation(s) of home $H are not signed by an owner key you trust: ignored" err.txt
ok "... and says it ignored one" || show err.txt
wait_for 10 grep -q "event=revocation version=1 result=pending reason=untrusted-signer" hub.log
ok "the hub does not take C's revocation either (C is not an owner it trusts: kept pending, docs/hub.md)" ||
	grep revocation hub.log | show
camera healthy; ok "the camera stays healthy at the hub" || sim status | show

# ---- the revocations unreadable: fail closed ----
# A proxy in front of porterd that answers 503 to GET .../revocations and
# passes everything else on (tests/integration/cam_revoke_proxy.py).
PXPORT=$(free_port)
python3 "$SRC/tests/integration/cam_revoke_proxy.py" "$PXPORT" "$URL" 2>proxy.log &
PIDS+=("$!")
wait_for 10 port_open "$PXPORT"
sed "s|^server = .*|server = http://127.0.0.1:$PXPORT|" owner.conf >proxy.conf
chmod 600 proxy.conf
PC=(env PORTER_CONFIG="$T/proxy.conf")
rm -f v3.mp4
expect 3 "GET revocations fails (503): decrypt refuses" \
	"${PC[@]}" "$P" clip decrypt --home "$H" "$C1" --key A.key --out v3.mp4
grep -q "cannot read the revocations of home $H: refusing" err.txt && [ ! -e v3.mp4 ] &&
	grep -q "GET /v1/homes/$H/revocations" proxy.log
ok "... says why, writes nothing" || show err.txt proxy.log
expect 0 "... --camera-key still pins the key" "${PC[@]}" "$P" clip decrypt --home "$H" "$C1" \
	--key A.key --out v3.mp4 --camera-key camstate/cam.key.pub
grep -q "unchecked against the home's revocations" err.txt
ok "... with a note that the revocations were not read" || show err.txt
expect 3 "porter live refuses as well" "${PC[@]}" "$P" live --home "$H" --key A.key --out live0.mp4 \
	--seconds 2
grep -q "cannot read the revocations" err.txt; ok "... saying why" || show err.txt

# ---- A revokes B: B's camera statement and endorsements are not believed ----
expect 0 "A revokes B" "${OC[@]}" "$P" revoke --home "$H" --signer A.key --key B.key.pub --json
VB=$(jv 'd["version"]')
expect 3 "the camera B enrolled is refused by a viewer anchored at A" decrypt v4.mp4 A.key
grep -q "enrolled by owner key $KB, which was revoked by $KA (version $VB)" err.txt && [ ! -e v4.mp4 ]
ok "... naming B, its revoker A and the version ($VB)" || show err.txt
expect 3 "a viewer anchored at B and A (--owner-pub A): its own key revoked, refused" \
	decrypt v5.mp4 B.key --owner-pub A.key.pub
grep -q "your key $KB was revoked by $KA (version $VB)" err.txt
ok "... \"your key $KB was revoked by $KA (version $VB)\"" || show err.txt
expect 3 "porter live refuses the camera too, before any request" \
	"${OC[@]}" "$P" live --home "$H" --key A.key --out live1.mp4 --seconds 2
[ ! -e live1.mp4 ] && ! grep -q "method=POST path=\"/v1/homes/$H/live\"" porterd.log
ok "... nothing written, no live request sent" || show err.txt
wait_for 10 grep -q "result=stored kind=key target=.* owner_key_id=$KA" hub.log
ok "the hub stores A's revocation of B" || grep revocation hub.log | show

# PORTER_CAMTRUST_CORPUS=DIR: porterd's answers, as the viewer anchored at
# A reads them, written as seeds for fuzz/fuzz_camtrust.c.
seed() { # NAME
	[ -n "${PORTER_CAMTRUST_CORPUS:-}" ] || return 0
	"${OC[@]}" "$P" key list --home "$H" --json >s.keys 2>/dev/null &&
		"${OC[@]}" "$P" revocations --home "$H" --json >s.revs 2>/dev/null &&
		"${OC[@]}" "$P" camera list --home "$H" --json >s.cams 2>/dev/null &&
		python3 - "$PORTER_CAMTRUST_CORPUS/$1" "$(cut -d' ' -f2 A.key.pub)" <<'PY'
import json, sys
cams = json.load(open("s.cams"))["cameras"]
d = {"anchors": [sys.argv[2]], "owner_keys": json.load(open("s.keys")),
     "revocations": json.load(open("s.revs")), "camera": cams[0] if cams else None}
json.dump(d, open(sys.argv[1], "w"), sort_keys=True)
PY
}
seed revoked-endorser

# ---- enrolled again by A; evidence from porterd's key, vouched for ----
expect 0 "the camera removed" "${OC[@]}" "$P" camera remove --home "$H" cam-1
expect 0 "A enrols it again (same key)" "${OC[@]}" "$P" camera add --home "$H" --id cam-1 \
	--camera-key camstate/cam.key.pub --key A.key --name Door
expect 0 "a viewer anchored at A opens clip 1 again" decrypt v6.mp4 A.key
expect 0 "evidence export without --camera-key: the key vouched for by A's statement" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C1" --out ev1.bundle --key A.key
grep -q "camera key, no hub events;" out.txt &&
	grep -q "^note: the hub's events are not in it: hub $HID: " out.txt
ok "... a clip marked by hand (no hub session): the hub's part left out, saying why" ||
	show out.txt err.txt
expect 0 "the bundle verifies with the camera's key" "$P" evidence verify ev1.bundle \
	--camera-key camstate/cam.key.pub
expect 3 "evidence export with neither --camera-key nor an owner key: refused" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C1" --out ev0.bundle

# ---- an entry the hub marks: the bundle carries the hub's part ----
# The hub restarted with porter-cam's marks socket (until here the clips
# were marked by hand): on an entry its session.start and session.end name
# the clip, the manifest names their seqs, and porterd keeps the hub's
# events and checkpoints (GET .../hubs/{hub}/chain, docs/clips.md).
hub_restart() {
	kill -TERM "$HPID" 2>/dev/null
	wait_for 10 eval '! alive "$HPID"' || kill -KILL "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	rm -f hub.ready
	"$HUBX" -f "$T/hub.conf" -d -R "$T/hub.ready" >>hub.out 2>>hub.log &
	HPID=$!
	PIDS+=("$HPID")
	wait_for 10 test -s hub.ready || return 1
	[ "$(id -u)" -eq 0 ] && chgrp nogroup run/cam.sock 2>/dev/null
	return 0
}
printf 'marks = %s\n' "$T/run/marks.sock" >>hub.conf
hub_restart && wait_for 10 camera healthy
ok "the hub restarted with porter-cam's marks socket: the camera healthy" || show hub.log
ends=$(grep -c "event=clip_mark kind=end " hub.log)
expect 0 "an entry with the camera-required credential" \
	"$P" courier unlock --hub "$LINK" --cred cam.cbor --key courier.key
hub_state unlocked && sim door open >/dev/null && sim door close >/dev/null && hub_state secured &&
	wait_for 10 eval '[ "$(grep -c "event=clip_mark kind=end " hub.log)" -gt "$ends" ]'
ok "in and out: secured, the clip's END marked" || { sim status | show; grep clip_mark hub.log | show; }
C3=$(sed -n 's/.*event=clip_mark kind=start clip=\([0-9a-f]*\) seq=[0-9]*.*/\1/p' hub.log | tail -n 1)
S3=$(sed -n 's/.*event=clip_mark kind=start clip=[0-9a-f]* seq=\([0-9]*\).*/\1/p' hub.log | tail -n 1)
[ -n "$C3" ] && [ -n "$S3" ] && wait_for 30 manifest_in "$C3"
ok "the entry's clip $C3 (session.start at hub seq $S3) at porterd with its manifest" ||
	{ grep clip_mark hub.log | show; show cam.log; }
export3() { # porterd has the events once the hub's batch through session.end arrived
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out "$1" --key A.key >out.txt 2>err.txt &&
		grep -q " hub events of $HID (seq $S3\.\." out.txt
}
wait_for 15 export3 ev3.bundle
ok "evidence export: the hub's events from its session.start, and checkpoints, in the bundle" ||
	show out.txt err.txt
NEV=$(sed -n 's/.*camera key, \([0-9]*\) hub events of .*/\1/p' out.txt)
grep -q "^owner's part: home $H, the camera statement by owner key $KA, the pairing statement of hub $HID by owner key $KA, 0 owner endorsement(s)" out.txt
ok "... and the owner's part: the camera statement and the hub's pairing statement, both by A" ||
	show out.txt
expect 0 "the bundle verifies with the hub's own key pinned (--hub-key hub/hub.key.pub)" \
	"$P" evidence verify ev3.bundle --camera-key camstate/cam.key.pub --hub-key hub/hub.key.pub
grep -q "; $NEV hub events of $HID checked against the pinned hub key, [1-9][0-9]* checkpoints" out.txt
ok "... \"$NEV hub events of $HID checked against the pinned hub key\"" || show out.txt
expect 12 "another --hub-key (A's key): verify fails" "$P" evidence verify ev3.bundle \
	--camera-key camstate/cam.key.pub --hub-key A.key.pub
grep -q "^FAILED: the hub key: not the pinned one" out.txt; ok "... naming the hub key" || show out.txt
expect 0 "evidence export --hub-key hub/hub.key.pub: the pinned hub's events" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev3p.bundle --key A.key \
	--hub-key hub/hub.key.pub
grep -q " $NEV hub events of $HID (seq $S3\.\." out.txt; ok "... all $NEV of them" || show out.txt
rm -f ev3q.bundle
expect 12 "evidence export --hub-key A.key.pub (not the home's hub): refused" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev3q.bundle --key A.key \
	--hub-key A.key.pub
grep -q "^FAILED: no chain of the hub of --hub-key names this clip at porterd: hub hub-$KA: not found (not-found); nothing written" out.txt &&
	[ ! -e ev3q.bundle ]
ok "... FAILED, saying why (only hub-$KA, the pinned key's id, asked for), nothing written" || show out.txt err.txt
# One byte of the clip id in the session.start's data (its first place in
# the bundle: the manifest holds the id as bytes, not hex).
python3 - "$C3" <<'PY'
import sys
b = bytearray(open("ev3.bundle", "rb").read())
i = b.find(sys.argv[1].encode())
b[i + 5] ^= 0x01
open("ev3bad.bundle", "wb").write(b)
PY
expect 12 "a byte flipped in an event's data: verify fails" "$P" evidence verify ev3bad.bundle \
	--camera-key camstate/cam.key.pub --hub-key hub/hub.key.pub
grep -q "^FAILED: event $S3: its hash does not recompute from the chain" out.txt
ok "... naming the event ($S3)" || show out.txt
# porterd's copy of an event altered (its time, in porterd's database):
# porterd serves no chain it cannot recompute (409 no-chain), and export
# writes the clip's part only, saying why.
sq() { sqlite3 -cmd ".timeout 5000" db/porter.db "$1"; }
S4=$((S3 + 1))
sq "UPDATE events SET at = at + 1 WHERE source = 'hub:$HID' AND hub_seq = $S4"
expect 0 "porterd's event $S4 altered: evidence export" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev4.bundle --key A.key
grep -q "camera key, no hub events;" out.txt &&
	grep -q "^note: the hub's events are not in it: hub $HID: .*$S4.*(no-chain)" out.txt
ok "... the clip's part only, naming porterd's answer (409 no-chain)" || show out.txt err.txt
sq "UPDATE events SET at = at - 1 WHERE source = 'hub:$HID' AND hub_seq = $S4"
# A checkpoint signature altered in porterd's database: porterd serves it
# (it checked the batch on arrival); export checks the bundle before
# writing it: FAILED, nothing written.
CP=$(sq "SELECT seq || ' ' || hex(sig) FROM hub_checkpoints WHERE source = 'hub:$HID' AND seq >= $S3 ORDER BY seq LIMIT 1")
CPSEQ=${CP%% *}
SIG=${CP#* }
BAD=$( [ "${SIG:0:1}" = 0 ] && echo "1${SIG:1}" || echo "0${SIG:1}")
sq "UPDATE hub_checkpoints SET sig = X'$BAD' WHERE source = 'hub:$HID' AND seq = $CPSEQ"
rm -f ev5.bundle
expect 12 "a checkpoint's signature altered at porterd: evidence export refuses" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev5.bundle --key A.key
grep -q "^FAILED: porterd's chain of hub $HID does not check out (not the hub's): checkpoint at event $CPSEQ: the hub's signature does not verify; nothing written" out.txt &&
	[ ! -e ev5.bundle ] && [ ! -e ev5.bundle.tmp ]
ok "... FAILED naming the checkpoint at event $CPSEQ, nothing written" || show out.txt err.txt
sq "UPDATE hub_checkpoints SET sig = X'$SIG' WHERE source = 'hub:$HID' AND seq = $CPSEQ"

# ---- the bundle verified from the owner's public key alone ----
# (docs/clips.md, "Evidence bundles": the owner's part.) The camera's and
# the hub's keys are tied to A by the owner-signed statements the bundle
# carries; D, endorsed by A, does not reach A's statements (down only).
EVB=(python3 "$SRC/tests/integration/evbundle.py")
KD=""
"$P" keygen -o D.key >/dev/null && chmod 644 D.key.pub && KD=$(kid D.key)
expect 0 "key D endorsed by A" "${OC[@]}" "$P" key endorse --home "$H" --key A.key --public-key D.key.pub
expect 0 "evidence verify --owner-pub A.key.pub alone: passes" "$P" evidence verify ev3.bundle \
	--owner-pub A.key.pub
grep -q "^ok: clip manifest signed by camera cam-1 of home $H, its key vouched for by owner key $KA; [0-9]* segments; $NEV hub events of $HID, its key paired by owner key $KA, [1-9][0-9]* checkpoints" out.txt &&
	grep -q "^note: this says what the owner keys signed, at any age; verify knows of no revocation" out.txt
ok "... naming A for the camera's key and the hub's, and what a pass does not know" || show out.txt
expect 0 "... --home $H and both keys pinned too: passes" "$P" evidence verify ev3.bundle \
	--owner-pub A.key.pub --home "$H" --camera-key camstate/cam.key.pub --hub-key hub/hub.key.pub
expect 12 "... --home of another home: fails" "$P" evidence verify ev3.bundle --owner-pub A.key.pub \
	--home h-0000000000000000
grep -q "^FAILED: the home: the bundle is of another home" out.txt; ok "... naming the home" || show out.txt
for k in C D; do
	expect 12 "evidence verify --owner-pub $k.key.pub (not the key that signed): fails" \
		"$P" evidence verify ev3.bundle --owner-pub $k.key.pub
	grep -q "^FAILED: the camera statement: it does not verify with the owner key or a key it endorsed" out.txt
	ok "... naming the camera statement" || show out.txt
done
expect 3 "evidence verify with neither --owner-pub nor --camera-key: refused" \
	"$P" evidence verify ev3.bundle
grep -q "verify needs --camera-key (the camera's key from your side) or --owner-pub OWNER.pub" err.txt; ok "... saying what it needs" || show err.txt
[ "$("${EVB[@]}" keys ev3.bundle)" = "1 2 3 4 5 6 7 8 9 10 11 12 13" ]
ok "the bundle holds keys 1..13 (clip, hub, owner's part)" || "${EVB[@]}" keys ev3.bundle | show
"${EVB[@]}" flip ev3.bundle ev3cs.bundle 11
expect 12 "the camera statement altered (a bit of its signature): verify --owner-pub fails" \
	"$P" evidence verify ev3cs.bundle --owner-pub A.key.pub
grep -q "^FAILED: the camera statement: it does not verify" out.txt; ok "... naming it" || show out.txt
expect 0 "... the same bundle with --camera-key (the statement not read): passes" \
	"$P" evidence verify ev3cs.bundle --camera-key camstate/cam.key.pub --hub-key hub/hub.key.pub
"${EVB[@]}" drop ev3.bundle ev3nc.bundle 11
expect 11 "the camera statement removed (key 11 alone): not a bundle" \
	"$P" evidence verify ev3nc.bundle --owner-pub A.key.pub
grep -q "is not an evidence bundle: " err.txt; ok "... the strict decoder refuses it" || show err.txt
"${EVB[@]}" drop ev3.bundle ev3no.bundle 10 11 12 13
expect 12 "the owner's part removed (keys 10..13): verify --owner-pub fails" \
	"$P" evidence verify ev3no.bundle --owner-pub A.key.pub
grep -q "^FAILED: the owner's statements: not in the bundle" out.txt; ok "... naming them" || show out.txt
"${EVB[@]}" drop ev3.bundle ev3np.bundle 13
expect 12 "the hub's pairing statement removed (key 13): verify --owner-pub fails" \
	"$P" evidence verify ev3np.bundle --owner-pub A.key.pub
grep -q "^FAILED: the hub's pairing statement: not in the bundle" out.txt; ok "... naming it" || show out.txt
# Another hub paired by A at porterd (a key only: porterd stores the
# statement, GET .../hubs serves it as "pairing"); its pairing statement
# put in place of the hub's.
"$P" keygen -o hub2.key >/dev/null
H2=$("$PEER" id hub2.key)
CODE2=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
expect 0 "A pairs another hub ($H2) at porterd" "${OC[@]}" "$P" hub pair --home "$H" \
	--hub-key hub2.key.pub --code "$CODE2" --key A.key --label other
expect 0 "GET hubs" "${OC[@]}" "$P" hub list --home "$H" --json
python3 - "$H2" "$HID" <<'PY'
import base64, json, sys
hubs = {h["id"]: h for h in json.load(open("out.txt"))["hubs"]}
def raw(t): return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
open("pair2.bin", "wb").write(raw(hubs[sys.argv[1]]["pairing"]))
open("pair1.bin", "wb").write(raw(hubs[sys.argv[2]]["pairing"]))
PY
ok "... serves each hub's pairing statement (\"pairing\")" || show out.txt
"${EVB[@]}" set ev3.bundle ev3h2.bundle 13 pair2.bin
expect 12 "the pairing statement of another hub in the bundle: verify --owner-pub fails" \
	"$P" evidence verify ev3h2.bundle --owner-pub A.key.pub
grep -q "^FAILED: the hub's pairing statement: it names another hub key than the bundle's" out.txt
ok "... naming the pairing statement" || show out.txt
"${EVB[@]}" set ev3.bundle ev3h1.bundle 13 pair1.bin && cmp -s ev3.bundle ev3h1.bundle
ok "(the bundle's own pairing statement is porterd's for $HID, byte for byte)"
expect 0 "the other hub removed" "${OC[@]}" "$P" hub remove --home "$H" "$H2"
expect 0 "export with --camera-key only: the owner's part left out" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev6.bundle --camera-key camstate/cam.key.pub
grep -q "^note: the owner's statements are not in it: no owner key given (--key or --owner-pub)" out.txt
ok "... saying why" || show out.txt
expect 12 "... so verify --owner-pub fails on it" "$P" evidence verify ev6.bundle --owner-pub A.key.pub
grep -q "^FAILED: the owner's statements: not in the bundle" out.txt; ok "... naming them" || show out.txt
# The camera enrolled by D (endorsed by A): the bundle carries A's
# endorsement of D, the path from the exporter's key to the statement's
# signer; verify from A walks down to D; verify from D reaches the camera
# statement but not A's pairing statement (never up).
expect 0 "the camera removed" "${OC[@]}" "$P" camera remove --home "$H" cam-1
expect 0 "D enrols it again (same key)" "${OC[@]}" "$P" camera add --home "$H" --id cam-1 \
	--camera-key camstate/cam.key.pub --key D.key --name Door
expect 0 "evidence export --key A: the camera statement by D" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev7.bundle --key A.key
grep -q "^owner's part: home $H, the camera statement by owner key $KD, the pairing statement of hub $HID by owner key $KA, 1 owner endorsement(s)" out.txt
ok "... with A's endorsement of D (1 endorsement)" || show out.txt err.txt
expect 0 "evidence verify --owner-pub A.key.pub: passes through the endorsement" \
	"$P" evidence verify ev7.bundle --owner-pub A.key.pub
grep -q "its key vouched for by owner key $KD (endorsed from yours);.* its key paired by owner key $KA," out.txt
ok "... \"vouched for by owner key $KD (endorsed from yours)\"" || show out.txt
expect 12 "evidence verify --owner-pub D.key.pub: A's pairing statement is not reached (never up)" \
	"$P" evidence verify ev7.bundle --owner-pub D.key.pub
grep -q "^FAILED: the hub's pairing statement: it does not verify with the owner key or a key it endorsed" out.txt
ok "... naming the pairing statement" || show out.txt
"${EVB[@]}" empty ev7.bundle ev7ne.bundle 12
expect 12 "A's endorsement of D taken out (key 12 an empty array): verify --owner-pub A fails" \
	"$P" evidence verify ev7ne.bundle --owner-pub A.key.pub
grep -q "^FAILED: the camera statement: it does not verify with the owner key or a key it endorsed" out.txt
ok "... naming the camera statement" || show out.txt
expect 0 "the camera removed" "${OC[@]}" "$P" camera remove --home "$H" cam-1
expect 0 "A enrols it again" "${OC[@]}" "$P" camera add --home "$H" --id cam-1 \
	--camera-key camstate/cam.key.pub --key A.key --name Door

# ---- A revokes the camera's key ----
SEG0=$(ls clips/"$H"/"$C1"/0000.seg 2>/dev/null)
[ -n "$SEG0" ] && [ "$(stat -c %s clips/"$H"/"$C1"/0000.sig)" -eq 96 ]
ok "porterd keeps segment 0 of clip 1 and its signature" || ls -R clips | show
SIG0=$(python3 -c 'import base64, sys; print(base64.urlsafe_b64encode(open(sys.argv[1], "rb").read()[32:]).decode().rstrip("="))' clips/"$H"/"$C1"/0000.sig)
reseg() { # the camera's own segment 0 of clip 1, again, with its own signature
	curl -s -o rs.out -w '%{http_code}' -X PUT -H "Porter-Camera: cam-1" \
		-H "Porter-Signature: $SIG0" -H 'Content-Type: application/octet-stream' \
		--data-binary @"$SEG0" "$URL/v1/clips/$C1/segments/0"
}
[ "$(reseg)" = 200 ]
ok "before: segment 0 re-sent with its signature is taken (200, the same bytes)" || show rs.out
"${OC[@]}" "$P" clip get --home "$H" "$C1" --json >/dev/null 2>&1
TOKEN=$(sed -n 's/^token = //p' owner.conf)
curl -s -o man1.cbor -H "Authorization: Bearer $TOKEN" "$URL/v1/homes/$H/clips/$C1/manifest"
[ -s man1.cbor ]; ok "the manifest of clip 1, as porterd serves it"
remanifest() {
	curl -s -o rm.out -w '%{http_code}' -X PUT -H "Porter-Camera: cam-1" \
		-H 'Content-Type: application/cbor' --data-binary @man1.cbor "$URL/v1/clips/$C1/manifest"
}
[ "$(remanifest)" = 200 ]; ok "before: the manifest re-sent is taken (200)" || show rm.out

expect 0 "porter camera revoke --key A cam-1" "${OC[@]}" "$P" camera revoke --home "$H" --key A.key cam-1
VC=$(sed -n 's/.* version \([0-9]*\):.*/\1/p' out.txt)
grep -q "key id $KCAM" out.txt && [ -n "$VC" ]
ok "... names the camera's key id ($KCAM) and the version ($VC)" || show out.txt
expect 0 "GET cameras" "${OC[@]}" "$P" camera list --home "$H" --json
[ "$(jv 'd["cameras"][0]["revoked"]')" = True ]; ok "... says \"revoked\": true" || show out.txt
expect 0 "porter camera list" "${OC[@]}" "$P" camera list --home "$H"
grep -q REVOKED out.txt; ok "... shows REVOKED" || show out.txt

seed revoked-camera
expect 3 "clip decrypt refuses the revoked camera's clip (an old one)" decrypt v7.mp4 A.key
grep -q "camera key $KCAM revoked by $KA at .*, version $VC" err.txt && [ ! -e v7.mp4 ]
ok "... \"camera key $KCAM revoked by $KA at <time>, version $VC\"" || show err.txt
expect 0 "--camera-key pins it outright" decrypt v8.mp4 A.key --camera-key camstate/cam.key.pub
grep -q "WARNING: camera 'cam-1': --camera-key $KCAM was revoked by $KA" err.txt && [ -s v8.mp4 ]
ok "... with a WARNING naming the revocation" || show err.txt
expect 3 "porter live refuses the revoked camera" \
	"${OC[@]}" "$P" live --home "$H" --key A.key --out live2.mp4 --seconds 2
grep -q "camera key $KCAM revoked by $KA" err.txt; ok "... naming it" || show err.txt
expect 23 "porter live with the revoked key pinned: porterd refuses the live view (revoked)" \
	"${OC[@]}" "$P" live --home "$H" --key A.key --camera-key camstate/cam.key.pub \
	--out live3.mp4 --seconds 2
grep -q "method=POST path=\"/v1/homes/$H/live\" status=403" porterd.log && [ ! -e live3.mp4 ]
ok "... POST .../live answered 403, nothing written" || { show err.txt; grep live porterd.log | show; }
expect 3 "evidence export refuses it (no --camera-key)" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C1" --out ev2.bundle --key A.key
[ ! -e ev2.bundle ]; ok "... no bundle written"
expect 0 "evidence export with the revoked key pinned and --key A" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev8.bundle --key A.key \
	--camera-key camstate/cam.key.pub
grep -q "^note: the owner's statements are not in it: the camera statement: key $KCAM on the way to it was revoked by $KA (version $VC); verify it with --camera-key" out.txt
ok "... the owner's part left out: the camera key was revoked (named, with its revoker and version)" ||
	show out.txt err.txt

# porterd: every upload route of the camera refused, nothing stored
[ "$(reseg)" = 403 ] && grep -q '"revoked"' rs.out
ok "porterd: segment 0 re-sent with its real signature: 403 revoked" || show rs.out
[ "$(remanifest)" = 403 ] && grep -q '"revoked"' rm.out
ok "porterd: the manifest re-sent: 403 revoked" || show rm.out
n_before=$(find clips -name '*.seg' | wc -l)
wait_for 10 test -S run/marks.sock && record
C2=$(cat mark.out)
wait_for 20 grep -q "path=\"/v1/clips/$C2/key\" status=403" porterd.log
ok "porterd refuses the camera's next clip (its key record): 403" ||
	{ grep "$C2" porterd.log | show; show cam.log; }
grep -q "event=camera_upload result=refused reason=revoked home=$H camera=cam-1" porterd.log
ok "porterd logs the refusal: reason=revoked" || grep camera_upload porterd.log | show
sleep 1
[ "$(find clips -name '*.seg' | wc -l)" -eq "$n_before" ] && [ ! -e "clips/$H/$C2" ]
ok "nothing of clip 2 stored" || ls -R clips | show

# the hub: the camera's health messages refused, unhealthy, the credential refused
wait_for 10 grep -q "event=camera_key_revoked camera=cam-1 key_id=$KCAM" hub.log
ok "the hub: event=camera_key_revoked for the camera's key" || grep -i camera hub.log | tail -n 5 | show
wait_for 10 camera unhealthy
ok "the hub says the camera is unhealthy" || sim status | show
grep -q "event=camera_message result=refused reason=camera-key-revoked camera=cam-1" hub.log
ok "its health messages are refused: camera-key-revoked" || grep camera_message hub.log | show
alive "$CAMPID"; ok "porter-cam still runs (still sending)" || show cam.log
expect 25 "a camera-required credential: refused" \
	"$P" courier unlock --hub "$LINK" --cred cam.cbor --key courier.key
grep -q camera-unhealthy out.txt err.txt && hub_state secured
ok "... camera-unhealthy, the bolt never moved" || show out.txt err.txt
# ... and the revoked camera is told nothing: an entry without the camera
# condition sends it no clip mark (whoever holds its key learns no entry).
# The hub, restarted (with porter-cam's marks socket, since the entry
# above), keeps the revocation it stored.
hub_restart && wait_for 10 camera unhealthy
ok "the hub restarted with the marks socket: the camera still unhealthy" || show hub.log
"$P" grant --key A.key --holder courier.key.pub --home "$H" --purpose delivery --expires +1h \
	--entries 1 -o nocam.cbor >/dev/null
expect 0 "a credential without the camera condition still opens" \
	"$P" courier unlock --hub "$LINK" --cred nocam.cbor --key courier.key
hub_state unlocked && sim door open >/dev/null && sim door close >/dev/null && hub_state secured
ok "in and out: secured" || sim status | show
wait_for 10 grep -q 'event=clip_mark result=failed kind=end ' hub.log
MC=$(sed -n 's/.*event=clip_mark result=failed kind=start clip=\([0-9a-f]*\) .*/\1/p' hub.log | tail -n 1)
[ -n "$MC" ] && grep -q "event=clip_mark result=failed kind=end clip=$MC " hub.log &&
	! grep -q "event=clip_mark kind=[a-z]* clip=$MC" hub.log
ok "the hub sends the revoked camera no mark: clip_mark result=failed, start and end" ||
	grep clip_mark hub.log | tail -n 4 | show
sleep 0.5
[ -n "$MC" ] && ! grep -q "clip=$MC" cam.log
ok "porter-cam got nothing of that entry" || grep "clip=$MC" cam.log | show

alive "$PID" && alive "$HPID"; ok "porterd and the hub still run" || { show porterd.log; show hub.log; }
! grep -q "ERROR: AddressSanitizer\|runtime error:" porterd.log hub.log cam.log
ok "no sanitizer report" || grep -h "Sanitizer\|runtime error" porterd.log hub.log cam.log | show
# The hub stopped here, not by lib.sh's cleanup (TERM, then a wait without
# end): a sanitizer build's leak check at exit can hang under the hub's
# seccomp filter; that is said, not counted (not what this test is about).
kill -TERM "$HPID" 2>/dev/null
wait_for 10 eval '! alive "$HPID"' || { echo "# the hub did not end within 10 s of SIGTERM: killed"; kill -KILL "$HPID" 2>/dev/null; }
wait "$HPID" 2>/dev/null
# A hub the owner removed keeps its chain for the home's owners (schema
# 10): export with --hub-key asks porterd for that hub's chain by its id,
# though the home's list no longer has it. (The camera's key is revoked by
# now: pinned, it is only warned about.)
expect 0 "the hub removed at porterd" "${OC[@]}" "$P" hub remove --home "$H" "$HID"
"${OC[@]}" "$P" hub list --home "$H" --json >hubs.json 2>/dev/null
! grep -q "\"$HID\"" hubs.json; ok "... not listed any more" || show hubs.json
rm -f ev7.bundle
expect 0 "evidence export --hub-key of the removed hub" \
	"${OC[@]}" "$P" evidence export --home "$H" "$C3" --out ev7.bundle \
	--camera-key camstate/cam.key.pub --hub-key hub/hub.key.pub
grep -q " $NEV hub events of $HID (seq $S3\.\." out.txt
ok "... all $NEV of its events in the bundle" || show out.txt err.txt
expect 0 "... which verifies with the hub's key pinned" "$P" evidence verify ev7.bundle \
	--camera-key camstate/cam.key.pub --hub-key hub/hub.key.pub
t_end

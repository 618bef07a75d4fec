#!/usr/bin/env bash
# porter-hub and the alarm panel (docs/alarm.md), TAP output: the real
# daemon with the sim lock, door, motion and the sim alarm panel in a
# temporary directory, paired and driven by the real `porter` (grant,
# courier unlock, sim). The sim panel sounds at once when a zone that is
# not bypassed faults while armed, so a missing bypass shows.
#   a delivery with the alarm condition: entry zone bypassed before the
#   bolt moves, interior zones armed, bypass ended after shut + locked +
#   quiet; a panel that cannot bypass, or never confirms: refused, bolt
#   never moved; interior motion during the delivery, a forced door, entry
#   motion after the session: triggered, with events; nothing ever
#   disarms for a courier; a resident's credential disarms when the
#   policy says so; no panel: refused. Duress: an owner's duress
#   credential opens and disarms exactly as the plain one (the same decoded
#   DECISION), raises alert.duress and nothing local; a delegate cannot add
#   the marker. Panic: porter courier panic with a used-up or expired
#   credential raises alert.panic (rate-limited), forged or foreign ones and
#   replays (a recording relay) are refused, the bolt never moves, the
#   panel sounds only with panic_trigger = yes, and a panic gets through a
#   lockout of the link.
# Usage: test_hub_alarm.sh PORTER_HUB PORTER
# KEEP=1 keeps the directory (logs, state) for a look afterwards.
set -u
HUB=$(realpath "$1")
P=$(realpath "$2")
T=$(mktemp -d)
umask 022
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
n=0 failed=0

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n 30; }
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# conf FILE [lines for [alarm]...]
conf() {
	local f=$1; shift
	cat >"$f" <<EOF
[hub]
state_dir = $T/hub
[link]
tcp =
challenge_ttl = 2s
idle_timeout = 5s
lockout_failures = ${LOCKOUT:-5}
lockout_first = ${LOCKFIRST:-1s}
[door]
open_timeout = 3s
relock_delay = 100ms
bypass_quiet = 400ms
intrusion_window = 20s
[drivers]
sim_lock_delay = ${DELAY:-50ms}
[server]
revocations_max_age = 0
[alarm]
$(printf '%s\n' "$@")
EOF
}
ALARM=(driver=sim 'entry_zones = 1' 'interior_zones = 2, 3' 'bypass_timeout = 3s')

PID=""
start() {
	"$HUB" -f "$T/hub.conf" -d >>"$T/hub.out" 2>>"$T/hub.log" &
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 100); do
		[ -S "$T/hub/link.sock" ] && [ -S "$T/hub/sim.sock" ] && return 0
		alive "$PID" || return 1
		sleep 0.05
	done
	return 1
}
stop() {
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	rm -f "$T/hub/link.sock" "$T/hub/sim.sock"
}

LINK="unix:$T/hub/link.sock"
sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
# state NAME: wait (15 s at most) until the door machine is in state NAME.
state() {
	for _ in $(seq 300); do
		sim status 2>/dev/null | grep -q "\"state\":\"$1\"" && return 0
		sleep 0.05
	done
	sim status | sed 's/^/# status: /'
	return 1
}
# panel KEY VALUE: wait (15 s at most) until the sim panel's status has "KEY":VALUE.
panel() {
	for _ in $(seq 300); do
		sim alarm status 2>/dev/null | grep -q "\"$1\":$2" && return 0
		sleep 0.05
	done
	sim alarm status | sed 's/^/# panel: /'
	return 1
}
unlock() { "$P" courier unlock --hub "$LINK" "$@"; }
# The event log, read after a sim status: the hub answers that in a later turn
# of its loop, so every event of the turn before (written after its DECISION) is in.
types() { sim status >/dev/null 2>&1; "$HUB" -f "$T/hub.conf" -E | awk '{print $3}' | tr '\n' ' '; }
# evcount: the line count of -E (after a sim status, as types); since MARK: the events after it.
evcount() { sim status >/dev/null 2>&1; "$HUB" -f "$T/hub.conf" -E | wc -l; }
since() { sim status >/dev/null 2>&1; "$HUB" -f "$T/hub.conf" -E | tail -n +"$(($1 + 1))"; }
reset_panel() { # back to armed away, nothing faulted, after a trigger
	sim alarm disarm >/dev/null && sim alarm arm away >/dev/null && panel state '"armed_away"'
}

# ---- configuration ----
conf hub.conf driver=sim 'entry_zones = 1, 65'
"$HUB" -f hub.conf -n >out 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "alarm.entry_zones" out
ok "-n: a zone over 64 is refused" || show out
bad=0
for z in '1,,2' '0' '2 3' '1,' 'x' '0001' '-1'; do
	conf hub.conf driver=sim "entry_zones = $z"
	"$HUB" -f hub.conf -n >out 2>&1 && { bad=1; echo "# accepted: '$z'"; }
done
[ $bad -eq 0 ]
ok "-n: zone lists '1,,2', '0', '2 3', '1,', 'x', '0001', '-1' are refused"
conf hub.conf driver=sim 'entry_zones = 1' 'interior_zones = 1,2'
"$HUB" -f hub.conf -n >out 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "both an entry zone and an interior zone" out
ok "-n: a zone both entry and interior is refused" || show out
conf hub.conf driver=sim
"$HUB" -f hub.conf -n >out 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "needs at least one entry zone" out
ok "-n: a panel without entry zones is refused" || show out
conf hub.conf driver=bell 'entry_zones = 1'
"$HUB" -f hub.conf -n >out 2>&1; [ $? -eq 1 ] && grep -q "alarm.driver" out
ok "-n: an unknown alarm driver is refused" || show out
conf hub.conf "${ALARM[@]}"
"$HUB" -f hub.conf -n -v >out 2>&1
[ $? -eq 0 ] && grep -q '^alarm.entry_zones = 1 ' out && grep -q '^alarm.bypass_timeout = 3s' out
ok "-n -v: the [alarm] keys are valid and printed" || show out

# ---- start, pair ----
start
ok "the hub starts with the sim alarm panel" || { show hub.log; echo "1..$n"; exit 1; }
panel state '"armed_away"' && state secured && sim status | grep -q '"alarm":"armed_away"'
ok "the sim panel reports armed_away; the hub's status shows it" || show hub.log
"$P" keygen -o owner.key >/dev/null && "$P" keygen -o courier.key >/dev/null &&
	"$P" keygen -o resident.key >/dev/null
"$HUB" pair -f hub.conf -q >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HUBKEY=$(awk '/^hub key:/ {print $3}' pair.out)
"$P" hub pair-local --key owner.key --home home-1 --hub-key "$HUBKEY" --hub "$LINK" \
	--code "$CODE" >pr.out 2>&1
ok "paired" || show pr.out
grant() { # FILE ENTRIES [more options]
	local f=$1 e=$2; shift 2
	"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
		--expires +1h --entries "$e" "$@" -o "$f" >/dev/null
}
grant alarm.cbor 20 --alarm-bypass
ok "a delivery credential with the alarm condition"

# ---- a delivery: entry zone bypassed first, interior armed, re-armed after ----
m=$(evcount)
unlock --cred alarm.cbor --key courier.key >u1.out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "^decision: granted (ok)" u1.out
ok "courier unlock with the alarm condition, panel armed away: granted" || { show u1.out; show hub.log; }
got=$(since "$m" | awk '{print $3}' | tr '\n' ' ')
want="alarm.bypass-request alarm.bypass decision.grant session.start lock.unlocking"
case "$got" in "$want"*) true ;; *) false ;; esac
ok "events: the bypass is requested and confirmed before the decision and the UNLOCK" || echo "# got: $got"
since "$m" | grep 'alarm.bypass ' | grep -q '"on":true' && since "$m" | grep 'alarm.bypass ' | grep -q '"zone":1'
ok "the bypass confirmed is zone 1, the entry zone" || since "$m" | show
panel bypassed '\[1\]' && panel state '"armed_away"' && state unlocked
ok "panel: zone 1 bypassed, still armed away; the bolt drawn" || sim alarm status | show
sim door open >/dev/null && sim alarm zone 1 open >/dev/null && state open
panel state '"armed_away"' && sim alarm status | grep -q '"faulted":\[1\]'
ok "the courier opens the door: entry zone faults, bypassed, the panel stays quiet" ||
	sim alarm status | show
sim alarm zone 1 close >/dev/null && sim door close >/dev/null && state secured
ok "door shut: relocked, secured" || show hub.log
panel bypassed '\[\]' && panel state '"armed_away"'
ok "after the quiet time the bypass ends: nothing bypassed, armed away throughout" ||
	sim alarm status | show
got=$(since "$m" | awk '{print $3}' | tr '\n' ' ')
case "$got" in *"session.end "*"alarm.bypass-end alarm.bypass"*) true ;; *) false ;; esac
ok "events: session.end, then alarm.bypass-end and the panel's confirmation" || echo "# got: $got"
since "$m" | grep 'alarm.bypass ' | tail -n 1 | grep -q '"on":false'
ok "the last bypass event: zone 1 off" || since "$m" | show
sim alarm status | grep -q '"trigger":0'
ok "nothing was triggered" || sim alarm status | show

# ---- a panel that cannot bypass ----
sim alarm bypass-support off >/dev/null
m=$(evcount)
unlock --cred alarm.cbor --key courier.key >u2.out 2>&1; rc=$?
[ $rc -eq 26 ] && grep -q "alarm-cannot-bypass" u2.out
ok "the panel cannot bypass: refused alarm-cannot-bypass (exit 26)" || show u2.out
! since "$m" | grep -q 'lock.unlocking\|session.start\|decision.grant' && state secured &&
	sim status | grep -q '"lock":"locked"'
ok "the bolt never moved, no session" || since "$m" | show
sim alarm bypass-support on >/dev/null

# ---- a panel that never confirms ----
sim alarm confirm off >/dev/null
m=$(evcount)
t0=$(date +%s%3N)
unlock --cred alarm.cbor --key courier.key >u3.out 2>&1; rc=$?
el=$(( $(date +%s%3N) - t0 ))
[ $rc -eq 26 ] && [ "$el" -ge 2900 ] && [ "$el" -lt 8000 ]
ok "no confirmation within bypass_timeout (3 s): refused alarm-cannot-bypass after $el ms" || show u3.out
! since "$m" | grep -q 'lock.unlocking\|session.start\|decision.grant' &&
	since "$m" | grep 'decision.refuse' | grep -q 'panel-timeout' && sim status | grep -q '"lock":"locked"'
ok "the bolt never moved; decision.refuse says panel-timeout" || since "$m" | show
panel bypassed '\[\]'
ok "the bypass asked for is taken back" || sim alarm status | show
m3=$m	# (for the retries of its unbypass, below: the second can come before the next try)
m=$(evcount)
"$P" courier unlock --hub "$LINK" --cred alarm.cbor --key courier.key >u3b.out 2>&1 &
up=$!	# the porter process itself, not a subshell
# The device leaves as soon as the hub says it waits: well inside bypass_timeout.
waited=false
for _ in $(seq 300); do
	sim status | grep -q '"waiting_for_panel":true' && { waited=true; kill -KILL "$up"; break; }
	sleep 0.05
done
$waited
ok "while the panel is silent, the hub says it waits for it" || sim status | show
kill -KILL "$up" 2>/dev/null; wait "$up" 2>/dev/null
for _ in $(seq 300); do since "$m" | grep -q 'decision.refuse' && break; sleep 0.05; done
since "$m" | grep 'decision.refuse' | grep -q 'device-left' && ! since "$m" | grep -q 'lock.unlocking' &&
	sim status | grep -q '"waiting_for_panel":false'
ok "the courier's device leaves while the hub waits: refused (device-left), nothing moved" ||
	since "$m" | show
# regression (an entry zone left bypassed): the unbypass nobody confirmed
# is sent again (after bypass_timeout, then twice that), and an alert
# goes out at the second retry
for _ in $(seq 300); do since "$m3" | grep -q 'alert.alarm-bypass-stuck' && break; sleep 0.05; done
since "$m3" | grep -q 'alert.alarm-bypass-stuck .*"zones":\[1\]' &&
	[ "$(sim alarm status | sed 's/.*"unbypass":\([0-9]*\).*/\1/')" -ge 5 ]
ok "an unbypass the panel never confirms is retried; alert.alarm-bypass-stuck (zone 1)" ||
	{ since "$m3" | show; sim alarm status | show; }
m=$(evcount)
sim alarm confirm on >/dev/null
u0=$(sim alarm status | sed 's/.*"unbypass":\([0-9]*\).*/\1/')
for _ in $(seq 300); do since "$m" | grep -q 'alarm.bypass .*"on":false' && break; sleep 0.05; done
sleep 2.5
u1=$(sim alarm status | sed 's/.*"unbypass":\([0-9]*\).*/\1/')
since "$m" | grep -q 'alarm.bypass .*"on":false' && [ "$u1" -le $((u0 + 1)) ]
ok "the panel answers again: zone 1 confirmed off, the retries stop ($u0 -> $u1 unbypass commands)" ||
	{ since "$m" | show; sim alarm status | show; }

# ---- interior motion during the delivery ----
m=$(evcount)
unlock --cred alarm.cbor --key courier.key >u4.out 2>&1 && state unlocked
ok "another delivery: granted" || show u4.out
sim door open >/dev/null && state open && sim motion interior >/dev/null
panel state '"triggered"'
ok "interior motion during the delivery: the panel is triggered" || sim alarm status | show
since "$m" | grep -q 'alert.intrusion .*motion-interior-during-entry' &&
	since "$m" | grep -q 'alarm.trigger .*motion-interior-during-entry'
ok "events: alert.intrusion and alarm.trigger (motion-interior-during-entry)" || since "$m" | show
sim door close >/dev/null && state secured
ok "door shut: secured" || show hub.log
panel bypassed '\[\]'
reset_panel
ok "owner resets the panel at the keypad" || sim alarm status | show

# ---- an interior zone of the panel during a delivery ----
m=$(evcount)
unlock --cred alarm.cbor --key courier.key >u5.out 2>&1 && state unlocked && sim door open >/dev/null &&
	state open && sim alarm zone 2 open >/dev/null
panel state '"triggered"'
ok "an interior zone faults during a delivery: still armed, the panel sounds" || sim alarm status | show
since "$m" | grep -q 'alarm.zone .*"role":"interior"' && since "$m" | grep -q 'alarm.trigger'
ok "events: alarm.zone (interior) and alarm.trigger" || since "$m" | show
sim alarm zone 2 close >/dev/null; sim door close >/dev/null; state secured
panel bypassed '\[\]'
reset_panel

# ---- entry motion after the session ----
m=$(evcount)
unlock --cred alarm.cbor --key courier.key >u6.out 2>&1 && state unlocked && sim door open >/dev/null &&
	state open && sim door close >/dev/null && state secured && panel bypassed '\[\]'
ok "a delivery in and out; the bypass has ended" || { show u6.out; sim alarm status | show; }
sim motion entry >/dev/null
panel state '"triggered"'
ok "entry motion after the session, armed: triggered" || sim alarm status | show
since "$m" | grep -q 'intrusion .*motion-entry' && since "$m" | grep -q 'alert.intrusion' &&
	since "$m" | grep -q 'alarm.trigger .*"why":"intrusion"'
ok "events: intrusion (motion-entry), alert.intrusion, alarm.trigger" || since "$m" | show
reset_panel

# ---- the door forced ----
m=$(evcount)
sim door open >/dev/null
panel state '"triggered"'
ok "the door opens with the bolt thrown: the panel is triggered" || sim alarm status | show
since "$m" | grep -q 'door.forced' && since "$m" | grep -q 'alert.door-forced' &&
	since "$m" | grep -q 'alarm.trigger .*"why":"door-forced"'
ok "events: door.forced, alert.door-forced, alarm.trigger" || since "$m" | show
sim door close >/dev/null && state secured
reset_panel

# ---- the panel sounds on its own ----
m=$(evcount)
sim alarm zone 3 open >/dev/null && panel state '"triggered"'
sleep 0.2
since "$m" | grep -q 'alarm.state .*"state":"triggered"' && since "$m" | grep -q 'alert.alarm-triggered'
ok "an interior zone with nobody let in: the panel sounds; alarm.state and alert.alarm-triggered" ||
	since "$m" | show
sim alarm zone 3 close >/dev/null
reset_panel

# ---- disarmed: nothing to bypass ----
sim alarm disarm >/dev/null && panel state '"disarmed"'
m=$(evcount)
unlock --cred alarm.cbor --key courier.key >u7.out 2>&1 && state unlocked
ok "panel disarmed (someone home): the alarm credential is granted" || show u7.out
! since "$m" | grep -q 'alarm.bypass-request'
ok "nothing is bypassed for it" || since "$m" | show
sim door open >/dev/null; sim door close >/dev/null; state secured
sim alarm arm away >/dev/null

# ---- never disarmed for a courier ----
sim alarm status | grep -q '"disarm":0' && ! "$HUB" -f hub.conf -E | grep -q 'alarm.disarm'
ok "the hub never disarmed the panel for a courier" || sim alarm status | show
"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
	--expires +1h --entries 1 -o plain.cbor >/dev/null
m=$(evcount)
unlock --cred plain.cbor --key courier.key >u8.out 2>&1 && state unlocked && sim door open >/dev/null &&
	sim alarm zone 1 open >/dev/null
panel state '"triggered"'
ok "a courier credential without the alarm condition: the door opens, the entry zone sounds" ||
	sim alarm status | show
! since "$m" | grep -q 'alarm.bypass-request\|alarm.disarm'
ok "nothing was bypassed or disarmed for it" || since "$m" | show
sim alarm zone 1 close >/dev/null; sim door close >/dev/null; state secured
reset_panel

# ---- regressions: a slow panel (it answers 1.5 s after a command) ----
stop
# (a lockout of 5 s: the grant below that waits must still be judged inside it)
DELAY=1500ms LOCKOUT=1 LOCKFIRST=5s conf hub.conf "${ALARM[@]:0:3}" 'bypass_timeout = 6s'
start
panel state '"armed_away"' && state secured
ok "restarted with a panel (and lock) that answer after 1.5 s" || show hub.log
# stale bypass: the entry zone's unbypass is not answered yet when the
# next courier comes; the panel's last report ("bypassed") must not count.
# The panel holds its answers (confirm off) from before the door shuts, so
# this does not hang on how fast the machine is.
m=$(evcount)
unlock --cred alarm.cbor --key courier.key >s1.out 2>&1 && state unlocked && sim door open >/dev/null &&
	sim alarm zone 1 open >/dev/null && state open && sim alarm zone 1 close >/dev/null &&
	sim alarm confirm off >/dev/null && sim door close >/dev/null
for _ in $(seq 300); do since "$m" | grep -q 'alarm.bypass-end' && break; sleep 0.05; done
since "$m" | grep -q 'alarm.bypass-end' && sim alarm status | grep -q '"bypassed":\[1\]'
ok "a delivery in and out: the bypass ends, the panel has not answered the unbypass yet" ||
	{ show s1.out; since "$m" | show; sim alarm status | show; }
m=$(evcount)
"$P" courier unlock --hub "$LINK" --cred alarm.cbor --key courier.key --timeout 20 >s2.out 2>&1 &
up=$!
for _ in $(seq 300); do sim status | grep -q '"waiting_for_panel":true' && break; sleep 0.05; done
sleep 0.5
sim status | grep -q '"waiting_for_panel":true' && sim alarm status | grep -q '"bypassed":\[1\]' &&
	! since "$m" | grep -q 'decision.grant\|lock.unlocking'
ok "stale bypass: the panel still reports zone 1 bypassed, yet the next courier waits" ||
	{ sim status | show; since "$m" | show; }
sim alarm confirm on >/dev/null
wait "$up"; rc=$?
[ $rc -eq 0 ]
ok "stale bypass: once the panel confirms afresh, granted" || { show s2.out; since "$m" | show; }
# (on a slow machine, an ASan build, the last entry's unbypass may be
# confirmed, "on":false, after the mark and before the request: only
# what follows the request is this grant's)
since "$m" | sed -n '/ alarm.bypass-request /,$p' >s2.ev
got=$(awk '{print $3}' s2.ev | tr '\n' ' ')
case "$got" in "alarm.bypass-request alarm.bypass decision.grant"*) true ;; *) false ;; esac &&
	grep 'alarm.bypass ' s2.ev | head -n 1 | grep -q '"on":true' &&
	! since "$m" | sed '/ alarm.bypass-request /,$d' | grep -v '"on":false' | grep -q 'alarm.bypass '
ok "stale bypass: the panel's own \"on\" comes between the request and the grant" || echo "# got: $got"
state unlocked && panel bypassed '\[1\]' && sim door open >/dev/null && sim alarm zone 1 open >/dev/null &&
	sleep 0.3 && panel state '"armed_away"'
ok "stale bypass: zone 1 bypassed while the bolt is drawn; the courier walks in, no sound" ||
	{ sim alarm status | show; since "$m" | show; }
sim alarm zone 1 close >/dev/null; sim door close >/dev/null; state secured
panel bypassed '\[\]'; reset_panel

# the panel goes off while a grant waits: judged again, refused
sim alarm confirm off >/dev/null
m=$(evcount)
"$P" courier unlock --hub "$LINK" --cred alarm.cbor --key courier.key --timeout 20 >s3.out 2>&1 &
up=$!
for _ in $(seq 300); do sim status | grep -q '"waiting_for_panel":true' && break; sleep 0.05; done
sim alarm zone 2 open >/dev/null && panel state '"triggered"' >/dev/null
sim alarm confirm on >/dev/null
wait "$up"; rc=$?
[ $rc -eq 26 ] && since "$m" | grep 'decision.refuse' | grep -q 'changed-while-waiting' &&
	! since "$m" | grep -q 'decision.grant\|lock.unlocking'
ok "triggered while the grant waits: refused (alarm-cannot-bypass, changed-while-waiting), the bolt never moved" ||
	{ show s3.out; since "$m" | show; }
panel bypassed '\[\]'
ok "the bypass confirmed for it is taken back" || sim alarm status | show
sim alarm zone 2 close >/dev/null; reset_panel

# a lockout that starts while the grant waits: refused, and not reset
sim alarm confirm off >/dev/null
m=$(evcount)
"$P" courier unlock --hub "$LINK" --cred alarm.cbor --key courier.key --timeout 20 >s4.out 2>&1 &
up=$!
for _ in $(seq 300); do sim status | grep -q '"waiting_for_panel":true' && break; sleep 0.05; done
ml=$(wc -l <hub.log)
unlock --cred alarm.cbor --key resident.key >s5.out 2>&1	# not the holder: bad-signature
for _ in $(seq 300); do since "$m" | grep -q 'lockout.start' && break; sleep 0.05; done
sim alarm confirm on >/dev/null
wait "$up"; rc=$?
[ $rc -ne 0 ] && since "$m" | grep -q 'lockout.start' &&
	since "$m" | grep 'decision.refuse' | grep '"token"' | grep -q '"reason":"locked-out"' &&
	! since "$m" | grep -q 'decision.grant\|lock.unlocking'
ok "a lockout starts while the grant waits: refused locked-out, the bolt never moved" ||
	{ show s4.out; since "$m" | show; }
panel bypassed '\[\]'
# the lockout's end, as the hub logs it (lockout_first = 5s here)
for _ in $(seq 400); do tail -n +"$((ml + 1))" hub.log | grep -q 'event=lockout_end' && break; sleep 0.05; done

# SIGTERM while a grant waits: the refusal is in the chain before hub.stop
sim alarm confirm off >/dev/null
"$P" courier unlock --hub "$LINK" --cred alarm.cbor --key courier.key --timeout 20 >s6.out 2>&1 &
up=$!
for _ in $(seq 300); do sim status | grep -q '"waiting_for_panel":true' && break; sleep 0.05; done
sim status | grep -q '"waiting_for_panel":true'
ok "a grant waits for the silent panel" || sim status | show
stop
wait "$up"; rc=$?
"$HUB" -f hub.conf -E | tail -n 2 | awk '{print $3}' | tr '\n' ' ' >last.out
grep -q '^decision.refuse hub.stop $' last.out && "$HUB" -f hub.conf -E | tail -n 2 | grep -q '"why":"hub-stop"'
ok "SIGTERM while waiting: decision.refuse (hub-stop) recorded, then hub.stop" ||
	{ show last.out; "$HUB" -f hub.conf -E | tail -n 4 | show; }
[ $rc -eq 26 ] && grep -q 'alarm-cannot-bypass' s6.out &&
	grep -q 'command=unbypass zone=1 why=grant-refused' hub.log
ok "the waiting device got its refusal; the unbypass was sent before the panel closed" ||
	{ show s6.out; grep 'unbypass' hub.log | show; }
"$HUB" -f hub.conf -V >v0.out 2>&1
ok "the chain verifies, the last event signed" || show v0.out

# ---- a resident's credential, the policy says disarm ----
stop
conf hub.conf "${ALARM[@]}" 'resident_disarm = yes'
start
ok "restarted with resident_disarm = yes" || show hub.log
panel state '"armed_away"'
"$P" grant --key owner.key --holder resident.key.pub --home home-1 --purpose resident \
	-o resident.cbor >/dev/null
unlock --cred resident.cbor --key resident.key >u9.out 2>&1 && panel state '"disarmed"'
ok "a resident's credential: granted, the panel disarmed" || { show u9.out; sim alarm status | show; }
"$HUB" -f hub.conf -E | grep -q 'alarm.disarm .*"why":"resident"'
ok "event: alarm.disarm (resident)" || "$HUB" -f hub.conf -E | tail -n 5 | show
sim door open >/dev/null; sim door close >/dev/null; state secured
sim alarm arm away >/dev/null && panel state '"armed_away"'
unlock --cred alarm.cbor --key courier.key >u10.out 2>&1 && state unlocked
sim alarm status | grep -q '"disarm":1' && panel state '"armed_away"'
ok "the courier after: still only the resident's one disarm, armed away" || sim alarm status | show
sim door open >/dev/null; sim door close >/dev/null; state secured
# Its entry-zone bypass ends 400 ms (bypass_quiet) later: not inside the turns compared below.
panel bypassed '\[\]'

# ---- duress (docs/alarm.md, "Duress") ----
! "$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose guest \
	--expires +1h --duress -o x.cbor >dg.out 2>&1 && grep -q -- "--duress is for" dg.out
ok "porter grant: --duress only on a resident root grant" || show dg.out
"$P" grant --key owner.key --holder resident.key.pub --home home-1 --purpose resident \
	--note "welcome home" -o res2.cbor >/dev/null &&
	"$P" grant --key owner.key --holder resident.key.pub --home home-1 --purpose resident \
		--note "welcome home" --duress -o duress.cbor >/dev/null
ok "a resident credential and the same with --duress" || true
"$P" cred inspect res2.cbor >i1.out 2>&1 && "$P" cred inspect duress.cbor >i2.out 2>&1 &&
	[ "$(stat -c %s duress.cbor)" -eq $(($(stat -c %s res2.cbor) + 2)) ]
ok "the duress credential is two bytes longer (11: true)" || show i2.out
trig0=$(sim alarm status | python3 -c 'import json,sys; print(json.load(sys.stdin)["commands"]["trigger"])')
sim alarm arm away >/dev/null && panel state '"armed_away"'
m=$(evcount)
unlock --cred res2.cbor --key resident.key >dn.out 2>&1 && panel state '"disarmed"'
ok "the plain resident credential: granted, disarmed" || show dn.out
# From the turn's decision on: an earlier session's timers (its entry zone's
# bypass-end, 400 ms after it) or the panel's arming may land after the mark.
turn() { since "$1" | awk '{print $3}' | grep -v '^alert.duress$' | sed -n '/^decision\./,$p' | head -n 4 | tr '\n' ' '; }
normal=$(turn "$m")
sim door open >/dev/null; sim door close >/dev/null; state secured
sim alarm arm away >/dev/null && panel state '"armed_away"'
m=$(evcount)
unlock --cred duress.cbor --key resident.key >dd.out 2>&1 && state unlocked && panel state '"disarmed"'
ok "the duress credential: granted, the bolt drawn, the panel disarmed as asked" ||
	{ show dd.out; sim alarm status | show; }
diff dn.out dd.out >ddiff.out
ok "the device sees the same decision for both (decoded DECISION, notes, relock)" || show ddiff.out
since "$m" | grep 'alert.duress' >da.out
OWNER_KID=$("$P" pubkey owner.key.pub | python3 -c 'import base64,hashlib,sys; s=sys.stdin.read().strip(); print(hashlib.sha256(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))).hexdigest()[:16])')
[ "$(wc -l <da.out)" -eq 1 ] && grep -q "\"owner\":\"$OWNER_KID\"" da.out && grep -q '"session":"[0-9a-f]\{32\}"' da.out
ok "event alert.duress: once, the owner key that signed it ($OWNER_KID), the session" ||
	{ since "$m" | show; }
dur=$(turn "$m")
[ "$dur" = "$normal" ] && [ "$normal" = "decision.grant session.start lock.unlocking alarm.disarm " ]
ok "the same decision, session, unlock and disarm as the plain credential: $dur" ||
	{ echo "# plain: $normal"; since "$m" | show; }
trig1=$(sim alarm status | python3 -c 'import json,sys; print(json.load(sys.stdin)["commands"]["trigger"])')
[ "$trig0" = "$trig1" ] && ! since "$m" | grep -q 'alarm.trigger'
ok "nothing local: no trigger, no siren" || sim alarm status | show
grep -q "event=alert type=duress .*owner=$OWNER_KID" hub.log
ok "the hub's own log (inside the house) says it" || tail -n 5 hub.log | show
! "$HUB" -f hub.conf -E | grep -q 'alert.duress.*"purpose"' &&
	"$HUB" -f hub.conf -E | grep 'decision.grant' | tail -n 2 | grep -c '"purpose":"resident"' | grep -q 2
ok "decision.grant is a resident's like any other" || "$HUB" -f hub.conf -E | tail -n 8 | show
sim door open >/dev/null; sim door close >/dev/null; state secured
# a delegate that adds the marker: refused by the chain checks
"$P" keygen -o fam.key >/dev/null
"$P" grant --key owner.key --holder fam.key.pub --home home-1 --purpose resident --depth 1 \
	-o fam.cbor >/dev/null &&
	"$P" grant --key fam.key --parent fam.cbor --holder resident.key.pub --depth 0 --duress \
		--unchecked -o famd.cbor >/dev/null
ok "a delegate's child with --duress (--unchecked)" || true
m=$(evcount)
sim alarm arm away >/dev/null && panel state '"armed_away"'
unlock --cred famd.cbor --key resident.key >df.out 2>&1; rc=$?
[ $rc -eq 14 ] && grep -q "widened-link), link 1" df.out && ! since "$m" | grep -q 'alert.duress\|lock.unlocking'
ok "a duress marker added by a delegate: refused widened-link at link 1, no alert, bolt still" ||
	{ show df.out; since "$m" | show; }
"$P" grant --key fam.key --parent fam.cbor --holder resident.key.pub --depth 0 --duress \
	-o famd2.cbor >dc.out 2>&1
[ $? -ne 0 ] && grep -q -- "--duress is for" dc.out
ok "porter grant refuses --duress on a delegation" || show dc.out

# ---- panic (docs/alarm.md, "Panic"): [alarm] panic_trigger = no (default) ----
# A relay that records the device's frames and, once the hub has answered
# the PANIC, sends the same PANIC again on that connection and on a new
# one (after a HELLO of its own): both replays must be refused.
cat >relay.py <<'PYEOF'
import os, socket, struct, sys
lst, hub, log = sys.argv[1], sys.argv[2], sys.argv[3]
def frame(s):
    h = b""
    while len(h) < 2:
        c = s.recv(2 - len(h))
        if not c: return None
        h += c
    n = struct.unpack(">H", h)[0]; b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: return None
        b += c
    return h + b
srv = socket.socket(socket.AF_UNIX); srv.bind(lst); srv.listen(1)
open(log + ".ready", "w").close()
dev, _ = srv.accept(); up = socket.socket(socket.AF_UNIX); up.connect(hub)
out = open(log, "w"); panic = None
while True:
    f = frame(dev)
    if f is None: break
    up.sendall(f); a = frame(up)
    if f[3] == 7: panic = f
    dev.sendall(a)
    if panic is not None: break
dev.close()
up.sendall(panic); a = frame(up)
out.write("same-conn type=%d %s\n" % (a[3], a[4:].hex())); up.close()
up = socket.socket(socket.AF_UNIX); up.connect(hub)
up.sendall(bytes.fromhex("00030101a0")); frame(up)
up.sendall(panic); a = frame(up)
out.write("new-conn type=%d %s\n" % (a[3], a[4:].hex())); out.close()
PYEOF
grant expired.cbor 1 --not-before -3h --expires -2h
"$P" keygen -o stranger.key >/dev/null
"$P" grant --key stranger.key --holder courier.key.pub --home home-1 --purpose delivery \
	--expires +1h --entries 1 -o stranger.cbor >/dev/null
panic() { "$P" courier panic --hub "$LINK" "$@"; }
m=$(evcount)
ml=$(wc -l <hub.log)
sim alarm arm away >/dev/null && panel state '"armed_away"' && state secured
trig0=$(sim alarm status | python3 -c 'import json,sys; print(json.load(sys.stdin)["commands"]["trigger"])')
panic --cred plain.cbor --key courier.key >p1.out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "panic-received" p1.out && grep -q "note:\|hub:" p1.out
ok "courier panic with a used-up credential: panic-received (exit 0)" || show p1.out
since "$m" | grep 'alert.panic' >pa.out
[ "$(wc -l <pa.out)" -eq 1 ] && grep -q '"purpose":"delivery"' pa.out &&
	grep -q "\"owner\":\"$OWNER_KID\"" pa.out && grep -q '"session":"[0-9a-f]\{32\}"' pa.out
ok "event alert.panic: the session, purpose, the owner key of the root" || since "$m" | show
! since "$m" | grep -q 'lock.unlocking\|decision.grant\|alarm.trigger' && state secured
ok "the bolt never moved; panic_trigger = no: no trigger" || since "$m" | show
panic --cred expired.cbor --key courier.key >p2.out 2>&1; rc=$?
[ $rc -eq 0 ] && [ "$(since "$m" | grep -c 'alert.panic')" -eq 2 ]
ok "an expired credential can still call for help" || { show p2.out; since "$m" | show; }
panic --cred expired.cbor --key courier.key >p3.out 2>&1; rc=$?
[ $rc -eq 0 ] && [ "$(since "$m" | grep -c 'alert.panic')" -eq 2 ]
ok "the same credential again within a minute: received, no second alert (rate limit)" ||
	{ show p3.out; since "$m" | show; }
tail -n +"$((ml + 1))" hub.log | grep -q 'event=panic .*result=repeated'
ok "the hub's log says repeated" || tail -n 5 hub.log | show
panic --cred alarm.cbor --key resident.key >p4.out 2>&1; rc=$?
[ $rc -eq 12 ] && grep -q "bad-signature" p4.out
ok "a PANIC signed by another key than the holder's: refused bad-signature (exit 12)" || show p4.out
sleep 1.1	# panic.refuse is recorded once a second at most (the rest counted)
panic --cred stranger.cbor --key courier.key >p5.out 2>&1; rc=$?
[ $rc -eq 16 ] && grep -q "untrusted-root" p5.out
ok "a chain not issued by the home's owners: refused untrusted-root (exit 16)" || show p5.out
[ "$(since "$m" | grep -c 'alert.panic')" -eq 2 ] &&
	[ "$(since "$m" | grep -c 'panic.refuse')" -eq 2 ]
ok "no alert for them; panic.refuse recorded" || since "$m" | show
# the relay records a real PANIC and replays it
grant relay.cbor 1
rm -f relay.log relay.log.ready
python3 relay.py "$T/relay.sock" "$T/hub/link.sock" relay.log &
RPID=$!; PIDS+=("$RPID")
for _ in $(seq 300); do [ -e relay.log.ready ] && break; sleep 0.05; done
"$P" courier panic --hub "unix:$T/relay.sock" --cred relay.cbor --key courier.key >p6.out 2>&1; rc=$?
wait "$RPID"
[ $rc -eq 0 ] && [ "$(since "$m" | grep -c 'alert.panic')" -eq 3 ]
ok "through the relay: received, the third alert" || { show p6.out; since "$m" | show; }
# a DECISION frame's body: reason -20 is nonce-reused (CBOR 33 is -20)
grep -q '^same-conn type=4 .*6c6e6f6e63652d726575736564' relay.log &&
	grep -q '^new-conn type=4 .*6c6e6f6e63652d726575736564' relay.log &&
	[ "$(since "$m" | grep -c 'alert.panic')" -eq 3 ]
ok "the recorded PANIC replayed (same connection, new challenge): nonce-reused, no alert" ||
	show relay.log
! since "$m" | grep -q 'lock.unlocking' && state secured &&
	[ "$(sim alarm status | python3 -c 'import json,sys; print(json.load(sys.stdin)["commands"]["trigger"])')" = "$trig0" ]
ok "through all of it the bolt never moved and nothing sounded" || since "$m" | show
! tail -n +"$((ml + 1))" hub.log | grep 'event=failure' | grep -q -v 'reason=bad-signature\|reason=untrusted-root\|reason=nonce-reused'
ok "the valid calls counted as no failed attempt (only the forged ones and replays did)" ||
	tail -n +"$((ml + 1))" hub.log | grep 'event=failure' | show

# ---- panic_trigger = yes ----
stop
conf hub.conf "${ALARM[@]}" 'panic_trigger = yes'
start
ok "restarted with panic_trigger = yes" || show hub.log
"$HUB" -f hub.conf -n -v 2>&1 | grep -q '^alarm.panic_trigger = yes'
ok "-n -v shows alarm.panic_trigger" || true
panel state '"armed_away"' && state secured
m=$(evcount)
panic --cred plain.cbor --key courier.key >p7.out 2>&1; rc=$?
[ $rc -eq 0 ] && panel state '"triggered"' && since "$m" | grep -q 'alarm.trigger .*"why":"panic"'
ok "a panic call sounds the panel (alarm.trigger why panic)" || { show p7.out; since "$m" | show; }
! since "$m" | grep -q 'lock.unlocking' && state secured
ok "and the bolt never moved" || since "$m" | show
reset_panel
ok "panel reset" || true

# ---- no panel ----
stop
conf hub.conf driver=none
start
ok "restarted without a panel" || show hub.log
unlock --cred alarm.cbor --key courier.key >u11.out 2>&1; rc=$?
if [ $rc -eq 28 ]; then
	# The forged calls above left a lockout (durable, 1 s from the last
	# one): on a loaded machine it can still stand. Wait it out, as told.
	ms=$(sed -n 's/^retry-after: \([0-9]*\) ms$/\1/p' u11.out)
	sleep "$(awk -v ms="${ms:-1000}" 'BEGIN { printf "%.2f", ms / 1000 + 0.2 }')"
	unlock --cred alarm.cbor --key courier.key >u11.out 2>&1; rc=$?
fi
[ $rc -eq 26 ] && grep -q "alarm-cannot-bypass" u11.out
ok "no panel: a credential that requires the bypass is refused (exit 26)" || show u11.out
unlock --cred plain.cbor --key courier.key >/dev/null 2>&1; rc=$?
[ $rc -eq 22 ]
ok "(the plain credential is used up: no-entries-left, not an alarm reason)"

# ---- a panic during a lockout: its HELLO still gets a (panic-only) challenge ----
stop
sed -i 's/^lockout_first = 1s$/lockout_first = 1m/' hub.conf
ml=$(wc -l <hub.log)
start
"$HUB" -f hub.conf -n -v 2>&1 | grep -q '^link.lockout_first = 60s'
ok "restarted with lockout_first = 1m" || { "$HUB" -f hub.conf -n -v 2>&1 | grep lockout | show; show hub.log; }
# The failures above (no-entries-left among them) are still counted and
# may have started a short lockout that the restart resumed. Attempts
# made inside it are not counted, so the forged ones below must come
# after its end, or the next lockout would not start and the one that
# ends would look like a lifted one.
for _ in $(seq 200); do
	tail -n +"$((ml + 1))" hub.log | grep -q 'event=lockout_resumed' || break
	tail -n +"$((ml + 1))" hub.log | grep -q 'event=lockout_end' && break
	sleep 0.05
done
grant lockp.cbor 1
m0=$(evcount)
ml=$(wc -l <hub.log)
for i in 1 2 3 4 5; do unlock --cred lockp.cbor --key resident.key >/dev/null 2>&1; done
unlock --cred lockp.cbor --key courier.key >lk1.out 2>&1; rc=$?
[ $rc -eq 28 ] && grep -q 'locked-out' lk1.out &&
	tail -n +"$((ml + 1))" hub.log | grep 'event=lockout_start' | grep -q -E ' ms=[0-9]{5,} '
ok "forged attempts lock the link out for a minute or more: the courier's own unlock is refused (exit 28)" ||
	{ show lk1.out; tail -n +"$((ml + 1))" hub.log | show; }
m=$(evcount)
panic --cred lockp.cbor --key courier.key >lk2.out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q 'panic-received' lk2.out && [ "$(since "$m" | grep -c 'alert.panic')" -eq 1 ]
ok "but a panic call gets through: panic-received, alert.panic" || { show lk2.out; since "$m" | show; }
unlock --cred lockp.cbor --key courier.key >lk3.out 2>&1; rc=$?
[ $rc -eq 28 ] && ! since "$m" | grep -q 'lock.unlocking'
ok "the lockout stands: the next unlock is still refused, the bolt never moved" ||
	{ show lk3.out; since "$m0" | show; grep 'lockout\|failure' hub.log | tail -n 20 | show; }
"$HUB" -f hub.conf -V >v.out 2>&1
ok "the event chain verifies" || show v.out
stop
! grep -q 'level=error' hub.log
ok "no error logged" || grep 'level=error' hub.log | show
! grep -q 'Sanitizer\|runtime error' hub.log
ok "no sanitizer report (ASan/UBSan builds)" || grep -A5 'Sanitizer\|runtime error' hub.log | show

echo "1..$n"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# porter-hub persists before it answers, TAP output (docs/hub.md, "A grant",
# "Lockout", "The crash guarantee"): the order of the real daemon's system
# calls, seen by strace, not its timing.
#
# The hub (sim drivers, state in $T/hub, link.lockout_failures = 7) runs
# under `strace -f -yy -xx` (every fd with its path or socket, every buffer
# in hex). Over its link: two grants (`porter courier unlock`, a credential
# with 2 entries), then seven refusals that count towards the lockout
# (no-entries-left, bad-signature, untrusted-root with the real `porter`;
# a malformed HELLO, a PROOF before any HELLO, a frame announcing more
# than the cap, a CHALLENGE sent to the hub, raw), the seventh starting the
# lockout, and two that do not count (a frame of another version, a HELLO
# during the lockout). Then tests/integration/hub_order.py reads the trace:
# for every answer on a link connection, a DECISION "ok" to a PROOF (a
# grant) must come after a pwrite64 and an fdatasync of hub.db-wal made
# since the PROOF's last byte was read, and that fdatasync before the
# lock's unlock command (its log line, written right after the driver
# call); a counted refusal (DECISION or ERROR) likewise before its answer.
# Deterministic: one thread, one order; a commit moved to after the answer
# (an end-of-turn commit) makes it fail (docs/hub.md says how that was
# checked).
# Usage: test_hub_order.sh PORTER_HUB PORTER
set -u
. "$(dirname "$0")/lib.sh"
HUB=$(realpath "$1")
P=$(realpath "$2")
ORDER=$SRC/tests/integration/hub_order.py
need python3 strace pgrep
# ptrace may be forbidden (a container's seccomp, Yama): say so, skip
strace -qq -e trace=none true 2>/dev/null ||
	{ echo "1..0 # SKIP strace cannot trace here"; exit 0; }
t_begin hub-order

mkdir -m 700 hub
cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
[link]
tcp =
lockout_failures = 7
idle_timeout = 10s
[door]
open_timeout = 1ms
relock_delay = 0
[drivers]
sim_lock_delay = 0
[server]
revocations_max_age = 0
EOF
LINK="unix:$T/hub/link.sock"
SIM=$T/hub/sim.sock

# strace starts the hub: its pid is strace's child's. Under ASan the hub's
# leak check is off ("LeakSanitizer does not work under ptrace"; the other
# hub tests run it): for the hub only, not for porter.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -yy -xx -s 65536 -o "$T/strace.out" \
	-e trace=read,sendto,sendmsg,write,writev,pwrite64,fdatasync,fsync \
	"$HUB" -f "$T/hub.conf" -d -R "$T/ready" >"$T/hub.out" 2>"$T/hub.log" &
SPID=$!
PIDS+=("$SPID")
until_ok 20 test -s ready && until_ok 10 test -S "$T/hub/link.sock" &&
	HPID=$(pgrep -P "$SPID" | head -n 1) && [ -n "$HPID" ]
ok "the hub starts under strace" || { show hub.log; t_end; exit 1; }
PIDS=("$HPID" "$SPID")	# the hub first: strace ends with it

"$P" keygen -o owner.key >/dev/null && "$P" keygen -o courier.key >/dev/null &&
	"$P" keygen -o other.key >/dev/null && "$P" keygen -o stranger.key >/dev/null
"$HUB" pair -f hub.conf -q >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HUBKEY=$(awk '/^hub key:/ {print $3}' pair.out)
"$P" hub pair-local --hub "$LINK" --key owner.key --home home-1 --code "$CODE" \
	--hub-key "$HUBKEY" >pl.out 2>&1
ok "paired" || show pair.out pl.out
"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
	--expires +1h --entries 2 -o c.cbor >/dev/null &&
	"$P" grant --key stranger.key --holder courier.key.pub --home home-1 --purpose delivery \
		--expires +1h --entries 2 -o s.cbor >/dev/null
ok "the credentials" || exit 1

sim() { "$P" sim --hub-control "$SIM" "$@"; }
secured() { sim status 2>/dev/null | grep '"state":"secured"' | grep -q '"lock":"locked"'; }
unlock() { # CRED KEY: the decision's code on stdout
	"$P" courier unlock --hub "$LINK" --cred "$1" --key "$2" 2>&1 |
		sed -n 's/^decision: .*(\([a-z-]*\)).*/\1/p'
}
# raw HEX: one frame on a new connection; the answer's type and code
raw() {
	python3 - "$T/hub/link.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
s.settimeout(10)
b = b''
while True:
    try:
        x = s.recv(4096)
    except OSError:
        break
    if not x:
        break
    b += x
    if len(b) >= 2 and len(b) >= 2 + int.from_bytes(b[:2], 'big'):
        break
s.close()
t = {2: 'CHALLENGE', 4: 'DECISION', 5: 'ERROR'}.get(b[3], str(b[3])) if len(b) > 3 else 'none'
i = b.find(b'\x02', 4)	# key 2, the code (a short text string follows)
code = b[i + 2:i + 2 + (b[i + 1] & 31)].decode() if i > 0 and b[i + 1] >> 5 == 3 else '-'
print(t, code)
PY
}

until_ok 10 secured
g1=$(unlock c.cbor courier.key)
until_ok 10 secured
g2=$(unlock c.cbor courier.key)
until_ok 10 secured
[ "$g1" = ok ] && [ "$g2" = ok ]
ok "two grants (a credential with 2 entries): $g1 $g2" || show hub.log

r1=$(unlock c.cbor courier.key)
r2=$(unlock c.cbor other.key 2>/dev/null)
r3=$(unlock s.cbor courier.key)
[ "$r1" = no-entries-left ] && [ "$r2" = bad-signature ] && [ "$r3" = untrusted-root ]
ok "refused and counted: $r1, $r2, $r3" || show hub.log
u1=$(raw 0003020101a0)	# version 2: ERROR unsupported, does not count
r4=$(raw 00030101ff)	# HELLO whose body is not CBOR
r5=$(raw 00030103a0)	# a PROOF before any HELLO
r6=$(raw ffff0101)	# a frame of 65535 bytes announced
r7=$(raw 00030102a0)	# a CHALLENGE sent to the hub: the seventh, the lockout
[ "$u1" = "ERROR unsupported" ] && [ "$r4" = "ERROR malformed" ] && [ "$r5" = "ERROR malformed" ] &&
	[ "$r6" = "ERROR too-large" ] && [ "$r7" = "ERROR malformed" ]
ok "raw frames: $u1 (not counted); $r4, $r5, $r6, $r7 (counted)" || show hub.log
u2=$(raw 00030101a0)
[ "$u2" = "ERROR locked-out" ] && log_has "event=lockout_start" hub.log
ok "the seventh counted refusal started a lockout; a HELLO now: $u2" || show hub.log

# Stop the hub (strace ends with it and has written every line).
kill "$HPID" 2>/dev/null
wait "$SPID"
ok "the hub stopped (exit $?)"
nf=$(grep -c "event=failure" hub.log)
nl=$(grep -c "event=lockout_start" hub.log)
ng=$(grep -c "event=decision .*result=grant" hub.log)
[ "$nf" -eq 6 ] && [ "$nl" -eq 1 ] && [ "$ng" -eq 2 ]
ok "its log: 2 grants, 6 failures counted and 1 lockout start ($ng, $nf, $nl)" || show hub.log

python3 "$ORDER" strace.out "$T/hub" >order.out 2>&1
rc=$?
sed 's/^/# /' order.out
[ $rc -eq 0 ]
ok "every grant's and every counted refusal's commit (fdatasync of hub.db-wal) came between its request and its answer, and a grant's before its unlock"
sum=$(tail -n 1 order.out)
printf '%s\n' "$sum" | grep -q '^grants=2 counted=7 other=[0-9]* bad=0$'
ok "the trace held the 2 grants and the 7 counted refusals, each with its answer: $sum"
# The state the answers promised, read from outside as a restart would.
python3 - hub/hub.db <<'PY' >db.out 2>&1
import sqlite3, sys
db = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True)
used = db.execute('select sum(used) from usage').fetchone()[0]
fails = db.execute('select failures from lockout').fetchone()[0]
print(used, fails)
PY
db=$(cat db.out)
[ "$db" = "2 7" ]
ok "hub.db: 2 entries charged, 7 failures in the lockout row ($db)" || show db.out
t_end

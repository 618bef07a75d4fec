#!/usr/bin/env bash
# porter-hub killed with SIGKILL in the middle of a stream of unlocks, TAP
# output (docs/hub.md, "The crash guarantee"): the real daemon with sim
# drivers that move at once and a door that relocks after 1 ms, the real
# `porter courier unlock` in a loop on its Unix socket, and kill -9 at a
# random moment, six times. After every kill, on the file the hub left:
#   - `porter-hub -V`: the chain recomputes and the last checkpoint's
#     signature verifies (checkpoint_every = 3, so checkpoints are made
#     inside the batched commits);
#   - `porter-hub -E`: the seqs are 1..N with no gap;
#   - the entries charged (hub.db's usage table, read with Python's
#     sqlite3) equal the decision.grant events: the charge and its decision
#     are one commit, both there or neither;
#   - every unlock the device saw granted (the bolt moved: the hub moves it
#     before it answers) has its decision.grant in the chain;
#   - the hub restarts on that file and still grants.
# Usage: test_hub_crash_events.sh PORTER_HUB PORTER
set -u
. "$(dirname "$0")/lib.sh"
HUB=$(realpath "$1")
P=$(realpath "$2")
need python3
t_begin hub-crash-events

cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
checkpoint_every = 3
[link]
tcp =
lockout_failures = 1000
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
HPID=
start() {
	rm -f ready
	"$HUB" -f "$T/hub.conf" -d -R "$T/ready" >>"$T/hub.out" 2>>"$T/hub.log" &
	HPID=$!
	PIDS+=("$HPID")
	until_ok 10 test -s ready && until_ok 10 test -S "$T/hub/link.sock"
}
unlock() { "$P" courier unlock --hub "$LINK" --cred c.cbor --key courier.key; }

start
ok "the hub starts" || { show hub.log; t_end; exit 1; }
"$P" keygen -o owner.key >/dev/null && "$P" keygen -o courier.key >/dev/null
"$HUB" pair -f hub.conf -q >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HUBKEY=$(awk '/^hub key:/ {print $3}' pair.out)
"$P" hub pair-local --hub "$LINK" --key owner.key --home home-1 --code "$CODE" \
	--hub-key "$HUBKEY" >pl.out 2>&1
ok "paired" || show pair.out pl.out
"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
	--expires +1h --entries 100000 -o c.cbor >/dev/null
unlock >u0.out 2>&1
ok "a first unlock is granted" || show u0.out hub.log

# The entries charged (sum over the usage table) and the decision.grant
# events, on the file as the killed hub left it.
check_file() { # ROUND GRANTED_BY_CLIENT
	local round=$1 seen=$2 charged grants
	"$HUB" -f hub.conf -V >v.$round.out 2>&1 &&
		grep -q "^chain: ok" v.$round.out &&
		grep -q "^checkpoint: seq [0-9]* signed by .*: ok" v.$round.out
	ok "kill $round: porter-hub -V: the chain and the last checkpoint verify" ||
		show v.$round.out
	"$HUB" -f hub.conf -E >e.$round.out 2>&1 &&
		awk 'BEGIN { want = 1 } $1 != want { bad = 1 } { want++ } END { exit bad || want == 1 }' \
			e.$round.out
	ok "kill $round: seqs 1..$(wc -l <e.$round.out) with no gap" || show e.$round.out
	charged=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT coalesce(sum(used), 0) FROM usage").fetchone()[0])' "$T/hub/hub.db")
	grants=$(grep -c " decision.grant " e.$round.out)
	[ -n "$charged" ] && [ "$charged" -eq "$grants" ]
	ok "kill $round: entries charged ($charged) == decision.grant events ($grants)" ||
		show hub.log
	[ "$seen" -le "$grants" ]
	ok "kill $round: every grant the device saw ($seen) is in the chain"
}

total_seen=1
for round in 1 2 3 4 5 6; do
	: >rcs
	# Two devices' loops at once: more exchanges and events in flight
	# (one of two racing is refused door-not-closed: events too).
	( while :; do unlock >/dev/null 2>&1; echo $? >>rcs; done ) &
	LOOP=$!
	( while :; do unlock >/dev/null 2>&1; echo $? >>rcs; done ) &
	LOOP2=$!
	# Mid-stream: at least one answered, then a random moment.
	until_ok 20 test -s rcs
	sleep "0.$((RANDOM % 9))$((RANDOM % 10))"
	kill -KILL "$HPID"
	wait "$HPID" 2>/dev/null
	kill "$LOOP" "$LOOP2" 2>/dev/null
	wait "$LOOP" "$LOOP2" 2>/dev/null
	# (an unlock answered while the loop was being stopped is not counted:
	# the count can only be low, which the check allows)
	total_seen=$((total_seen + $(grep -c '^0$' rcs)))
	echo "# round $round: $(wc -l <rcs) unlocks tried, $(grep -c '^0$' rcs) granted before the kill"
	check_file "$round" "$total_seen"
	start
	ok "kill $round: the hub restarts on the same file" || show hub.log
done
unlock >u1.out 2>&1
ok "after six kills the hub still grants" || show u1.out
[ "$total_seen" -gt 4 ]
ok "the device was let in $total_seen times across the kills (mid-stream)"
t_end

#!/usr/bin/env bash
# porter-hub's sandbox (daemons/hub/sandbox.c; docs/hub.md, "The sandbox"), TAP
# output: the real porter-hub with sim drivers, paired and driven by the
# real `porter` over its Unix link.
#
#   -n -v prints the allow-list (no execve, no ptrace, kill by default);
#   bad [sandbox] keys are refused with the key's name; a sandbox.user
#   that does not exist is refused by -n and at start.
#   Default (seccomp = yes): /proc/PID/status says NoNewPrivs 1 and
#   Seccomp 2 (filter); pairing, a courier's unlock end to end (the bolt
#   moves), a SIGHUP reload, a clean stop with the final checkpoint, the
#   chain verified after.
#   seccomp = no: NoNewPrivs 1, Seccomp 0 and a warning line.
#   As root with user = nobody: Uid and Gid are nobody's, the state
#   directory and hub.db are handed over, an unlock still works, the
#   events are written and the chain verifies. (Skipped when not root.)
# That a forbidden call kills the process is tests/unit/test_hub_sandbox.c.
# Usage: test_hub_sandbox.sh PORTER_HUB PORTER
# KEEP=1 keeps the directory (logs, state) for a look afterwards.
set -u
HUB=$(realpath "$1")
P=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
need python3
t_begin hub-sandbox

conf() { # [SANDBOX LINES...]
	cat >hub.conf <<EOF
[hub]
state_dir = $T/hub
[link]
tcp =
[door]
open_timeout = 60s
relock_delay = 100ms
[drivers]
sim_lock_delay = 50ms
[server]
revocations_max_age = 0
[sandbox]
EOF
	local l
	for l in "$@"; do echo "$l" >>hub.conf; done
}
LINK="unix:$T/hub/link.sock"
sim() { "$P" sim --hub-control "$T/hub/sim.sock" "$@"; }
unlock() { "$P" courier unlock --hub "$LINK" "$@"; }
PID=
start() {
	rm -f "$T/hub/link.sock" "$T/hub/sim.sock"
	: >hub.log
	"$HUB" -f "$T/hub.conf" -d >>hub.out 2>>hub.log &
	PID=$!
	PIDS+=("$PID")
	# The sockets are bound before the sandbox; the log line comes after.
	until_ok 10 log_has 'event=sandbox uid=' hub.log
}
stop() { # the exit status of the hub
	local rc
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" != "$PID" ] && keep+=("$p"); done
	PIDS=("${keep[@]}")
	return $rc
}
status_of() { # FIELD: its value in the hub's /proc/PID/status
	awk -v f="$1:" '$1 == f {print $2}' "/proc/$PID/status"
}
state() {
	for _ in $(seq 200); do
		sim status 2>/dev/null | grep -q "\"state\":\"$1\"" && return 0
		sleep 0.05
	done
	sim status | show
	return 1
}

# ---- the configuration ----
conf
"$HUB" -f hub.conf -n -v >nv.out 2>&1
ok "-n -v: configuration ok" || show nv.out
grep -q '^sandbox.seccomp = yes' nv.out && grep -q '^sandbox.user = ' nv.out
ok "-n -v: sandbox.seccomp = yes and sandbox.user empty by default" || show nv.out
grep -q '^sandbox.allow = openat ' nv.out && grep -q '^sandbox.allow = socket (AF_UNIX, AF_INET, AF_INET6)' nv.out &&
	grep -q '^sandbox.allow = mmap (prot without PROT_EXEC)' nv.out &&
	grep -q '^sandbox.allow = clone (flags with CLONE_THREAD)' nv.out &&
	grep -q '^sandbox.default = kill the process' nv.out
ok "-n -v: the allow-list, with its argument rules and the default (kill)" || show nv.out
! grep -E '^sandbox.allow = (execve|execveat|fork|vfork|mount|setuid|setresuid|bpf|init_module|kexec_load|keyctl|personality|userfaultfd|io_uring_setup|listen|chroot|pivot_root) ' nv.out &&
	{ grep -q '\[sanitizer build only\]' nv.out || ! grep -E '^sandbox.allow = (ptrace|process_vm_readv) ' nv.out; }
ok "-n -v: no execve, fork, mount, setuid, bpf, modules, keyctl, listen, ptrace ... in the list" ||
	grep -E '^sandbox.allow = (execve|ptrace|listen|fork|setuid)' nv.out | show

conf "user = no body"
expect 1 "-n refuses sandbox.user 'no body'" "$HUB" -f hub.conf -n
grep -q 'sandbox.user' err.txt; ok "... naming sandbox.user" || show err.txt
conf "seccomp = maybe"
expect 1 "-n refuses sandbox.seccomp = maybe" "$HUB" -f hub.conf -n
grep -q 'sandbox.seccomp' err.txt; ok "... naming sandbox.seccomp" || show err.txt
conf "group = nogroup"
expect 1 "-n refuses sandbox.group without sandbox.user" "$HUB" -f hub.conf -n
conf "user = porter-no-such-user"
expect 1 "-n refuses a sandbox.user that does not exist" "$HUB" -f hub.conf -n
grep -q "cannot find user 'porter-no-such-user'" err.txt; ok "... saying so" || show err.txt
expect 1 "the hub does not start with a sandbox.user that does not exist" timeout 20 "$HUB" -f hub.conf -d
[ ! -e hub ]; ok "... before it makes anything (no state directory)"

# ---- the sandbox on (the default) ----
# systemd's notify socket, played by Python: sd_notify works in the sandbox.
python3 "$SRC/tests/integration/notify_listen.py" "$T/notify.sock" "$T/notify.txt" &
NPID=$!
PIDS+=("$NPID")
until_ok 5 test -S "$T/notify.sock"
conf
export NOTIFY_SOCKET="$T/notify.sock"
start
unset NOTIFY_SOCKET
ok "porter-hub started" || { show hub.log; echo "Bail out! no hub"; exit 1; }
[ "$(status_of NoNewPrivs)" = 1 ]; ok "NoNewPrivs: 1" || grep -E 'NoNewPrivs|Seccomp' "/proc/$PID/status" | show
[ "$(status_of Seccomp)" = 2 ]; ok "Seccomp: 2 (a filter)" || grep -E 'NoNewPrivs|Seccomp' "/proc/$PID/status" | show
grep -q 'event=sandbox uid=[0-9]* gid=[0-9]* no_new_privs=1 seccomp=on syscalls=[0-9]' hub.log
ok "the log says so" || show hub.log
until_ok 5 grep -q 'READY=1' notify.txt
ok "sd_notify: READY=1 (sent once sandboxed)" || show notify.txt

for k in owner courier; do "$P" keygen -o $k.key >/dev/null || exit 1; done
"$HUB" pair -f hub.conf -q >pair.out 2>&1
CODE=$(awk '/^pairing code:/ {print $3}' pair.out)
HUBKEY=$(awk '/^hub key:/ {print $3}' pair.out)
"$P" hub pair-local --key owner.key --home home-1 --hub-key "$HUBKEY" --hub "$LINK" \
	--code "$CODE" >pr.out 2>&1
ok "paired through the sandboxed hub (admin socket, link, signed statement stored)" || { show pair.out pr.out; show hub.log; }
"$P" grant --key owner.key --holder courier.key.pub --home home-1 --purpose delivery \
	--expires +1h --entries 5 -o c.cbor >/dev/null
ok "a delivery credential for the courier"
state secured; ok "the door is secured"
unlock --cred c.cbor --key courier.key >u1.out 2>&1
ok "the courier's unlock is granted" || { show u1.out; show hub.log; }
state unlocked && sim status | grep -q '"lock":"unlocked"'
ok "the bolt is drawn" || show hub.log
sim door open >/dev/null && sim door close >/dev/null && state secured
ok "door opened and shut: relocked" || show hub.log
alive "$PID"; ok "the hub is alive after the decision, the events and the checkpoint" || show hub.log
kill -HUP "$PID"
until_ok 10 log_has 'event=reload result=applied' hub.log && alive "$PID"
ok "SIGHUP: the file read again inside the sandbox" || show hub.log
until_ok 5 grep -q 'RELOADING=1' notify.txt
ok "sd_notify: RELOADING=1" || show notify.txt
stop; rc=$?
[ $rc -eq 0 ] && log_has 'event=stopped' hub.log
ok "SIGTERM: stopped cleanly (exit $rc)" || show hub.log
until_ok 5 grep -q 'STOPPING=1' notify.txt
ok "sd_notify: STOPPING=1" || show notify.txt
"$HUB" -f hub.conf -V >v1.out 2>&1 && grep -q 'checkpoint: seq .* ok' v1.out
ok "the chain and the final checkpoint verify" || show v1.out
"$HUB" -f hub.conf -E | grep -q ' lock.unlocking \| session.start \| decision.grant '
ok "the grant is in the events" || "$HUB" -f hub.conf -E | show

# ---- seccomp = no ----
conf "seccomp = no"
start
ok "porter-hub started with seccomp = no" || show hub.log
[ "$(status_of NoNewPrivs)" = 1 ] && [ "$(status_of Seccomp)" = 0 ]
ok "NoNewPrivs: 1, Seccomp: 0" || grep -E 'NoNewPrivs|Seccomp' "/proc/$PID/status" | show
grep -q 'level=warn event=sandbox seccomp=off' hub.log
ok "a warning line says there is no filter" || show hub.log
stop; ok "stopped"

# ---- as root, user = nobody ----
if [ "$(id -u)" != 0 ]; then
	for w in "started as root, it runs as nobody" "the state works as nobody" "chain verifies"; do
		n=$((n + 1)); echo "ok $n - $w # SKIP not root"
	done
elif ! NUID=$(id -u nobody 2>/dev/null); then
	n=$((n + 1)); echo "ok $n - user = nobody # SKIP no user nobody here"
else
	NGID=$(id -g nobody)
	chmod 0711 "$T"	# nobody reaches $T/hub (its own from now on), nothing more
	conf "user = nobody"
	before=$("$HUB" -f hub.conf -E | wc -l)
	start
	ok "started as root with user = nobody" || show hub.log
	[ "$(status_of Uid | head -1)" = "$NUID" ] &&
		awk '$1 == "Uid:" && $2 == $3 && $3 == $4 && $4 == $5' "/proc/$PID/status" | grep -q "^Uid:.$NUID"
	ok "Uid: real, effective, saved and fs are all nobody's ($NUID)" || grep -E '^(Uid|Gid)' "/proc/$PID/status" | show
	awk '$1 == "Gid:" && $2 == $3 && $3 == $4 && $4 == $5' "/proc/$PID/status" | grep -q "^Gid:.$NGID"
	ok "Gid: nobody's group ($NGID)" || grep -E '^(Uid|Gid)' "/proc/$PID/status" | show
	[ "$(status_of NoNewPrivs)" = 1 ] && [ "$(status_of Seccomp)" = 2 ] &&
		[ "$(awk '$1 == "CapEff:" {print $2}' "/proc/$PID/status")" = 0000000000000000 ]
	ok "no capabilities left, NoNewPrivs 1, Seccomp 2" || grep -E 'Cap|NoNew|Seccomp' "/proc/$PID/status" | show
	[ "$(stat -c %u "$T/hub")" = "$NUID" ] && [ "$(stat -c %u "$T/hub/hub.db")" = "$NUID" ]
	ok "the state directory and hub.db are nobody's now" || ls -la "$T/hub" | show
	unlock --cred c.cbor --key courier.key >u2.out 2>&1 && state unlocked
	ok "an unlock as nobody: granted, the bolt drawn" || { show u2.out; show hub.log; }
	sim door open >/dev/null && sim door close >/dev/null && state secured
	ok "relocked" || show hub.log
	stop; rc=$?
	[ $rc -eq 0 ] && log_has 'event=stopped' hub.log && [ ! -e "$T/hub/hub.db-wal" ]
	ok "stopped cleanly; SQLite removed its WAL as nobody (exit $rc)" || { show hub.log; ls -la "$T/hub" | show; }
	after=$("$HUB" -f hub.conf -E | wc -l)
	"$HUB" -f hub.conf -V >v2.out 2>&1 && grep -q 'checkpoint: seq .* ok' v2.out && [ "$after" -gt "$before" ]
	ok "the events written as nobody ($before -> $after) and the chain verify" || show v2.out
fi

t_end

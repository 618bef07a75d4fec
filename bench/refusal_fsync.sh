#!/usr/bin/env bash
# bench/refusal_fsync.sh [BUILD [N]]: how many fsync-family system calls
# (fsync, fdatasync, sync_file_range, msync) porter-hub makes for one
# counted refusal on its link, and how many it made for N of them in all.
#
# A refusal that counts towards the lockout (docs/hub.md, "Lockout") is
# saved before the hub answers: the failure count and the time of the
# last failure, with the events queued so far (the refusal's own among
# them) in one transaction (hub_state_event_append_lockout). Here porter-hub
# (sim drivers, state in a temporary directory, lockout_failures high
# enough that no lockout starts) gets N connections, each one HELLO whose
# body is not CBOR (refused malformed: it counts), under
# strace -f -e trace=<fsync family>. The count from start-up to the first
# refusal is subtracted. Prints a markdown table; measures, never asserts.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
N=${2:-20}
HUB=$(realpath "$build/porter-hub")
command -v strace >/dev/null || { echo "bench/refusal_fsync.sh: needs strace" >&2; exit 1; }
T=$(mktemp -d)
SPID=""
# porter-hub is strace's child: stop it, and strace ends with it
trap '[ -n "$SPID" ] && pkill -TERM -P "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
cat >"$T/hub.conf" <<CONF
[hub]
state_dir = $T/hub
[link]
tcp =
lockout_failures = 1000
CONF
calls=fsync,fdatasync,sync_file_range,msync
strace -f -qq -e trace=$calls -o "$T/strace.out" "$HUB" -f "$T/hub.conf" -d \
	>"$T/hub.out" 2>"$T/hub.log" &
SPID=$!
for _ in $(seq 200); do [ -S "$T/hub/link.sock" ] && break; sleep 0.05; done
[ -S "$T/hub/link.sock" ] || { echo "porter-hub did not start" >&2; cat "$T/hub.log" >&2; exit 1; }
# one malformed HELLO on a fresh connection; wait for the ERROR and close
refuse() {
	python3 - "$T/hub/link.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(bytes([0, 3, 1, 1, 0xff]))	# length 3: version 1, HELLO, body 0xff
s.settimeout(5); s.recv(4096); s.close()
PY
}
settle() { sleep 0.3; }
settle
base=$(grep -c . "$T/strace.out")
refuse; settle
one=$(($(grep -c . "$T/strace.out") - base))
for _ in $(seq 2 "$N"); do refuse; done
settle
all=$(($(grep -c . "$T/strace.out") - base))
counted=$(grep -c 'event=failure' "$T/hub.log")
echo "| what | fsync-family calls |"
echo "|---|---:|"
echo "| the first counted refusal | $one |"
echo "| $N counted refusals ($counted logged as event=failure) | $all |"
echo "| per refusal | $(python3 -c "print(f'{$all / $N:.2f}')") |"
echo
echo "by call, all $N:"
tail -n +"$((base + 1))" "$T/strace.out" | grep -o -E '(fsync|fdatasync|sync_file_range|msync)\(' | sort | uniq -c

#!/usr/bin/env bash
# bench/refusal_latency.sh [BUILD [N]]: how long porter-hub takes to answer
# a refusal that counts towards the lockout (frame in -> answer out, seen
# from the device's side of its Unix socket), against what it cannot skip,
# measured in the same run, interleaved.
#
# A counted refusal is answered only after its lockout row and events are
# committed (docs/hub.md, "Lockout": one transaction, one fdatasync of the
# WAL, synchronous = FULL). Four things are timed N times (default 300)
# each, in turn, by one Python process (time.perf_counter_ns):
#   refusal   a HELLO whose body is not CBOR, on a fresh connection: from
#             sendall to the whole ERROR malformed received (counted: the
#             commit is in it);
#   no-count  a frame of another version on a fresh connection: ERROR
#             unsupported, the same read, parse and answer path, nothing
#             counted, nothing recorded, no commit;
#   fsync     a 4 KiB append to a file in the hub's state directory and its
#             fdatasync (as bench/exchange.sh counts the charge's commit);
#   rewrite   the same page written again in place and its fdatasync (no
#             size change: less file-system metadata than an append, as a
#             WAL that is reset and reused).
# Connecting is not timed. 5 ms between samples, so that no measurement
# waits behind another's disk work. The hub: sim drivers, state in a
# temporary directory, link.lockout_failures = 1000 (no lockout starts; N
# is capped at 990), no MQTT uplink. Prints a markdown table; measures,
# never asserts.
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
N=${2:-300}
[ "$N" -gt 990 ] && N=990
fail() { echo "bench/refusal_latency.sh: $*" >&2; exit 1; }
[ -x "$build/porter-hub" ] || ninja -C "$build" porter-hub >/dev/null || fail "cannot build in '$build'"
HUB=$(realpath "$build/porter-hub")
T=$(mktemp -d "${TMPDIR:-/tmp}/porter-bench.XXXXXX") || fail "mktemp"
HPID=
trap '[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
mkdir -m 700 "$T/hub"
cat >"$T/hub.conf" <<CONF
[hub]
state_dir = $T/hub
[link]
tcp =
lockout_failures = 1000
[server]
revocations_max_age = 0
CONF
"$HUB" -f "$T/hub.conf" -d -R "$T/ready" >"$T/hub.out" 2>"$T/hub.log" &
HPID=$!
for _ in $(seq 200); do [ -s "$T/ready" ] && [ -S "$T/hub/link.sock" ] && break; sleep 0.05; done
[ -S "$T/hub/link.sock" ] || { cat "$T/hub.log" >&2; fail "porter-hub did not start"; }

python3 - "$T/hub" "$N" <<'PY' || fail "the measurements failed"
import os, socket, sys, time
state, n = sys.argv[1], int(sys.argv[2])
link = state + '/link.sock'

def answer(frame, want):
    s = socket.socket(socket.AF_UNIX)
    s.connect(link)
    t0 = time.perf_counter_ns()
    s.sendall(frame)
    b = b''
    while len(b) < 2 or len(b) < 2 + int.from_bytes(b[:2], 'big'):
        x = s.recv(4096)
        if not x:
            break
        b += x
    t1 = time.perf_counter_ns()
    s.close()
    if want not in b:
        sys.exit(f'unexpected answer {b.hex()}')
    return (t1 - t0) / 1000

fd = os.open(state + '/bench.fsync', os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
page = os.urandom(4096)
def fsync():
    t0 = time.perf_counter_ns()
    os.write(fd, page)
    os.fdatasync(fd)
    return (time.perf_counter_ns() - t0) / 1000
fd2 = os.open(state + '/bench.rewrite', os.O_RDWR | os.O_CREAT, 0o600)
os.pwrite(fd2, page, 0)
os.fsync(fd2)
def rewrite():
    t0 = time.perf_counter_ns()
    os.pwrite(fd2, page, 0)
    os.fdatasync(fd2)
    return (time.perf_counter_ns() - t0) / 1000

res = {'refusal': [], 'nocount': [], 'fsync': [], 'rewrite': []}
for _ in range(n):
    res['refusal'].append(answer(bytes([0, 3, 1, 1, 0xff]), b'malformed'))
    time.sleep(0.005)
    res['nocount'].append(answer(bytes([0, 3, 2, 1, 0xa0]), b'unsupported'))
    time.sleep(0.005)
    res['fsync'].append(fsync())
    time.sleep(0.005)
    res['rewrite'].append(rewrite())
    time.sleep(0.005)
os.close(fd)
os.close(fd2)

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p + 0.5))]
rows = [('refusal', 'counted refusal: malformed HELLO -> ERROR (commit before the answer)'),
        ('nocount', 'not counted: other version -> ERROR unsupported (no commit)'),
        ('fsync', '4 KiB append + fdatasync, state dir'),
        ('rewrite', '4 KiB rewritten in place + fdatasync, state dir')]
print(f'| {n} each, us | p50 | p90 | p99 | max |')
print('|---|---:|---:|---:|---:|')
for k, what in rows:
    v = res[k]
    print(f'| {what} | {pct(v, .5):.0f} | {pct(v, .9):.0f} | {pct(v, .99):.0f} | {max(v):.0f} |')
r, u = pct(res['refusal'], .5), pct(res['nocount'], .5)
f, w = pct(res['fsync'], .5), pct(res['rewrite'], .5)
print(f'\nmedians: refusal {r:.0f} us = {r / f:.2f} x the append + fdatasync ({f:.0f} us), '
      f'{r / w:.2f} x the rewrite + fdatasync ({w:.0f} us); '
      f'refusal - not counted = {r - u:.0f} us')
PY
counted=$(grep -c 'event=failure' "$T/hub.log")
echo
echo "porter-hub logged $counted counted failures (want $N)."
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPU, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -m)"

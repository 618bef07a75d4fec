#!/bin/bash
# bench/fanout.sh [BUILD] [HUBS]: revocation fan-out from porterd to HUBS
# (default 1,000) simulated hubs, all connected in one process
# (bench/fanout: one libmosquitto client per hub in one poll loop) to a
# private mosquitto on loopback with dist/mosquitto-acl, through a real
# porterd. porterd allows 8 hubs per home, so the hubs are paired (through
# the API, `porter hub pair`) to HUBS/8 homes of one owner; then the owner
# revokes a credential in every home at once (`porter revoke`, 8 in
# parallel), and each hub's receipt of its home's revocation tail is timed
# against the moment porterd answered that revocation (its request log line,
# ms), and against the start of the `porter revoke` process (an upper bound:
# client start-up and signing included).
# Goal (issue 4): p99 < 1 s. Exits non-zero only if something failed to run.
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
HUBS=${2:-${BENCH_HUBS:-1000}}
PER_HOME=8
HOMES=$(( (HUBS + PER_HOME - 1) / PER_HOME ))
fail() { echo "bench: $*" >&2; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || fail "cannot set up '$build'"
fi
ninja -C "$build" porter porterd bench/fanout >/dev/null 2>"$build/bench.fanout.log" ||
	{ cat "$build/bench.fanout.log" >&2; fail "cannot build in '$build'"; }
P=$(realpath "$build/porter")
D=$(realpath "$build/porterd")
FO=$(realpath "$build/bench/fanout")
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQ" ] || fail "mosquitto is not installed (scripts/deps.sh)"
# One socket per hub (and libmosquitto's wake-up socket pair: 3 fds each) in
# one process, and one per hub at the broker.
ulimit -n $((HUBS * 4 + 256)) 2>/dev/null || fail "cannot raise the fd limit to $((HUBS * 4 + 256))"

T=$(mktemp -d "${TMPDIR:-/tmp}/porter-fanout.XXXXXX") || fail "mktemp"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
cd "$T" || exit 1
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # SECONDS command...
	local end=$(( $(date +%s) + $1 )); shift
	until "$@"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.1; done
}

# The broker: anonymous on loopback (a bench), usernames taken as given,
# the ACL of dist/ all the same (each hub only its own topics).
MPORT=$(free_port)
cp "$OLDPWD/dist/mosquitto-acl" acl
cat >mosquitto.conf <<EOF
per_listener_settings false
allow_anonymous true
acl_file $T/acl
persistence false
max_packet_size 65536
max_queued_messages 10000
user $(id -un)
log_dest file $T/mosquitto.log
log_type error
log_type warning
listener $MPORT 127.0.0.1
EOF
"$MOSQ" -c mosquitto.conf >mosquitto.out 2>&1 &
PIDS+=($!)
mkdir db
cat >porterd.conf <<EOF
[server]
listen = 127.0.0.1:0
[store]
path = $T/db/porter.db
sealing_key = $T/db/sealing.key
[mqtt]
broker = 127.0.0.1:$MPORT
username = porterd
beacon_interval = 1h
[log]
level = info
EOF
"$D" -f porterd.conf -d -R ready 2>porterd.log &
PIDS+=($!)
wait_for 10 test -s ready || { tail porterd.log >&2; fail "porterd did not start"; }
URL=http://127.0.0.1:$(cat ready)
wait_for 10 grep -q "event=mqtt_connected" porterd.log || fail "porterd did not connect to the broker"

# The owner, HOMES homes, HUBS hubs paired through the API.
export PORTER_PASSWORD='correct horse battery staple'
export PORTER_CONFIG=$T/owner.conf
"$P" keygen -o owner.key >/dev/null &&
	"$P" signup --server "$URL" --email bench@example.org --name Bench >/dev/null &&
	"$P" login --email bench@example.org >/dev/null || fail "sign up"
t0=$(date +%s)
: >homes.txt
for i in $(seq "$HOMES"); do
	"$P" home create --name "home $i" --tz Europe/Berlin --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' >>homes.txt || fail "home create"
done
xargs -P 4 -I{} "$P" key add --home {} --key owner.key.pub <homes.txt >/dev/null || fail "key add"
"$FO" keys "$HUBS" >keys.txt || fail "keys"
# hub i -> home i / 8
awk -v per=$PER_HOME 'NR == FNR { home[NR - 1] = $1; next }
	{ print $1, $2, home[int((FNR - 1) / per)] }' homes.txt keys.txt >hubs.txt
# The code is the hub's one-time code in the field; porterd only checks the
# owner's signature over it.
pair_one() {
	"$P" hub pair --home "$3" --hub-key "$2" --code AAAAAAAAAAAAAAAAAAAAAA --key owner.key >/dev/null ||
		echo "pair failed: $1" >&2
}
export -f pair_one
export P
awk '{print $1, $2, $3}' hubs.txt | xargs -P 4 -n 3 bash -c 'pair_one "$0" "$1" "$2"' 2>pair.err
[ ! -s pair.err ] || { head pair.err >&2; fail "pairing failed"; }
t1=$(date +%s)
echo "# setup: $HOMES homes, $HUBS hubs paired through the API in $((t1 - t0)) s" >&2

# The hubs connect and subscribe.
"$FO" listen 127.0.0.1 "$MPORT" hubs.txt 600 >recv.txt 2>fanout.err &
FPID=$!
PIDS+=($FPID)
wait_for 120 grep -q "^ready $HUBS" recv.txt || { cat fanout.err >&2; fail "the hubs did not all connect"; }
RSS_FO=$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' /proc/$FPID/status)

# Every home's owner revokes at once (8 at a time), each answer timed.
rev_one() {	# HOME: "HOME REQUEST_US ANSWER_US" (the clock read just before and after)
	local tok req ans
	tok=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	req=$(date +%s%6N)
	"$P" revoke --home "$1" --signer owner.key --token "$tok" >/dev/null || { echo "fail $1"; return; }
	ans=$(date +%s%6N)
	echo "$1 $req $ans"
}
export -f rev_one
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }	# utime + stime, s (USER_HZ 100)
DPID=${PIDS[1]}
c0_fo=$(cpu "$FPID") c0_d=$(cpu "$DPID")
load=$(cut -d' ' -f1-3 /proc/loadavg)
r0=$(date +%s%6N)
xargs -P 8 -I{} bash -c 'rev_one {}' <homes.txt >answers.txt
r1=$(date +%s%6N)
grep -q '^fail' answers.txt && fail "a revocation failed"
wait_for 30 eval '[ "$(grep -c "^recv" recv.txt)" -ge '"$HUBS"' ]'
CPU_FO=$(awk -v a="$c0_fo" -v b="$(cpu "$FPID")" 'BEGIN { printf "%.2f", b - a }')
CPU_D=$(awk -v a="$c0_d" -v b="$(cpu "$DPID")" 'BEGIN { printf "%.2f", b - a }')
python3 - "$HUBS" "$r0" "$r1" "$load" "$RSS_FO" "$CPU_FO" "$CPU_D" <<'PY'
import sys
hubs, r0, r1, load, rss = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
cpu_fo, cpu_d = sys.argv[6], sys.argv[7]
home = {l.split()[0]: l.split()[2] for l in open("hubs.txt")}
import datetime, re
req = {l.split()[0]: int(l.split()[1]) for l in open("answers.txt")}
# The answer's moment: porterd's own log line for the request (ms).
ans = {}
for l in open("porterd.log"):
    m = re.match(r'ts=(\S+)Z .*event=request .*method=POST path="/v1/homes/([^/"]+)/revocations" status=201', l)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
        ans[m.group(2)] = int(t.timestamp() * 1e6)
first = {}
for l in open("recv.txt"):
    if l.startswith("recv "):
        _, hub, us, _n = l.split()
        first.setdefault(hub, int(us))
lat = sorted((first[h] - ans[home[h]]) / 1000 for h in first)
lreq = sorted((first[h] - req[home[h]]) / 1000 for h in first)
def q(p, v=None):
    v = lat if v is None else v
    return v[min(len(v) - 1, int(len(v) * p + 0.5) - 1)] if v else float("nan")
print("| revocation fan-out, %d hubs in %d homes | ms |" % (hubs, len(ans)))
print("|---|---:|")
print("| hubs that received their home's revocation | %d of %d |" % (len(lat), hubs))
print("| from porterd's answer to the owner (its log, ms) to the hub: p50 | %.1f |" % q(0.5))
print("| p90 | %.1f |" % q(0.9))
print("| p99 | %.1f |" % q(0.99))
print("| max | %.1f |" % (lat[-1] if lat else float("nan")))
print("| hubs that had it before their owner had the answer | %d |" % sum(1 for x in lat if x < 0))
print("| from the start of the owner's `porter revoke` process (an upper bound): p50 / p99 / max | %.1f / %.1f / %.1f |"
      % (q(0.5, lreq), q(0.99, lreq), lreq[-1] if lreq else float("nan")))
print("| all %d revocations, first request to last answer | %.0f |" % (len(ans), (r1 - r0) / 1000))
print("| the %d hubs' process RSS (MiB) | %s |" % (hubs, rss))
print("| CPU seconds meanwhile: the hubs' process / porterd | %s / %s |" % (cpu_fo, cpu_d))
print()
print("load average at the revocations: %s" % load)
PY
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPU, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -m)"

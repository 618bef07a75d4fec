#!/bin/sh
# bench/http_cg.sh [BUILD]: the read route's cost in instructions, the stable
# figure behind bench/http.sh's wall-clock ratios (a shared machine moves
# those by 15-20% or more between runs; these do not move).
#
# porterd answers N x GET /v1/homes/{id} (a cached session and home, as in
# bench/http.sh) and bench/hello_mhd answers N x GET /v1/health, each under
# valgrind --tool=callgrind, from one keep-alive connection (python3); each
# is also run with 0 requests, and (N - 0) / N is the cost of one request,
# start-up and setup excluded. The database is set up by a porterd outside
# valgrind (sign-up and sign-in cost two Argon2id hashes), which is stopped
# before the measured runs open the same file.
#
#   total       every instruction of the process per request: libmicrohttpd,
#               the handler, libc, the kernel excluded
#   handler     inclusive instructions in the access handler (porterd's
#               access_cb, hello_mhd's handler): what the server adds
#   memset      libc memset per request, which is mostly libmicrohttpd
#               zeroing each connection's memory pool between requests
#               (callgrind counts each byte of `rep stosb` as one
#               instruction, so this over-weighs it against the CPU time)
#
# Then the credential-issue route, the same way: porterd answers M x POST
# /v1/deliveries/{id}/arrive (bench/issue.sh describes it) over M deliveries
# made and dispatched outside valgrind, each answer checked to carry a
# credential; with the inclusive instructions of its parts.
#
# BENCH_CG_N sets N (default 1000), BENCH_CG_ISSUE_N sets M (default 100);
# BENCH_CG_LOG_LEVEL=info logs a line per read (the default level; warn
# otherwise, as bench/http.sh); BENCH_CG_KEEP=DIR keeps the callgrind files there (callgrind_annotate
# --inclusive=yes on them breaks a request down further).
# Prints markdown tables.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
N=${BENCH_CG_N:-1000}
M=${BENCH_CG_ISSUE_N:-100}
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

fail() { echo "bench: $*" >&2; exit 1; }
command -v valgrind >/dev/null || fail "valgrind is missing: make deps installs it"
command -v python3 >/dev/null || fail "python3 is missing: make deps installs it"
ninja -C "$build" porterd porter bench/hello_mhd >/dev/null || fail "build failed"

wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }

# GETs PORT PATH N [TOKEN]: N requests on one keep-alive connection, each 200
gets() {
	python3 - "$@" <<'EOF' || fail "the request loop failed"
import http.client, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
h = {"Authorization": "Bearer " + sys.argv[4]} if len(sys.argv) > 4 else {}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
for i in range(n):
    c.request("GET", path, headers=h)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("GET %s: %d" % (path, r.status))
EOF
}

# posts PORT TOKEN PATH BODYFILE N STATUS IDS|- OUT: N POSTs, "%s" in PATH
# replaced by the next id of IDS; each must answer STATUS (arrive: with a
# credential); the ids of the answers go to OUT
posts() {
	python3 - "$@" <<'EOF' || fail "the request loop failed"
import http.client, json, sys
port, token, path, bodyf, n, status, idsf, out = sys.argv[1:9]
body = open(bodyf, "rb").read()
ids = [l.strip() for l in open(idsf) if l.strip()] if idsf != "-" else None
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=600)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
with open(out, "w") as o:
    for i in range(int(n)):
        c.request("POST", path % ids[i] if ids else path, body=body, headers=h)
        r = c.getresponse()
        b = r.read()
        if r.status != int(status):
            sys.exit("POST %s: %d %s" % (path, r.status, b[:200]))
        j = json.loads(b)
        if path.endswith("/arrive") and not j.get("credential"):
            sys.exit("arrive: no credential: %s" % b[:300])
        o.write(j["id"] + "\n")
EOF
}
arrives() { posts "$1" "$COURIER_TOKEN" /v1/deliveries/%s/arrive "$tmp/arrive.json" "$2" 200 "$tmp/dispatched.ids" "$tmp/issued.ids"; }

# cg NAME N CMD...: run CMD under callgrind (it writes its port to
# $tmp/NAME.port), make N requests with $path and $auth, stop it with SIGTERM
cg() {
	name=$1 n=$2
	shift 2
	rm -f "$tmp/$name.port"
	valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.$n.cg" "$@" "$tmp/$name.port" \
		>"$tmp/$name.$n.log" 2>&1 &
	vp=$!
	pids="$pids $vp"
	wait_file "$tmp/$name.port" || { cat "$tmp/$name.$n.log" >&2; fail "$name did not start under valgrind"; }
	if [ "$path" = arrive ]; then
		[ "$n" -eq 0 ] || arrives "$(cat "$tmp/$name.port")" "$n"
	elif [ -n "$auth" ]; then
		gets "$(cat "$tmp/$name.port")" "$path" "$n" "$auth"
	else
		gets "$(cat "$tmp/$name.port")" "$path" "$n"
	fi
	kill -TERM "$vp"
	wait "$vp" 2>/dev/null
}

# inc FILE FUNCTION: inclusive instructions of FUNCTION in a callgrind file
inc() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v f=":$2 \\\\[" '$0 ~ f { gsub(",", "", $1); print $1; exit }'
}
total() { sed -n 's/^summary: *//p' "$1" | head -n 1; }
self_memset() {
	callgrind_annotate --inclusive=no --threshold=100 "$1" 2>/dev/null |
		awk '/:__memset_[a-z0-9_]* \[/ { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}

# The database: one owner, one home, one key, as bench/http.sh.
printf '[server]\nlisten = 127.0.0.1:0\n[store]\npath = %s/db/porter.db\nsealing_key = %s/db/sealing.key\n[log]\nlevel = %s\n' \
	"$tmp" "$tmp" "${BENCH_CG_LOG_LEVEL:-warn}" >"$tmp/porterd.conf"
"$build/porterd" -d -f "$tmp/porterd.conf" -R "$tmp/setup.port" 2>"$tmp/setup.log" &
pd=$!
pids="$pids $pd"
wait_file "$tmp/setup.port" || fail "porterd did not start"
base="http://127.0.0.1:$(cat "$tmp/setup.port")"
J='Content-Type: application/json'
curl -sf -H "$J" -d '{"email":"bench@example.org","password":"bench passphrase 1","name":"Bench"}' "$base/v1/accounts" >/dev/null || fail "sign-up failed"
token=$(curl -sf -H "$J" -d '{"email":"bench@example.org","password":"bench passphrase 1"}' "$base/v1/sessions" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "sign-in failed"
home=$(curl -sf -H "$J" -H "Authorization: Bearer $token" -d '{"name":"Bench","tz":"Europe/Berlin"}' "$base/v1/homes" | sed -n 's/.*"id":"\(h-[0-9a-f]*\)".*/\1/p')
[ -n "$home" ] || fail "home creation failed"
"$build/porter" keygen -o "$tmp/owner.key" >/dev/null || fail "keygen failed"
pk=$("$build/porter" pubkey "$tmp/owner.key")
curl -sf -H "$J" -H "Authorization: Bearer $token" -d "{\"public_key\":\"$pk\",\"label\":\"bench\"}" "$base/v1/homes/$home/owner-keys" >/dev/null || fail "key upload failed"
kill -TERM "$pd"
wait "$pd" 2>/dev/null

path=/v1/homes/$home auth=$token
cg porterd 0 "$build/porterd" -d -f "$tmp/porterd.conf" -R
cg porterd "$N" "$build/porterd" -d -f "$tmp/porterd.conf" -R
path=/v1/health auth=""
cg hello 0 "$build/bench/hello_mhd"
cg hello "$N" "$build/bench/hello_mhd"

p0=$tmp/porterd.0.cg pN=$tmp/porterd.$N.cg h0=$tmp/hello.0.cg hN=$tmp/hello.$N.cg
for f in "$p0" "$pN" "$h0" "$hN"; do [ -s "$f" ] || fail "no callgrind output $f"; done
echo "| per request (callgrind, N=$N minus 0, one keep-alive connection) | total | handler | memset |"
echo "|---|---:|---:|---:|"
awk -v n="$N" -v a="$(total "$hN")" -v b="$(total "$h0")" -v c="$(inc "$hN" handler)" \
	-v d="$(inc "$h0" handler)" -v e="$(self_memset "$hN")" -v f="$(self_memset "$h0")" 'BEGIN {
	printf "| bare libmicrohttpd GET /v1/health | %.0f | %.0f | %.0f |\n", (a - b) / n, (c - d) / n, (e - f) / n }'
awk -v n="$N" -v a="$(total "$pN")" -v b="$(total "$p0")" -v c="$(inc "$pN" access_cb)" \
	-v d="$(inc "$p0" access_cb)" -v e="$(self_memset "$pN")" -v f="$(self_memset "$p0")" 'BEGIN {
	printf "| porterd GET /v1/homes/{id} | %.0f | %.0f | %.0f |\n", (a - b) / n, (c - d) / n, (e - f) / n }'

# The issue route: accounts, home, delegation, courier and device as
# bench/issue.sh, then M deliveries created and dispatched.
printf '[server]\nlisten = 127.0.0.1:0\n[store]\npath = %s/idb/porter.db\nsealing_key = %s/idb/sealing.key\n[log]\nlevel = warn\n' \
	"$tmp" "$tmp" >"$tmp/issue.conf"
"$build/porterd" -d -f "$tmp/issue.conf" -R "$tmp/isetup.port" 2>"$tmp/isetup.log" &
pd=$!
pids="$pids $pd"
wait_file "$tmp/isetup.port" || fail "porterd did not start"
mkdir -p "$tmp/issue"
python3 bench/setup_issue.py "http://127.0.0.1:$(cat "$tmp/isetup.port")" "$build/porter" "$tmp/issue" >"$tmp/setup.env" ||
	fail "setup failed"
. "$tmp/setup.env"
now=$(date +%s)
printf '{"carrier_id":"%s","home_id":"%s","package_id":"PKG-BENCH-1","window_start":%d,"window_end":%d,"in_home":true}' \
	"$CARRIER" "$HOME_ID" $((now - 60)) $((now + 6 * 3600)) >"$tmp/create.json"
printf '{"courier":%s}' "$COURIER_ID" >"$tmp/dispatch.json"
printf '{"device_key":"%s","lat":52.5201,"lon":13.4049,"package_id":"PKG-BENCH-1"}' "$DEVICE" >"$tmp/arrive.json"
port=$(cat "$tmp/isetup.port")
posts "$port" "$ADMIN_TOKEN" /v1/deliveries "$tmp/create.json" "$M" 201 - "$tmp/created.ids"
posts "$port" "$ADMIN_TOKEN" /v1/deliveries/%s/dispatch "$tmp/dispatch.json" "$M" 200 "$tmp/created.ids" "$tmp/dispatched.ids"
kill -TERM "$pd"
wait "$pd" 2>/dev/null

path=arrive
cg issue 0 "$build/porterd" -d -f "$tmp/issue.conf" -R
cg issue "$M" "$build/porterd" -d -f "$tmp/issue.conf" -R
i0=$tmp/issue.0.cg iM=$tmp/issue.$M.cg
for f in "$i0" "$iM"; do [ -s "$f" ] || fail "no callgrind output $f"; done
if [ -n "${BENCH_CG_KEEP:-}" ]; then
	mkdir -p "$BENCH_CG_KEEP" && cp "$tmp"/*.cg "$BENCH_CG_KEEP"/ || fail "cannot keep the callgrind files"
fi
[ "$(wc -l <"$tmp/issued.ids")" -eq "$M" ] || fail "not every arrival issued a credential"
echo
echo "| POST /v1/deliveries/{id}/arrive, per request (callgrind, M=$M minus 0; inclusive) | instructions | share |"
echo "|---|---:|---:|"
all=$(awk -v n="$M" -v a="$(total "$iM")" -v b="$(total "$i0")" 'BEGIN { printf "%.0f", (a - b) / n }')
echo "| total | $all | 100% |"
for fn in access_cb crypto_sign_verify_detached crypto_sign_detached \
	crypto_sign_ed25519_pk_to_curve25519 crypto_sign_seed_keypair sqlite3_step pt_store_commit; do
	awk -v n="$M" -v a="$(inc "$iM" "$fn")" -v b="$(inc "$i0" "$fn")" -v all="$all" -v fn="$fn" 'BEGIN {
		v = (a - b) / n; printf "| %s | %.0f | %.1f%% |\n", fn, v, 100 * v / all }'
done
awk -v n="$M" -v a="$(self_memset "$iM")" -v b="$(self_memset "$i0")" -v all="$all" 'BEGIN {
	v = (a - b) / n; printf "| memset (self) | %.0f | %.1f%% |\n", v, 100 * v / all }'
echo "| bare libmicrohttpd GET /v1/health (above), for scale | $(awk -v n="$N" -v a="$(total "$hN")" -v b="$(total "$h0")" 'BEGIN { printf "%.0f", (a - b) / n }') | |"

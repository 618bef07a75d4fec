#!/usr/bin/env bash
# porterd's lifecycle, TAP output: configuration checks, start and stop,
# logging, SIGHUP reloads, sd_notify, TLS, restarts, a busy listen address.
# Usage: test_daemon.sh PORTERD
# Every porterd listens on 127.0.0.1 port 0 and writes its port with -R;
# everything lives in one mktemp -d directory, removed on exit.
set -u
PD=$(realpath "$1")
SRC=${PORTER_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d)
umask 022	# so that 0600 / 0700 are porterd's doing, not the umask's
PIDS=()		# every process this script started
cleanup() {	# KEEP=1 keeps the directory, to look at the logs
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
cd "$T" || exit 1
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR NOTIFY_SOCKET
n=0 failed=0

ok() { # description; the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | head -n 40; }

# ---- helpers ----

# conf FILE key=value...: a [server]/[store]/[log] file; listen on port 0.
# Arguments are section.key=value, written in order under their sections.
conf() {
	local f=$1 sec kv; shift
	: >"$f"
	for sec in server store log clips; do
		echo "[$sec]" >>"$f"
		[ "$sec" = server ] && echo "listen = 127.0.0.1:0" >>"$f"
		for kv in "$@"; do
			case $kv in "$sec".*) kv=${kv#"$sec".}; echo "${kv%%=*} = ${kv#*=}" >>"$f" ;; esac
		done
	done
}

# start NAME CONF [VAR=value...]: porterd in the foreground (working
# directory $WD, else $T), log in NAME.log; sets PID and PORT. Fails if no
# port is written within 10 s.
start() {
	local name=$1 cfg=$2; shift 2
	rm -f "$name.ready"
	(cd "${WD:-$T}" && exec env "$@" "$PD" -f "$T/$cfg" -d -R "$T/$name.ready" \
		>"$T/$name.out" 2>>"$T/$name.log") &
	PID=$! PORT=""
	PIDS+=("$PID")
	for _ in $(seq 100); do
		if [ -s "$name.ready" ]; then PORT=$(cat "$name.ready"); break; fi
		alive "$PID" || break
		sleep 0.1
	done
	[ -n "$PORT" ] && [ "$PORT" -gt 0 ] 2>/dev/null
}
# alive PID: running (not gone, not a zombie)
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
# stop PID SIGNAL: send it, wait at most 10 s; sets STATUS (exit status, 999
# if still running, then killed) and SECS (how long it took, in seconds).
stop() {
	local pid=$1 sig=$2 t0 t1
	t0=$(date +%s%N)
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
	t1=$(date +%s%N)
	SECS=$(( (t1 - t0) / 1000000000 ))
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; STATUS=999
	else
		wait "$pid"; STATUS=$?
	fi
}
# wait_log FILE PATTERN COUNT: until FILE has COUNT lines matching (5 s).
wait_log() {
	local _
	for _ in $(seq 50); do
		[ "$(grep -c -E -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
# req METHOD URL [curl args...]: sets CODE; body in resp.json, headers in resp.h.
req() {
	local m=$1 u=$2; shift 2
	CODE=$(curl -sS --max-time 10 -o resp.json -D resp.h -w '%{http_code}' -X "$m" "$@" "$u" 2>curl.err)
	NREQ=$((NREQ + 1))
}
json() { req "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3" "${@:4}"; }
setcookie() { sed -n 's/^[Ss]et-[Cc]ookie: *//p' resp.h | tr -d '\r'; }	# of the last req
NREQ=0

# ---- 1. configuration checks ----

"$PD" -n -f "$SRC/dist/porterd.conf" >out.txt 2>err.txt
rc=$?
[ $rc -eq 0 ] && grep -q "configuration ok" out.txt; ok "-n -f dist/porterd.conf: exit 0, 'configuration ok'" || show out.txt err.txt

conf good.ini server.threads=3 server.max_body=4096 server.signup=closed server.session_ttl=2h \
	server.zoneinfo=/usr/share/zoneinfo store.path=/srv/porter/p.db log.level=warn
"$PD" -n -v -f good.ini >out.txt 2>err.txt
rc=$?
[ $rc -eq 0 ] && grep -q "configuration ok" out.txt; ok "-n -v: exit 0, 'configuration ok'" || show out.txt err.txt
for kv in 'server\.listen = 127\.0\.0\.1:0' 'server\.threads = 3' 'server\.max_body = 4096' \
	'server\.signup = closed' 'server\.session_ttl = (2h|120m|7200s)' 'server\.tls_cert =' \
	'server\.tls_key =' 'server\.zoneinfo = /usr/share/zoneinfo' 'store\.path = /srv/porter/p\.db' \
	'log\.level = (warn|debug)( |$)'; do
	key=${kv%% =*}
	grep -qE "^$kv" out.txt; ok "-n -v prints ${key//\\/} with its value" || grep -E "^$key" out.txt | show
done

# bad NAME LINE KEY CONTENT: -n exits non-zero, one stderr line naming the
# file, "line LINE" and KEY.
bad() {
	local what=$1 line=$2 key=$3 f="bad-$n.ini"
	printf "%b" "$4" >"$f"
	"$PD" -n -f "$f" >out.txt 2>err.txt
	local rc=$? lines
	lines=$(wc -l <err.txt)
	[ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$lines" -eq 1 ] && grep -qF "$f" err.txt &&
		grep -qE "line $line\b" err.txt && grep -qF "$key" err.txt && ! grep -q "configuration ok" out.txt
	ok "-n rejects $what: exit $rc, one line naming the file, line $line, $key" || show err.txt
}
"$PD" -n -f "$T/missing.ini" >out.txt 2>err.txt
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -qF "$T/missing.ini" err.txt
ok "-n rejects a missing file: exit $rc, one line naming it" || show err.txt
bad "an unknown key" 3 bogus '[server]\nthreads = 2\nbogus = 1\n'
bad "an unknown section (named at its header)" 3 nowhere '[server]\nthreads = 2\n[nowhere]\nkey = 1\n'
bad "an unknown, empty section" 2 nowhere '[server]\n[nowhere]\n[log]\nlevel = info\n'
bad "threads = 0" 3 threads '[server]\nmax_body = 4096\nthreads = 0\n'
bad "max_body = 10" 2 max_body '[server]\nmax_body = 10\n'
bad "session_ttl = 5s" 4 session_ttl '# comment\n[server]\n\nsession_ttl = 5s\n'
bad "signup = maybe" 2 signup '[server]\nsignup = maybe\n'
bad "a listen that is not address:port" 2 listen '[server]\nlisten = localhost-8480\n'
bad "tls_cert without tls_key" 2 tls_key '[server]\ntls_cert = /etc/porter/cert.pem\n'

"$PD" -h >out.txt 2>err.txt
rc=$?
[ $rc -eq 0 ] && grep -q -- "-f FILE" out.txt && grep -q -- "-n " out.txt && grep -q -- "-d " out.txt &&
	grep -q -- "-v " out.txt && grep -q -- "-R FILE" out.txt
ok "-h: exit 0, explains -f -n -d -v -R" || show out.txt
"$PD" -Q >out.txt 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ ! -s out.txt ] && grep -q "usage" err.txt; ok "an unknown flag: exit 1 ($rc), usage on stderr"

# ---- 2. start, health, file modes ----

mkdir a	# porterd makes the last directory only (0700)
conf a.ini server.signup=open store.path="$T/a/db/porter.db" log.level=info
sock="$T/notify.sock"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        d = s.recv(4096)
        for m in d.decode(errors="replace").split("\n"):
            if m:
                f.write(m + "\n")
        f.flush()
' "$sock" "$T/notify.txt" &
PIDS+=("$!")
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
start a a.ini NOTIFY_SOCKET="$sock"; ok "porterd starts and writes its port to the -R file (port ${PORT:-none})" || show a.log
A=$PID APORT=${PORT:-0}
U="http://127.0.0.1:$APORT"
req GET "$U/v1/health"
[ "$CODE" = 200 ] && grep -q '"status":"ok"' resp.json; ok "GET /v1/health: 200 ok" || show resp.json curl.err
fmode=$(stat -c %a "$T/a/db/porter.db" 2>&1) dmode=$(stat -c %a "$T/a/db" 2>&1)
[ "$fmode" = 600 ]; ok "the database file is mode 0600 ($fmode)"
[ "$dmode" = 700 ]; ok "its directory is mode 0700 ($dmode)"

# ---- 3. logs: one line per request, no secrets ----

PW='Zebra-Porcupine-4471-Secret' NAME='Quixotic-Marmalade' EMAIL='ana.kowalska@example.org'
NREQ=0
grep -c 'event=request' a.log >before.txt
json POST "$U/v1/accounts" "{\"email\":\"$EMAIL\",\"password\":\"$PW\",\"name\":\"$NAME\"}"
[ "$CODE" = 201 ]; ok "sign up: 201 ($CODE)" || show resp.json
json POST "$U/v1/sessions" "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}"
TOKEN=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' resp.json)
[ "$CODE" = 201 ] && [ ${#TOKEN} -ge 40 ]; ok "sign in: 201 with a token ($CODE)" || show resp.json
json POST "$U/v1/sessions" "{\"email\":\"$EMAIL\",\"password\":\"$PW-wrong\"}"
[ "$CODE" = 401 ]; ok "wrong password: 401 ($CODE)"
req GET "$U/v1/me" -H "Authorization: Bearer $TOKEN"
[ "$CODE" = 200 ]; ok "GET /v1/me with the token: 200 ($CODE)"
REQID=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([0-9a-f]*\).*/\1/p' resp.h)
req GET "$U/v1/health"
req GET "$U/v1/nowhere"
req DELETE "$U/v1/sessions/current" -H "Authorization: Bearer $TOKEN"
[ "$CODE" = 204 ]; ok "sign out: 204 ($CODE)"
want=$(( $(cat before.txt) + NREQ ))
wait_log a.log 'event=request' "$want"
got=$(( $(grep -c 'event=request' a.log) - $(cat before.txt) ))
[ "$got" -eq "$NREQ" ]; ok "one event=request line per request ($NREQ requests, $got lines)"
! grep 'event=request' a.log | grep -qvE 'event=request id=[0-9a-f]{16} .*status=[0-9]{3} '
ok "every request line has id= and status="
[ -n "$REQID" ] && grep -E "event=request id=$REQID .*path=\"/v1/me\" status=200" a.log >/dev/null
ok "the X-Request-Id of GET /v1/me is its log line's id ($REQID)"
grep -q 'status=401' a.log && grep -q 'status=404' a.log; ok "failed requests are logged with their status"
! grep -qF -- "$PW" a.log; ok "the password never appears in the log"
[ -n "$TOKEN" ] && ! grep -qF -- "$TOKEN" a.log && ! grep -qF -- "${TOKEN:0:16}" a.log; ok "the token never appears in the log"
! grep -qF -- "$NAME" a.log && ! grep -qF -- "$EMAIL" a.log; ok "no request body (name, e-mail) appears in the log"

# ---- 4. SIGHUP ----

nap=$(grep -c 'event=reload result=applied' a.log)
conf a.ini server.signup=closed store.path="$T/a/db/porter.db" log.level=info
kill -HUP "$A"
wait_log a.log 'event=reload result=applied' $((nap + 1)); ok "SIGHUP: the log says the reload was applied" || show a.log
json POST "$U/v1/accounts" '{"email":"bo@example.org","password":"another-long-password","name":"Bo"}'
[ "$CODE" = 403 ] && grep -q '"signup-closed"' resp.json; ok "signup = closed after SIGHUP: 403 signup-closed ($CODE)" || show resp.json
cp a.ini a.good
printf '[server]\nlisten = 127.0.0.1:0\nthreads = 0\n' >a.ini
kill -HUP "$A"
wait_log a.log 'event=reload result=kept' 1; ok "SIGHUP with an invalid file: the log says the old configuration was kept" || show a.log
grep 'event=reload result=kept' a.log | grep -q 'threads'; ok "... and names the problem" || grep 'result=kept' a.log | show
req GET "$U/v1/health"
[ "$CODE" = 200 ]; ok "porterd still answers after the invalid reload ($CODE)"
json POST "$U/v1/accounts" '{"email":"bo@example.org","password":"another-long-password","name":"Bo"}'
[ "$CODE" = 403 ] && grep -q '"signup-closed"' resp.json; ok "signup is still closed ($CODE)"
! grep -q 'event=reload note=' a.log; ok "no restart-only key changed so far: no warning"
conf a.ini server.signup=closed server.max_body=2048 store.path="$T/a/db/porter.db" log.level=info \
	server.per_ip_connections=7 clips.max_uploads=3
kill -HUP "$A"
wait_log a.log 'event=reload result=applied' $((nap + 2)); ok "SIGHUP with max_body = 2048: applied"
grep -q 'event=reload note="changed, applied on restart only" keys=per_ip_connections,\[clips\]$' a.log
ok "... and a warning names the keys that wait for a restart (per_ip_connections, [clips])" ||
	grep 'event=reload' a.log | show
big=$(printf '{"email":"ana@example.org","password":"%s"}' "$(head -c 2954 /dev/zero | tr '\0' x)")
[ ${#big} -eq 3000 ]
json POST "$U/v1/sessions" "$big"
[ "$CODE" = 413 ] && grep -q '"too-large"' resp.json; ok "a 3000-byte body now gets 413 too-large ($CODE)" || show resp.json curl.err
mid=$(printf '{"email":"ana@example.org","password":"%s"}' "$(head -c 1454 /dev/zero | tr '\0' x)")
json POST "$U/v1/sessions" "$mid"
[ "$CODE" != 413 ] && [ "$CODE" != 000 ]; ok "a 1500-byte body does not ($CODE)"
req GET "$U/v1/health"
[ "$CODE" = 200 ]; ok "porterd answers after the 413s ($CODE)"

# ---- 2 (stop) and 5. SIGTERM, sd_notify ----

stop "$A" TERM
[ "$STATUS" -eq 0 ] && [ "$SECS" -le 5 ]; ok "SIGTERM: exit status 0 within 5 s (status $STATUS, ${SECS}s)"
grep -q 'event=stopped' a.log; ok "SIGTERM: event=stopped logged"
wait_log notify.txt '^STOPPING=1$' 1	# sent before porterd exited; the listener writes it when it can
msgs=$(grep -E '^(READY|RELOADING|STOPPING)=1$' notify.txt 2>/dev/null | tr '\n' ' ')
[ "$(head -n 1 notify.txt 2>/dev/null)" = READY=1 ]; ok "sd_notify: READY=1 after start" || show notify.txt
want='READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 '
[ "$msgs" = "$want" ]; ok "sd_notify: RELOADING=1 then READY=1 per SIGHUP, STOPPING=1 on SIGTERM" || echo "# got: $msgs"

# ---- 7. restart keeps state; 8. a busy listen address; SIGINT ----

start a2 a.ini; ok "porterd starts again on the same database" || show a2.log
A2=$PID A2PORT=${PORT:-0} U="http://127.0.0.1:${PORT:-0}"
json POST "$U/v1/sessions" "{\"email\":\"$EMAIL\",\"password\":\"$PW\"}"
[ "$CODE" = 201 ]; ok "after a restart, the account signed up before signs in ($CODE)" || show resp.json
conf b.ini store.path="$T/b/porter.db"
sed -i "s/^listen = .*/listen = 127.0.0.1:$A2PORT/" b.ini
start b b.ini
B=$PID
for _ in $(seq 50); do alive "$B" || break; sleep 0.1; done
if alive "$B"; then stop "$B" KILL; STATUS=999; else wait "$B"; STATUS=$?; fi
[ "$STATUS" -ne 0 ] && [ "$STATUS" -lt 128 ]; ok "a second porterd on the same address exits non-zero ($STATUS)"
grep -E "cannot listen.*127\.0\.0\.1:$A2PORT" b.log >/dev/null; ok "... with a 'cannot listen' line naming the address" || show b.log
req GET "$U/v1/health"
[ "$CODE" = 200 ]; ok "the first porterd still answers ($CODE)"
stop "$A2" INT
[ "$STATUS" -eq 0 ] && [ "$SECS" -le 5 ]; ok "SIGINT: exit status 0 within 5 s (status $STATUS, ${SECS}s)"
grep -q 'event=stopped' a2.log; ok "SIGINT: event=stopped logged"

# ---- 6. TLS ----

if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -days 2 -keyout key.pem -out cert.pem >openssl.log 2>&1; then
	chmod 600 key.pem
	conf c.ini server.tls_cert="$T/cert.pem" server.tls_key="$T/key.pem" store.path="$T/c/porter.db"
	printf '[web]\ncookie_secure = auto\n' >>c.ini
	start c c.ini; ok "porterd starts with tls_cert and tls_key" || show c.log
	C=$PID CPORT=${PORT:-0}
	req GET "https://127.0.0.1:${PORT:-0}/v1/health" --cacert cert.pem
	[ "$CODE" = 200 ]; ok "https with --cacert: GET /v1/health 200 ($CODE)" || show curl.err c.log
	req GET "http://127.0.0.1:${PORT:-0}/v1/health"
	[ "$CODE" != 200 ]; ok "plain http:// to the TLS port fails ($CODE)"
	req GET "https://127.0.0.1:${PORT:-0}/v1/health"
	[ "$CODE" = 000 ] && grep -qiE 'certificate|verify' curl.err; ok "https without --cacert fails verification" || show curl.err
	grep -q 'tls=on' c.log; ok "the log says tls=on"
	# [web] cookie_secure = auto (docs/web.md, "Web sessions"): over TLS
	# the session cookie is Secure, named __Host-porter_session, and only
	# that name is read; the same file without the certificate: no Secure.
	TU="https://127.0.0.1:$CPORT"
	json POST "$TU/v1/accounts" '{"email":"tls@example.org","password":"Tls-Cookie-Password-1","name":"Tee"}' --cacert cert.pem
	json POST "$TU/v1/sessions" '{"email":"tls@example.org","password":"Tls-Cookie-Password-1","cookie":true}' --cacert cert.pem
	SC=$(setcookie)
	CK=$(printf '%s' "$SC" | sed -En 's/^__Host-porter_session=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; SameSite=Strict; Max-Age=[0-9]+; Secure$/\1/p')
	[ "$CODE" = 201 ] && [ -n "$CK" ]
	ok "cookie_secure = auto over TLS: Set-Cookie: __Host-porter_session=...; Path=/; HttpOnly; SameSite=Strict; Max-Age=N; Secure ($CODE: ${SC%%=*}=...;${SC#*;})"
	req GET "$TU/v1/me" --cacert cert.pem -H "Cookie: __Host-porter_session=$CK"
	c1=$CODE
	req GET "$TU/v1/me" --cacert cert.pem -H "Cookie: porter_session=$CK"
	[ "$c1" = 200 ] && [ "$CODE" = 401 ]; ok "over TLS that cookie signs in as __Host-porter_session, not as porter_session ($c1, $CODE)"
	stop "$C" TERM
	[ "$STATUS" -eq 0 ]; ok "TLS porterd stops on SIGTERM with status 0 ($STATUS)"
	conf c2.ini store.path="$T/c/porter.db"
	printf '[web]\ncookie_secure = auto\n' >>c2.ini
	start c2 c2.ini; ok "the same configuration without tls_cert and tls_key starts (plain HTTP)" || show c2.log
	C2=$PID
	json POST "http://127.0.0.1:${PORT:-0}/v1/sessions" '{"email":"tls@example.org","password":"Tls-Cookie-Password-1","cookie":true}'
	SC=$(setcookie)
	[ "$CODE" = 201 ] &&
		printf '%s' "$SC" | grep -Eq '^porter_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=[0-9]+$'
	ok "cookie_secure = auto without TLS: Set-Cookie: porter_session=...; HttpOnly; SameSite=Strict, no Secure ($CODE: ${SC%%=*}=...;${SC#*;})"
	stop "$C2" TERM
else
	show openssl.log
	false; ok "openssl makes a self-signed P-256 certificate"
fi

# ---- the shipped configuration, from an empty working directory ----

mkdir fresh
sed 's/^listen = .*/listen = 127.0.0.1:0/' "$SRC/dist/porterd.conf" >ship.conf
WD=$T/fresh start d ship.conf; ok "dist/porterd.conf (port 0): porterd starts in an empty working directory" || show d.log
D=$PID
fmode=$(stat -c %a fresh/var/porterd/porter.db 2>&1) dmode=$(stat -c %a fresh/var/porterd 2>&1)
[ "$fmode" = 600 ] && [ "$dmode" = 700 ]; ok "... and makes var/porterd/porter.db 0600 in a 0700 directory ($fmode, $dmode)"
stop "$D" TERM

# ---- every line porterd wrote (porterd(8) LOGGING) ----

cat a.log a2.log b.log c.log c2.log d.log 2>/dev/null | grep -vE '^ts=[0-9TZ:.-]+ level=(error|warn|info|debug) event=[a-z_]+( |$)' >stray.txt
[ ! -s stray.txt ]; ok "every line porterd wrote to stderr is a 'ts= level= event=' line" || show stray.txt

echo "1..$n"
[ "$failed" -eq 0 ] || { echo "# $failed of $n failed"; exit 1; }

#!/usr/bin/env bash
# porter as a client of a real porterd, driven as a user would; TAP output.
# Usage: test_client.sh PORTER PORTERD
set -u
P=$(realpath "$1")
D=$(realpath "$2")
T=$(mktemp -d)
PID=
HELPER=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "$HELPER" ] && kill "$HELPER" 2>/dev/null && wait "$HELPER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1
n=0 failed=0
: >all.txt	# every stdout and stderr, to look for the token in

ok() { # description, then the condition already evaluated in $?
	local rc=$? ; n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
run() { "$@" >out.txt 2>err.txt; local rc=$?; cat out.txt err.txt >>all.txt; return $rc; }
# expect CODE description cmd...: exit code CODE, and on failure exactly one line on stderr
expect() {
	local want=$1 what=$2; shift 2
	run "$@"
	local got=$? lines
	lines=$(wc -l <err.txt)
	n=$((n + 1))
	if [ "$got" -eq "$want" ] && { [ "$want" -eq 0 ] || [ "$lines" -eq 1 ]; }; then
		echo "ok $n - $what (exit $got)"
	else
		echo "not ok $n - $what: exit $got, want $want; $lines stderr lines"
		sed 's/^/# /' out.txt err.txt; failed=$((failed + 1))
	fi
}
# usage errors: exit 1, the problem on the first line, at most a hint after it
usage_error() {
	local what=$1; shift
	run "$@"
	local got=$? lines
	lines=$(wc -l <err.txt)
	n=$((n + 1))
	if [ "$got" -eq 1 ] && [ "$lines" -le 2 ] && head -n 1 err.txt | grep -q '^porter: '; then echo "ok $n - $what: usage error"
	else echo "not ok $n - $what: exit $got, $lines stderr lines"; sed 's/^/# /' err.txt; failed=$((failed + 1)); fi
}
says() { grep -q -- "$1" err.txt; ok "$2"; }
json_ok() { python3 -c "import json,sys; d=json.load(open('out.txt')); assert $1, d" 2>>err.txt; ok "$2"; }

# ---- porterd on a free loopback port, a fresh database ----
mkdir -p db
cat >porterd.conf <<EOF
[server]
listen = 127.0.0.1:0
[store]
path = $T/db/porter.db
EOF
"$D" -f porterd.conf -d -R ready 2>porterd.log &
PID=$!
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.1; done
if [ ! -s ready ]; then echo "Bail out! porterd did not start"; sed 's/^/# /' porterd.log; exit 1; fi
URL=http://127.0.0.1:$(cat ready)

export PORTER_CONFIG=$T/ana/client.conf
unset PORTER_CACERT XDG_CONFIG_HOME
export PORTER_PASSWORD='correct horse battery'
A=(env PORTER_CONFIG="$T/ana/client.conf")
B=(env PORTER_CONFIG="$T/bob/client.conf")

# ---- signing up and in ----
expect 2 "not signed in: no server yet" "$P" whoami
says "porter login --server" "says how to sign in"
expect 0 "signup" "$P" signup --server "$URL" --email ana@example.org --name Ana
grep -q "created account" out.txt; ok "signup says what it did"
expect 2 "signup twice: exists" "$P" signup --email ana@example.org --name Ana
says "(exists)" "error line carries the server's code"
expect 2 "a short password is refused by the server" env PORTER_PASSWORD=short "$P" signup --email x@example.org --name X
says "password" "names the password field"
expect 2 "wrong password" env PORTER_PASSWORD='wrong horse battery' "$P" login --email ana@example.org
says "(bad-credentials)" "wrong password: bad-credentials"
[ ! -e ana/client.conf ] || ! grep -q '^token' ana/client.conf; ok "no session stored after a failed sign-in"
expect 0 "login" "$P" login --email ana@example.org
grep -q "signed in to $URL as ana@example.org" out.txt; ok "login says who and where"
[ "$(stat -c %a ana/client.conf)" = 600 ]; ok "session file is 0600"
[ "$(stat -c %a ana)" = 700 ]; ok "its new directory is 0700"
TOKEN=$(sed -n 's/^token = //p' ana/client.conf)
[ ${#TOKEN} -eq 43 ]; ok "session file holds the token"
expect 0 "whoami" "$P" whoami
grep -q "ana@example.org" out.txt && grep -q "server *$URL" out.txt; ok "whoami shows the account and server"
expect 0 "whoami --json" "$P" whoami --json
json_ok 'd["email"] == "ana@example.org" and d["role"] == "owner"' "whoami --json parses"
expect 0 "login --json" "$P" login --email ana@example.org --json
json_ok '"token" not in d and d["account"]["email"] == "ana@example.org"' "login --json parses, without the token"
TOKEN=$(sed -n 's/^token = //p' ana/client.conf)
printf '%s\n' "$PORTER_PASSWORD" >pw.txt
expect 0 "login --password-stdin" env -u PORTER_PASSWORD "$P" login --email ana@example.org --password-stdin <pw.txt
TOKEN2=$(sed -n 's/^token = //p' ana/client.conf)
[ "$TOKEN2" != "$TOKEN" ]; ok "a new sign-in replaces the token"
expect 2 "no terminal, no PORTER_PASSWORD: refused" env -u PORTER_PASSWORD setsid -w "$P" login --email ana@example.org </dev/null
says "PORTER_PASSWORD" "says how to give the password"
# The terminal, echo off: the password typed never shows. Typed once the
# prompt shows (input before porter turns echo off is flushed), and a moment
# after it: porter writes the prompt, then turns echo off.
: >tty.txt
# shellcheck disable=SC2094 # the prompt is read from tty.txt as script writes it
(for _ in $(seq 150); do grep -q "Password:" tty.txt && break; sleep 0.1; done
 sleep 0.5; printf '%s\n' "$PORTER_PASSWORD") | env -u PORTER_PASSWORD timeout 20 script -qec \
	"'$P' login --email ana@example.org" /dev/null >tty.txt 2>&1
rc=$?; cat tty.txt >>all.txt
[ $rc -eq 0 ] && grep -q "Password:" tty.txt && grep -q "signed in" tty.txt && ! grep -qF -- "$PORTER_PASSWORD" tty.txt
ok "password from the terminal, not echoed"
TOKEN=$(sed -n 's/^token = //p' ana/client.conf)
expect 0 "bob signs up" "${B[@]}" "$P" signup --server "$URL" --email bob@example.org --name Bob
expect 0 "bob signs in" "${B[@]}" "$P" login --email bob@example.org
expect 0 "carol signs up as a carrier admin" "${B[@]}" "$P" signup --email carol@example.org --name Carol --role carrier-admin

# ---- XDG and HOME ----
expect 0 "session under XDG_CONFIG_HOME" env -u PORTER_CONFIG XDG_CONFIG_HOME="$T/xdg" "$P" login --server "$URL" --email bob@example.org
[ "$(stat -c %a xdg/porter/client.conf)" = 600 ] && [ "$(stat -c %a xdg/porter)" = 700 ]; ok "XDG_CONFIG_HOME/porter/client.conf 0600 in a 0700 directory"
expect 0 "session under ~/.config" env -u PORTER_CONFIG HOME="$T/home" "$P" login --server "$URL" --email bob@example.org
[ "$(stat -c %a home/.config/porter/client.conf)" = 600 ]; ok "~/.config/porter/client.conf 0600"

# ---- homes ----
expect 0 "home create" "$P" home create --name Flat --tz Europe/Berlin --notes "dog inside" \
	--hours "mon-fri 08:00-20:00" --in-home-delivery --approval standing --json
json_ok 'd["role"] == "owner" and d["policy"]["hours"] == ["mon-fri 08:00-20:00"] and d["policy"]["approval"] == "standing"' "home create --json parses"
H=$(python3 -c 'import json; print(json.load(open("out.txt"))["id"])')
expect 0 "a second home" "$P" home create --name Cabin --tz Europe/Oslo
grep -q "^name *Cabin" out.txt && grep -q "^approval *per-delivery" out.txt; ok "home create prints the home"
H2=$(sed -n 's/^id *//p' out.txt)
expect 2 "home create: unknown time zone" "$P" home create --name X --tz Mars/Olympus
says "(invalid-field)" "unknown zone: invalid-field"
expect 2 "a carrier admin cannot create homes" env PORTER_CONFIG="$T/carol.conf" sh -c \
	"'$P' login --server '$URL' --email carol@example.org >/dev/null && '$P' home create --name X --tz Europe/Berlin"
says "(forbidden)" "carrier admin: forbidden"
expect 0 "home list" "$P" home list
grep -q "^ID  *ROLE" out.txt && grep -q "^$H  *owner  *Europe/Berlin  *Flat" out.txt; ok "home list is a table"
expect 0 "home list --json" "$P" home list --json
json_ok 'len(d["homes"]) == 2' "home list --json parses"
expect 0 "home show" "$P" home show "$H"
grep -q "^hours *mon-fri 08:00-20:00" out.txt && grep -q "^in-home delivery *allowed" out.txt; ok "home show shows the policy"
expect 0 "home update keeps the rest of the policy" "$P" home update "$H" --carrier dhl --no-camera-required --json
json_ok 'd["policy"]["carriers"] == ["dhl"] and d["policy"]["camera_required"] is False and d["policy"]["hours"] == ["mon-fri 08:00-20:00"] and d["policy"]["approval"] == "standing"' "only the given policy fields changed"
expect 0 "home update --name" "$P" home update "$H" --name "Flat 2"
grep -q "^name *Flat 2" out.txt; ok "renamed"
usage_error "home update with nothing to change" "$P" home update "$H"
expect 2 "home show: no such home" "$P" home show h-0123456789abcdef
says "(not-found)" "not-found"
expect 2 "a home id that is not an id" "$P" home show ../../v1/me
expect 2 "another owner's home: not found" "${B[@]}" "$P" home show "$H"
says "(not-found)" "another owner's home looks like no home"
expect 2 "another owner cannot delete it" "${B[@]}" "$P" home delete "$H"
expect 0 "it is still there" "$P" home show "$H"
expect 2 "member add: no such account" "$P" home member add "$H" --email nobody@example.org
expect 0 "member add" "$P" home member add "$H" --email bob@example.org
grep -q "added bob@example.org to home $H as member" out.txt; ok "member add says so"
expect 2 "member add twice: exists" "$P" home member add "$H" --email bob@example.org
expect 0 "the member sees the home" "${B[@]}" "$P" home show "$H" --json
json_ok 'd["role"] == "member"' "as a member"
expect 2 "a member may not change it" "${B[@]}" "$P" home update "$H" --name Mine
says "(forbidden)" "member: forbidden"
# home member list / remove (GET and DELETE /v1/homes/{id}/members)
expect 0 "member list" "$P" home member list "$H"
grep -q "^ACCOUNT  *ROLE  *EMAIL  *NAME  *KEY IDS" out.txt && grep -q "  *owner  *ana@example.org  *Ana" out.txt &&
	grep -q "  *member  *bob@example.org" out.txt; ok "member list is a table of the household"
expect 0 "member list --json (a member may list)" "${B[@]}" "$P" home member list "$H" --json
json_ok '[(m["email"], m["role"]) for m in d["members"]] == [("ana@example.org", "owner"), ("bob@example.org", "member")]' "member list --json: both, in account id order"
ANA_ID=$(python3 -c "import json; print([m['account_id'] for m in json.load(open('out.txt'))['members'] if m['role'] == 'owner'][0])")
BOB_ID=$(python3 -c "import json; print([m['account_id'] for m in json.load(open('out.txt'))['members'] if m['role'] == 'member'][0])")
expect 2 "member list: another owner's home is not found" "${B[@]}" "$P" home member list "$H2"
says "(not-found)" "member list: not-found"
expect 2 "member remove: a member may not remove the owner" "${B[@]}" "$P" home member remove "$H" --account "$ANA_ID"
says "(forbidden)" "member remove: forbidden"
expect 2 "member remove: the last owner cannot go" "$P" home member remove "$H" --email ANA@example.org
says "(last-owner)" "member remove: last-owner"
expect 2 "member remove: not a member" "$P" home member remove "$H" --email nobody@example.org
says "no member of home $H has the e-mail" "member remove: says no such member"
usage_error "member remove without --account or --email" "$P" home member remove "$H"
usage_error "member remove with both" "$P" home member remove "$H" --account "$BOB_ID" --email bob@example.org
usage_error "member remove --account 0" "$P" home member remove "$H" --account 0
usage_error "member remove --account 01" "$P" home member remove "$H" --account 01
usage_error "member list --email" "$P" home member list "$H" --email bob@example.org
expect 0 "member remove --email" "$P" home member remove "$H" --email bob@example.org
grep -q "^removed account $BOB_ID (bob@example.org, member) from home $H" out.txt; ok "member remove says so"
expect 2 "the removed member no longer sees the home" "${B[@]}" "$P" home show "$H"
says "(not-found)" "removed: not-found"
expect 0 "member add again, as owner" "$P" home member add "$H" --email bob@example.org --role owner
expect 0 "member remove --account --json (an owner)" "$P" home member remove "$H" --account "$BOB_ID" --json
json_ok 'd["account_id"] == '"$BOB_ID"' and d["role"] == "owner" and d["key_ids"] == []' "member remove --json names the account, its role and its key ids"
expect 0 "member list after the removal" "$P" home member list "$H" --json
json_ok '[m["email"] for m in d["members"]] == ["ana@example.org"]' "only the owner is left"
expect 0 "member add again (the tests below need Bob as a member)" "$P" home member add "$H" --email bob@example.org
expect 0 "a member may leave (remove themself)" "${B[@]}" "$P" home member remove "$H" --account "$BOB_ID"
expect 0 "and be added back" "$P" home member add "$H" --email bob@example.org

# ---- owner keys ----
for k in owner other carrier courier thief; do "$P" keygen -o $k.key >/dev/null; done
expect 0 "key add (public key file)" "$P" key add --home "$H" --key owner.key.pub --label "Ana's laptop"
grep -q "^label *Ana's laptop" out.txt; ok "key add prints the key"
expect 2 "key add twice: exists" "$P" key add --home "$H" --key owner.key
expect 0 "key add (bare base64url, --json)" "$P" key add --home "$H2" --key "$("$P" pubkey other.key)" --json
json_ok 'len(d["key_id"]) == 16' "key add --json parses"
expect 2 "key add: not a key" "$P" key add --home "$H" --key not-a-key
expect 2 "key add: a member may not" "${B[@]}" "$P" key add --home "$H" --key thief.key.pub
expect 0 "key list" "$P" key list --home "$H"
grep -q "^ID  *KEY ID  *PUBLIC KEY" out.txt && grep -qF -- "$("$P" pubkey owner.key)" out.txt; ok "key list is a table"
expect 0 "key list --json (member)" "${B[@]}" "$P" key list --home "$H" --json
json_ok 'len(d["keys"]) == 1' "key list --json parses"

# ---- grants ----
expect 0 "grant create --upload (root, also written)" "$P" grant create --key owner.key \
	--holder carrier.key.pub --home "$H" --purpose delivery --expires +30d --entries 50 \
	--depth 1 --upload --label carrier -o carrier.cred
grep -q "^wrote carrier.cred" out.txt && grep -q "^links *1" out.txt && grep -q "^label *carrier" out.txt; ok "says what it wrote and uploaded"
expect 0 "grant create --upload, a delegation, --json" "$P" grant create --key carrier.key \
	--parent carrier.cred --holder courier.key.pub --entries 1 --expires +1d --upload --json
json_ok 'd["links"] == 2 and d["purpose"] == "delivery"' "grant create --json parses"
CTI=$(python3 -c 'import json; print(json.load(open("out.txt"))["token_id"])')
expect 16 "a grant rooted in a key not enrolled: untrusted-root" "$P" grant create --key other.key \
	--holder carrier.key.pub --home "$H" --purpose guest --expires +1d --upload
says "(untrusted-root)" "untrusted-root"
"$P" grant --key carrier.key --parent carrier.cred --holder courier.key.pub --entries 51 --unchecked -o wide.cred >/dev/null
expect 14 "a widened delegation: widened-link" "$P" grant upload wide.cred --label wide
says "(widened-link)" "widened-link"
"$P" grant --key thief.key --parent carrier.cred --holder thief.key.pub --unchecked -o stolen.cred >/dev/null
expect 13 "a link not signed by the holder: broken-chain" "$P" grant upload stolen.cred
"$P" grant --key owner.key --holder carrier.key.pub --home "$H" --purpose guest --not-before -2d --expires -1d -o old.cred >/dev/null
expect 18 "an expired grant: expired" "$P" grant upload old.cred
"$P" grant --key other.key --holder carrier.key.pub --home "$H" --purpose guest --expires +1d -o g2.cred >/dev/null
expect 21 "a grant for another home: wrong-home-or-lock" "$P" grant upload g2.cred --home "$H2"
"$P" grant --key owner.key --holder carrier.key.pub --home "$H" --purpose guest --expires +1d -o g.cred >/dev/null
expect 0 "grant upload (home from the chain)" "$P" grant upload g.cred --label guest
grep -q "^purpose *guest" out.txt; ok "grant upload prints the grant"
expect 2 "the same grant twice: exists" "$P" grant upload g.cred
expect 2 "grant upload: a member may not" "${B[@]}" "$P" grant upload g.cred
usage_error "grant create needs --upload or -o" "$P" grant create --key owner.key --holder carrier.key.pub --home "$H" --purpose guest --expires +1d
usage_error "grant create: --label needs --upload" "$P" grant create --key owner.key --holder carrier.key.pub --home "$H" --purpose guest --expires +1d --label x -o x.cred
# Not random bytes: a random file can happen to be a CBOR array of more than
# four items (chain-too-long, 15) instead of malformed (11).
printf 'this is not a credential, just text' >garbage.cred
expect 11 "grant upload: garbage" "$P" grant upload garbage.cred --home "$H"
: >empty.cred
expect 11 "grant upload: empty file" "$P" grant upload empty.cred --home "$H"
head -c 3000 /dev/zero >big.cred
expect 32 "grant upload: oversized" "$P" grant upload big.cred --home "$H"
expect 2 "grant upload: missing file" "$P" grant upload nosuch.cred
expect 2 "grant upload: a directory" "$P" grant upload . --home "$H"
cp owner.key loose.key && chmod 644 loose.key
expect 2 "grant create: a key file readable by others" "$P" grant create --key loose.key --holder carrier.key.pub --home "$H" --purpose guest --expires +1d --upload
expect 0 "grant list" "$P" grant list --home "$H"
[ "$(grep -c delivery out.txt)" -eq 2 ] && grep -q "^ID  *TOKEN ID  *PURPOSE" out.txt && grep -q "$CTI" out.txt; ok "grant list is a table of the three grants"
expect 0 "grant list --json (member)" "${B[@]}" "$P" grant list --home "$H" --json
json_ok 'len(d["grants"]) == 3 and d["next"] is None and all(g["chain"] for g in d["grants"])' "grant list --json parses, with chains, every page followed"

# ---- revocations ----
expect 0 "revoke a token" "$P" revoke --home "$H" --signer owner.key --token "$CTI"
grep -q "^version *1" out.txt && grep -q "^target *$CTI" out.txt; ok "revoke prints the version and target"
expect 0 "revoke a key (--json)" "$P" revoke --home "$H" --signer owner.key --key courier.key.pub --json
json_ok 'd["version"] == 2 and d["kind"] == "key"' "revoke --json parses"
expect 41 "revocation signed by a key not enrolled: untrusted-signer" "$P" revoke --home "$H" --signer other.key --token "$CTI"
says "(untrusted-signer)" "untrusted-signer"
expect 2 "revoke: a member may not" "${B[@]}" "$P" revoke --home "$H" --signer owner.key --token "$CTI"
expect 2 "revoke: not a token id" "$P" revoke --home "$H" --signer owner.key --token xyz
expect 2 "revoke: signer key readable by others" "$P" revoke --home "$H" --signer loose.key --token "$CTI"
usage_error "revoke: --token and --key together" "$P" revoke --home "$H" --signer owner.key --token "$CTI" --key courier.key.pub
expect 0 "revocations" "${B[@]}" "$P" revocations --home "$H"
grep -q "^version 2" out.txt && grep -q "^1  *token  *$CTI" out.txt; ok "revocations is a table"
expect 0 "revocations --since 1 --json" "$P" revocations --home "$H" --since 1 --json
json_ok 'd["version"] == 2 and [r["version"] for r in d["revocations"]] == [2] and d["revocations"][0]["revocation"]' "revocations --since --json parses"
usage_error "revocations: --since not a number" "$P" revocations --home "$H" --since x

# ---- the session file and the token ----
chmod 644 ana/client.conf
expect 2 "a session file readable by others is refused" "$P" whoami
says "chmod 600" "says how to fix it"
chmod 600 ana/client.conf
printf 'server = %s\ntoken = short\n' "$URL" >bad.conf; chmod 600 bad.conf
expect 2 "a malformed session file" env PORTER_CONFIG="$T/bad.conf" "$P" whoami
printf 'server = http://example.org\ntoken = %s\n' "$TOKEN" >far.conf; chmod 600 far.conf
expect 2 "no token over plain http to another host" env PORTER_CONFIG="$T/far.conf" "$P" whoami
says "refusing to send the session token" "says why"
expect 2 "no password over plain http to another host" env PORTER_CONFIG="$T/x.conf" "$P" login --server http://example.org --email ana@example.org
usage_error "login: password as an argument is not an option" "$P" login --email ana@example.org --password x
# A server that accepts and never answers: the token must not be in any argument list.
python3 - >silent.port <<'EOF' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1]); sys.stdout.flush()
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
EOF
HELPER=$!
for _ in $(seq 50); do [ -s silent.port ] && break; sleep 0.1; done
printf 'server = http://127.0.0.1:%s\ntoken = %s\n' "$(cat silent.port)" "$TOKEN" >silent.conf; chmod 600 silent.conf
PORTER_CONFIG="$T/silent.conf" "$P" whoami >/dev/null 2>&1 &
W=$!
sleep 0.5
ps -eo args >ps.txt; cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' >>ps.txt
kill $W 2>/dev/null; wait $W 2>/dev/null
! grep -qF -- "$TOKEN" ps.txt && grep -q "whoami" ps.txt; ok "the token is in no process's arguments"
kill $HELPER; wait $HELPER 2>/dev/null; HELPER=
# A redirect is not followed.
python3 - >redir.port 2>/dev/null <<'EOF' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302); self.send_header("Location", "http://127.0.0.1:1/v1/me"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1]); sys.stdout.flush()
s.serve_forever()
EOF
HELPER=$!
for _ in $(seq 50); do [ -s redir.port ] && break; sleep 0.1; done
printf 'server = http://127.0.0.1:%s\ntoken = %s\n' "$(cat redir.port)" "$TOKEN" >redir.conf; chmod 600 redir.conf
expect 2 "a redirect is not followed" env PORTER_CONFIG="$T/redir.conf" "$P" whoami
says "redirect" "says it was a redirect"
kill $HELPER; wait $HELPER 2>/dev/null; HELPER=
# grant list follows "next" to the last page (porterd answers at most 200
# a page: a stand-in server shows the walk with 2 + 1 grants).
python3 - >pages.port 2>/dev/null <<'EOF' &
import http.server, json, sys, urllib.parse
def g(i):
    return {"id": i, "token_id": "%032x" % i, "holder": "x", "links": 1, "purpose": "guest",
            "expires_at": None, "label": "g%d" % i, "created_at": 1795600000, "chain": "AA"}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path); q = urllib.parse.parse_qs(u.query)
        with open("pages.log", "a") as f: f.write(self.path + "\n")
        after = q.get("after", ["0"])[0]
        if u.path.endswith("/h-00000000000000aa/grants"):
            body = {"grants": [g(3), g(7)], "next": "7"} if after == "0" else {"grants": [g(9)], "next": None}
        else:
            body = {"grants": [g(1)], "next": "0"}  # a cursor that does not move
        b = json.dumps(body).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1]); sys.stdout.flush()
s.serve_forever()
EOF
HELPER=$!
for _ in $(seq 50); do [ -s pages.port ] && break; sleep 0.1; done
printf 'server = http://127.0.0.1:%s\ntoken = %s\n' "$(cat pages.port)" "$TOKEN" >pages.conf; chmod 600 pages.conf
expect 0 "grant list over two pages" env PORTER_CONFIG="$T/pages.conf" "$P" grant list --home h-00000000000000aa --json
json_ok '[x["id"] for x in d["grants"]] == [3, 7, 9] and d["next"] is None' "grant list --json: both pages in order, next null"
grep -q 'after=0' pages.log && grep -q 'after=7' pages.log && [ "$(grep -c limit=200 pages.log)" -eq 2 ]; ok "asked for ?after=0 then ?after=7, 200 a page"
expect 1 "a 'next' cursor that does not move" env PORTER_CONFIG="$T/pages.conf" "$P" grant list --home h-00000000000000bb
says "does not move forward" "says so, rather than looping"
kill $HELPER; wait $HELPER 2>/dev/null; HELPER=
expect 2 "server down: a clear error" env PORTER_CONFIG="$T/down.conf" sh -c \
	"printf 'server = http://127.0.0.1:1\n' >'$T/down.conf' && chmod 600 '$T/down.conf' && '$P' signup --email z@example.org --name Z"

# ---- delete, sign out ----
expect 0 "home delete" "$P" home delete "$H2"
grep -q "deleted home $H2" out.txt; ok "home delete says so"
expect 2 "the deleted home is gone" "$P" home show "$H2"
expect 0 "logout --everywhere (bob, from the XDG session)" env -u PORTER_CONFIG XDG_CONFIG_HOME="$T/xdg" "$P" logout --everywhere
expect 2 "bob's other sessions ended too" "${B[@]}" "$P" whoami
says "(unauthenticated)" "unauthenticated"
expect 0 "logout of a session that had ended" "${B[@]}" "$P" logout
grep -q "already ended" out.txt; ok "says the session had already ended"
expect 0 "logout" "$P" logout
! grep -q '^token' ana/client.conf && grep -q "^server = $URL" ana/client.conf; ok "logout keeps the server, drops the token"
[ "$(stat -c %a ana/client.conf)" = 600 ]; ok "still 0600"
expect 2 "not signed in" "$P" whoami
says "not signed in" "says so"
expect 2 "the old token no longer works" env PORTER_CONFIG="$T/silent.conf" sh -c \
	"printf 'server = %s\ntoken = %s\n' '$URL' '$TOKEN' >'$T/silent.conf' && '$P' whoami"
rm -f silent.conf far.conf redir.conf pages.conf pages.port pages.log

# ---- help and usage ----
for c in signup login logout whoami "home" "home create" "home list" "home show" "home update" \
	"home delete" "home member" "home member list" "home member remove" "key" "grant create" "grant upload" "grant list" revoke revocations; do
	# shellcheck disable=SC2086
	expect 0 "$c --help" "$P" $c --help
done
grep -q -- "--since" out.txt; ok "revocations --help explains --since"
usage_error "unknown option" "$P" home list --bogus
usage_error "unknown home command" "$P" home frobnicate
usage_error "signup without --name" "$P" signup --email a@b.c

grep -qF -- "$TOKEN" all.txt; [ $? -ne 0 ]; ok "the token never appeared on stdout or stderr"
grep -qF -- "$TOKEN2" all.txt; [ $? -ne 0 ]; ok "nor any other token"
grep -qF -- "$PORTER_PASSWORD" all.txt porterd.log; [ $? -ne 0 ]; ok "nor the password, here or in porterd's log"

echo "1..$n"
[ $failed -eq 0 ]

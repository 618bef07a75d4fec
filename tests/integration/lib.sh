# tests/integration/lib.sh: what the integration tests share. Sourced
# (bash) after `set -u`, before anything else:
#
#   . "$(dirname "$0")/lib.sh"
#   t_begin NAME          a temporary directory $T (cd there, umask 077),
#                         cleaned up on exit (KEEP=1 keeps it), the
#                         processes in PIDS stopped first
#   broker_start USER...  a private mosquitto on a free loopback port
#                         ($MPORT, pid $BPID), accounts USER... with random
#                         passwords ($T/USER.pw, `pw USER`), the ACL of
#                         dist/mosquitto-acl; $BROKER_EXTRA: more lines
#   porterd_start PORTERD a real porterd on SQLite under $T/db, with that
#                         broker as `porterd` ($URL, pid $PID, log
#                         $T/porterd.log); $PORTERD_EXTRA: more sections
#
# and the TAP helpers every script had its own copy of: ok, expect, show,
# wait_for, until_ok, free_port, port_open, alive, log_has, jv, kid_of.
# Scripts end with `t_end` (the plan line and the exit status).

n=0 failed=0
PIDS=()
SRC=${PORTER_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

t_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}

t_begin() { # NAME
	T=$(mktemp -d "${TMPDIR:-/tmp}/porter-$1.XXXXXX")
	umask 077
	trap t_cleanup EXIT
	trap 'exit 2' INT TERM
	cd "$T" || exit 1
	unset NOTIFY_SOCKET
}

t_end() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

ok() { # description; the condition already evaluated in $?
	local rc=$?
	n=$((n + 1))
	if [ $rc -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
	return $rc
}
show() { sed 's/^/# /' "$@" 2>/dev/null | tail -n "${SHOW_LINES:-25}"; }
expect() { # EXIT DESCRIPTION COMMAND...: output in out.txt, err.txt
	local want=$1 what=$2 got
	shift 2
	"$@" >out.txt 2>err.txt
	got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ]; then
		echo "ok $n - $what (exit $got)"
	else
		echo "not ok $n - $what: exit $got, want $want"
		show out.txt err.txt
		failed=$((failed + 1))
	fi
}
jv() { python3 -c "import json; d=json.load(open('out.txt')); print($1)" 2>/dev/null; }
wait_for() { # SECONDS COMMAND...: retry COMMAND every 0.1 s for at most SECONDS
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
until_ok() { # SECONDS COMMAND...: the same, every 0.05 s
	local i limit=$(($1 * 20))
	shift
	for ((i = 0; i < limit; i++)); do "$@" && return 0; sleep 0.05; done
	return 1
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_open() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}
alive() { # PID: running and not a zombie
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
log_has() { grep -q -- "$1" "$2" 2>/dev/null; }
kid_of() { # KEY_FILE: its key id (hex), as hubs and porterd name it ($P: porter)
	"$P" pubkey "$1" | python3 -c 'import base64,hashlib,sys; s=sys.stdin.read().strip(); print(hashlib.sha256(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))).hexdigest()[:16])'
}
need() { # PROGRAM...: skip the whole test if one is missing
	local b
	for b in "$@"; do
		if ! command -v "$b" >/dev/null 2>&1; then
			echo "1..0 # SKIP $b is not installed (scripts/deps.sh)"
			exit 0
		fi
	done
}

pw() { cat "$T/$1.pw"; }

broker_start() { # USER...
	local u
	MPORT=$(free_port)
	: >"$T/passwd"
	for u in "$@"; do
		python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$T/$u.pw"
		mosquitto_passwd -b "$T/passwd" "$u" "$(pw "$u")" >/dev/null 2>&1 || return 1
	done
	cp "$SRC/dist/mosquitto-acl" "$T/acl"
	cat >"$T/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous false
password_file $T/passwd
acl_file $T/acl
persistence false
user $(id -un)
log_dest file $T/mosquitto.log
log_type error
log_type warning
listener $MPORT 127.0.0.1
${BROKER_EXTRA:-}
EOF
	"${MOSQ:-mosquitto}" -c "$T/mosquitto.conf" >>"$T/mosquitto.out" 2>&1 &
	BPID=$!
	PIDS+=("$BPID")
	wait_for 10 port_open "$MPORT"
}

porterd_start() { # PORTERD
	mkdir -p "$T/db"
	cp "$T/porterd.pw" "$T/porterd.secret" && chmod 600 "$T/porterd.secret"
	cat >"$T/porterd.conf" <<EOF
[server]
listen = 127.0.0.1:0
[store]
path = $T/db/porter.db
sealing_key = $T/db/sealing.key
[mqtt]
broker = 127.0.0.1:$MPORT
username = porterd
password_file = $T/porterd.secret
[log]
level = debug
${PORTERD_EXTRA:-}
EOF
	rm -f "$T/ready"
	"$1" -f "$T/porterd.conf" -d -R "$T/ready" 2>>"$T/porterd.log" &
	PID=$!
	PIDS+=("$PID")
	wait_for 10 test -s "$T/ready" || return 1
	URL=http://127.0.0.1:$(cat "$T/ready")
	wait_for 10 log_has "event=mqtt_connected" "$T/porterd.log"
}

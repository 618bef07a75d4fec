# shellcheck shell=sh
# make run's helpers, sourced by scripts/run.sh: messages, the children
# (started, watched, stopped), waiting, secrets. POSIX sh; Linux (/proc).
#
# Every child runs in its own session (setsid), so a Ctrl-C on the terminal
# reaches run.sh alone, and run.sh stops the children in order (the hub
# says goodbye to the broker before the broker goes). Its stdout and stderr
# go through a FIFO to a small reader that prefixes each line with the
# child's name on the terminal and keeps the bare lines in
# $VAR/log/NAME.log (the previous run's in NAME.log.1).

# say TEXT: one line of run.sh's own, prefixed like the children's (a
# closed terminal must not stop run.sh half way through stopping the rest).
say() { printf '%-9s | %s\n' run "$*" 2>/dev/null || :; }
# die TEXT: the problem on one line (stderr), exit 1 (the EXIT trap stops
# whatever was started).
die() {
	printf '%-9s | error: %s\n' run "$*" >&2
	exit 1
}

# secret: 32 random base64url characters (24 bytes from the kernel).
secret() {
	head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n='
}

# secret_file FILE: make FILE (0600) with a fresh secret unless it exists.
secret_file() {
	if [ ! -s "$1" ]; then
		(umask 077 && secret >"$1.tmp" && mv "$1.tmp" "$1")
	fi
	chmod 0600 "$1"
}

# alive PID: the process exists and is not a zombie.
alive() {
	_st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# wait_for SECONDS CMD...: run CMD every 0.2 s until it succeeds; fails
# after SECONDS, or at once when the component being waited for ($WAITING,
# a pid, if set) is gone.
wait_for() {
	_w=$(($1 * 5))
	shift
	while [ "$_w" -gt 0 ]; do
		"$@" && return 0
		if [ -n "${WAITING:-}" ] && ! alive "$WAITING"; then
			return 1
		fi
		sleep 0.2
		_w=$((_w - 1))
	done
	return 1
}

# The children: "NAME PID" lines, in the order they started.
CHILDREN=""

# pid_of NAME: the running child's pid (empty if none).
pid_of() {
	printf '%s' "$CHILDREN" | awk -v n="$1" '$1 == n { p = $2 } END { if (p) print p }'
}

# start NAME CMD...: start CMD in its own session, its output prefixed
# with NAME on the terminal and kept in $VAR/log/NAME.log.
start() {
	_name=$1
	shift
	_log=$VAR/log/$_name.log
	[ -f "$_log" ] && mv -f "$_log" "$_log.1"
	: >"$_log"
	_fifo=$VAR/run/$_name.fifo
	rm -f "$_fifo"
	mkfifo -m 0600 "$_fifo"
	# The reader: ends when the child's side of the FIFO closes. It ignores
	# SIGINT and SIGHUP and outlives a closed terminal, so neither a Ctrl-C
	# nor a hang-up cuts off the child's last words (a child whose reader
	# is gone would die of SIGPIPE at its next line).
	(
		trap '' INT HUP
		exec 3>>"$_log"
		while IFS= read -r _line || [ -n "$_line" ]; do
			printf '%-9s | %s\n' "$_name" "$_line" 2>/dev/null || :
			printf '%s\n' "$_line" >&3 || :
		done
	) <"$_fifo" &
	READERS="${READERS:-} $!"
	setsid "$@" >"$_fifo" 2>&1 </dev/null &
	_pid=$!
	CHILDREN="$CHILDREN$_name $_pid
"
	echo "$_pid" >"$VAR/run/$_name.pid"
}

# last_lines NAME: the end of NAME's log, for an error message.
last_lines() {
	printf '%-9s | the last lines of %s:\n' run "$VAR/log/$1.log" >&2
	tail -n "${2:-15}" "$VAR/log/$1.log" 2>/dev/null | sed "s/^/    $1: /" >&2
}

# stop_one NAME: SIGTERM, up to $STOP_WAIT seconds, then SIGKILL; reaps it.
# Prints how it ended; returns 0 when it exited by itself with status 0.
stop_one() {
	_pid=$(pid_of "$1")
	[ -n "$_pid" ] || return 0
	if alive "$_pid"; then
		kill -TERM "$_pid" 2>/dev/null || true
		_k=$((STOP_WAIT * 10))
		while [ "$_k" -gt 0 ] && alive "$_pid"; do
			sleep 0.1
			_k=$((_k - 1))
		done
		if alive "$_pid"; then
			say "$1 (pid $_pid) did not stop within ${STOP_WAIT}s: SIGKILL"
			kill -KILL "$_pid" 2>/dev/null || true
		fi
	fi
	_rc=0
	wait "$_pid" 2>/dev/null || _rc=$?
	CHILDREN=$(printf '%s' "$CHILDREN" | awk -v n="$1" '$1 != n')
	[ -n "$CHILDREN" ] && CHILDREN="$CHILDREN
"
	rm -f "$VAR/run/$1.pid" "$VAR/run/$1.fifo"
	return "$_rc"
}

# stop_all: every child, those that need the others first (the camera,
# the hub, porterd, the broker: $STOP_ORDER), then any other, the last
# started first; then the log readers.
stop_all() {
	for _c in $(printf '%s' "$CHILDREN" | awk -v order="${STOP_ORDER:-}" '
		{ l[NR] = $1; have[$1] = 1 }
		END {
			n = split(order, o, " ")
			for (i = 1; i <= n; i++) if (o[i] in have) { print o[i]; done[o[i]] = 1 }
			for (i = NR; i > 0; i--) if (!(l[i] in done)) print l[i]
		}'); do
		if stop_one "$_c"; then
			say "$_c stopped"
		else
			say "$_c stopped (exit status $_rc)"
		fi
	done
	# A reader ends at its FIFO's end, once every process holding the
	# write side is gone; one a stray grandchild keeps open is not waited
	# for long.
	for _r in ${READERS:-}; do
		_k=30
		while [ "$_k" -gt 0 ] && alive "$_r"; do
			sleep 0.1
			_k=$((_k - 1))
		done
		kill -TERM "$_r" 2>/dev/null || true
		wait "$_r" 2>/dev/null || true
	done
	READERS=""
}

# dead_child: the name of the first child no longer running (empty: none).
dead_child() {
	printf '%s' "$CHILDREN" | while read -r _n _p; do
		if ! alive "$_p"; then
			echo "$_n"
			return
		fi
	done
}

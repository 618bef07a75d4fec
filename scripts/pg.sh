#!/bin/sh
# A throwaway PostgreSQL cluster for tests (tests/unit/test_store_pg.c,
# the api-pg integration test). Nothing here is for production.
#
#   scripts/pg.sh start DIR          make a cluster in DIR, start it, print its URI
#   scripts/pg.sh createdb DIR NAME  make database NAME in it, print its URI
#   scripts/pg.sh stop DIR           stop it at once (-m immediate) and remove DIR
#
# The server listens only on a Unix socket in DIR (no TCP port: nothing else
# on the machine can reach it, and two clusters never collide), with trust
# authentication for its one superuser, postgres. PostgreSQL refuses to run
# as root: when run as root, DIR is given to the `postgres` system user that
# Debian's postgresql package creates, and initdb, pg_ctl and the server run
# as that user (runuser). fsync stays on: commits are as durable as in
# production, which the crash tests rely on.
#
# PG_BIN may name the directory of initdb and pg_ctl; by default the newest
# /usr/lib/postgresql/*/bin.
set -eu

usage() {
	echo "usage: pg.sh start DIR | createdb DIR NAME | stop DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
case $dir in
/*) ;;
*) echo "pg.sh: DIR must be an absolute path: '$dir'" >&2; exit 2 ;;
esac
case $dir in
*[!A-Za-z0-9/._-]*) echo "pg.sh: DIR may hold only letters, digits and / . _ -: '$dir'" >&2; exit 2 ;;
esac

bin=${PG_BIN:-}
if [ -z "$bin" ]; then
	# The highest version number (a glob would sort 10 before 9).
	for v in $(ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n); do
		[ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] && bin=/usr/lib/postgresql/$v/bin
	done
fi
if [ "$cmd" != stop ] && { [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ] || [ ! -x "$bin/initdb" ]; }; then
	echo "pg.sh: no PostgreSQL server binaries (install postgresql: scripts/deps.sh)" >&2
	exit 1
fi

root=no
[ "$(id -u)" -eq 0 ] && root=yes

# Run a PostgreSQL program as the user that owns the cluster.
as_pg() {
	if [ $root = yes ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

uri() { # dbname
	echo "postgresql:///$1?host=$dir&user=postgres"
}

pg_stop() {
	if [ -f "$dir/data/postmaster.pid" ] && [ -n "$bin" ]; then
		as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
}

case $cmd in
start)
	[ $# -eq 2 ] || usage
	if [ $root = yes ] && ! id postgres >/dev/null 2>&1; then
		echo "pg.sh: running as root needs the 'postgres' system user (the postgresql package)" >&2
		exit 1
	fi
	mkdir -p "$dir"
	if [ -e "$dir/data" ]; then
		echo "pg.sh: '$dir/data' exists: a cluster is there already" >&2
		exit 1
	fi
	[ $root = yes ] && chown postgres: "$dir"
	chmod 0700 "$dir"
	# Whatever fails from here on, leave no server running.
	trap 'pg_stop' EXIT
	trap 'pg_stop; exit 130' INT TERM HUP
	as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
		>"$dir/initdb.log" 2>&1 || {
		echo "pg.sh: initdb failed:" >&2
		tail -n 20 "$dir/initdb.log" >&2
		exit 1
	}
	# Only the Unix socket in DIR; small and quick, fsync left on.
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -s \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -c port=5432" \
		-o "-c max_connections=100 -c shared_buffers=32MB -c dynamic_shared_memory_type=mmap" \
		-o "-c log_min_messages=warning -c log_min_error_statement=panic" \
		start || {
		echo "pg.sh: the server did not start:" >&2
		tail -n 20 "$dir/server.log" >&2
		exit 1
	}
	trap - EXIT INT TERM HUP
	uri postgres
	;;
createdb)
	[ $# -eq 3 ] || usage
	case $3 in
	*[!a-z0-9_]* | "") echo "pg.sh: a database name is [a-z0-9_]+: '$3'" >&2; exit 2 ;;
	esac
	as_pg "$bin/createdb" -h "$dir" -p 5432 -U postgres "$3"
	uri "$3"
	;;
stop)
	[ $# -eq 2 ] || usage
	pg_stop
	# Only what this script made: a directory holding a cluster (or
	# nothing, when start failed early).
	if [ -d "$dir/data" ] || [ -f "$dir/initdb.log" ]; then
		rm -rf "$dir"
	elif [ -d "$dir" ]; then
		rmdir "$dir" 2>/dev/null || true
	fi
	;;
*)
	usage
	;;
esac

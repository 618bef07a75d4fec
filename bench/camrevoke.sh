#!/usr/bin/env bash
# bench/camrevoke.sh [BUILD [OLD_BUILD]]: what a camera's upload costs
# porterd with 0 and with 5,000 revocations in its home, in instructions
# (callgrind: the figure a shared machine does not move).
#
# porterd (SQLite store) answers N x PUT /v1/clips/{clip}/segments/{n}
# (new segments: signature check, the key revocation check before the
# write and again under the home lock, the file, its fsync'd rename, the
# row) from bench/seg_put, one keep-alive connection, under valgrind
# --tool=callgrind; each database is also run with 0 uploads, and (N - 0)
# / N is the cost of one upload, start-up excluded. The kernel's work (the
# fsyncs) is not counted.
#
#   0 / 5000    the home with no revocation; the same home with 5,000
#               revocations added with the sqlite3 shell (half key
#               revocations of random keys, half token ids; none names
#               the camera), as a busy home accumulates them
#   check       inclusive instructions in camera_upload_allowed per
#               upload (daemons/porterd/camrevoke.c: both checks)
#
# OLD_BUILD, if given, is a build of porter before the check became one
# indexed lookup (pt_store_revocation_key_find): the same runs with its
# porterd (it paged through every revocation of the home on each check).
# Set up each build's database with its own porterd (an older one refuses
# a newer schema). BENCH_REVQ_N sets N (default 50).
# Prints a markdown table. Measures, never asserts.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
old=${2:-}
N=${BENCH_REVQ_N:-50}
R=5000
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

fail() { echo "bench: $*" >&2; exit 1; }
command -v valgrind >/dev/null || fail "valgrind is missing: make deps installs it"
command -v sqlite3 >/dev/null || fail "the sqlite3 shell is missing (Debian: sqlite3)"
command -v python3 >/dev/null || fail "python3 is missing: make deps installs it"
ninja -C "$build" porterd porter bench/seg_put >/dev/null || fail "build failed"
if [ -n "$old" ]; then
	ninja -C "$old" porterd porter >/dev/null || fail "the old build failed"
fi

wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }

conf() { # DIR: porterd.conf for the database in DIR
	printf '[server]\nlisten = 127.0.0.1:0\n[store]\npath = %s/porter.db\nsealing_key = %s/sealing.key\n[log]\nlevel = warn\n' \
		"$1" "$1" >"$1/porterd.conf"
}

# setup BUILD DIR: an owner, a home, its first owner key and an enrolled
# camera (its key in $tmp/cam.key, made once), by BUILD's porterd and porter
setup() {
	local b=$1 d=$2 pd port home
	mkdir -p "$d"
	conf "$d"
	rm -f "$d/setup.port"
	"$b/porterd" -d -f "$d/porterd.conf" -R "$d/setup.port" 2>"$d/setup.log" &
	pd=$!
	pids="$pids $pd"
	wait_file "$d/setup.port" || { cat "$d/setup.log" >&2; fail "porterd did not start"; }
	port=$(cat "$d/setup.port")
	export PORTER_CONFIG="$d/owner.conf" PORTER_PASSWORD='bench passphrase 1'
	"$b/porter" signup --server "http://127.0.0.1:$port" --email bench@example.org --name Bench \
		>/dev/null || fail "sign-up failed"
	"$b/porter" login --email bench@example.org >/dev/null || fail "sign-in failed"
	home=$("$b/porter" home create --name Bench --tz Europe/Berlin --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') || fail "no home"
	[ -f "$tmp/owner.key" ] || "$b/porter" keygen -o "$tmp/owner.key" >/dev/null || fail "keygen failed"
	[ -f "$tmp/cam.key" ] || "$b/porter" keygen -o "$tmp/cam.key" >/dev/null || fail "keygen failed"
	"$b/porter" key add --home "$home" --key "$tmp/owner.key.pub" >/dev/null || fail "key add failed"
	"$b/porter" camera add --home "$home" --id cam-bench --camera-key "$tmp/cam.key.pub" \
		--key "$tmp/owner.key" --name Bench >/dev/null || fail "camera add failed"
	kill -TERM "$pd"
	wait "$pd" 2>/dev/null
	unset PORTER_CONFIG PORTER_PASSWORD
}

# revocations DIR: R more in the database's one home
revocations() {
	sqlite3 "$1/porter.db" "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $R)
		INSERT INTO revocations (home, version, envelope, kind, target, created_by, created_at)
		SELECT (SELECT id FROM homes), 1000 + i, randomblob(180), 2 - i % 2,
		CASE WHEN i % 2 = 0 THEN randomblob(32) ELSE randomblob(16) END, 1, 1700000000 FROM g;" ||
		fail "cannot add the revocations"
	[ "$(sqlite3 "$1/porter.db" 'SELECT count(*) FROM revocations')" -eq "$R" ] ||
		fail "not $R revocations"
}

# cg BUILD DIR N: porterd of BUILD on DIR under callgrind, N uploads
cg() {
	local b=$1 d=$2 n=$3 vp
	rm -f "$d/cg.port"
	valgrind --tool=callgrind --callgrind-out-file="$d/cg.$n" "$b/porterd" -d -f "$d/porterd.conf" \
		-R "$d/cg.port" >"$d/cg.$n.log" 2>&1 &
	vp=$!
	pids="$pids $vp"
	wait_file "$d/cg.port" || { cat "$d/cg.$n.log" >&2; fail "porterd did not start under valgrind"; }
	"$build/bench/seg_put" "$(cat "$d/cg.port")" cam-bench "$tmp/cam.key" "$n" ||
		{ cat "$d/cg.$n.log" >&2; fail "the uploads failed"; }
	kill -TERM "$vp"
	wait "$vp" 2>/dev/null
	[ -s "$d/cg.$n" ] || fail "no callgrind output $d/cg.$n"
}

inc() { # FILE FUNCTION: inclusive instructions of FUNCTION
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v f=":$2 \\\\[" '$0 ~ f { gsub(",", "", $1); print $1; exit }'
}
total() { sed -n 's/^summary: *//p' "$1" | head -n 1; }

# row NAME BUILD: both databases of BUILD, one table row each; sets last0
row() {
	local name=$1 b=$2 d per chk r
	setup "$b" "$tmp/$name.0"
	cp -r "$tmp/$name.0" "$tmp/$name.$R"
	conf "$tmp/$name.$R"	# its own database, not the copied path
	revocations "$tmp/$name.$R"
	for r in 0 "$R"; do
		d=$tmp/$name.$r
		cg "$b" "$d" 0
		cg "$b" "$d" "$N"
		per=$(awk -v n="$N" -v a="$(total "$d/cg.$N")" -v b="$(total "$d/cg.0")" \
			'BEGIN { printf "%.0f", (a - b) / n }')
		chk=$(awk -v n="$N" -v a="$(inc "$d/cg.$N" camera_upload_allowed)" \
			'BEGIN { printf "%.0f", a / n }')
		if [ "$r" = 0 ]; then
			last0=$per
			echo "| $name | 0 | $per | $chk | 1 |"
		else
			awk -v a="$per" -v b="$last0" -v c="$chk" -v nm="$name" -v r="$r" \
				'BEGIN { printf "| %s | %d | %s | %s | %.2f |\n", nm, r, a, c, a / b }'
		fi
	done
}

echo "| porterd | revocations in the home | instructions per upload (callgrind, N=$N minus 0) | of which the revocation checks | upload cost / with 0 |"
echo "|---|---:|---:|---:|---:|"
[ -z "$old" ] || row before "$old"
row after "$build"

#!/bin/sh
# make run: a whole porter home on this machine, in the foreground.
#
#   1. the Debian packages it lacks (scripts/deps.sh), then the build;
#   2. a private mosquitto on loopback, porterd on SQLite, porter-hub with
#      simulated lock, door and motion sensors, porter-cam on FFmpeg's test
#      source; each one's log lines prefixed with its name;
#   3. on the first start only: a demo owner account, a home, an owner key,
#      the hub paired with the home; then a guest credential;
#   4. what to try next; Ctrl-C (or SIGTERM) stops everything and exits 0.
#
# State lives in ./var (PORTER_VAR) and is kept: the next start is the
# same home with the same keys. Remove ./var to start afresh. Details and
# every variable: docs/run.md.
#
#   PORTER_VAR=var  PORTER_HTTP_PORT=8480  PORTER_MQTT_PORT=8483
#   PORTER_LINK_PORT=8490  PORTER_BUILD=dir (use this build: no packages,
#   no build step)  PORTER_STOP_WAIT=10 (seconds before SIGKILL)
set -eu
cd "$(dirname "$0")/.."
. scripts/run-lib.sh
. scripts/run-config.sh
. scripts/run-provision.sh

VAR=${PORTER_VAR:-var}
HTTP_PORT=${PORTER_HTTP_PORT:-8480}
MQTT_PORT=${PORTER_MQTT_PORT:-8483}
LINK_PORT=${PORTER_LINK_PORT:-8490}
STOP_WAIT=${PORTER_STOP_WAIT:-10}
CAM_ID=front-door
CAM_USER=${PORTER_CAM_USER:-nobody}
STOP_ORDER="cam hub porterd mosquitto"
PATH=$PATH:/usr/sbin:/usr/local/sbin
unset NOTIFY_SOCKET
for _p in "$HTTP_PORT" "$MQTT_PORT" "$LINK_PORT" "$STOP_WAIT"; do
	case $_p in
	'' | *[!0-9]*) die "ports and PORTER_STOP_WAIT are numbers: '$_p'" ;;
	esac
done

# One run per state directory: the lock is held by run.sh and every child.
# Taken first: a second make run is refused before it installs, builds or
# touches anything (a rebuild under the running one, say). The install
# and build steps do not inherit it (9>&-): a service a package's script
# starts (postgresql without systemd) would hold it for good.
mkdir -p "$VAR/run" || die "cannot make $VAR/run"
chmod 0700 "$VAR/run"
exec 9>"$VAR/run/lock"
if ! flock -n 9; then
	_pids=$(cat "$VAR"/run/*.pid 2>/dev/null | tr '\n' ' ')
	die "another make run uses $VAR (pids: ${_pids:-?}): stop it first (Ctrl-C in its terminal, or kill those pids)"
fi

# ---- 1. packages and the build ----

STEP3=""
if [ -n "${PORTER_BUILD:-}" ]; then
	BUILD=$PORTER_BUILD
	say "using the build in $BUILD (PORTER_BUILD: no package or build step)"
else
	BUILD=build
	say "[1/3] Debian packages (scripts/deps.sh)"
	sh scripts/deps.sh 9>&- || die "scripts/deps.sh failed (run make run as root on Debian 12)"
	say "[2/3] build (meson + ninja, in $BUILD/)"
	if [ ! -f "$BUILD/build.ninja" ]; then
		mkdir -p "$BUILD"
		meson setup "$BUILD" >"$BUILD/setup.log" 2>&1 9>&- ||
			{ tail -n 20 "$BUILD/setup.log" >&2; die "meson setup failed (all of it: $BUILD/setup.log)"; }
	fi
	ninja -C "$BUILD" 9>&- || die "the build failed"
	STEP3="[3/3] "
fi
BUILD=$(cd "$BUILD" && pwd) || die "no build directory '$BUILD'"
# The owner web app (docs/web.md): built into $BUILD/web by scripts/web.sh;
# with PORTER_BUILD, whatever that build holds (no npm step).
WEB_DIR=""
if [ -z "${PORTER_BUILD:-}" ]; then
	sh scripts/web.sh "$BUILD/web" 9>&- || say "warning: the web app is not built (scripts/web.sh failed): no app"
fi
[ -f "$BUILD/web/index.html" ] && WEB_DIR=$BUILD/web
for _b in porter porterd porter-hub; do
	[ -x "$BUILD/$_b" ] || die "$BUILD/$_b is not built"
done
for _b in mosquitto mosquitto_passwd; do
	command -v "$_b" >/dev/null 2>&1 || die "$_b is not installed (scripts/deps.sh installs mosquitto)"
done
CAM_BIN=""
if [ -x "$BUILD/porter-cam" ]; then
	CAM_BIN=$BUILD/porter-cam
else
	say "warning: $BUILD/porter-cam is not built (FFmpeg's libraries missing?): no camera"
fi

# ---- the state directory ----

say "${STEP3}starting porter (state in $VAR/)"
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
# Others may pass through $VAR (porter-cam runs as nobody in $VAR/cam),
# not list it; each part below is its owner's alone.
chmod 0711 "$VAR"
for _d in etc log run porterd demo sock; do mkdir -p "$VAR/$_d"; done
chmod 0755 "$VAR/etc"
chmod 0700 "$VAR/log" "$VAR/porterd" "$VAR/demo" "$VAR/run"
# The camera's files: its configuration, its state (its key) and the
# sockets it shares with the hub. As root, porter-cam runs as $CAM_USER,
# which must reach them: the sockets' directory is that user's group's and
# set-group-id, so the sockets the hub binds there are the camera's to
# write to (mode 0660), and the other way round. When $CAM_USER cannot
# reach $VAR (a checkout in root's 0700 home), they live in /run instead.
CAM_CONF=$VAR/etc/porter-cam.conf
CAM_STATE=$VAR/cam
CAM_SOCKDIR=$VAR/sock
if [ "$(id -u)" -eq 0 ] && [ -n "$CAM_BIN" ]; then
	_gid=$(id -g "$CAM_USER" 2>/dev/null) || die "no user '$CAM_USER' for the camera (PORTER_CAM_USER)"
	if ! reaches "$CAM_USER" "$VAR/etc"; then
		_alt=/run/porter-run/$(printf '%s' "$VAR" | sha256sum | cut -c 1-12)
		say "$CAM_USER cannot reach $VAR: the camera's files are in $_alt"
		mkdir -p "$_alt/sock"
		chmod 0711 /run/porter-run "$_alt"
		CAM_CONF=$_alt/porter-cam.conf
		CAM_STATE=$_alt/cam
		CAM_SOCKDIR=$_alt/sock
	fi
	chgrp "$_gid" "$CAM_SOCKDIR"
	chmod 2770 "$CAM_SOCKDIR"
else
	chmod 0700 "$CAM_SOCKDIR"
fi

STOPPING=no
on_exit() {
	_rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$CHILDREN" ]; then
		say "stopping: $(printf '%s' "$CHILDREN" | awk '{ printf "%s%s", s, $1; s = ", " }')"
		stop_all
	fi
	exit "$_rc"
}
on_signal() {
	STOPPING=yes
	trap - INT TERM HUP
	say "$1: stopping everything"
	stop_all
	say "stopped; the next 'make run' starts where this one stopped ($VAR)"
	exit 0
}
trap on_exit EXIT
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGHUP' HUP

# ---- configuration ----

TZ_NAME=$(home_tz)
CAM_SOCKET=$CAM_SOCKDIR/cam.sock
config_secrets
config_cam
config_mosquitto
config_porterd
config_hub

# ---- 2. the components, in the order they need each other ----

# started NAME SECONDS CMD...: fails (with the component's last lines) if
# CMD does not succeed in time or the component dies meanwhile.
started() {
	_name=$1 _secs=$2
	shift 2
	WAITING=$(pid_of "$_name")
	if ! wait_for "$_secs" "$@"; then
		WAITING=""
		if alive "$(pid_of "$_name")"; then
			last_lines "$_name"
			die "$_name did not get ready within ${_secs}s"
		fi
		last_lines "$_name"
		grep -qi "in use" "$VAR/log/$_name.log" 2>/dev/null &&
			die "$_name exited at start: a port is taken (PORTER_HTTP_PORT, PORTER_MQTT_PORT, PORTER_LINK_PORT)"
		die "$_name exited at start"
	fi
	WAITING=""
}
log_has() { grep -q -- "$2" "$VAR/log/$1.log" 2>/dev/null; }
http_up() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$HTTP_PORT/v1/health"; }

start mosquitto mosquitto -c "$VAR/etc/mosquitto.conf"
started mosquitto 10 log_has mosquitto " running"

rm -f "$VAR/run/porterd.port"
"$BUILD/porterd" -n -f "$VAR/etc/porterd.conf" >"$VAR/run/check.out" 2>&1 ||
	{ cat "$VAR/run/check.out" >&2; die "porterd's configuration is refused"; }
start porterd "$BUILD/porterd" -d -f "$VAR/etc/porterd.conf" -R "$VAR/run/porterd.port"
started porterd 20 http_up
started porterd 10 log_has porterd "event=mqtt_connected"

start_hub() {
	rm -f "$VAR/run/hub.port"
	start hub "$BUILD/porter-hub" -d -f "$VAR/etc/porter-hub.conf" -R "$VAR/run/hub.port"
	started hub 15 test -s "$VAR/run/hub.port"
}
"$BUILD/porter-hub" -n -f "$VAR/etc/porter-hub.conf" >"$VAR/run/check.out" 2>&1 ||
	{ cat "$VAR/run/check.out" >&2; die "porter-hub's configuration is refused"; }
start_hub

if [ -n "$CAM_BIN" ]; then
	start cam "$CAM_BIN" -d -f "$CAM_CONF"
	started cam 15 log_has cam "event=started"
fi

# ---- 3. the demo home ----

PAIRED_NOW=no
provision
# (a hub paired while connected shows online at once: porterd keeps the
# state it published before the pairing)
WAITING=$(pid_of hub)
wait_for 20 hub_online || die "porterd does not see the hub online (see the hub's and porterd's lines above)"
wait_for 20 hub_fresh || die "the hub has no revocation data from porterd (its time beacons)"
if grep -q '^\[camera\]' "$VAR/etc/porter-hub.conf" &&
	! wait_for 15 log_has hub "event=camera state=healthy"; then
	say "warning: the hub does not see the camera healthy yet: credentials that require it wait"
fi
WAITING=""

# ---- 4. what to try ----

rel() { # a path as the user can type it from the repository
	case $1 in
	"$PWD"/*) echo "${1#"$PWD"/}" ;;
	*) echo "$1" ;;
	esac
}
P=$(rel "$BUILD")/porter
V=$(rel "$VAR")
DEVICES="sim lock, door, motion"
ALARM=no
grep -q '^\[alarm\]' "$VAR/etc/porter-hub.conf" && ALARM=yes && DEVICES="$DEVICES, alarm panel"
cat <<EOF

==============================================================================
 porter is running: a private mosquitto (127.0.0.1:$MQTT_PORT), porterd,
 porter-hub $HUB_ID ($DEVICES)${CAM_BIN:+, porter-cam $CAM_ID}

 API           http://127.0.0.1:$HTTP_PORT   (docs/api.md)
EOF
[ "$WEB_ON" = yes ] && printf ' web app       http://127.0.0.1:%s/app/   (docs/web.md)\n' "$HTTP_PORT"
cat <<EOF
 sign in       $DEMO_EMAIL, password in $V/demo/owner.password
EOF
[ "$FIRST" = yes ] && printf ' password      %s   (generated once; kept there, 0600)\n' \
	"$(cat "$VAR/demo/owner.password")"
cat <<EOF
 home          $HOME_ID ($TZ_NAME), owner key $V/demo/owner.key

 From another terminal, in this directory:
   export PORTER_CONFIG=$V/demo/client.conf      # the owner's session, or sign in:
   $P login --server http://127.0.0.1:$HTTP_PORT --email $DEMO_EMAIL --password-stdin <$V/demo/owner.password
   $P home show $HOME_ID
   $P hub list --home $HOME_ID
   $P events --home $HOME_ID

 A guest at the door (a credential bound to the guest's device key):
   $P courier unlock --hub 127.0.0.1:$LINK_PORT --cred $V/demo/guest.cred --key $V/demo/guest.key
   $P sim --hub-control $V/hub/sim.sock status     # the bolt, the door
   $P sim --hub-control $V/hub/sim.sock door open  # ... and close, motion entry
EOF
[ "$ALARM" = yes ] &&
	echo "   $P sim --hub-control $V/hub/sim.sock alarm status  # armed; the entry zone bypassed"
cat <<EOF
   $P remote unlock --home $HOME_ID --key $V/demo/owner.key
EOF
[ -n "$CLIPS_SOCKET" ] && cat <<EOF

 The entry's video, sealed on the camera to the owner key (porterd cannot read it):
   $P clip list --home $HOME_ID
   $P clip decrypt --home $HOME_ID CLIP --key $V/demo/owner.key --out entry.mp4 \\
       --camera-key $CAM_KEY
EOF
cat <<EOF

 The scripted delivery and attacks: make demo.  Start afresh: rm -rf $V
 Ctrl-C stops everything; the next 'make run' starts where this one stopped.
==============================================================================
EOF
say "ready"

# ---- watch: a component that dies stops the rest ----

while :; do
	sleep 1
	_dead=$(dead_child)
	if [ -n "$_dead" ] && [ "$STOPPING" = no ]; then
		_pid=$(pid_of "$_dead")
		_status=0
		wait "$_pid" 2>/dev/null || _status=$?
		trap - INT TERM HUP
		_how="exited with status $_status"
		[ "$_status" -gt 128 ] && _how="was killed by SIG$(kill -l "$((_status - 128))" 2>/dev/null || echo "$((_status - 128))")"
		printf '%-9s | error: %s (pid %s) %s; stopping the others\n' run "$_dead" "$_pid" "$_how" >&2
		last_lines "$_dead"
		CHILDREN=$(printf '%s' "$CHILDREN" | awk -v n="$_dead" '$1 != n')
		[ -n "$CHILDREN" ] && CHILDREN="$CHILDREN
"
		stop_all
		say "stopped because $_dead exited"
		exit 1
	fi
done

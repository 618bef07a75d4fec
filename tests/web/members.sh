#!/usr/bin/env bash
# web-members: the household in the web app (docs/web-app.md, "People",
# "Home settings"). A private mosquitto (the ACL of dist/mosquitto-acl), a
# real porterd serving the app built here (scripts/web.sh), porterd_mqtt_peer
# playing the home's paired hub (its state, signed event batches), a guest
# credential signed by the owner's key (porter grant create --upload), and
# Debian's chromium (tests/web/members.mjs): the owner adds a member on
# Settings and sees them on People; the member, in a browser of their own,
# sees the home and none of the owner's actions; the hub's alerts (held
# open, intrusion, camera unhealthy, duress, offline) stand out on both
# timelines; the owner removes them from
# People and the member's page gets nothing more of the home; added back,
# the member leaves from their own page. TAP output; screenshots in
# ARTIFACTS.
# Usage: members.sh BUILD PEER MOSQUITTO ARTIFACTS
#   (BUILD holds porter and porterd.) KEEP=1 keeps the directory.
set -u
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
BUILD=$(realpath "$1")
PEER=$(realpath "$2")
# shellcheck disable=SC2034 # broker_start (lib.sh) runs it
MOSQ=$3
ART=$4
P=$BUILD/porter
unset PORTER_CACERT XDG_CONFIG_HOME PORTER_CONFIG

need mosquitto_passwd
# node or chromium missing: a failure, unless PORTER_WEB_OPTIONAL=1
# shellcheck source=need.sh
. "$SRC/tests/web/need.sh"
web_need
t_begin web-members
sh "$SRC/scripts/web.sh" "$T/web" >&2 || { echo "Bail out! scripts/web.sh failed"; exit 1; }

setup() { # description, command...: the set-up steps are not counted
	local what=$1; shift
	if ! "$@" >out.txt 2>err.txt; then
		echo "Bail out! set-up: $what failed"
		show out.txt err.txt
		exit 1
	fi
}

for k in owner hub guest; do
	"$P" keygen -o "$k.key" >/dev/null || { echo "Bail out! porter keygen"; exit 1; }
done
HUB=$("$PEER" id hub.key)
broker_start porterd "$HUB" || { echo "Bail out! mosquitto did not start"; show mosquitto.out; exit 1; }
# shellcheck disable=SC2034 # porterd_start (lib.sh) reads it
PORTERD_EXTRA="[web]
dir = $T/web"
if ! porterd_start "$BUILD/porterd"; then
	echo "Bail out! porterd did not start or reach the broker"; show porterd.log; exit 1
fi

# Ana: the owner, with an owner key of her own (the CLI's) that pairs the
# hub and signs a guest's credential. Mia: an account, not yet of the home.
export PORTER_PASSWORD='members e2e password'
A=(env PORTER_CONFIG="$T/ana.conf")
setup "Ana signs up" "${A[@]}" "$P" signup --server "$URL" --email ana@example.org --name Ana
setup "Ana signs in" "${A[@]}" "$P" login --email ana@example.org
setup "a home" "${A[@]}" "$P" home create --name Flat --tz Europe/Berlin --json
H=$(jv "d['id']")
setup "Mia signs up" env PORTER_CONFIG="$T/mia.conf" "$P" signup --server "$URL" --email mia@example.org --name Mia
setup "Ana enrols her key" "${A[@]}" "$P" key add --home "$H" --key owner.key.pub
CODE=$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))')
setup "the hub paired" "${A[@]}" "$P" hub pair --home "$H" --hub-key hub.key.pub --code "$CODE" \
	--key owner.key --label hall
setup "the hub names its home (PT_ENV_HUB_HOME)" "$PEER" home --broker "127.0.0.1:$MPORT" --user "$HUB" \
	--pass-file "$HUB.pw" --id "$HUB" --key hub.key --home "$H"
wait_for 10 log_has "event=mqtt_home hub=$HUB home=$H result=confirmed" porterd.log ||
	{ echo "Bail out! set-up: the hub did not confirm its home"; exit 1; }
setup "the hub says it is online" "$PEER" state --broker "127.0.0.1:$MPORT" --user "$HUB" \
	--pass-file "$HUB.pw" --id "$HUB" --online --rev 1
setup "a guest's credential" "${A[@]}" "$P" grant create --key owner.key --holder guest.key.pub --home "$H" \
	--purpose guest --lock front --expires +7d --entries 5 --note "members e2e guest" --label "the cleaner" \
	--upload --json

mkdir -p "$ART"
PORTER_PEER=$PEER PORTER_URL=$URL PORTER_HOME=$H PORTER_HUB=$HUB PORTER_T=$T PORTER_MPORT=$MPORT \
	PORTER_OWNER=ana@example.org PORTER_MEMBER=mia@example.org PORTER_PASS=$PORTER_PASSWORD \
	node "$SRC/tests/web/members.mjs" "$ART"
rc=$?
kill "$PID"; wait "$PID" 2>/dev/null
if grep -q 'Sanitizer\|runtime error' porterd.log; then
	echo "# porterd reported a sanitizer error:"; grep -A5 'Sanitizer\|runtime error' porterd.log | sed 's/^/# /'
	rc=1
fi
cp porterd.log "$ART/porterd.log" 2>/dev/null
exit $rc

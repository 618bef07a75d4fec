# shellcheck shell=sh
# make run's demo home, sourced by scripts/run.sh once porterd and the hub
# are up. Each step leaves a mark in $VAR/demo and is skipped when its
# mark is there, so the first start provisions, a start interrupted half
# way finishes the job, and every later start only signs in again:
#
#   owner.password   the demo owner's password (0600), made once
#   account          the account's e-mail, once it exists on porterd
#   client.conf      the porter CLI's session (PORTER_CONFIG), 0600
#   home.id          the demo home's id
#   owner.key        the owner's key (0600; made by run-config.sh), and
#   owner.key.added  once porterd has its public half
#   hub.paired       once the hub trusts the owner key and porterd knows the hub
#   camera.key       the camera key porterd has enrolled (for clip uploads)
#   guest.key        a guest's device key (0600), and guest.cred, its
#                    credential (renewed when it has expired)

DEMO_EMAIL=owner@porter.test

# cli CMD...: the porter CLI with the demo owner's session.
cli() {
	PORTER_CONFIG=$VAR/demo/client.conf "$BUILD/porter" "$@"
}

# step WHAT CMD...: run a provisioning step; on failure its output
# and a clear line, then exit.
step() {
	_what=$1
	shift
	if ! "$@" >"$VAR/run/step.out" 2>&1; then
		sed 's/^/    /' "$VAR/run/step.out" >&2
		die "provisioning failed: $_what"
	fi
}

# json_field FILE KEY: a top-level string value of porter's --json output.
json_field() {
	tr -d '\n' <"$1" | sed -n "s/^[^{]*{.*\"$2\": *\"\\([^\"]*\\)\".*/\\1/p"
}

# shellcheck disable=SC2034 # FIRST and PAIRED_NOW are run.sh's
provision() {
	d=$VAR/demo
	url=http://127.0.0.1:$HTTP_PORT
	FIRST=no
	[ -f "$d/account" ] || FIRST=yes
	secret_file "$d/owner.password"
	if [ ! -f "$d/account" ]; then
		say "first start: a demo owner account ($DEMO_EMAIL)"
		# A start stopped right after the sign-up finds the account there:
		# signing in with the password proves it is ours.
		if ! cli signup --server "$url" --email "$DEMO_EMAIL" --name "Demo owner" \
			--password-stdin <"$d/owner.password" >"$VAR/run/step.out" 2>&1 &&
			! cli login --server "$url" --email "$DEMO_EMAIL" \
				--password-stdin <"$d/owner.password" >/dev/null 2>&1; then
			sed 's/^/    /' "$VAR/run/step.out" >&2
			die "provisioning failed: sign up $DEMO_EMAIL"
		fi
		echo "$DEMO_EMAIL" >"$d/account"
	fi
	# A session at every start (they expire; the port may have changed).
	step "sign in as $DEMO_EMAIL" cli login --server "$url" --email "$(cat "$d/account")" \
		--password-stdin <"$d/owner.password"
	chmod 0600 "$d/client.conf"
	if [ ! -s "$d/home.id" ]; then
		say "first start: a demo home (time zone $TZ_NAME)"
		# (one made by a start stopped before it noted the id is used)
		step "list the homes" cli home list --json
		tr -d '\n' <"$VAR/run/step.out" |
			sed -n 's/.*"id": *"\(h-[0-9a-f]*\)", *"name": *"Demo home".*/\1/p' >"$d/home.id.tmp"
		if [ ! -s "$d/home.id.tmp" ]; then
			step "create the home" cli home create --name "Demo home" --tz "$TZ_NAME" \
				--in-home-delivery --notes "make run's demo home" --json
			json_field "$VAR/run/step.out" id >"$d/home.id.tmp"
		fi
		[ -s "$d/home.id.tmp" ] || die "porterd's answer has no home id: $(cat "$VAR/run/step.out")"
		mv "$d/home.id.tmp" "$d/home.id"
	fi
	HOME_ID=$(cat "$d/home.id")
	if [ ! -f "$d/owner.key.added" ]; then
		say "first start: the owner key enrolled in the home"
		step "enrol the owner key" cli key add --home "$HOME_ID" --key "$d/owner.key.pub" \
			--label "make run's owner key"
		: >"$d/owner.key.added"
	fi
	if [ ! -f "$d/hub.paired" ]; then
		pair_hub
		: >"$d/hub.paired"
		PAIRED_NOW=yes
	fi
	enrol_camera
	guest_credential
}

# enrol_camera: the camera's key enrolled in the home with the owner's
# signed camera statement (porter camera add --key: viewers trust
# porterd's camera key only with it), so porterd takes its signed clip
# uploads (when this porter has 'camera add'); again when the camera has a
# new key, or was enrolled before statements (no camera.signed).
enrol_camera() {
	d=$VAR/demo
	[ -n "${CAM_KEY:-}" ] || return 0
	"$BUILD/porter" camera --help >/dev/null 2>&1 || return 0
	[ "$(cat "$d/camera.key" 2>/dev/null)" = "$CAM_KEY" ] && [ -f "$d/camera.signed" ] && return 0
	if [ -s "$d/camera.key" ]; then
		if [ "$(cat "$d/camera.key")" = "$CAM_KEY" ]; then
			say "the camera was enrolled without the owner's statement: enrolling it again, signed"
		else
			say "the camera has a new key: enrolling it again"
		fi
		cli camera remove --home "$HOME_ID" "$CAM_ID" >/dev/null 2>&1 || true
	else
		say "first start: the camera $CAM_ID enrolled in the home (its clip uploads)"
	fi
	rm -f "$d/camera.signed"
	step "enrol the camera" cli camera add --home "$HOME_ID" --id "$CAM_ID" \
		--camera-key "$CAM_KEY" --key "$d/owner.key" --name "make run's test picture"
	echo "$CAM_KEY" >"$d/camera.key"
	: >"$d/camera.signed"
}

# pair_hub: the hub's one-time code from its admin socket, the owner's
# pairing statement at the door (the hub trusts the owner key from then
# on) and the same statement uploaded to porterd (porterd knows the hub).
pair_hub() {
	d=$VAR/demo
	say "first start: pairing the hub $HUB_ID with the home"
	"$BUILD/porter-hub" pair -f "$VAR/etc/porter-hub.conf" -q >"$VAR/run/pair.out" 2>&1 || true
	code=$(sed -n 's/^pairing code: *//p' "$VAR/run/pair.out")
	key=$(sed -n 's/^hub key: *//p' "$VAR/run/pair.out")
	id=$(sed -n 's/^hub id: *//p' "$VAR/run/pair.out")
	if [ -n "$code" ]; then
		[ "$id" = "$HUB_ID" ] || die "the hub says its id is '$id', not $HUB_ID"
		step "pair the hub at the door" "$BUILD/porter" hub pair-local \
			--hub "unix:$VAR/hub/link.sock" --key "$d/owner.key" --home "$HOME_ID" \
			--code "$code" --hub-key "$key"
	elif grep -q "already paired" "$VAR/run/pair.out"; then
		# Paired at the door by a start that stopped before porterd heard
		# of it: porterd does not check the code (only the hub can), so a
		# fresh one does for the statement.
		grep -q "$HOME_ID" "$VAR/run/pair.out" ||
			die "the hub is paired with another home: $(cat "$VAR/run/pair.out")"
		key=$HUB_KEY
		code=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
	else
		sed 's/^/    /' "$VAR/run/pair.out" >&2
		die "porter-hub pair gave no code"
	fi
	if ! cli hub list --home "$HOME_ID" --json 2>/dev/null | grep -q "\"$HUB_ID\""; then
		step "register the hub with porterd" cli hub pair --home "$HOME_ID" --hub-key "$key" \
			--code "$code" --key "$d/owner.key" --label hall
	fi
}

# guest_credential: a guest's device key (made once) and a credential for
# it signed by the owner key, uploaded to porterd (so the owner sees it and
# can revoke it); renewed when it no longer verifies (expired).
guest_credential() {
	d=$VAR/demo
	if [ ! -s "$d/guest.key" ]; then
		step "make the guest's device key" "$BUILD/porter" keygen -o "$d/guest.key"
	fi
	if [ -s "$d/guest.cred" ] && "$BUILD/porter" cred verify "$d/guest.cred" \
		--trust "$d/owner.key.pub" --hub "$HUB_ID" --lock front --holder-key "$d/guest.key" \
		>/dev/null 2>&1; then
		return 0
	fi
	# With the sim alarm panel armed, the guest's entry bypasses the entry
	# zone only; with the camera watched, the door opens only while the
	# camera is healthy (docs/alarm.md, docs/cam.md).
	_cond=""
	_what=""
	if grep -q '^\[alarm\]' "$VAR/etc/porter-hub.conf"; then
		_cond="--alarm-bypass"
		_what=", alarm entry zone bypassed"
	fi
	if grep -q '^\[camera\]' "$VAR/etc/porter-hub.conf"; then
		_cond="$_cond --camera"
		_what="$_what, camera required"
	fi
	say "a guest credential: 20 entries within 7 days$_what, signed by the owner key"
	# shellcheck disable=SC2086
	step "sign and upload the guest's credential" cli grant create --key "$d/owner.key" \
		--holder "$d/guest.key.pub" --home "$HOME_ID" --lock front --purpose guest \
		--expires +7d --entries 20 $_cond --note "make run's guest: welcome" \
		--label "make run guest" --upload -o "$d/guest.cred.tmp"
	mv "$d/guest.cred.tmp" "$d/guest.cred"
}

# hub_online: porterd's API says the hub is online.
hub_online() {
	cli hub list --home "$HOME_ID" --json >"$VAR/run/hubs.json" 2>/dev/null || return 1
	tr -d ' \n' <"$VAR/run/hubs.json" | grep -q "\"id\":\"$HUB_ID\"[^}]*\"online\":true" ||
		tr -d ' \n' <"$VAR/run/hubs.json" | grep -q "\"online\":true[^}]*\"id\":\"$HUB_ID\""
}

# hub_fresh: the hub holds porterd's revocation data as of the last
# day (hub.db's hub.revocations_refreshed_at, docs/hub.md), so it lets
# guests and couriers in; refreshed by porterd's time beacons.
hub_fresh() {
	command -v sqlite3 >/dev/null 2>&1 || { sleep 6; return 0; }
	_at=$(sqlite3 -readonly "$VAR/hub/hub.db" 'SELECT revocations_refreshed_at FROM hub' 2>/dev/null) ||
		return 1
	[ -n "$_at" ] && [ "$_at" -gt $(($(date +%s) - 86000)) ]
}

#!/bin/sh
# web-live: build the app into BUILD/web (scripts/web.sh), then live view
# in Debian's chromium against make run's whole stack (tests/web/live.mjs).
# Usage: live.sh BUILD ARTIFACTS   (BUILD: the meson build with porter,
# porterd, porter-hub, porter-cam). TAP on stdout.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$1
ART=$2
# node or chromium missing: a failure, unless PORTER_WEB_OPTIONAL=1 (need.sh)
# shellcheck source=need.sh
. "$SRC/tests/web/need.sh"
web_need
sh "$SRC/scripts/web.sh" "$BUILD/web" >&2 || { echo "Bail out! scripts/web.sh failed"; exit 1; }
exec node "$SRC/tests/web/live.mjs" "$BUILD" "$ART"

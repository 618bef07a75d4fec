#!/bin/sh
# web-endorse: build the app into BUILD/web (scripts/web.sh), then an
# owner's browser key endorses a second device's key from the Keys page,
# in Debian's chromium against make run's whole stack (tests/web/endorse.mjs).
# Usage: endorse.sh BUILD ARTIFACTS   (BUILD: the meson build with porter,
# porterd, porter-hub). TAP on stdout.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$1
ART=$2
# node or chromium missing: a failure, unless PORTER_WEB_OPTIONAL=1
# shellcheck source=need.sh
. "$SRC/tests/web/need.sh"
web_need
sh "$SRC/scripts/web.sh" "$BUILD/web" >&2 || { echo "Bail out! scripts/web.sh failed"; exit 1; }
exec node "$SRC/tests/web/endorse.mjs" "$BUILD" "$ART"

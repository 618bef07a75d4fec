#!/bin/sh
# web-unit: build the app into OUTDIR (scripts/web.sh), then node's test
# runner on tests/web/*.test.mjs against it. TAP on stdout.
# Usage: unit.sh OUTDIR
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
if ! command -v node >/dev/null 2>&1; then
	echo "1..0 # SKIP node is not installed (scripts/deps.sh)"
	exit 0
fi
# The app's .js files are ES modules, which node reads as such from 20 on
# (module detection); on Debian 12 (node 18), Node.js 20 from npm's registry.
. "$SRC/tests/web/need.sh"
web_node20
sh "$SRC/scripts/web.sh" "$OUT" >&2 || { echo "Bail out! scripts/web.sh failed"; exit 1; }
PORTER_WEB_DIR=$OUT exec node --test --test-reporter=tap "$SRC"/tests/web/*.test.mjs

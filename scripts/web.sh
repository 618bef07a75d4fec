#!/bin/sh
# Build the owner web app (docs/web.md, "The app"): web/src/ and the pinned
# libsodium (web/package-lock.json) copied into OUTDIR; no bundler, no
# transpiler. npm ci runs only when web/node_modules is missing or older
# than the lock file, so later builds are offline.
#
#   sh scripts/web.sh OUTDIR      (make run: build/web; make test too)
set -eu
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/web.sh OUTDIR" >&2; exit 1; }
OUT=$1
WEB=web
NM=$WEB/node_modules
STAMP=$NM/.porter-ci-stamp

if [ ! -f "$STAMP" ] || [ "$WEB/package-lock.json" -nt "$STAMP" ] || [ "$WEB/package.json" -nt "$STAMP" ]; then
	command -v npm >/dev/null 2>&1 || { echo "web: npm is not installed (scripts/deps.sh)" >&2; exit 1; }
	echo "web: npm ci (web/package-lock.json: three packages from npm's registry, the first time only)"
	# --ignore-scripts: no package's install script runs on this machine.
	(cd "$WEB" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 ||
		{ echo "web: npm ci failed (it needs the npm registry once; behind a proxy that" \
			"re-signs TLS, point NODE_EXTRA_CA_CERTS at the proxy's CA)" >&2; exit 1; }
	: >"$STAMP"
fi

SUMO=$NM/libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs
WRAP=$NM/libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs
for f in "$SUMO" "$WRAP"; do
	[ -f "$f" ] || { echo "web: $f is missing (remove $NM and try again)" >&2; exit 1; }
done
# The files copied into the app are the ones reviewed: their SHA-256 sums
# are committed (web/vendor.sha256) and checked on every build. A new
# libsodium version means new sums, by hand:
#   (cd web && sha256sum node_modules/libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs \
#     node_modules/libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs) >web/vendor.sha256
(cd "$WEB" && sha256sum -c --quiet --strict vendor.sha256) >&2 ||
	{ echo "web: the vendor files differ from web/vendor.sha256" >&2; exit 1; }

# Into a fresh directory next to OUTDIR, then swapped in: a running porterd
# never serves a half-copied app.
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d "$OUT.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cp -R "$WEB"/src/. "$TMP"/
mkdir -p "$TMP/vendor"
cp "$SUMO" "$TMP/vendor/libsodium-sumo.mjs"
# The wrapper imports the bare name "libsodium-sumo", which a browser can
# only resolve with an import map (an inline script, which the CSP
# forbids): point it at the file next to it instead.
sed 's|from"libsodium-sumo"|from"./libsodium-sumo.mjs"|' "$WRAP" >"$TMP/vendor/libsodium-wrappers.mjs"
grep -q 'from"./libsodium-sumo.mjs"' "$TMP/vendor/libsodium-wrappers.mjs" ||
	{ echo "web: cannot rewrite libsodium-wrappers' import (a new version?)" >&2; exit 1; }
# ... and no bare import of it is left (in any spelling).
if grep -Eq "(from|import)[[:space:]]*[\"']libsodium-sumo[\"']" "$TMP/vendor/libsodium-wrappers.mjs"; then
	echo "web: libsodium-wrappers still imports the bare name libsodium-sumo" >&2
	exit 1
fi
cp "$NM/libsodium-sumo/LICENSE" "$TMP/vendor/LICENSE.libsodium.txt" 2>/dev/null || :
# Only the types porterd serves (docs/web.md, "Static files").
find "$TMP" -type f ! \( -name '*.html' -o -name '*.js' -o -name '*.mjs' -o -name '*.css' -o \
	-name '*.svg' -o -name '*.png' -o -name '*.ico' -o -name '*.json' -o -name '*.wasm' -o \
	-name '*.webmanifest' -o -name '*.txt' \) -delete
chmod -R a+rX "$TMP"
rm -rf "$OUT.old"
[ -e "$OUT" ] && mv "$OUT" "$OUT.old"
mv "$TMP" "$OUT"
rm -rf "$OUT.old"
trap - EXIT
echo "web: the app is in $OUT"

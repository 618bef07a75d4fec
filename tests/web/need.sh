# shellcheck shell=sh
# Sourced by tests/web/{e2e,live,members,approval,endorse}.sh: what the browser
# tests need from scripts/deps.sh (node, Debian's chromium). On a machine
# where scripts/deps.sh installed everything, a missing one is a FAILURE
# ("Bail out!", exit 1: make test counts it), not a skip that would count
# 0 passed, 0 failed and go unseen. PORTER_WEB_OPTIONAL=1 turns it into a
# skip, for a machine meant to run without a browser (scripts/count.py
# then lists the test as skipped).
web_missing() { # WHAT: fail, or skip with PORTER_WEB_OPTIONAL=1
	if [ "${PORTER_WEB_OPTIONAL:-}" = 1 ]; then
		echo "1..0 # SKIP $1 (PORTER_WEB_OPTIONAL=1)"
		exit 0
	fi
	echo "Bail out! $1: scripts/deps.sh installs it (PORTER_WEB_OPTIONAL=1 skips the browser tests instead)"
	exit 1
}
web_need() { # needs node and chromium (PORTER_CHROMIUM, else /usr/bin/chromium)
	command -v node >/dev/null 2>&1 || web_missing "node is not installed"
	[ -x "${PORTER_CHROMIUM:-/usr/bin/chromium}" ] || web_missing "${PORTER_CHROMIUM:-/usr/bin/chromium} is missing"
	web_node20
}
# Node.js 20 or newer first in PATH (scripts/node20.sh: this machine's, or
# on Debian 12, whose node is 18, one from npm's registry): playwright-core
# refuses an older one.
web_node20() {
	_n20=$(sh "$SRC/scripts/node20.sh") || { echo "Bail out! no Node.js 20 (scripts/node20.sh)"; exit 1; }
	PATH=$_n20:$PATH
	export PATH
}

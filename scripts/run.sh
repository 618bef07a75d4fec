#!/bin/sh
# make run: start what exists of porter on this machine, in the foreground,
# with its state under ./var (kept between runs). Ctrl-C stops it.
# Today that is porterd; porter-hub, porter-cam and a private mosquitto join
# it as they are built.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CONF=${PORTERD_CONF:-dist/porterd.conf}
mkdir -p var/porterd
chmod 700 var var/porterd

"$BUILD/porterd" -n -f "$CONF" >/dev/null
listen=$(sed -n 's/^listen *= *//p' "$CONF" | head -n 1)
cat <<MSG
porter: starting porterd on http://${listen:-127.0.0.1:8480} (state in var/porterd/)

  try it from another terminal:
    curl -s http://${listen:-127.0.0.1:8480}/v1/health
    curl -s -H 'Content-Type: application/json' \\
      -d '{"email":"you@example.org","password":"a long passphrase","name":"You"}' \\
      http://${listen:-127.0.0.1:8480}/v1/accounts
  the API: docs/api.md. The offline credential demo: make demo.
  Ctrl-C stops porterd; the next 'make run' starts where this one stopped.

MSG
exec "$BUILD/porterd" -d -f "$CONF"

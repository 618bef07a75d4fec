#!/bin/sh
# bench/hub_rss.sh [BUILD] [N]: porter-hub's resident memory, idle (paired,
# sim drivers, uplink connected to a private mosquitto) and after N (default
# 1,000) unlock exchanges: bench/exchange.sh's hub, only its RSS table.
# Goal (issue 4): under 16 MiB.
cd "$(dirname "$0")/.." || exit 1
BENCH_ONLY=rss exec sh bench/exchange.sh "${1:-build}" "${2:-1000}"

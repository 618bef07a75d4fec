#!/bin/sh
# Install the Debian packages porter needs that this machine lacks.
# The one list of packages: add new dependencies here and nowhere else.
# Runs as root on Debian 12 (bookworm); needs nothing but apt.
set -eu

PACKAGES="
build-essential
pkg-config
meson
ninja-build
clang
libclang-rt-14-dev
libsodium-dev
libcbor-dev
libjansson-dev
libsqlite3-dev
sqlite3
libpq-dev
postgresql
libmicrohttpd-dev
libinih-dev
libsystemd-dev
libqrencode-dev
libcurl4-openssl-dev
libmosquitto-dev
libgpiod-dev
mosquitto
mosquitto-clients
tzdata
valgrind
curl
openssl
python3
wrk
strace
libavformat-dev
libavcodec-dev
libavutil-dev
libswscale-dev
libavdevice-dev
libseccomp-dev
ffmpeg
python3-gi
gir1.2-gst-rtsp-server-1.0
gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad
nodejs
npm
chromium
"

missing=""
for p in $PACKAGES; do
	# NodeSource's nodejs package carries npm itself (and conflicts with
	# Debian's npm): an npm on the PATH will do.
	[ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
echo "deps: [1/2] apt-get update"
apt-get update -q >/dev/null
echo "deps: [2/2] apt-get install (this can take a few minutes on a new machine)"
# Progress per package as apt and dpkg go: "unpacking 12/835 NAME", then
# "setting up 12/835 NAME" (the total from apt's summary line). Read line
# by line by the shell: grep or awk in the pipe would hold lines back.
# apt's errors go to stderr, straight to the terminal. The install's own
# exit status decides, not the pipe's (POSIX sh has no pipefail).
st=$(mktemp) || exit 1
# shellcheck disable=SC2086
{ r=0; apt-get install -y -q --no-install-recommends $missing || r=$?; echo "$r" >"$st"; } | {
	set -f
	total=? u=0 s=0
	while IFS= read -r line; do
		case $line in
		*" upgraded, "*" newly installed"*)
			# "U upgraded, N newly installed, ...": both unpack
			set -- $line
			case ${1-x}${3-x} in
			*[!0-9]*) ;;
			*) total=$(($1 + $3)); echo "deps:   $total packages to install" ;;
			esac ;;
		"Unpacking "*)
			u=$((u + 1))
			set -- $line
			echo "deps:   unpacking $u/$total ${2-}" ;;
		"Setting up "*)
			s=$((s + 1))
			set -- $line
			echo "deps:   setting up $s/$total ${3-}" ;;
		esac
	done
}
rc=$(cat "$st" 2>/dev/null) || rc=""
[ -n "$rc" ] || rc="unknown"
rm -f "$st"
if [ "$rc" != 0 ]; then
	echo "deps: apt-get install failed (exit $rc); nothing else was done" >&2
	exit 1
fi
echo "deps: done"

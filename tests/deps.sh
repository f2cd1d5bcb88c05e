#!/bin/sh
# Installs the Debian packages sigmesh needs, when they are missing.
# As root it runs apt-get itself; otherwise it prints the exact command.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-dev libsodium-dev libzmq3-dev liblmdb-dev
      libmsgpack-dev libgmime-3.0-dev libjansson-dev libinih-dev python3 python3-zmq iproute2 lmdb-utils"
# Node.js (for the STIX schema check) is used when present; that test prints
# SKIP without it.
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root: apt-get update && apt-get install -y$missing"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing

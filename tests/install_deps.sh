#!/usr/bin/env bash
# Installs the Debian 12 packages that building, packaging (make deb: debhelper;
# tests/pkg: systemd-analyze, man, groff) and testing anyway need, if any
# is missing (apt-get update + install), and prepares 2 MiB hugepages (tests
# and the demo fall back to --no-huge when there are none). Used by .ci/run and
# `make demo`. Needs root.
set -euo pipefail
PKGS="build-essential meson ninja-build pkg-config dpdk dpdk-dev libdpdk-dev libipsec-mb-dev
libssl-dev openssl libjansson-dev libcurl4-openssl-dev libpcap-dev python3 python3-pytest python3-scapy python3-cryptography python3-prometheus-client
iproute2 ethtool iputils-ping curl procps psmisc nftables valgrind
debhelper dpkg-dev systemd man-db groff-base
bird2"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ] || [ "${AW_FORCE_APT:-0}" = 1 ]; then
	export DEBIAN_FRONTEND=noninteractive
	# a package run that was cut short (a killed apt or dpkg) blocks every later
	# install until it is finished: finish it first (nothing to do otherwise)
	dpkg --configure -a >/dev/null
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $PKGS >/dev/null
fi

if [ "$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)" -lt 512 ]; then
	echo 512 > /proc/sys/vm/nr_hugepages 2>/dev/null || true
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true

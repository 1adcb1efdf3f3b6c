#!/usr/bin/env bash
# Builds the Debian packages of this checkout with dpkg-buildpackage into DIR
# (default build-deb/): anyway-dataplane, anyway-control, anyway-bench _VERSION_amd64.deb
# plus the .buildinfo and .changes. Used by `make deb` and tests/pkg.
# Binary packages only (-b), unsigned. DEB_BUILD_OPTIONS defaults to "nocheck"
# (the unit tests are run by make test); the build log is DIR/build.log.
# The build tree (obj-*/, debian/tmp) is cleaned afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$PWD/build-deb}
mkdir -p "$out"
for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || { echo "build_deb: $tool missing (apt-get install debhelper dpkg-dev)" >&2; exit 1; }
done
export AW_DEB_DIR=$out
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=$(nproc)}
name=anyway_$(dpkg-parsechangelog -S Version)_$(dpkg-architecture -qDEB_HOST_ARCH)
if ! dpkg-buildpackage -us -uc -b --buildinfo-option=-u"$out" --changes-option=-u"$out" \
	--buildinfo-file="$out/$name.buildinfo" --changes-file="$out/$name.changes" \
	>"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build_deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
# leave the tree as it was (obj-*/, debian/tmp, debian/<package>/)
debian/rules clean >>"$out/build.log" 2>&1
ls "$out"/*.deb

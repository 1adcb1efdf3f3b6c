#!/usr/bin/env bash
# Installs what `make fuzz` needs beyond tests/install_deps.sh, if missing:
# clang and libFuzzer with the sanitizer runtimes (libclang-rt-14-dev is only
# a recommendation of clang on Debian 12, so it is named). Kept out of
# tests/install_deps.sh so that `make test` does not pay for it. Needs root.
set -euo pipefail
PKGS="clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $PKGS >/dev/null
fi

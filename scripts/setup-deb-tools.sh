#!/usr/bin/env bash
# The Debian tools `make deb` and `make deb-check` need: dpkg-deb and lintian to build and check
# the packages, reprepro and gpg for the signed repository, mmdebstrap for the Debian 12 root of
# the acceptance test, qemu-user-static to run the arm64 build's `kiosk --version` here.
set -euo pipefail
packages=(dpkg-dev fakeroot lintian reprepro gnupg mmdebstrap qemu-user-static arch-test)
exec "$(dirname "$0")/install-debian-packages.sh" "${packages[@]}"

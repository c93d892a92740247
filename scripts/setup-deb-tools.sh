#!/usr/bin/env bash
# The Debian tools `make deb` and `make deb-check` need: dpkg-deb and lintian to build and check
# the packages, reprepro and gpg for the signed repository, mmdebstrap for the Debian 12 root of
# the acceptance test, qemu-user-static to run the arm64 build's `kiosk --version` here.
# Idempotent: when every package is present it returns at once without touching apt.
set -euo pipefail
packages=(dpkg-dev fakeroot lintian reprepro gnupg mmdebstrap qemu-user-static arch-test)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

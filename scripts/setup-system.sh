#!/usr/bin/env bash
# Installs the Debian packages the kiosk needs under a virtual X server, once.
# Idempotent: when every package is present it returns at once without touching apt.
set -euo pipefail
# libzbar0: the QR reader the UI tests read the e-services' phone codes back with.
# reprepro, gnupg: the apt repository tests (tests/sync/test_apt_repo.py).
# systemd: systemd-analyze, which checks the units and rates their sandbox (tests/test_deploy.py).
packages=(xvfb xauth libgl1-mesa-dri libmtdev1 xdotool espeak-ng chromium libzbar0 reprepro gnupg systemd)
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

#!/usr/bin/env bash
# Installs the Debian packages the kiosk needs under a virtual X server, once.
set -euo pipefail
# libzbar0: the QR reader the UI tests read the e-services' phone codes back with.
# reprepro, gnupg: the apt repository tests (tests/sync/test_apt_repo.py).
# systemd: systemd-analyze, which checks the units and rates their sandbox (tests/test_deploy.py).
packages=(xvfb xauth libgl1-mesa-dri libmtdev1 xdotool espeak-ng chromium libzbar0 reprepro gnupg systemd)
exec "$(dirname "$0")/install-debian-packages.sh" "${packages[@]}"
